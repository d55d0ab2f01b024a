/*
 * sets_needed.h: which documents' shingle sets the identical stage reads, for a run whose
 * scan left them with other processes (nd_run_hooks.need_sets).
 */
#ifndef ND_SETS_NEEDED_H
#define ND_SETS_NEEDED_H

#include "pairs/lsh.h"

/* The documents the identical stage compares (of a text hash that another document has
 * too). Marks in need (a bitmap of c->n_docs bits, bit i of byte i / 8) those not marked
 * in have yet, and marks them in have too. Returns how many it marked. */
size_t nd_sets_needed(const nd_corpus *c, uint8_t *have, uint8_t *need);

/* Marks doc in need and in have, unless have has it already; returns how many it marked. */
size_t nd_set_wanted(uint32_t doc, uint8_t *have, uint8_t *need);

#endif
