/*
 * ranks.c: the batch run on the ranks of an MPI job (see ranks.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "mpi/ranks.h"

#include "cli/cli.h"
#include "mpi/band_exchange.h"
#include "common/threads.h"
#include "mpi/messages.h"
#include "mpi/passage_ranks.h"
#include "mpi/work_dir.h"
#include "output/result.h"
#include "pipeline/pipeline.h"
#include "pipeline/sets_needed.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* What a batch costs to scan, about: its documents' bytes, and a little for each. */
static uint64_t batch_weight(const nd_corpus *c, size_t b)
{
    uint64_t w = 0;
    for (size_t i = b * ND_SCAN_BATCH; i < nd_scan_batch_end(c, b); i++) {
        const uint64_t size = nd_doc_size(c, &c->docs[i]);
        w += 256 + (size < c->opts.max_doc_size ? size : c->opts.max_doc_size);
    }
    return w;
}

/* Input bytes of a part, about: a rank sends its parts' records once it has scanned them
 * all, so a part is a share of the work, not a unit of memory. */
#define PART_WEIGHT ((uint64_t)64 << 20)
/* The fewest parts (when there are as many batches): enough for a rank that finishes
 * early to take more, with a few dozen ranks. */
#define MIN_PARTS 64

/* The parts: consecutive batches of about equal bytes, none much larger than PART_WEIGHT,
 * at least MIN_PARTS (or a batch each). They depend on the inputs alone, not on the
 * ranks: a rerun with other ranks takes the parts kept in --work-dir. None is dealt
 * yet. */
static int divide_batches(const nd_corpus *c, nd_rank_run *m)
{
    const size_t n_batches = (c->n_docs + ND_SCAN_BATCH - 1) / ND_SCAN_BATCH;
    uint64_t *weight = malloc((n_batches + 1) * sizeof(*weight));
    uint64_t total = 0, sum = 0;
    for (size_t b = 0; weight && b < n_batches; b++)
        total += weight[b] = batch_weight(c, b);
    size_t parts = (size_t)(total / PART_WEIGHT) + 1;
    parts = parts > MIN_PARTS ? parts : MIN_PARTS;
    m->parts = parts < n_batches ? parts : n_batches > 0 ? n_batches : 1;
    m->bounds = malloc((m->parts + 1) * sizeof(*m->bounds));
    m->owner = malloc(m->parts * sizeof(*m->owner));
    if (!weight || !m->bounds || !m->owner) {
        free(weight);
        return ND_ENOMEM;
    }
    for (size_t k = 0; k < m->parts; k++)
        m->owner[k] = -1;
    size_t k = 1;
    m->bounds[0] = 0;
    for (size_t b = 0; b < n_batches; b++) {
        sum += weight[b];
        while (k < m->parts && sum * m->parts >= total * k)
            m->bounds[k++] = b + 1;
    }
    while (k <= m->parts)
        m->bounds[k++] = n_batches;
    free(weight);
    return 0;
}

/* The documents of part k: [*first, *end). */
static void docs_of_part(const nd_corpus *c, const nd_rank_run *m, size_t k, size_t *first,
                         size_t *end)
{
    const size_t b0 = m->bounds[k], b1 = m->bounds[k + 1];
    *first = b0 * ND_SCAN_BATCH < c->n_docs ? b0 * ND_SCAN_BATCH : c->n_docs;
    *end = b1 > b0 ? nd_scan_batch_end(c, b1 - 1) : *first;
}

int nd_rank_of_doc(const size_t *bounds, size_t parts, const int *owner, uint32_t doc)
{
    const size_t batch = doc / ND_SCAN_BATCH;
    size_t lo = 0, hi = parts;
    while (hi - lo > 1) {
        const size_t mid = lo + (hi - lo) / 2;
        if (bounds[mid] <= batch)
            lo = mid;
        else
            hi = mid;
    }
    return owner[lo];
}

static int owner_of(const nd_rank_run *m, uint32_t doc)
{
    return nd_rank_of_doc(m->bounds, m->parts, m->owner, doc);
}

/* The first of rank r's parts from part k on, or m->parts. */
static size_t next_part_of(const nd_rank_run *m, int r, size_t k)
{
    while (k < m->parts && m->owner[k] != r)
        k++;
    return k;
}

/* The bytes of a bitmap of part k's documents (it starts on a batch: a multiple of 8). */
static size_t bitmap_bytes(const nd_corpus *c, const nd_rank_run *m, size_t k)
{
    size_t first, end;
    docs_of_part(c, m, k, &first, &end);
    return (end - first + 7) / 8;
}

