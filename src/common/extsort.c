/*
 * extsort.c: buffer, sort, spill runs, k-way merge (see extsort.h).
 *
 * HOW IT WORKS
 *
 * Adding fills a buffer of budget bytes. When it is full it is sorted and
 * appended to the scratch file as one run. At the end, if no run was
 * written, the buffer is sorted and read in place. Otherwise the last buffer
 * becomes a run too, and reading merges the runs with a binary heap of their
 * current records, each run read through its own window of
 * budget / (runs + 1) bytes (at least 64 records). Ties cannot reorder
 * anything because cmp is a total order on the records.
 *
 * A partitioned sorter keeps one buffer per part (the budget bounds them all
 * together). In memory, a part is sorted when reading reaches it, and its
 * buffer is freed when reading leaves it: a sort's working space is a part's
 * size, not the whole, and the records read make room for what the reader
 * makes of them. A spill sorts the parts and writes them one after the other
 * as one run (they are in order, part after part), so the runs are as many
 * as without parts.
 */
#include "common/extsort.h"
#include "common/scratch.h"

#include "common/base.h"

#include <stdlib.h>
#include <string.h>

typedef struct run_reader {
    uint64_t offset; /* of the next record not yet in the window */
    size_t left;     /* records not yet in the window */
    unsigned char *window;
    size_t in_window, pos; /* records in the window, next one */
} run_reader;

typedef struct part_buffer {
    unsigned char *buf;
    size_t n, cap; /* records in buf, and room for (grows up to the sorter's cap) */
} part_buffer;

struct nd_extsort {
    size_t rec, cap; /* record size, records held in memory at most */
    nd_compare_fn cmp;
    nd_sort_fn sort;
    nd_sort_env env;
    nd_spill *spill;
    size_t budget;
    nd_part_fn part; /* NULL: one part */
    const void *part_ctx;
    part_buffer *parts, one;
    size_t n_parts;
    size_t held;      /* records in all parts */
    size_t read_part; /* in-memory reading: the part being read */
    run_reader *runs;
    size_t n_runs, runs_cap;
    size_t *heap; /* indices of runs, ordered by their current record */
    size_t heap_n;
    size_t read_pos; /* in-memory reading: the next record of the part */
    bool merging;
    bool pending; /* the head of heap[0] was handed out: advance it first */
};

int nd_extsort_new(nd_extsort **out, size_t record_size, nd_compare_fn cmp, nd_sort_fn sort,
                   const nd_sort_env *env, size_t budget, nd_spill *spill)
{
    nd_extsort *s = calloc(1, sizeof(*s));
    if (!s)
        return ND_ENOMEM;
    *s = (nd_extsort){.rec = record_size,
                      .cmp = cmp,
                      .sort = sort,
                      .env = *env,
                      .spill = spill,
                      .budget = budget,
                      .n_parts = 1};
    s->parts = &s->one;
    s->cap = budget / record_size < 64 ? 64 : budget / record_size;
    *out = s;
    return 0;
}

int nd_extsort_partition(nd_extsort *s, size_t n_parts, nd_part_fn part, const void *ctx)
{
    if (n_parts == 0 || s->parts != &s->one || s->held > 0 || s->n_runs > 0)
        return ND_EINVAL;
    if (!(s->parts = calloc(n_parts, sizeof(*s->parts)))) {
        s->parts = &s->one;
        return ND_ENOMEM;
    }
    s->n_parts = n_parts;
    s->part = part;
    s->part_ctx = ctx;
    return 0;
}

/* Frees a part's buffer: kept by the scratch pool, or with give_back its pages back to
 * the system at once. */
static void free_part(const nd_extsort *s, part_buffer *b, bool give_back)
{
    if (give_back)
        nd_scratch_give_back(b->buf, b->cap * s->rec);
    else
        nd_scratch_unmap(s->env.scratch, b->buf, b->cap * s->rec);
    *b = (part_buffer){NULL, 0, 0};
}

