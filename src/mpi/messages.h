/*
 * messages.h: what neardup-mpi's ranks say to one another, as MPI messages.
 *
 * A rank asks rank 0 for a part to scan (TAG_NEXT) and is given one, or none
 * (TAG_PART); it sends rank 0 its records, a piece a message (TAG_RECORDS); rank 0 tells
 * the ranks to exchange their band records (TAG_LSH, a bitmap of their documents that
 * are copies), which they send one another by hash (TAG_BANDS); it asks a rank for the
 * shingle sets of some of its documents (TAG_REQUEST, a bitmap of them) and, when the
 * run is over, tells it so (TAG_DONE). Every wait leaves the core to others
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
/* Sends or receives (move, one of the two) len bytes in messages of ND_RECORD_PIECE at
 * most, as records go. */
int nd_message_move_in_pieces(int (*move)(void *pipe, void *bytes, size_t len),
                              nd_message_pipe *pipe, void *bytes, size_t len);

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

/* What rank 0 asks of a rank once the scan is over, with a bitmap of its documents: the
 * sets of those it names, or its part of LSH (the bitmap names the copies); or nothing
 * more. */
typedef enum nd_request {
    ND_REQUEST_SETS,
    ND_REQUEST_LSH,
    ND_REQUEST_PASSAGES,
    ND_REQUEST_DONE
} nd_request;
/* Rank 0 asks rank `to` (docs: a bitmap of len bytes; none for ND_REQUEST_DONE and
 * ND_REQUEST_PASSAGES, whose words follow as records). */
void nd_message_request(int to, nd_request what, const uint8_t *docs, size_t len);
/* A rank waits for what rank 0 asks next (docs[0..len) gets its bitmap). */
nd_request nd_message_next_request(uint8_t *docs, size_t len);

/* The all-to-all flows (exchange.h), each with a tag of its own: a rank that is done with
 * one may send the next one's records to a rank still taking the first's. */
typedef enum nd_flow { ND_FLOW_BANDS, ND_FLOW_SHINGLES, ND_FLOW_SEEDS } nd_flow;
/* Records from rank to rank, a piece a message; an empty one is a rank's last. A piece is
 * sent without waiting (the request tells when its bytes may be reused); one that came is
 * taken after its sender and length are known. */
void nd_message_post(nd_flow flow, int to, const void *bytes, size_t len, MPI_Request *sent);
bool nd_message_sent(MPI_Request *sent);
bool nd_message_came(nd_flow flow, int *from, size_t *len);
void nd_message_take(nd_flow flow, int from, void *bytes, size_t len);
/* Calls test until it returns nonzero, at once at first, then with short pauses. */
void nd_message_wait_until(int (*test)(void *payload), void *payload);

/* Every rank at once, each with its own value: their sum, their least. */
uint64_t nd_message_sum(uint64_t value);
uint64_t nd_message_least(uint64_t value);
/* Every rank at once: maps[0..words) (word 2j: seen once, 2j + 1: seen twice) made the
 * union of every rank's (seen twice: twice in one, or once in two). */
void nd_message_combine_maps(uint64_t *maps, size_t words);
/* Sends out[0..out_len) to rank `to` while in[0..in_len) comes from rank `from` (each
 * knows the other's length). */
void nd_message_swap(int to, const void *out, size_t out_len, int from, void *in, size_t in_len);

/* Whether every rank has the same value (each rank calls it with its own). */
bool nd_message_all_agree(uint64_t value);

/* Every rank waits until all have come here, when the run is over. */
void nd_message_all_done(void);

#endif
