/*
 * messages.h: what neardup-mpi's ranks say to one another, as MPI messages.
 *
 * A rank asks rank 0 for a part to scan (TAG_NEXT) and is given one, or none
 * (TAG_PART); it sends rank 0 its records, a piece a message (TAG_RECORDS); rank 0 asks
 * a rank for the shingle sets of some of its documents (TAG_REQUEST, a bitmap of them)
 * and, when the run is over, tells it so (TAG_DONE). Every wait leaves the core to others
 * once it has lasted: a rank waits for another for as long as a scan takes, and several
 * ranks may share a node's cores.
 */
#ifndef ND_MESSAGES_H
#define ND_MESSAGES_H

#include "scan/scan_records.h"

#include <mpi.h>

/* Records to or from rank peer, as an nd_record_pipe's payload (the move functions
 * below). */
typedef struct nd_message_pipe {
    int peer;
    uint64_t bytes; /* moved so far */
} nd_message_pipe;

int nd_message_send(void *pipe, void *bytes, size_t len);
int nd_message_receive(void *pipe, void *bytes, size_t len);

/* No part left: what rank 0 answers then. */
#define ND_NO_PART UINT64_MAX
/* A rank other than 0 asks rank 0 for a part to scan (nd_message_ask_part), and takes
 * the answer later (nd_message_asked_part: the part's number, or ND_NO_PART): it asks for
 * the next while it scans one, so that it never waits for the answer. */
typedef struct nd_part_ask {
    MPI_Request sent, answer;
    uint64_t part;
} nd_part_ask;
void nd_message_ask_part(nd_part_ask *ask);
uint64_t nd_message_asked_part(nd_part_ask *ask);
/* Rank 0 (a thread of its own) waits for a rank to ask for a part: that rank. */
int nd_message_next_asker(void);
/* Rank 0 gives rank `to` part k (ND_NO_PART: none is left). */
void nd_message_give_part(int to, uint64_t k);

/* Rank 0 asks rank `to` for the sets of the documents a bitmap of len bytes names. */
void nd_message_request(int to, const uint8_t *docs, size_t len);
/* Rank 0 tells rank `to` that nothing more will be asked. */
void nd_message_done(int to);
/* A rank waits for what rank 0 says next: true and docs[0..len) filled for a request,
 * false when it is done. */
bool nd_message_next_request(uint8_t *docs, size_t len);

/* Whether every rank has the same value (each rank calls it with its own). */
bool nd_message_all_agree(uint64_t value);

/* Every rank waits until all have come here, when the run is over. */
void nd_message_all_done(void);

#endif
