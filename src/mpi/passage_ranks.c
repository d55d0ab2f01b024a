/*
 * passage_ranks.c: the passage stage on every rank (see passage_ranks.h).
 */
#include "mpi/passage_ranks.h"

#include "common/spill.h"
#include "mpi/exchange.h"
#include "mpi/messages.h"

#include <stdlib.h>
#include <string.h>

/* What every rank knows of the run while it shares the stage. */
typedef struct passage_run {
    nd_run_ctx *ctx;
    const nd_corpus *c;
    const size_t *bounds; /* part k is batches [bounds[k], bounds[k + 1]) */
    size_t parts;
    const int *owner; /* every part's rank */
    int rank, ranks;
    uint64_t sent; /* bytes this rank sent others */
} passage_run;

/* How rank 0 starts the stage on the others: then every part's rank, and the copies as
 * (copy, first document of its text). */
typedef struct start_head {
    uint64_t common_expected, parts, copies;
} start_head;

/* What a rank sends rank 0 once its share is done: then its passages and extents. */
typedef struct share_head {
    uint64_t capped, spilled, passages, extents;
    uint64_t sent; /* bytes the rank sent others in the stage, these included */
} share_head;

/* ---------------------------------------------------------------- the hooks */

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int owner_of(void *payload, uint32_t doc)
{
    const passage_run *r = payload;
    return nd_rank_of_doc(r->bounds, r->parts, r->owner, doc);
}

static int open_flow(void *payload, int flow,
                     int (*keep)(void *keep_payload, const void *records, size_t n),
                     void *keep_payload, void **exchange)
{
    const passage_run *r = payload;
    const nd_flow of = flow == ND_PASSAGE_FLOW_RECORDS ? ND_FLOW_SHINGLES : ND_FLOW_SEEDS;
    _Static_assert(sizeof(nd_shingle_record) == sizeof(nd_seed), "one record size for both flows");
    nd_exchange *x = NULL;
    const int rc =
        nd_exchange_open(r->ctx, of, sizeof(nd_seed), r->rank, r->ranks, keep, keep_payload, &x);
    *exchange = x;
    return rc;
}

static int put_in_flow(void *exchange, int to, const void *record)
{
    return nd_exchange_put(exchange, to, record);
}

static int close_flow(void *payload, void *exchange, int rc)
{
    passage_run *r = payload;
    uint64_t sent = 0;
    rc = nd_exchange_close(exchange, rc, &sent);
    r->sent += sent;
    return rc;
}

static uint64_t sum_of_ranks(void *payload, uint64_t value)
{
    (void)payload;
    return nd_message_sum(value);
}

static uint64_t least_of_ranks(void *payload, uint64_t value)
{
    (void)payload;
    return nd_message_least(value);
}

static int combine_maps(void *payload, uint64_t *maps, size_t words)
{
    (void)payload;
    nd_message_combine_maps(maps, words);
    return 0;
}

/* ---------------------------------------------------------------- words of others */

/* The words of this rank's documents docs[0..n): how many each has into counts, and all of
 * them into *toks (malloc'd). */
static int read_words(const passage_run *r, const uint32_t *docs, size_t n, uint32_t *counts,
                      nd_token **toks)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const nd_doc *d = &r->c->docs[docs[i]];
        counts[i] = d->has_tokens ? d->n_tokens : 0;
        total += counts[i];
    }
    *toks = malloc((size_t)total * sizeof(**toks) + 1);
    if (!*toks)
        return ND_ENOMEM;
    int rc = 0;
    for (size_t i = 0, at = 0; i < n && rc == 0; at += counts[i++])
        if (counts[i])
            rc = nd_spill_read(r->ctx->spill, r->c->docs[docs[i]].tokens_off, *toks + at,
                               counts[i] * sizeof(**toks));
    return rc;
}

/* What the rounds of fetching brought: the table, its documents in the order they came. */
typedef struct fetched {
    nd_token_table t;
    size_t docs_cap, toks_cap, n_toks;
} fetched;

