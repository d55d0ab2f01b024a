/*
 * messages.c: neardup-mpi's messages (see messages.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "mpi/messages.h"

#include <mpi.h>
#include <time.h>

enum {
    TAG_RECORDS = 1,
    TAG_REQUEST,
    TAG_DONE,
    TAG_NEXT,
    TAG_PART,
    TAG_LSH,
    TAG_PASSAGES,
    TAG_SWAP,
    TAG_FLOWS
};

/* Waits, testing with test(): at once while the answer comes soon (a transfer moves on
 * with each test), then with a pause of `pause` ns between tests. */
static void wait_with_pauses(int (*test)(void *payload), void *payload, long pause)
{
    const struct timespec between = {0, pause};
    for (long tests = 0; !test(payload); tests++)
        if (tests > 1000)
            nanosleep(&between, NULL);
}

/* The pause of a wait that may last a whole stage of rank 0's: each test wakes the rank,
 * which then takes a little of a core the stage uses. */
#define IDLE_PAUSE (1000 * 1000)

static void wait_quietly(int (*test)(void *payload), void *payload)
{
    wait_with_pauses(test, payload, 100 * 1000);
}

static int request_done(void *request)
{
    int done = 0;
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
    return done;
}

static void wait_for(MPI_Request *request)
{
    wait_quietly(request_done, request);
}

/* Sends len bytes to rank `to` with tag, and waits until they are gone. */
static void send_tagged(const void *bytes, size_t len, int to, int tag)
{
    MPI_Request request;
    MPI_Isend(bytes, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD, &request);
    wait_for(&request);
}

int nd_message_send(void *pipe, void *bytes, size_t len)
{
    nd_message_pipe *p = pipe;
    send_tagged(bytes, len, p->peer, TAG_RECORDS);
    p->bytes += len;
    return 0;
}

int nd_message_receive(void *pipe, void *bytes, size_t len)
{
    nd_message_pipe *p = pipe;
    MPI_Request request;
    MPI_Irecv(bytes, (int)len, MPI_BYTE, p->peer, TAG_RECORDS, MPI_COMM_WORLD, &request);
    wait_for(&request);
    p->bytes += len;
    return 0;
}

int nd_message_move_in_pieces(int (*move)(void *pipe, void *bytes, size_t len),
                              nd_message_pipe *pipe, void *bytes, size_t len)
{
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0; at += ND_RECORD_PIECE)
        rc = move(pipe, (unsigned char *)bytes + at,
                  len - at < ND_RECORD_PIECE ? len - at : ND_RECORD_PIECE);
    return rc;
}

static const int request_tags[] = {TAG_REQUEST, TAG_LSH, TAG_PASSAGES, TAG_DONE};

void nd_message_request(int to, nd_request what, const uint8_t *docs, size_t len)
{
    send_tagged(docs, what == ND_REQUEST_DONE ? 0 : len, to, request_tags[what]);
}

/* A message awaited from source (or any), of tag (or any). */
typedef struct probe {
    int source, tag;
    MPI_Status status;
} probe;

static int message_came(void *payload)
{
    probe *p = payload;
    int came = 0;
    MPI_Iprobe(p->source, p->tag, MPI_COMM_WORLD, &came, &p->status);
    return came;
}

void nd_message_ask_part(nd_part_ask *ask)
{
    ask->part = ND_NO_PART;
    MPI_Isend(NULL, 0, MPI_BYTE, 0, TAG_NEXT, MPI_COMM_WORLD, &ask->sent);
    MPI_Irecv(&ask->part, (int)sizeof(ask->part), MPI_BYTE, 0, TAG_PART, MPI_COMM_WORLD,
              &ask->answer);
}

uint64_t nd_message_asked_part(nd_part_ask *ask)
{
    wait_for(&ask->sent);
    wait_for(&ask->answer);
    return ask->part;
}

