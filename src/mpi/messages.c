/*
 * messages.c: neardup-mpi's messages (see messages.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "mpi/messages.h"

#include <mpi.h>
#include <time.h>

enum { TAG_RECORDS = 1, TAG_REQUEST, TAG_DONE };

/* Waits, testing with test(): at once while the answer comes soon (a transfer moves on
 * with each test), then with a pause of 0.1 ms between tests. */
static void wait_quietly(int (*test)(void *payload), void *payload)
{
    const struct timespec pause = {0, 100 * 1000};
    for (long tests = 0; !test(payload); tests++)
        if (tests > 1000)
            nanosleep(&pause, NULL);
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

int nd_message_send(void *pipe, void *bytes, size_t len)
{
    nd_message_pipe *p = pipe;
    MPI_Request request;
    MPI_Isend(bytes, (int)len, MPI_BYTE, p->peer, TAG_RECORDS, MPI_COMM_WORLD, &request);
    wait_for(&request);
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

void nd_message_request(int to, const uint8_t *docs, size_t len)
{
    MPI_Request request;
    MPI_Isend(docs, (int)len, MPI_BYTE, to, TAG_REQUEST, MPI_COMM_WORLD, &request);
    wait_for(&request);
}

void nd_message_done(int to)
{
    MPI_Request request;
    MPI_Isend(NULL, 0, MPI_BYTE, to, TAG_DONE, MPI_COMM_WORLD, &request);
    wait_for(&request);
}

typedef struct probe {
    MPI_Status status;
} probe;

static int message_came(void *payload)
{
    probe *p = payload;
    int came = 0;
    MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &came, &p->status);
    return came;
}

bool nd_message_next_request(uint8_t *docs, size_t len)
{
    probe p;
    wait_quietly(message_came, &p);
    const bool done = p.status.MPI_TAG == TAG_DONE;
    MPI_Recv(done ? NULL : docs, done ? 0 : (int)len, MPI_BYTE, 0, p.status.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return !done;
}

void nd_message_all_done(void)
{
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    wait_for(&request);
}