/* Room for n more documents and their words. */
static int fetched_room(fetched *f, size_t n, uint64_t words)
{
    const size_t cap = f->t.n_docs + n;
    if (cap > f->docs_cap) {
        uint32_t *docs = realloc(f->t.docs, cap * sizeof(*docs));
        f->t.docs = docs ? docs : f->t.docs;
        uint32_t *counts = docs ? realloc(f->t.words, cap * sizeof(*counts)) : NULL;
        f->t.words = counts ? counts : f->t.words;
        uint64_t *at = counts ? realloc(f->t.at, cap * sizeof(*at)) : NULL;
        f->t.at = at ? at : f->t.at;
        if (!at)
            return ND_ENOMEM;
        f->docs_cap = cap;
    }
    return ND_GROW(f->t.toks, f->toks_cap, f->n_toks + (size_t)words + 1) < 0 ? ND_ENOMEM : 0;
}

/* One round: this rank asks rank `to` for the words of its documents among
 * docs[0..n), while rank `from` asks this one. */
static int fetch_round(passage_run *r, int to, int from, const uint32_t *docs, size_t n, fetched *f)
{
    uint64_t mine = 0, asked = 0;
    uint32_t *want = malloc(n * sizeof(*want) + 1);
    if (!want)
        return ND_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (owner_of((void *)r, docs[i]) == to)
            want[mine++] = docs[i];
    nd_message_swap(to, &mine, sizeof(mine), from, &asked, sizeof(asked));
    uint32_t *theirs = malloc((size_t)asked * sizeof(*theirs) + 1);
    uint32_t *counts = malloc((size_t)asked * sizeof(*counts) + 1);
    uint32_t *came = malloc((size_t)mine * sizeof(*came) + 1);
    nd_token *toks = NULL;
    int rc = theirs && counts && came ? 0 : ND_ENOMEM;
    /* (a failure here stops the job: the other ranks would wait for this one) */
    if (rc == 0)
        nd_message_swap(to, want, mine * sizeof(*want), from, theirs, asked * sizeof(*theirs));
    if (rc == 0)
        rc = read_words(r, theirs, asked, counts, &toks);
    if (rc == 0)
        nd_message_swap(from, counts, asked * sizeof(*counts), to, came, mine * sizeof(*came));
    uint64_t out = 0, in = 0;
    for (size_t i = 0; rc == 0 && i < asked; i++)
        out += counts[i];
    for (size_t i = 0; rc == 0 && i < mine; i++)
        in += came[i];
    if (rc == 0)
        rc = fetched_room(f, (size_t)mine, in);
    if (rc == 0) {
        nd_message_swap(from, toks, out * sizeof(*toks), to, f->t.toks + f->n_toks,
                        in * sizeof(*toks));
        for (size_t i = 0; i < mine; i++, f->t.n_docs++) {
            f->t.docs[f->t.n_docs] = want[i];
            f->t.words[f->t.n_docs] = came[i];
            f->t.at[f->t.n_docs] = f->n_toks;
            f->n_toks += came[i];
        }
        r->sent +=
            sizeof(mine) + mine * sizeof(*want) + asked * sizeof(*counts) + out * sizeof(*toks);
    }
    free(want);
    free(theirs);
    free(counts);
    free(came);
    free(toks);
    return rc;
}

/* Sorts the table by document (the rounds came rank by rank, each in document order);
 * the words stay where they came. */
static int sort_table(nd_token_table *t)
{
    uint64_t *order = malloc((t->n_docs + 1) * sizeof(*order));
    uint64_t *at = malloc((t->n_docs + 1) * sizeof(*at));
    uint32_t *words = malloc((t->n_docs + 1) * sizeof(*words));
    const int rc = order && at && words ? 0 : ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < t->n_docs; i++)
        order[i] = (uint64_t)t->docs[i] << 32 | i; /* a document is asked once */
    if (rc == 0 && t->n_docs) {
        nd_sort(order, t->n_docs, sizeof(*order), compare_u64);
        for (size_t i = 0; i < t->n_docs; i++) {
            const size_t k = (size_t)(order[i] & 0xffffffffu);
            at[i] = t->at[k];
            words[i] = t->words[k];
            t->docs[i] = (uint32_t)(order[i] >> 32);
        }
        memcpy(t->at, at, t->n_docs * sizeof(*at));
        memcpy(t->words, words, t->n_docs * sizeof(*words));
    }
    free(order);
    free(at);
    free(words);
    return rc;
}