void nd_extsort_free(nd_extsort *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_runs; i++)
        free(s->runs[i].window);
    free(s->runs);
    free(s->heap);
    for (size_t p = 0; p < s->n_parts; p++)
        free_part(s, &s->parts[p], false);
    if (s->parts != &s->one)
        free(s->parts);
    free(s);
}

static int sort_part(const nd_extsort *s, part_buffer *b)
{
    if (b->n < 2)
        return 0;
    if (s->sort)
        return s->sort(&s->env, b->buf, b->n);
    nd_sort(b->buf, b->n, s->rec, s->cmp);
    return 0;
}

/* Sorts the parts and appends them, one after the other, to the scratch file as a run. */
static int spill_run(nd_extsort *s)
{
    if (s->held == 0)
        return 0;
    if (ND_GROW(s->runs, s->runs_cap, s->n_runs + 1) < 0)
        return ND_ENOMEM;
    run_reader *r = &s->runs[s->n_runs++];
    memset(r, 0, sizeof(*r));
    r->left = s->held;
    int rc = nd_spill_reserve(s->spill, s->held * s->rec, &r->offset);
    uint64_t at = r->offset;
    for (size_t p = 0; p < s->n_parts && rc == 0; p++) {
        part_buffer *b = &s->parts[p];
        if ((rc = sort_part(s, b)) == 0 && b->n > 0)
            rc = nd_spill_write(s->spill, at, b->buf, b->n * s->rec);
        at += b->n * s->rec;
        b->n = 0;
    }
    s->held = 0;
    return rc;
}

/* Room for one more record in b. Its first mapping has room for its share of the budget,
 * whose pages come as they are written; when that cannot be mapped, or a part outgrows
 * its share, the mapping doubles and its pages move. */
static int make_room(nd_extsort *s, part_buffer *b)
{
    if (b->n < b->cap)
        return 0;
    size_t grown = b->cap ? 2 * b->cap : s->cap / s->n_parts + 1;
    grown = grown < s->cap ? grown : s->cap;
    unsigned char *buf = nd_scratch_remap(s->env.scratch, b->buf, b->cap * s->rec, grown * s->rec);
    if (!buf && !b->buf) { /* too large to map: from a megabyte */
        grown = (1u << 20) / s->rec + 1;
        grown = grown < s->cap ? grown : s->cap;
        buf = nd_scratch_map(s->env.scratch, grown * s->rec);
    }
    if (!buf)
        return ND_ENOMEM;
    b->buf = buf;
    b->cap = grown;
    return 0;
}

int nd_extsort_add(nd_extsort *s, const void *record)
{
    if (s->held == s->cap) {
        const int rc = spill_run(s);
        if (rc < 0)
            return rc;
    }
    part_buffer *b = &s->parts[s->part ? s->part(s->part_ctx, record) : 0];
    const int rc = make_room(s, b);
    if (rc < 0)
        return rc;
    nd_copy_record(b->buf + b->n * s->rec, record, s->rec);
    b->n++;
    s->held++;
    return 0;
}

/* Adds records to their parts while each fits without spilling or growing; returns how
 * many. For a sorter of one part they are copied in one go. */
static size_t add_fitting(nd_extsort *s, const unsigned char *r, size_t n)
{
    size_t i = 0;
    if (!s->part) {
        part_buffer *b = &s->parts[0];
        const size_t room = b->cap - b->n < s->cap - s->held ? b->cap - b->n : s->cap - s->held;
        i = n < room ? n : room;
        if (i > 0) /* b->buf may be NULL yet */
            memcpy(b->buf + b->n * s->rec, r, i * s->rec);
        b->n += i;
    }
    for (; s->part && i < n && s->held + i < s->cap; i++, r += s->rec) {
        part_buffer *b = &s->parts[s->part(s->part_ctx, r)];
        if (b->n == b->cap)
            break;
        nd_copy_record(b->buf + b->n++ * s->rec, r, s->rec);
    }
    s->held += i;
    return i;
}