static void report(const nd_corpus *c, nd_diag_level level, int code, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(const nd_corpus *c, nd_diag_level level, int code, const char *path,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nd_vreport(c->diag, c->diag_payload, level, code, path, -1, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- each rank's parts */

/* Part k's file in --work-dir, when it is there and still holds: 1 (f open), else 0 (or
 * a failure). */
static int open_kept_part(const nd_corpus *c, const nd_rank_run *m, size_t k, uint64_t key,
                          nd_part_file *f)
{
    const int rc =
        key ? nd_part_open(f, m->work_dir, k, m->parts, key, m->bounds[k], m->bounds[k + 1])
            : ND_EINVAL;
    if (rc == ND_EFORMAT)
        report(c, ND_DIAG_WARNING, rc, m->work_dir,
               "part %zu of %zu is damaged (its checksum differs): scanned again", k, m->parts);
    return rc == ND_ENOMEM ? rc : rc == 0;
}

/* Writes the records of part k, just scanned, to --work-dir. */
static int keep_part(nd_run_ctx *ctx, const nd_corpus *c, const nd_rank_run *m, size_t k,
                     uint64_t key)
{
    size_t first, end;
    nd_part_file f;
    docs_of_part(c, m, k, &first, &end);
    int rc = nd_part_create(&f, m->work_dir, k, m->parts);
    if (rc == 0)
        rc = nd_scan_records_send(ctx->spill, c, first, end, NULL,
                                  &(nd_record_pipe){nd_part_put, &f});
    if (rc == 0)
        rc = nd_part_commit(&f, key, m->bounds[k], m->bounds[k + 1]);
    if (rc < 0) /* (nothing left to do where create or commit failed) */
        nd_part_abandon(&f);
    if (rc == ND_EIO)
        report(c, ND_DIAG_ERROR, rc, m->work_dir, "cannot keep part %zu of %zu there: %s", k,
               m->parts, strerror(errno));
    return rc;
}

/* Part k, in ctx: from --work-dir when it is kept there, else scanned (and kept there). */
static int scan_one_part(nd_run_ctx *ctx, nd_corpus *c, nd_rank_run *m, size_t k, nd_scan_out *out)
{
    const size_t first = m->bounds[k], end = m->bounds[k + 1];
    const uint64_t key = m->work_dir ? nd_part_key(c, first, end) : 0;
    if (m->work_dir && !key && m->rank == 0 && !m->told_keyless++)
        report(c, ND_DIAG_WARNING, ND_EINVAL, m->work_dir,
               "an input is read once (standard input, a pipe): the parts are not kept");
    nd_part_file f;
    int rc = open_kept_part(c, m, k, key, &f);
    m->parts_reused += rc == 1;
    if (rc == 1) {
        rc = nd_scan_part(ctx, c, first, end, &(nd_record_pipe){nd_part_get, &f}, out);
        nd_part_close(&f);
        return rc;
    }
    if (rc == 0)
        rc = nd_scan_part(ctx, c, first, end, NULL, out);
    return rc == 0 && key ? keep_part(ctx, c, m, k, key) : rc;
}

/* Deals the next part to rank r: rank 0's scan and its dealer thread take from one
 * counter. m->parts when none is left. */
static size_t deal_part(nd_rank_run *m, int r)
{
    pthread_mutex_lock(&m->deal_lock);
    const size_t k = m->next_part < m->parts ? m->next_part++ : m->parts;
    if (k < m->parts)
        m->owner[k] = r;
    pthread_mutex_unlock(&m->deal_lock);
    return k;
}

/* The part rank 0 answered this rank's ask with (m->parts for none), now its own. */
static size_t asked_part(nd_rank_run *m, nd_part_ask *ask)
{
    const uint64_t k = nd_message_asked_part(ask);
    if (k >= m->parts) /* ND_NO_PART */
        return m->parts;
    m->owner[k] = m->rank;
    return (size_t)k;
}

/* Rank 0's thread that deals parts to the ranks that ask, until each was told that none
 * is left. */
static void *deal_parts(void *rank_run)
{
    nd_rank_run *m = rank_run;
    for (int left = m->ranks - 1; left > 0;) {
        const int r = nd_message_next_asker();
        const size_t k = deal_part(m, r);
        nd_message_give_part(r, k < m->parts ? (uint64_t)k : ND_NO_PART);
        left -= k >= m->parts;
    }
    return NULL;
}

/* The parts this rank is dealt, in ctx: on rank 0 from its counter, else asked of rank
 * 0, the next while one is scanned. */
static int scan_own_parts(nd_run_ctx *ctx, nd_corpus *c, nd_rank_run *m, nd_scan_out *out)
{
    int rc = 0;
    if (m->rank == 0) {
        for (size_t k = deal_part(m, 0); k < m->parts && rc == 0; k = deal_part(m, 0))
            rc = scan_one_part(ctx, c, m, k, out);
        return rc;
    }
    nd_part_ask ask;
    nd_message_ask_part(&ask);
    for (size_t k = asked_part(m, &ask); k < m->parts && rc == 0; k = asked_part(m, &ask)) {
        nd_message_ask_part(&ask);
        rc = scan_one_part(ctx, c, m, k, out);
    }
    return rc;
}

/* The bytes of the bitmap of all of this rank's documents, its parts' one after another. */
static size_t rank_bitmap_bytes(const nd_corpus *c, const nd_rank_run *m, int r)
{
    size_t n = 0;
    for (size_t k = next_part_of(m, r, 0); k < m->parts; k = next_part_of(m, r, k + 1))
        n += bitmap_bytes(c, m, k);
    return n;
}

/* Whether a bitmap of len bytes names any document. */
static bool names_any(const uint8_t *docs, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (docs[i])
            return true;
    return false;
}

/* The bits of rank r's documents in all (a bitmap of every document) into packed, its
 * parts' one after another; returns whether any is set. */
static bool gather_bits(const nd_corpus *c, const nd_rank_run *m, int r, const uint8_t *all,
                        uint8_t *packed)
{
    uint8_t *at = packed;
    for (size_t k = next_part_of(m, r, 0); k < m->parts; k = next_part_of(m, r, k + 1)) {
        size_t first, end;
        docs_of_part(c, m, k, &first, &end);
        memcpy(at, all + first / 8, bitmap_bytes(c, m, k));
        at += bitmap_bytes(c, m, k);
    }
    return names_any(packed, (size_t)(at - packed));
}

/* The other way: the bits of rank r's documents from packed into all. */
static void scatter_bits(const nd_corpus *c, const nd_rank_run *m, int r, const uint8_t *packed,
                         uint8_t *all)
{
    for (size_t k = next_part_of(m, r, 0); k < m->parts; k = next_part_of(m, r, k + 1)) {
        size_t first, end;
        docs_of_part(c, m, k, &first, &end);
        memcpy(all + first / 8, packed, bitmap_bytes(c, m, k));
        packed += bitmap_bytes(c, m, k);
    }
}

/* Sends rank 0 the records choice names of each of this rank's parts (choice->docs: the
 * bitmap of all, each part's own documents' one after the other); a part of whose
 * documents none is asked for is passed over, as rank 0 knows. */
static int send_parts(nd_run_ctx *ctx, const nd_corpus *c, const nd_rank_run *m,
                      const nd_record_choice *choice, const nd_record_pipe *out)
{
    const uint8_t *docs = choice->docs;
    int rc = 0;
    for (size_t k = next_part_of(m, m->rank, 0); k < m->parts && rc == 0;
         k = next_part_of(m, m->rank, k + 1)) {
        size_t first, end;
        docs_of_part(c, m, k, &first, &end);
        const size_t len = bitmap_bytes(c, m, k);
        if (!docs || names_any(docs, len))
            rc = nd_scan_records_send(ctx->spill, c, first, end,
                                      &(nd_record_choice){choice->blocks, docs}, out);
        docs = docs ? docs + len : NULL;
    }
    return rc;
}

/* Takes rank r's answer from `in`: the records (blocks: the sets, with or without their
 * heads) of each of its parts that asked names. */
static int take_parts_sets(nd_run_ctx *ctx, nd_corpus *c, const nd_rank_run *m, int r,
                           unsigned blocks, const uint8_t *asked, const nd_record_pipe *in)
{
    int rc = 0;
    for (size_t k = next_part_of(m, r, 0); k < m->parts && rc == 0; k = next_part_of(m, r, k + 1)) {
        size_t first, end;
        docs_of_part(c, m, k, &first, &end);
        if (names_any(asked, bitmap_bytes(c, m, k)))
            rc = nd_scan_records_receive_more(in, c, first, end, &(nd_record_choice){blocks, asked},
                                              ctx->spill);
        asked += bitmap_bytes(c, m, k);
    }
    return rc;
}

/* ---------------------------------------------------------------- sets between ranks */

/* One round: this rank asks rank `to` for the sets wanted names (a bitmap of every
 * document) of its documents, while rank `from` asks this one; *sent counts the bytes
 * this rank sends. */
static int swap_sets(nd_run_ctx *ctx, nd_corpus *c, const nd_rank_run *m, int to, int from,
                     const uint8_t *wanted, uint64_t *sent)
{
    const size_t ask_len = rank_bitmap_bytes(c, m, to),
                 asked_len = rank_bitmap_bytes(c, m, m->rank);
    uint8_t *ask = malloc(ask_len + 1), *asked = malloc(asked_len + 1);
    nd_memory_pipe answer = {0}, came = {0}; /* (a swap moves them whole) */
    int rc = ask && asked ? 0 : ND_ENOMEM;
    /* (a failure here stops the job: the other ranks would wait for this one) */
    const bool asks = rc == 0 && gather_bits(c, m, to, wanted, ask);
    if (rc == 0)
        nd_message_swap(to, ask, ask_len, from, asked, asked_len);
    /* with their heads: a rank has those of its own documents only */
    const unsigned blocks = ND_RECORD_FIRST | ND_RECORD_SETS;
    if (rc == 0 && names_any(asked, asked_len))
        rc = send_parts(ctx, c, m, &(nd_record_choice){blocks, asked},
                        &(nd_record_pipe){nd_memory_put, &answer});
    uint64_t len = answer.len, came_len = 0;
    if (rc == 0)
        nd_message_swap(from, &len, sizeof(len), to, &came_len, sizeof(came_len));
    came.len = (size_t)came_len;
    if (rc == 0 && !(came.bytes = malloc(came.len + 1)))
        rc = ND_ENOMEM;
    if (rc == 0)
        nd_message_swap(from, answer.bytes, answer.len, to, came.bytes, came.len);
    if (rc == 0 && asks)
        rc = take_parts_sets(ctx, c, m, to, blocks, ask, &(nd_record_pipe){nd_memory_get, &came});
    *sent += ask_len + sizeof(len) + answer.len;
    free(ask);
    free(asked);
    free(answer.bytes);
    free(came.bytes);
    return rc;
}

/* Every rank at once: the sets of other ranks' documents among pairs[0..n) (the pairs this
 * rank verifies) that have not come before (m->have), from their ranks, while this rank
 * sends the sets they ask of it, in rounds (round i: ask rank + i, answer rank - i).
 * m->owner names every part's rank. */
static int swap_sets_of_pairs(nd_run_ctx *ctx, nd_corpus *c, nd_rank_run *m,
                              const nd_pair_key *pairs, size_t n, uint64_t *sent)
{
    uint8_t *wanted = calloc(c->n_docs / 8 + 1, 1);
    if (!m->have)
        m->have = calloc(c->n_docs / 8 + 1, 1);
    if (!wanted || !m->have) {
        free(wanted);
        return ND_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t docs[2] = {pairs[i].a, pairs[i].b};
        for (int k = 0; k < 2; k++)
            if (owner_of(m, docs[k]) != m->rank && !(m->have[docs[k] / 8] >> (docs[k] % 8) & 1))
                wanted[docs[k] / 8] |= (uint8_t)(1u << (docs[k] % 8));
    }
    int rc = 0;
    for (int i = 1; i < m->ranks && rc == 0; i++)
        rc = swap_sets(ctx, c, m, (m->rank + i) % m->ranks, (m->rank - i + m->ranks) % m->ranks,
                       wanted, sent);
    for (size_t j = 0; rc == 0 && j < c->n_docs / 8 + 1; j++)
        m->have[j] |= wanted[j]; /* (rank 0 wants none: its have stays its own) */
    free(wanted);
    return rc;
}

/* ---------------------------------------------------------------- LSH on every rank */

/* LSH's bands and rows, as rank 0's run makes them of the options. */
static void lsh_shape(const nd_options *o, int *bands, int *rows)
{
    *bands = o->bands;
    *rows = o->rows;
    if (!o->bands)
        nd_lsh_params(o->threshold, o->num_perm, bands, rows);
}

/* Every rank at once: its band records (scan's; but those of copies) to the ranks that own
 * their hashes, and the candidates of the buckets this one owns. */
static int find_candidates(nd_run_ctx *ctx, nd_rank_run *m, const nd_scan_out *scan,
                           const uint8_t *copies, nd_candidates *out)
{
    nd_lsh_sorts sorts;
    int rc = nd_lsh_sorts_open(ctx, &sorts);
    if (rc == 0)
        rc = nd_exchange_bands(ctx, scan, copies, m->rank, m->ranks, &sorts, &m->bands_bytes);
    if (rc == 0)
        return nd_lsh_sorts_candidates(ctx, &sorts, out);
    nd_lsh_sorts_close(&sorts);
    return rc;
}

/* What a rank's candidates are told with: how many, the sorted runs they spilled, and the
 * bytes of band records the rank sent. */
typedef struct candidates_head {
    uint64_t n, spilled_runs, bands_bytes;
} candidates_head;

static int send_candidates(const nd_candidates *cand, uint64_t bands_bytes)
{
    nd_message_pipe to = {0, 0};
    candidates_head head = {cand->n, cand->spilled_runs, bands_bytes};
    int rc = nd_message_send(&to, &head, sizeof(head));
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_send, &to, (unsigned char *)cand->keys,
                                       cand->n * sizeof(*cand->keys));
    return rc;
}

static int receive_candidates(nd_rank_run *m, int r, nd_candidates *cand)
{
    nd_message_pipe from = {r, 0};
    candidates_head head;
    int rc = nd_message_receive(&from, &head, sizeof(head));
    const size_t bytes = rc == 0 ? (size_t)head.n * sizeof(*cand->keys) : 0;
    unsigned char *keys = rc == 0 ? malloc(bytes + 1) : NULL;
    if (rc == 0 && !keys)
        rc = ND_ENOMEM;
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_receive, &from, keys, bytes);
    *cand = (nd_candidates){(nd_pair_key *)(void *)keys, rc == 0 ? head.n : 0,
                            rc == 0 ? head.spilled_runs : 0};
    m->bands_bytes += rc == 0 ? head.bands_bytes : 0;
    m->candidates_bytes += from.bytes;
    return rc;
}

/* A rank other than 0 asked for its part of LSH (packed_copies: which of its documents
 * are copies, its parts' one after another): its candidates go to rank 0. */
static int rank_lsh(nd_run_ctx *ctx, const nd_corpus *c, nd_rank_run *m, const nd_scan_out *scan,
                    const uint8_t *packed_copies)
{
    uint8_t *copies = calloc(c->n_docs / 8 + 1, 1);
    if (!copies)
        return ND_ENOMEM;
    scatter_bits(c, m, m->rank, packed_copies, copies);
    nd_candidates cand = {NULL, 0, 0};
    int rc = find_candidates(ctx, m, scan, copies, &cand);
    free(copies);
    if (rc == 0)
        rc = send_candidates(&cand, m->bands_bytes);
    free(cand.keys);
    return rc;
}

/* A rank other than 0 asked for sets (asked: a bitmap of its documents, its parts' one
 * after another) and pairs: sends rank 0 the sets, then, when the pairs include some whose
 * second document another rank scanned, swaps sets with the other ranks (rank 0 sends
 * which rank scanned each part); verifies the pairs and sends their values (rank 0 takes
 * every rank's sets first, and verifies while the ranks do). */
static int answer_sets(nd_run_ctx *ctx, nd_corpus *c, nd_rank_run *m, const uint8_t *asked,
                       const nd_record_pipe *out)
{
    nd_message_pipe from_rank0 = {0, 0};
    /* how many pairs, whether their exact values are asked, whether sets are swapped */
    uint64_t head[3] = {0, 0, 0};
    int rc = nd_message_receive(&from_rank0, head, sizeof(head));
    const size_t n = (size_t)head[0];
    nd_candidates pairs = {rc == 0 ? malloc(n * sizeof(nd_pair_key) + 1) : NULL, n, 0};
    if (rc == 0 && !pairs.keys)
        rc = ND_ENOMEM;
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_receive, &from_rank0, (unsigned char *)pairs.keys,
                                       pairs.n * sizeof(*pairs.keys));
    if (rc == 0 && head[2])
        rc = nd_message_move_in_pieces(nd_message_receive, &from_rank0, (unsigned char *)m->owner,
                                       m->parts * sizeof(*m->owner));
    if (rc == 0)
        rc = send_parts(ctx, c, m, &(nd_record_choice){ND_RECORD_SETS, asked}, out);
    uint64_t swapped = 0;
    if (rc == 0 && head[2])
        rc = swap_sets_of_pairs(ctx, c, m, pairs.keys, n, &swapped);
    nd_pair *values = NULL;
    if (rc == 0 && n) /* every pair, in the order asked */
        rc = nd_verify_values(ctx, c, &pairs, head[1] != 0, &values);
    free(pairs.keys);
    if (rc == 0 && head[2])
        rc = out->move(out->payload, &swapped, sizeof(swapped));
    if (rc == 0 && n)
        rc = nd_message_move_in_pieces(nd_message_send, out->payload, (unsigned char *)values,
                                       n * sizeof(*values));
    free(values);
    return rc;
}