static int fetch_words(void *payload, const uint32_t *docs, size_t n, nd_token_table *out)
{
    passage_run *r = payload;
    fetched f = {0};
    int rc = 0;
    for (int i = 1; i < r->ranks && rc == 0; i++)
        rc = fetch_round(r, (r->rank + i) % r->ranks, (r->rank - i + r->ranks) % r->ranks, docs, n,
                         &f);
    if (rc == 0)
        rc = sort_table(&f.t);
    *out = f.t;
    return rc;
}

/* ---------------------------------------------------------------- every rank's share */

static int share(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan, bool common_expected,
                 passage_run *r, nd_passage **out, size_t *n_out, nd_passage_counts *counts)
{
    const nd_passage_ranks ranks = {
        r->rank,    r->ranks,    {sum_of_ranks, least_of_ranks, combine_maps, r},
        owner_of,   open_flow,   put_in_flow,
        close_flow, fetch_words, r};
    return nd_passage_share(ctx, c, scan, common_expected, &ranks, out, n_out, counts);
}

static void *receive_array(int from, size_t n, size_t size, int *rc)
{
    void *a = *rc == 0 ? malloc(n * size + 1) : NULL;
    if (*rc == 0 && !a)
        *rc = ND_ENOMEM;
    if (*rc == 0)
        *rc =
            nd_message_move_in_pieces(nd_message_receive, &(nd_message_pipe){from, 0}, a, n * size);
    return a;
}

/* ---------------------------------------------------------------- a rank other than 0 */

/* The extents of this rank's documents among the copies and their first documents. */
static int copy_extents(nd_run_ctx *ctx, const nd_corpus *c, passage_run *r, const uint32_t *copies,
                        size_t n, nd_doc_extent **out, size_t *n_out)
{
    uint8_t *mark = calloc(c->n_docs / 8 + 1, 1);
    uint32_t *docs = malloc(2 * n * sizeof(*docs) + 1);
    *out = malloc(2 * n * sizeof(**out) + 1);
    *n_out = 0;
    int rc = mark && docs && *out ? 0 : ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < 2 * n; i++)
        if (owner_of(r, copies[i]) == r->rank)
            mark[copies[i] / 8] |= (uint8_t)(1u << (copies[i] % 8));
    for (size_t d = 0; rc == 0 && d < c->n_docs; d++)
        if (mark[d / 8] >> (d % 8) & 1)
            docs[(*n_out)++] = (uint32_t)d;
    if (rc == 0)
        rc = nd_passage_extents(ctx, c, docs, *n_out, *out);
    free(mark);
    free(docs);
    return rc;
}

/* Counts the words of the places rank 0 sends (of this rank's documents) and sends them
 * back. */
static int answer_place_words(nd_run_ctx *ctx, const nd_corpus *c)
{
    nd_message_pipe rank0 = {0, 0};
    uint64_t n = 0;
    int rc = nd_message_move_in_pieces(nd_message_receive, &rank0, &n, sizeof(n));
    nd_passage_place *places = receive_array(0, (size_t)n, sizeof(*places), &rc);
    uint32_t *words = rc == 0 ? malloc(n * sizeof(*words) + 1) : NULL;
    if (rc == 0 && !words)
        rc = ND_ENOMEM;
    if (rc == 0)
        rc = nd_passage_count_words(ctx, c, places, (size_t)n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        words[i] = places[i].words;
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_send, &rank0, words, n * sizeof(*words));
    free(places);
    free(words);
    return rc;
}

