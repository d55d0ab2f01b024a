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
#include "mpi/messages.h"

#include <stdlib.h>

/* Bytes of a piece: a share of --memory for each other rank, within bounds. A larger
 * piece saves no time (a message of 256 KiB moves at the memory's speed), and the pieces
 * are memory the exchange writes for the first time. */
#define PIECE_LEAST ((uint64_t)4 << 10)
#define PIECE_MOST ((uint64_t)256 << 10)

static size_t piece_records(const nd_run_ctx *ctx, int ranks)
{
    uint64_t bytes = ctx->memory.total / (4 * (uint64_t)ranks);
    bytes = bytes < PIECE_LEAST ? PIECE_LEAST : bytes > PIECE_MOST ? PIECE_MOST : bytes;
    return (size_t)bytes / sizeof(nd_band_record);
}

/* The records on their way to one rank: a piece filling while the other is sent. */
typedef struct outbox {
    nd_band_record *filling, *flying;
    size_t n;
    MPI_Request sent;
    bool in_flight;
} outbox;

typedef struct exchange {
    nd_run_ctx *ctx;
    int rank, ranks;
    size_t piece;         /* records a message holds at most */
    outbox *out;          /* per rank (not this one's) */
    nd_band_record *came; /* a piece taken */
    int ended;            /* ranks whose last piece came */
    nd_lsh_sorts *sorts;  /* of the records this rank owns */
    uint64_t sent;
    int rc;
} exchange;

/* Keeps records this rank owns: into their LSH parts' sorts. */
static int keep(exchange *x, const nd_band_record *rec, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = nd_lsh_sorts_add(x->sorts, &rec[i]);
    return rc;
}

/* Takes every piece that has come; returns x->rc. */
static int take_what_came(exchange *x)
{
    int from;
    size_t len;
    while (x->rc == 0 && nd_message_bands_came(&from, &len)) {
        nd_message_take_bands(from, x->came, len);
        if (len == 0)
            x->ended++;
        else
            x->rc = keep(x, x->came, len / sizeof(*x->came));
    }
    return x->rc;
}

typedef struct flight {
    exchange *x;
    outbox *o;
} flight;

static int landed(void *payload)
{
    flight *f = payload;
    return take_what_came(f->x) < 0 || nd_message_sent(&f->o->sent);
}

/* Sends the records rank `to`'s outbox holds (none: its last piece) once the piece
 * before is gone. */
static int post(exchange *x, int to)
{
    outbox *o = &x->out[to];
    if (o->in_flight)
        nd_message_wait_until(landed, &(flight){x, o});
    if (x->rc < 0)
        return x->rc;
    nd_band_record *full = o->filling;
    o->filling = o->flying;
    o->flying = full;
    nd_message_post_bands(to, full, o->n * sizeof(*full), &o->sent);
    o->in_flight = true;
    x->sent += o->n * sizeof(*full);
    o->n = 0;
    return 0;
}

/* Routes records: this rank's kept, the others' to their outboxes (but copies'). */
static int route(exchange *x, const nd_band_record *rec, size_t n, const uint8_t *copies)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const uint32_t doc = rec[i].doc;
        if (copies && copies[doc / 8] >> (doc % 8) & 1) /* its text is banded once */
            continue;
        const int to = (int)(rec[i].hash % (uint64_t)x->ranks);
        if (to == x->rank) {
            rc = keep(x, &rec[i], 1);
            continue;
        }
        outbox *o = &x->out[to];
        o->filling[o->n++] = rec[i];
        if (o->n == x->piece)
            rc = post(x, to);
    }
    return rc;
}

/* Whether every other rank's last piece came and every piece sent is gone. */
static int all_landed(void *payload)
{
    exchange *x = payload;
    if (take_what_came(x) < 0)
        return 1;
    if (x->ended < x->ranks - 1)
        return 0;
    for (int r = 0; r < x->ranks; r++)
        if (r != x->rank && x->out[r].in_flight && !nd_message_sent(&x->out[r].sent))
            return 0;
    return 1;
}

/* Reads the chunks of own, routing their records, then sends each rank its last pieces
 * and takes the others' until all came. */
static int exchange_all(exchange *x, const nd_scan_out *own, const uint8_t *copies,
                        nd_band_record *chunk)
{
    int rc = 0;
    for (size_t k = 0; k < own->n_chunks && rc == 0; k++) {
        const nd_band_chunk *ch = &own->chunks[k];
        rc = nd_spill_read(x->ctx->spill, ch->offset, chunk, ch->n * sizeof(*chunk));
        if (rc == 0)
            rc = route(x, chunk, ch->n, copies);
        if (rc == 0)
            rc = take_what_came(x);
    }
    for (int r = 0; r < x->ranks && rc == 0; r++)
        if (r != x->rank && (rc = x->out[r].n ? post(x, r) : 0) == 0)
            rc = post(x, r); /* an empty piece: the last */
    if (rc == 0)
        nd_message_wait_until(all_landed, x);
    return rc < 0 ? rc : x->rc;
}

int nd_exchange_bands(nd_run_ctx *ctx, const nd_scan_out *own, const uint8_t *copies, int rank,
                      int ranks, nd_lsh_sorts *sorts, uint64_t *sent)
{
    exchange x = {.ctx = ctx,
                  .rank = rank,
                  .ranks = ranks,
                  .piece = piece_records(ctx, ranks),
                  .sorts = sorts};
    x.out = calloc((size_t)ranks, sizeof(*x.out));
    /* (scratch: pages the run already has, where the pool kept some) */
    const size_t pieces_bytes = (2 * (size_t)ranks + 1) * x.piece * sizeof(nd_band_record);
    const size_t chunk_bytes = ND_BAND_CHUNK * sizeof(nd_band_record);
    nd_band_record *pieces = nd_scratch_map(&ctx->scratch, pieces_bytes);
    nd_band_record *chunk = nd_scratch_map(&ctx->scratch, chunk_bytes);
    int rc = x.out && pieces && chunk ? 0 : ND_ENOMEM;
    for (int r = 0; r < ranks && rc == 0; r++)
        x.out[r] = (outbox){pieces + 2 * (size_t)r * x.piece,
                            pieces + (2 * (size_t)r + 1) * x.piece, 0, MPI_REQUEST_NULL, false};
    x.came = rc == 0 ? pieces + 2 * (size_t)ranks * x.piece : NULL;
    if (rc == 0)
        rc = exchange_all(&x, own, copies, chunk);
    /* (after a failure, pieces may still be in flight: the rank then stops the job) */
    if (rc == 0 && pieces)
        nd_scratch_unmap(&ctx->scratch, pieces, pieces_bytes);
    if (chunk)
        nd_scratch_unmap(&ctx->scratch, chunk, chunk_bytes);
    free(x.out);
    *sent = x.sent;
    return rc;
}