/* A rank other than 0: scans its parts, sends rank 0 the first round of their records,
 * then the shingle sets and the pairs rank 0 asks for, until it is done. */
static int serve_parts(nd_corpus *c, nd_rank_run *m)
{
    nd_run_ctx ctx;
    nd_scan_out scan = {0};
    nd_message_pipe to_rank0 = {0, 0};
    const nd_record_pipe out = {nd_message_send, &to_rank0};
    int bands, rows;
    lsh_shape(&c->opts, &bands, &rows);
    int rc = nd_run_ctx_open(&ctx, &c->opts, bands, rows, c->diag, c->diag_payload);
    if (rc < 0)
        return rc;
    rc = nd_scan_begin(c, &scan);
    if (rc == 0)
        rc = scan_own_parts(&ctx, c, m, &scan);
    uint64_t reused = m->parts_reused; /* for rank 0's --run-info */
    if (rc == 0)
        rc = out.move(out.payload, &reused, sizeof(reused));
    if (rc == 0)
        rc = send_parts(&ctx, c, m, &(nd_record_choice){ND_RECORD_FIRST, NULL}, &out);
    /* rank 0 asks with a bitmap of this rank's documents, its parts' one after another */
    const size_t asked_len = rank_bitmap_bytes(c, m, m->rank);
    uint8_t *asked = rc == 0 ? calloc(asked_len + 1, 1) : NULL;
    if (rc == 0 && !asked)
        rc = ND_ENOMEM;
    for (nd_request what;
         rc == 0 && (what = nd_message_next_request(asked, asked_len)) != ND_REQUEST_DONE;)
        rc = what == ND_REQUEST_LSH        ? rank_lsh(&ctx, c, m, &scan, asked)
             : what == ND_REQUEST_PASSAGES ? nd_rank_passages(&ctx, c, m, &scan)
                                           : answer_sets(&ctx, c, m, asked, &out);
    free(asked);
    nd_scan_out_free(&scan);
    nd_run_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- rank 0 */

static void mark_docs(uint8_t *docs, size_t first, size_t end)
{
    for (size_t i = first; i < end; i++)
        docs[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The scan on rank 0: the parts it deals itself (on the threads of one rank: the others
 * are scanning; a thread deals their parts as they ask), then the first round of every
 * other rank's records, rank by rank, each in part order (on the node's threads: a rank
 * sends once it has scanned all its parts, and none is left to deal). */
static int import_parts(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out, void *payload)
{
    nd_rank_run *m = payload;
    const int node_threads = ctx->threads;
    ctx->threads = m->rank_threads;
    pthread_t dealer;
    const bool dealing = m->ranks > 1 && pthread_create(&dealer, NULL, deal_parts, m) == 0;
    if (m->ranks > 1 && !dealing)
        return ND_ENOMEM;
    int rc = nd_scan_begin(c, out);
    if (rc == 0)
        rc = scan_own_parts(ctx, c, m, out);
    while (rc < 0 && deal_part(m, 0) < m->parts) /* the others' last asks are answered */
        ;
    if (dealing)
        pthread_join(dealer, NULL);
    ctx->threads = node_threads;
    /* the others' parts without LSH here: their ranks send their band records to the
     * buckets' ranks */
    const int bands = ctx->bands;
    ctx->bands = 0;
    for (int r = 0; r < m->ranks && rc == 0; r++) {
        nd_message_pipe from = {r, 0};
        uint64_t reused = 0;
        if (r > 0 && (rc = nd_message_receive(&from, &reused, sizeof(reused))) == 0)
            m->parts_reused += reused;
        for (size_t k = next_part_of(m, r, 0); k < m->parts && rc == 0;
             k = next_part_of(m, r, k + 1)) {
            size_t first, end;
            docs_of_part(c, m, k, &first, &end);
            if (r > 0)
                rc = nd_scan_part(ctx, c, m->bounds[k], m->bounds[k + 1],
                                  &(nd_record_pipe){nd_message_receive, &from}, out);
            if (rc == ND_EFORMAT)
                report(c, ND_DIAG_ERROR, rc, "neardup-mpi", "the records of rank %d are damaged",
                       r);
            if (r == 0)
                mark_docs(m->have, first, end);
        }
        m->first_bytes += from.bytes;
    }
    ctx->bands = bands;
    return rc;
}

/* Receives rank r's answer to rank 0: the sets of each of its parts that asked names. */
static int receive_sets(nd_run_ctx *ctx, nd_corpus *c, nd_rank_run *m, int r, const uint8_t *asked)
{
    nd_message_pipe from = {r, 0};
    const int rc = take_parts_sets(ctx, c, m, r, ND_RECORD_SETS, asked,
                                   &(nd_record_pipe){nd_message_receive, &from});
    m->sets_bytes += from.bytes;
    return rc;
}

/* What rank 0 asks one rank for: the sets of the documents m->need names, and the pairs
 * of two of its documents, verified there. */
typedef struct rank_ask {
    uint8_t *docs; /* m->need's bits of the rank's documents, its parts' one after another */
    nd_pair_key *pairs;
    size_t n_pairs, pairs_cap;
    bool asked;
} rank_ask;

/* Asks every rank for what asks[r] names, without waiting for the answers (take_sets,
 * take_values); with swap, every rank, which then swaps sets with the others (and learns
 * which rank scanned each part). Returns 1 when it asked any rank for anything. */
static int send_asks(const nd_corpus *c, nd_rank_run *m, rank_ask *asks, bool exact, bool swap)
{
    int rc = 0, asked = 0;
    for (int r = 1; r < m->ranks && rc == 0; r++) {
        rank_ask *a = &asks[r];
        const size_t len = rank_bitmap_bytes(c, m, r);
        if (!(a->docs = malloc(len + 1)))
            return ND_ENOMEM;
        a->asked = gather_bits(c, m, r, m->need, a->docs) || a->n_pairs || swap;
        if (!a->asked)
            continue;
        nd_message_request(r, ND_REQUEST_SETS, a->docs, len);
        nd_message_pipe to = {r, 0};
        uint64_t head[3] = {a->n_pairs, exact, swap};
        rc = nd_message_send(&to, head, sizeof(head));
        if (rc == 0)
            rc = nd_message_move_in_pieces(nd_message_send, &to, (unsigned char *)a->pairs,
                                           a->n_pairs * sizeof(*a->pairs));
        if (rc == 0 && swap)
            rc = nd_message_move_in_pieces(nd_message_send, &to, (unsigned char *)m->owner,
                                           m->parts * sizeof(*m->owner));
        m->pairs_bytes += to.bytes;
        asked = 1;
    }
    return rc < 0 ? rc : asked;
}

/* Receives the values of the n pairs rank r verified, into m->known. */
static int receive_values(nd_rank_run *m, int r, size_t n)
{
    if (ND_GROW(m->known, m->known_cap, m->n_known + n) < 0)
        return ND_ENOMEM;
    nd_message_pipe from = {r, 0};
    const int rc = nd_message_move_in_pieces(
        nd_message_receive, &from, (unsigned char *)(m->known + m->n_known), n * sizeof(*m->known));
    m->n_known += rc == 0 ? n : 0;
    m->pairs_verified += rc == 0 ? n : 0;
    m->pairs_bytes += from.bytes;
    return rc;
}

/* Takes the sets the ranks were asked for, into the scratch file. */
static int take_sets(nd_run_ctx *ctx, nd_corpus *c, nd_rank_run *m, const rank_ask *asks)
{
    int rc = 0;
    for (int r = 1; r < m->ranks && rc == 0; r++)
        if (asks[r].asked)
            rc = receive_sets(ctx, c, m, r, asks[r].docs);
    return rc;
}

/* Takes the values of the pairs the ranks were asked to verify into m->known, which ends
 * sorted. */
static int take_values(nd_rank_run *m, const rank_ask *asks, bool swap)
{
    int rc = 0;
    for (int r = 1; r < m->ranks && rc == 0; r++) {
        nd_message_pipe from = {r, 0};
        uint64_t swapped = 0; /* the bytes of sets the rank sent the others */
        if (swap && (rc = nd_message_receive(&from, &swapped, sizeof(swapped))) == 0)
            m->swapped_bytes += swapped;
        if (rc == 0 && asks[r].n_pairs)
            rc = receive_values(m, r, asks[r].n_pairs);
    }
    if (rc == 0 && m->n_known > 1)
        qsort(m->known, m->n_known, sizeof(*m->known), nd_compare_known_pairs);
    return rc;
}

static void free_asks(rank_ask *asks, int ranks)
{
    for (int r = 0; asks && r < ranks; r++) {
        free(asks[r].docs);
        free(asks[r].pairs);
    }
    free(asks);
}

/* Before the identical stage: the sets it reads that rank 0 has not, asked of the ranks
 * that have them. */
static int ask_for_sets(nd_run_ctx *ctx, nd_corpus *c, void *payload)
{
    nd_rank_run *m = payload;
    m->sets_docs += nd_sets_needed(c, m->have, m->need);
    rank_ask *asks = calloc((size_t)m->ranks, sizeof(*asks));
    int rc = asks ? send_asks(c, m, asks, true, false) : ND_ENOMEM;
    if (rc >= 0)
        rc = take_sets(ctx, c, m, asks);
    free_asks(asks, m->ranks);
    return rc;
}

static bool has_set(const nd_rank_run *m, uint32_t doc)
{
    return m->have[doc / 8] >> (doc % 8) & 1;
}

/* Whether doc's set is in the scratch file now (not just asked for). */
static bool set_is_here(const nd_rank_run *m, uint32_t doc)
{
    return has_set(m, doc) && !(m->need[doc / 8] >> (doc % 8) & 1);
}

static bool is_known(const nd_rank_run *m, nd_pair_key k, bool exact)
{
    return nd_known_pair(m->known, m->n_known, k, exact) != NULL;
}

/* Verifies here the pairs both of whose sets rank 0 has, as the other ranks do theirs
 * (while they do): their values join m->known. */
static int verify_here(nd_run_ctx *ctx, const nd_corpus *c, nd_rank_run *m,
                       const nd_candidates *here, bool exact)
{
    const nd_pair_source *source = ctx->pair_source;
    nd_pair *values = NULL;
    const size_t n = here->n;
    ctx->pair_source = NULL; /* (these sets are here) */
    int rc = nd_verify_values(ctx, c, here, exact, &values);
    ctx->pair_source = source;
    if (rc == 0 && ND_GROW(m->known, m->known_cap, m->n_known + n) < 0)
        rc = ND_ENOMEM;
    if (rc == 0 && n)
        memcpy(m->known + m->n_known, values, n * sizeof(*values));
    m->n_known += rc == 0 ? n : 0;
    free(values);
    return rc;
}

static int append_pair(nd_pair_key **keys, size_t *n, size_t *cap, nd_pair_key k)
{
    if (ND_GROW(*keys, *cap, *n + 1) < 0)
        return ND_ENOMEM;
    (*keys)[(*n)++] = k;
    return 0;
}

/* Sorts the pairs keys[0..n) that are not known yet: both sets here (into *here); the
 * first document another rank's, the second not rank 0's (into its asks: *swap says
 * whether that rank needs the set of a second document a third rank scanned); or either
 * document rank 0's (the sets it lacks marked in m->need: it has one, and the threads of
 * its node). */
static int sort_pairs(nd_rank_run *m, const nd_pair_key *keys, size_t n, bool exact,
                      nd_candidates *here, rank_ask *asks, bool *swap)
{
    size_t here_cap = 0;
    int rc = 0;
    *swap = false;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const nd_pair_key k = keys[i];
        if (is_known(m, k, exact))
            continue;
        const int r = owner_of(m, k.a), rb = owner_of(m, k.b);
        if (set_is_here(m, k.a) && set_is_here(m, k.b)) {
            rc = append_pair(&here->keys, &here->n, &here_cap, k);
        } else if (r > 0 && rb > 0) {
            rc = append_pair(&asks[r].pairs, &asks[r].n_pairs, &asks[r].pairs_cap, k);
            *swap |= rb != r;
        } else {
            m->sets_docs +=
                nd_set_wanted(k.a, m->have, m->need) + nd_set_wanted(k.b, m->have, m->need);
        }
    }
    return rc;
}

/* The run's nd_pair_source on rank 0: a pair whose first document another rank scanned
 * is verified there (only its values come), with the other set from its rank; of a pair
 * with a document rank 0 scanned, the set it lacks comes. While the ranks verify theirs,
 * rank 0 verifies the pairs whose sets it has. */
static int prepare_pairs(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair_key *keys, size_t n,
                         bool exact, const nd_pair **known, size_t *n_known, void *payload)
{
    nd_rank_run *m = payload;
    memset(m->need, 0, c->n_docs / 8 + 1);
    rank_ask *asks = calloc((size_t)m->ranks, sizeof(*asks));
    nd_candidates here = {NULL, 0, 0};
    bool swap = false;
    int rc = asks ? sort_pairs(m, keys, n, exact, &here, asks, &swap) : ND_ENOMEM;
    const int asked = rc == 0 ? send_asks(c, m, asks, exact, swap) : rc;
    /* the sets that come set the offsets of the run's documents: its corpus is not const */
    rc = asked >= 0 ? take_sets(ctx, (nd_corpus *)c, m, asks) : asked;
    uint64_t swapped = 0;
    if (rc == 0 && swap) /* (rank 0 wants no set of the others: they came) */
        rc = swap_sets_of_pairs(ctx, (nd_corpus *)c, m, NULL, 0, &swapped);
    m->swapped_bytes += swapped;
    /* (with no rank to wait for, verification reads the sets here as it goes) */
    if (rc == 0 && asked == 1 && here.n)
        rc = verify_here(ctx, c, m, &here, exact);
    if (rc == 0)
        rc = take_values(m, asks, swap);
    free(here.keys);
    free_asks(asks, m->ranks);
    *known = m->known;
    *n_known = m->n_known;
    return rc;
}

/* Tells each other rank which of its documents are copies, which starts LSH on every
 * rank. */
static int start_lsh(const nd_corpus *c, const nd_rank_run *m, const uint8_t *copies)
{
    for (int r = 1; r < m->ranks; r++) {
        const size_t len = rank_bitmap_bytes(c, m, r);
        uint8_t *packed = malloc(len + 1);
        if (!packed)
            return ND_ENOMEM;
        gather_bits(c, m, r, copies, packed);
        nd_message_request(r, ND_REQUEST_LSH, packed, len);
        free(packed);
    }
    return 0;
}

/* Rank 0's LSH stage: the ranks exchange their band records and find the candidates of
 * the buckets each owns (rank 0 on the threads of one rank: the others are working), which
 * rank 0 joins. */
static int lsh_on_ranks(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                        nd_candidates *out, void *payload)
{
    nd_rank_run *m = payload;
    if (m->ranks == 1)
        return nd_lsh_stage(ctx, c, scan, out);
    uint8_t *copies = calloc(c->n_docs / 8 + 1, 1);
    nd_candidates *lists = calloc((size_t)m->ranks, sizeof(*lists));
    int rc = copies && lists ? 0 : ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs && rc == 0; i++)
        if (nd_doc_is_copy(c, i))
            mark_docs(copies, i, i + 1);
    if (rc == 0)
        rc = start_lsh(c, m, copies);
    const int node_threads = ctx->threads;
    ctx->threads = m->rank_threads;
    if (rc == 0)
        rc = find_candidates(ctx, m, scan, copies, &lists[0]);
    ctx->threads = node_threads;
    for (int r = 1; r < m->ranks && rc == 0; r++)
        rc = receive_candidates(m, r, &lists[r]);
    if (rc == 0)
        rc = nd_candidates_join(lists, m->ranks, out);
    if (rc == 0)
        nd_lsh_warn_all_pairs(ctx, out);
    for (int r = 0; lists && r < m->ranks; r++)
        free(lists[r].keys);
    free(lists);
    free(copies);
    return rc;
}