int nd_rank_passages(nd_run_ctx *ctx, nd_corpus *c, const nd_rank_run *m, const nd_scan_out *scan)
{
    nd_message_pipe rank0 = {0, 0};
    start_head h;
    int rc = nd_message_move_in_pieces(nd_message_receive, &rank0, &h, sizeof(h));
    int *owner = receive_array(0, (size_t)h.parts, sizeof(*owner), &rc);
    uint32_t *copies = receive_array(0, 2 * (size_t)h.copies, sizeof(*copies), &rc);
    if (rc == 0 && h.parts != m->parts)
        rc = ND_EFORMAT;
    for (size_t i = 0; rc == 0 && i < h.copies; i++)
        c->docs[copies[2 * i]].text_first = copies[2 * i + 1];
    passage_run r = {ctx, c, m->bounds, m->parts, owner, m->rank, m->ranks, 0};
    nd_passage *passages = NULL;
    nd_doc_extent *extents = NULL;
    size_t n_passages = 0, n_extents = 0;
    nd_passage_counts counts = {0, 0};
    if (rc == 0)
        rc = share(ctx, c, scan, h.common_expected != 0, &r, &passages, &n_passages, &counts);
    if (rc == 0)
        rc = copy_extents(ctx, c, &r, copies, (size_t)h.copies, &extents, &n_extents);
    share_head out = {counts.capped, counts.spilled, n_passages, n_extents,
                      r.sent + sizeof(out) + n_passages * sizeof(*passages) +
                          n_extents * sizeof(*extents)};
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_send, &rank0, &out, sizeof(out));
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_send, &rank0, passages,
                                       n_passages * sizeof(*passages));
    if (rc == 0)
        rc = nd_message_move_in_pieces(nd_message_send, &rank0, extents,
                                       n_extents * sizeof(*extents));
    if (rc == 0)
        rc = answer_place_words(ctx, c);
    free(owner);
    free(copies);
    free(passages);
    free(extents);
    return rc;
}

/* ---------------------------------------------------------------- rank 0 */

/* Tells each other rank to start: which rank scanned each part, and the copies. */
static int start_ranks(const nd_corpus *c, const nd_rank_run *m, bool common_expected,
                       uint64_t *sent)
{
    size_t n = 0;
    uint32_t *copies = malloc(2 * c->n_docs * sizeof(*copies) + 1);
    if (!copies)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++)
        if (nd_doc_is_copy(c, i)) {
            copies[2 * n] = (uint32_t)i;
            copies[2 * n++ + 1] = c->docs[i].text_first;
        }
    const start_head h = {common_expected, m->parts, n};
    int rc = 0;
    for (int r = 1; r < m->ranks && rc == 0; r++) {
        nd_message_request(r, ND_REQUEST_PASSAGES, NULL, 0);
        rc = nd_message_move_in_pieces(nd_message_send, &(nd_message_pipe){r, 0}, (void *)&h,
                                       sizeof(h));
        if (rc == 0)
            rc = nd_message_move_in_pieces(nd_message_send, &(nd_message_pipe){r, 0}, m->owner,
                                           m->parts * sizeof(*m->owner));
        if (rc == 0)
            rc = nd_message_move_in_pieces(nd_message_send, &(nd_message_pipe){r, 0}, copies,
                                           2 * n * sizeof(*copies));
        *sent += sizeof(h) + m->parts * sizeof(*m->owner) + 2 * n * sizeof(*copies);
    }
    free(copies);
    return rc;
}

/* Takes every other rank's passages and extents after this rank's: the passages all
 * sorted, the extents too. */
static int gather_shares(const nd_rank_run *m, passage_run *run, nd_passage **out, size_t *n_out,
                         nd_passage_counts *counts, nd_doc_extent **extents, size_t *n_extents)
{
    int rc = 0;
    *extents = NULL;
    *n_extents = 0;
    for (int r = 1; r < m->ranks && rc == 0; r++) {
        share_head h;
        rc = nd_message_move_in_pieces(nd_message_receive, &(nd_message_pipe){r, 0}, &h, sizeof(h));
        nd_passage *p = receive_array(r, (size_t)h.passages, sizeof(*p), &rc);
        nd_doc_extent *e = receive_array(r, (size_t)h.extents, sizeof(*e), &rc);
        nd_passage *all = rc == 0 ? realloc(*out, (*n_out + h.passages + 1) * sizeof(*all)) : NULL;
        nd_doc_extent *es =
            rc == 0 ? realloc(*extents, (*n_extents + h.extents + 1) * sizeof(*es)) : NULL;
        if (all)
            *out = all;
        if (es)
            *extents = es;
        if (rc == 0 && (!all || !es))
            rc = ND_ENOMEM;
        if (rc == 0) {
            memcpy(*out + *n_out, p, h.passages * sizeof(*p));
            memcpy(*extents + *n_extents, e, h.extents * sizeof(*e));
            *n_out += h.passages;
            *n_extents += h.extents;
            counts->capped += h.capped;
            counts->spilled += h.spilled;
            run->sent += h.sent;
        }
        free(p);
        free(e);
    }
    if (rc == 0) {
        nd_sort(*out, *n_out, sizeof(**out), nd_compare_passages);
        nd_sort(*extents, *n_extents, sizeof(**extents), nd_compare_doc_extents);
    }
    return rc;
}

