/*
 * identical.h: the identical stage, documents whose normalized texts are identical
 * grouped before LSH, so that a text repeated m times costs m, never m^2.
 */
#ifndef ND_IDENTICAL_H
#define ND_IDENTICAL_H

#include "common/context.h"
#include "pairs/lsh.h"

/* Groups the documents by the hash of their shingle sequence, each group confirmed by
 * comparing the sequences themselves, and sets each document's text_first. Appends to
 * *star the pair (first, copy) of each copy, to be verified like any candidate. */
int nd_identical_stage(nd_run_ctx *ctx, nd_corpus *c, nd_candidates *star);

#endif