int nd_message_next_asker(void)
{
    /* the ranks ask for their next part ahead: a millisecond's wait delays no one, and
     * rank 0's dealer, which shares a core with its scan, wakes less often */
    probe p = {MPI_ANY_SOURCE, TAG_NEXT, {0}};
    wait_with_pauses(message_came, &p, IDLE_PAUSE);
    MPI_Recv(NULL, 0, MPI_BYTE, p.status.MPI_SOURCE, TAG_NEXT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return p.status.MPI_SOURCE;
}

void nd_message_give_part(int to, uint64_t k)
{
    send_tagged(&k, sizeof(k), to, TAG_PART);
}

nd_request nd_message_next_request(uint8_t *docs, size_t len)
{
    /* a rank waits here while rank 0 runs every stage on every core of the node: a test
     * each 0.1 ms would take a share of them */
    probe p = {0, MPI_ANY_TAG, {0}};
    wait_with_pauses(message_came, &p, IDLE_PAUSE);
    const nd_request what = p.status.MPI_TAG == TAG_LSH        ? ND_REQUEST_LSH
                            : p.status.MPI_TAG == TAG_PASSAGES ? ND_REQUEST_PASSAGES
                            : p.status.MPI_TAG == TAG_DONE     ? ND_REQUEST_DONE
                                                               : ND_REQUEST_SETS;
    const bool done = what == ND_REQUEST_DONE || what == ND_REQUEST_PASSAGES;
    MPI_Recv(done ? NULL : docs, done ? 0 : (int)len, MPI_BYTE, 0, p.status.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return what;
}

void nd_message_post(nd_flow flow, int to, const void *bytes, size_t len, MPI_Request *sent)
{
    MPI_Isend(bytes, (int)len, MPI_BYTE, to, TAG_FLOWS + (int)flow, MPI_COMM_WORLD, sent);
}

bool nd_message_sent(MPI_Request *sent)
{
    return request_done(sent);
}

bool nd_message_came(nd_flow flow, int *from, size_t *len)
{
    probe p = {MPI_ANY_SOURCE, TAG_FLOWS + (int)flow, {0}};
    if (!message_came(&p))
        return false;
    int count = 0;
    MPI_Get_count(&p.status, MPI_BYTE, &count);
    *from = p.status.MPI_SOURCE;
    *len = (size_t)count;
    return true;
}

void nd_message_take(nd_flow flow, int from, void *bytes, size_t len)
{
    MPI_Recv(bytes, (int)len, MPI_BYTE, from, TAG_FLOWS + (int)flow, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
}

void nd_message_wait_until(int (*test)(void *payload), void *payload)
{
    wait_quietly(test, payload);
}

uint64_t nd_message_sum(uint64_t value)
{
    uint64_t sum;
    MPI_Allreduce(&value, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return sum;
}

uint64_t nd_message_least(uint64_t value)
{
    uint64_t least;
    MPI_Allreduce(&value, &least, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    return least;
}

/* The reduction of the maps: a word pair (once, twice) at a time. */
static void combine_pairs(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    const uint64_t *a = in;
    uint64_t *b = inout;
    for (size_t j = 0; j < (size_t)*len; j++) {
        const uint64_t once = a[2 * j] | b[2 * j];
        b[2 * j + 1] |= a[2 * j + 1] | (a[2 * j] & b[2 * j]);
        b[2 * j] = once;
    }
}

/* Pairs of words a reduction takes at most: its buffers are this large. */
#define COMBINE_PAIRS ((size_t)1 << 20)

void nd_message_combine_maps(uint64_t *maps, size_t words)
{
    MPI_Datatype pair;
    MPI_Op op;
    MPI_Type_contiguous(2, MPI_UINT64_T, &pair);
    MPI_Type_commit(&pair);
    MPI_Op_create(combine_pairs, 1, &op);
    for (size_t at = 0; at < words / 2; at += COMBINE_PAIRS) {
        const size_t n = words / 2 - at < COMBINE_PAIRS ? words / 2 - at : COMBINE_PAIRS;
        MPI_Allreduce(MPI_IN_PLACE, maps + 2 * at, (int)n, pair, op, MPI_COMM_WORLD);
    }
    MPI_Op_free(&op);
    MPI_Type_free(&pair);
}

/* Bytes a message of a swap holds at most. */
#define SWAP_PIECE ((size_t)4 << 20)

void nd_message_swap(int to, const void *out, size_t out_len, int from, void *in, size_t in_len)
{
    for (size_t at = 0; at < out_len || at < in_len; at += SWAP_PIECE) {
        MPI_Request sent = MPI_REQUEST_NULL, came = MPI_REQUEST_NULL;
        if (at < out_len)
            MPI_Isend((const unsigned char *)out + at,
                      (int)(out_len - at < SWAP_PIECE ? out_len - at : SWAP_PIECE), MPI_BYTE, to,
                      TAG_SWAP, MPI_COMM_WORLD, &sent);
        if (at < in_len)
            MPI_Irecv((unsigned char *)in + at,
                      (int)(in_len - at < SWAP_PIECE ? in_len - at : SWAP_PIECE), MPI_BYTE, from,
                      TAG_SWAP, MPI_COMM_WORLD, &came);
        wait_for(&sent);
        wait_for(&came);
    }
}

bool nd_message_all_agree(uint64_t value)
{
    uint64_t least, most;
    MPI_Allreduce(&value, &least, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&value, &most, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return least == most;
}

void nd_message_all_done(void)
{
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    wait_with_pauses(request_done, &request, IDLE_PAUSE);
}