/* The words of every place: this rank's counted here, the others' asked of their ranks. */
static int place_words(nd_run_ctx *ctx, const nd_corpus *c, passage_run *r,
                       nd_passage_clustering *pc)
{
    const size_t n = pc->n_places;
    int *rank = malloc(n * sizeof(*rank) + 1);
    nd_passage_place *theirs = calloc(n + 1, sizeof(*theirs));
    int rc = rank && theirs ? 0 : ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rank[i] = owner_of((void *)r, pc->places[i].doc);
    /* each rank's places, in order, then their words */
    for (int to = 0; to < r->ranks && rc == 0; to++) {
        uint64_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (rank[i] == to)
                theirs[k++] = (nd_passage_place){0, pc->places[i].doc, pc->places[i].start,
                                                 pc->places[i].end, 0};
        if (to == 0)
            rc = nd_passage_count_words(ctx, c, theirs, (size_t)k);
        else if ((rc = nd_message_move_in_pieces(nd_message_send, &(nd_message_pipe){to, 0}, &k,
                                                 sizeof(k))) == 0)
            rc = nd_message_move_in_pieces(nd_message_send, &(nd_message_pipe){to, 0}, theirs,
                                           (size_t)k * sizeof(*theirs));
        r->sent +=
            to == 0 ? 0 : sizeof(k) + k * (sizeof(*theirs) + sizeof(uint32_t)); /* and back */
        for (size_t i = 0, j = 0; rc == 0 && to == 0 && i < n; i++)
            if (rank[i] == 0)
                pc->places[i].words = theirs[j++].words;
    }
    uint32_t *words = (uint32_t *)theirs; /* (room enough: a place is larger) */
    for (int from = 1; from < r->ranks && rc == 0; from++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += rank[i] == from;
        rc = nd_message_move_in_pieces(nd_message_receive, &(nd_message_pipe){from, 0}, words,
                                       k * sizeof(*words));
        for (size_t i = 0, j = 0; rc == 0 && i < n; i++)
            if (rank[i] == from)
                pc->places[i].words = words[j++];
    }
    free(rank);
    free(theirs);
    return rc;
}

int nd_rank0_passages(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                      size_t largest_cluster, nd_passage **out, size_t *n_out,
                      nd_passage_counts *counts, nd_passage_clustering *clusters, void *payload)
{
    nd_rank_run *m = payload;
    if (m->ranks == 1)
        return nd_passage_stage(ctx, c, scan, largest_cluster, out, n_out, counts, clusters);
    const bool common_expected = largest_cluster > (size_t)c->opts.max_df;
    passage_run r = {ctx, c, m->bounds, m->parts, m->owner, 0, m->ranks, 0};
    nd_doc_extent *extents = NULL;
    size_t n_extents = 0;
    const int node_threads = ctx->threads;
    ctx->threads = m->rank_threads; /* the others share the stage */
    int rc = start_ranks(c, m, common_expected, &r.sent);
    if (rc == 0)
        rc = share(ctx, c, scan, common_expected, &r, out, n_out, counts);
    ctx->threads = node_threads;
    if (rc == 0)
        rc = gather_shares(m, &r, out, n_out, counts, &extents, &n_extents);
    if (rc == 0)
        rc = nd_passage_add_copies(ctx, c, extents, n_extents, out, n_out);
    if (rc == 0)
        rc = nd_passage_clusters(*out, *n_out, c->opts.all_pairs, clusters);
    if (rc == 0)
        rc = place_words(ctx, c, &r, clusters);
    m->passages_bytes = r.sent;
    free(extents);
    nd_scratch_release(&ctx->scratch);
    return rc;
}
