/*
 * exchange.c: records to the ranks that own them (see exchange.h).
 */
#include "mpi/exchange.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of a piece: a share of --memory for each other rank, within bounds. A larger
 * piece saves no time (a message of 256 KiB moves at the memory's speed), and the pieces
 * are memory the exchange writes for the first time. */
#define PIECE_LEAST ((uint64_t)4 << 10)
#define PIECE_MOST ((uint64_t)256 << 10)

/* The records on their way to one rank: a piece filling while the other is sent. */
typedef struct outbox {
    unsigned char *filling, *flying;
    size_t n;
    MPI_Request sent;
    bool in_flight;
} outbox;

struct nd_exchange {
    nd_run_ctx *ctx;
    nd_flow flow;
    size_t size; /* of a record */
    int rank, ranks;
    size_t piece;          /* records a message holds at most */
    unsigned char *pieces; /* the outboxes' pieces (this rank's: its own records, kept
                              a piece at a time), then the piece taken */
    size_t pieces_bytes;
    outbox *out; /* per rank (not this one's) */
    unsigned char *came;
    int ended; /* ranks whose last piece came */
    nd_exchange_keep keep;
    void *payload;
    uint64_t sent;
    int rc;
};

static size_t piece_records(const nd_run_ctx *ctx, int ranks, size_t size)
{
    uint64_t bytes = ctx->memory.total / (4 * (uint64_t)ranks);
    bytes = bytes < PIECE_LEAST ? PIECE_LEAST : bytes > PIECE_MOST ? PIECE_MOST : bytes;
    return (size_t)bytes / size;
}

int nd_exchange_take(nd_exchange *x)
{
    int from;
    size_t len;
    while (x->rc == 0 && nd_message_came(x->flow, &from, &len)) {
        nd_message_take(x->flow, from, x->came, len);
        if (len == 0)
            x->ended++;
        else
            x->rc = x->keep(x->payload, x->came, len / x->size);
    }
    return x->rc;
}

typedef struct flight {
    nd_exchange *x;
    outbox *o;
} flight;

static int landed(void *payload)
{
    flight *f = payload;
    return nd_exchange_take(f->x) < 0 || nd_message_sent(&f->o->sent);
}

/* Sends the records rank `to`'s outbox holds (none: its last piece) once the piece
 * before is gone. */
static int post(nd_exchange *x, int to)
{
    outbox *o = &x->out[to];
    if (o->in_flight)
        nd_message_wait_until(landed, &(flight){x, o});
    if (x->rc < 0)
        return x->rc;
    unsigned char *full = o->filling;
    o->filling = o->flying;
    o->flying = full;
    nd_message_post(x->flow, to, full, o->n * x->size, &o->sent);
    o->in_flight = true;
    x->sent += o->n * x->size;
    o->n = 0;
    return 0;
}

/* Keeps the records this rank's own outbox holds. */
static int keep_own(nd_exchange *x)
{
    outbox *o = &x->out[x->rank];
    const int rc = o->n ? x->keep(x->payload, o->filling, o->n) : 0;
    o->n = 0;
    return rc;
}

int nd_exchange_put(nd_exchange *x, int to, const void *record)
{
    outbox *o = &x->out[to];
    memcpy(o->filling + o->n++ * x->size, record, x->size);
    if (o->n < x->piece)
        return 0;
    return to == x->rank ? keep_own(x) : post(x, to);
}

int nd_exchange_open(nd_run_ctx *ctx, nd_flow flow, size_t record_size, int rank, int ranks,
                     nd_exchange_keep keep, void *payload, nd_exchange **out)
{
    nd_exchange *x = calloc(1, sizeof(*x));
    *out = x;
    if (!x)
        return ND_ENOMEM;
    *x = (nd_exchange){.ctx = ctx,
                       .flow = flow,
                       .size = record_size,
                       .rank = rank,
                       .ranks = ranks,
                       .piece = piece_records(ctx, ranks, record_size),
                       .keep = keep,
                       .payload = payload};
    x->out = calloc((size_t)ranks, sizeof(*x->out));
    /* (scratch: pages the run already has, where the pool kept some) */
    x->pieces_bytes = (2 * (size_t)ranks + 1) * x->piece * record_size;
    x->pieces = nd_scratch_map(&ctx->scratch, x->pieces_bytes);
    if (!x->out || !x->pieces)
        return ND_ENOMEM;
    const size_t bytes = x->piece * record_size;
    for (int r = 0; r < ranks; r++)
        x->out[r] = (outbox){x->pieces + 2 * (size_t)r * bytes,
                             x->pieces + (2 * (size_t)r + 1) * bytes, 0, MPI_REQUEST_NULL, false};
    x->came = x->pieces + 2 * (size_t)ranks * bytes;
    return 0;
}

/* Whether every other rank's last piece came and every piece sent is gone. */
static int all_landed(void *payload)
{
    nd_exchange *x = payload;
    if (nd_exchange_take(x) < 0)
        return 1;
    if (x->ended < x->ranks - 1)
        return 0;
    for (int r = 0; r < x->ranks; r++)
        if (r != x->rank && x->out[r].in_flight && !nd_message_sent(&x->out[r].sent))
            return 0;
    return 1;
}

int nd_exchange_close(nd_exchange *x, int rc, uint64_t *sent)
{
    if (!x)
        return rc < 0 ? rc : ND_ENOMEM;
    if (rc == 0)
        rc = keep_own(x);
    for (int r = 0; r < x->ranks && rc == 0; r++)
        if (r != x->rank && (rc = x->out[r].n ? post(x, r) : 0) == 0)
            rc = post(x, r); /* an empty piece: the last */
    if (rc == 0)
        nd_message_wait_until(all_landed, x);
    rc = rc < 0 ? rc : x->rc;
    /* (after a failure, pieces may still be in flight; none was when opening failed) */
    if (x->pieces && (rc == 0 || !x->out))
        nd_scratch_unmap(&x->ctx->scratch, x->pieces, x->pieces_bytes);
    if (sent)
        *sent = x->sent;
    free(x->out);
    free(x);
    return rc;
}