/* NEARDUP_MPI_TEST_KILL_AT, for tests only: the name of a stage ("verify") at whose
 * start rank 0 kills itself with SIGKILL, as a machine lost halfway would stop. */
static void stop_at_stage(const nd_run_progress *p, void *payload)
{
    const nd_rank_run *m = payload;
    const char *at = getenv("NEARDUP_MPI_TEST_KILL_AT");
    if (at && p->stage == ND_STAGE_VERIFY && !strcmp(at, "verify"))
        raise(SIGKILL);
    if (m->progress)
        m->progress(p, m->progress_payload);
}

static int run_rank0(nd_corpus *c, nd_rank_run *m, nd_result **out)
{
    m->have = calloc(c->n_docs / 8 + 1, 1);
    m->need = calloc(c->n_docs / 8 + 1, 1);
    if (!m->have || !m->need)
        return ND_ENOMEM;
    m->progress = c->run_progress;
    m->progress_payload = c->run_progress_payload;
    nd_corpus_set_run_progress(c, stop_at_stage, m);
    c->opts.threads = m->rank_threads * m->node_ranks; /* the others are done scanning */
    const nd_pair_source pairs = {prepare_pairs, m};
    const nd_run_hooks hooks = {.scan = import_parts,
                                .need_sets = ask_for_sets,
                                .lsh = lsh_on_ranks,
                                .pair_source = &pairs,
                                .passages = nd_rank0_passages,
                                .payload = m};
    const int rc = nd_corpus_run_with(c, &hooks, out);
    c->opts.threads = m->rank_threads;
    if (rc == 0)
        (*out)->exchange =
            (nd_exchange){m->ranks,          m->parts,       m->parts_reused,  m->first_bytes,
                          m->sets_bytes,     m->sets_docs,   m->bands_bytes,   m->candidates_bytes,
                          m->pairs_verified, m->pairs_bytes, m->swapped_bytes, m->passages_bytes};
    for (int r = 1; r < m->ranks && rc == 0; r++)
        nd_message_request(r, ND_REQUEST_DONE, NULL, 0);
    return rc;
}

