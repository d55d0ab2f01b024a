/*
 * exchange.h: records of a fixed size sent to the ranks that own them, while those that
 * come are taken (a stage's all-to-all: band records, shingle records, seeds).
 *
 * Every rank opens an exchange of the same flow at once, puts each of its records with
 * the rank that owns it, and closes it: its own records and those that come from the
 * others go to keep. Records go out in pieces, several at once: a rank holds two pieces
 * per other rank (of --memory / 4 / ranks, 4 KB to 256 KB), whatever the number of
 * records. A rank waits only when a rank's previous piece is still on its way, and while
 * it waits it takes the pieces that came: every rank takes what came whenever it would
 * wait, so no two ranks wait for each other.
 */
#ifndef ND_EXCHANGE_H
#define ND_EXCHANGE_H

#include "common/context.h"
#include "mpi/messages.h"

typedef struct nd_exchange nd_exchange;

/* What a rank does with the records it owns: n of them (in no order across ranks). */
typedef int (*nd_exchange_keep)(void *payload, const void *records, size_t n);

int nd_exchange_open(nd_run_ctx *ctx, nd_flow flow, size_t record_size, int rank, int ranks,
                     nd_exchange_keep keep, void *payload, nd_exchange **out);
/* A record for rank `to` (this one's: kept at once). */
int nd_exchange_put(nd_exchange *x, int to, const void *record);
/* Takes what came (a rank busy between puts calls it now and then). */
int nd_exchange_take(nd_exchange *x);
/* Sends the last pieces and takes the others' until all came; *sent gets the bytes this
 * rank sent to others. Frees x, whatever happened (after a failure, pieces may still be
 * in flight: the rank then stops the job). */
int nd_exchange_close(nd_exchange *x, int rc, uint64_t *sent);

#endif
