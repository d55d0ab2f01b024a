/*
 * band_exchange.c: band records to the ranks that own their hashes (see band_exchange.h).
 *
 * A rank reads its records chunk by chunk and routes each: its own go to its LSH parts'
 * sorts, the others' to a piece per rank, sent without waiting when full. It waits only
 * when a rank's previous piece is still on its way, and while it waits it takes the pieces
 * that came: every rank takes what came whenever it would wait, so no two ranks wait for
 * each other.
 */
#include "mpi/band_exchange.h"

#include "common/spill.h"
#include "mpi/exchange.h"

/* Keeps records this rank owns: into their LSH parts' sorts. */
static int keep(void *sorts, const void *records, size_t n)
{
    const nd_band_record *rec = records;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = nd_lsh_sorts_add(sorts, &rec[i]);
    return rc;
}

/* Reads the chunks of own and puts each record with its hash's rank (but copies'). */
static int route_all(nd_exchange *x, nd_run_ctx *ctx, const nd_scan_out *own, const uint8_t *copies,
                     int ranks, nd_band_record *chunk)
{
    int rc = 0;
    for (size_t k = 0; k < own->n_chunks && rc == 0; k++) {
        const nd_band_chunk *ch = &own->chunks[k];
        rc = nd_spill_read(ctx->spill, ch->offset, chunk, ch->n * sizeof(*chunk));
        for (size_t i = 0; i < ch->n && rc == 0; i++) {
            const uint32_t doc = chunk[i].doc;
            if (copies && copies[doc / 8] >> (doc % 8) & 1) /* its text is banded once */
                continue;
            rc = nd_exchange_put(x, (int)(chunk[i].hash % (uint64_t)ranks), &chunk[i]);
        }
        if (rc == 0)
            rc = nd_exchange_take(x);
    }
    return rc;
}

int nd_exchange_bands(nd_run_ctx *ctx, const nd_scan_out *own, const uint8_t *copies, int rank,
                      int ranks, nd_lsh_sorts *sorts, uint64_t *sent)
{
    nd_exchange *x;
    const size_t chunk_bytes = ND_BAND_CHUNK * sizeof(nd_band_record);
    int rc =
        nd_exchange_open(ctx, ND_FLOW_BANDS, sizeof(nd_band_record), rank, ranks, keep, sorts, &x);
    nd_band_record *chunk = rc == 0 ? nd_scratch_map(&ctx->scratch, chunk_bytes) : NULL;
    if (rc == 0 && !chunk)
        rc = ND_ENOMEM;
    if (rc == 0)
        rc = route_all(x, ctx, own, copies, ranks, chunk);
    rc = nd_exchange_close(x, rc, sent);
    if (chunk)
        nd_scratch_unmap(&ctx->scratch, chunk, chunk_bytes);
    return rc;
}