/* ---------------------------------------------------------------- every rank */

/* The messages of ranks other than 0, about their part only (rank 0 tells the inputs'). */
static void print_rank_diag(const nd_diag *d, void *payload)
{
    const nd_rank_run *m = payload;
    const char *level = d->level == ND_DIAG_ERROR ? "error" : "warning";
    if (d->level != ND_DIAG_NOTE)
        fprintf(stderr, "neardup-mpi: rank %d: %s: %s: %s\n", m->rank, d->path, level, d->message);
}

/* What every rank must have listed alike: the documents and where they are. */
static uint64_t listing_hash(const nd_corpus *c)
{
    uint64_t h = XXH3_64bits(&c->n_docs, sizeof(c->n_docs));
    for (size_t i = 0; i < c->n_sources; i++)
        h = XXH3_64bits_withSeed(c->sources[i].path, strlen(c->sources[i].path), h);
    for (size_t i = 0; i < c->n_docs; i++) {
        const nd_doc *d = &c->docs[i];
        const uint64_t where[] = {d->source, d->kind, d->offset, d->length, d->listed_size};
        h = XXH3_64bits_withSeed(where, sizeof(where), h);
    }
    return h == ND_RANK_NOT_LISTED ? h - 1 : h;
}

/* Stops every rank alike (each saw the same disagreement) with a usage error. */
static void stop_listing_differs(const nd_rank_run *m)
{
    if (m->rank == 0)
        fprintf(stderr, "neardup-mpi: the ranks do not list the same documents: standard input, "
                        "--files-from - and pipes are read by one rank alone; give files that "
                        "every rank can read\n");
    exit(ND_EXIT_USAGE);
}