int nd_extsort_add_many(nd_extsort *s, const void *records, size_t n)
{
    const unsigned char *r = records;
    while (n > 0) {
        const size_t took = add_fitting(s, r, n);
        r += took * s->rec, n -= took;
        if (n == 0)
            break;
        const int rc = nd_extsort_add(s, r); /* makes room, spilling or growing */
        if (rc < 0)
            return rc;
        r += s->rec, n--;
    }
    return 0;
}

size_t nd_extsort_runs(const nd_extsort *s)
{
    return s->n_runs;
}

/* ---------------------------------------------------------------- merging */

static const void *run_head(const nd_extsort *s, size_t i)
{
    const run_reader *r = &s->runs[i];
    return r->window + r->pos * s->rec;
}

/* Refills a run's window when it is used up; false when the run is over. */
static int refill(nd_extsort *s, run_reader *r, size_t window_recs)
{
    if (r->pos < r->in_window)
        return 1;
    if (r->left == 0)
        return 0;
    const size_t n = r->left < window_recs ? r->left : window_recs;
    const int rc = nd_spill_read(s->spill, r->offset, r->window, n * s->rec);
    if (rc < 0)
        return rc;
    r->offset += n * s->rec;
    r->left -= n;
    r->in_window = n;
    r->pos = 0;
    return 1;
}

static bool heap_less(const nd_extsort *s, size_t a, size_t b)
{
    return s->cmp(run_head(s, s->heap[a]), run_head(s, s->heap[b])) < 0;
}

static void heap_down(nd_extsort *s, size_t i)
{
    for (;;) {
        size_t least = i;
        const size_t l = 2 * i + 1, r = 2 * i + 2;
        if (l < s->heap_n && heap_less(s, l, least))
            least = l;
        if (r < s->heap_n && heap_less(s, r, least))
            least = r;
        if (least == i)
            return;
        const size_t t = s->heap[i];
        s->heap[i] = s->heap[least];
        s->heap[least] = t;
        i = least;
    }
}

static size_t window_records(const nd_extsort *s)
{
    const size_t per_run = s->budget / (s->n_runs + 1) / s->rec;
    return per_run < 64 ? 64 : per_run;
}

int nd_extsort_finish(nd_extsort *s)
{
    if (s->n_runs == 0)
        return sort_part(s, &s->parts[0]); /* the others when reading reaches them */
    int rc = spill_run(s);
    for (size_t p = 0; p < s->n_parts; p++)
        free_part(s, &s->parts[p], false);
    const size_t window = window_records(s);
    if (rc == 0 && !(s->heap = malloc(s->n_runs * sizeof(*s->heap))))
        rc = ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < s->n_runs; i++) {
        if (!(s->runs[i].window = malloc(window * s->rec)))
            return ND_ENOMEM;
        rc = refill(s, &s->runs[i], window);
        if (rc == 1) {
            s->heap[s->heap_n++] = i;
            rc = 0;
        }
    }
    for (size_t i = s->heap_n / 2; rc == 0 && i-- > 0;)
        heap_down(s, i);
    s->merging = true;
    return rc;
}

int nd_extsort_next(nd_extsort *s, const void **record)
{
    if (!s->merging) {
        part_buffer *b = &s->parts[s->read_part];
        while (s->read_pos == b->n) {
            if (s->read_part + 1 == s->n_parts)
                return 0;
            /* its pages back to the system now (not kept aside): the next part's sort or
             * the reader's own records take them */
            free_part(s, b, true);
            b = &s->parts[++s->read_part];
            s->read_pos = 0;
            const int rc = sort_part(s, b);
            if (rc < 0)
                return rc;
        }
        *record = b->buf + s->read_pos++ * s->rec;
        return 1;
    }
    if (s->pending) {
        run_reader *top = &s->runs[s->heap[0]];
        top->pos++;
        const int rc = refill(s, top, window_records(s));
        if (rc < 0)
            return rc;
        if (rc == 0)
            s->heap[0] = s->heap[--s->heap_n];
        if (s->heap_n > 0)
            heap_down(s, 0);
        s->pending = false;
    }
    if (s->heap_n == 0)
        return 0;
    *record = run_head(s, s->heap[0]);
    s->pending = true;
    return 1;
}
