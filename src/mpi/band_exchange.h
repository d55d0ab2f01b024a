/*
 * band_exchange.h: LSH's band records sent to the rank that owns their hash.
 *
 * Each rank holds the band records of the documents it scanned. A bucket (the records of
 * one band and hash) gives its candidates alone, so each rank takes the records whose
 * hash it owns (hash % ranks), from itself and from every other rank, and finds their
 * candidates by itself: the ranks' candidates together are one process's. Records go out
 * through an exchange (exchange.h), while those that come go to the LSH sorts.
 */
#ifndef ND_BAND_EXCHANGE_H
#define ND_BAND_EXCHANGE_H

#include "pairs/lsh.h"

/* Every rank at once: the band records in own (but those of the documents that copies
 * names, a bitmap of all documents, or NULL) go to their owners; those this rank owns go
 * to sorts (nd_lsh_sorts_open), and *sent gets the bytes it sent to others. */
int nd_exchange_bands(nd_run_ctx *ctx, const nd_scan_out *own, const uint8_t *copies, int rank,
                      int ranks, nd_lsh_sorts *sorts, uint64_t *sent);

#endif