int nd_rank_run_corpus(nd_corpus *c, nd_result **out, void *rank_run)
{
    nd_rank_run *m = rank_run;
    *out = NULL;
    if (m->rank > 0) { /* from here on, its messages are about its own part */
        dup2(m->saved_stderr, STDERR_FILENO);
        nd_corpus_set_diag(c, print_rank_diag, m);
    }
    /* a rank's threads: --threads, else its share of its node's cores */
    if (c->opts.threads == 0) {
        const int share = nd_threads_wanted(0) / m->node_ranks;
        c->opts.threads = share > 1 ? share : 1;
    }
    m->rank_threads = c->opts.threads;
    if (!nd_message_all_agree(listing_hash(c)))
        stop_listing_differs(m);
    int rc = divide_batches(c, m);
    if (rc == 0)
        rc = m->rank > 0 ? serve_parts(c, m) : run_rank0(c, m, out);
    if (rc == 0 && m->rank == 0 && m->work_dir)
        nd_part_forget_other_cuts(m->work_dir, m->parts);
    free(m->bounds);
    free(m->owner);
    free(m->have);
    free(m->need);
    free(m->known);
    m->known = NULL;
    m->n_known = m->known_cap = 0;
    m->bounds = NULL;
    m->owner = NULL;
    m->have = m->need = NULL;
    m->failure = rc < 0 ? rc : 0;
    return rc;
}
