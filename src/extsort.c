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
 */
#include "extsort.h"

#include "nd_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct run_reader {
    uint64_t offset;       /* of the next record not yet in the window */
    size_t left;           /* records not yet in the window */
    unsigned char *window;
    size_t in_window, pos; /* records in the window, next one */
} run_reader;

struct nd_extsort {
    size_t rec, cap; /* record size, records per buffer */
    nd_compare_fn cmp;
    nd_sort_fn sort;
    nd_spill *spill;
    size_t budget;
    unsigned char *buf;
    size_t n, buf_cap;    /* records in buf, and room for (grows up to cap) */
    run_reader *runs;
    size_t n_runs, runs_cap;
    size_t *heap;         /* indices of runs, ordered by their current record */
    size_t heap_n;
    size_t read_pos;      /* in-memory reading */
    bool merging;
    bool pending;         /* the head of heap[0] was handed out: advance it first */
};

int nd_extsort_new(nd_extsort **out, size_t record_size, nd_compare_fn cmp, nd_sort_fn sort,
                   size_t budget, nd_spill *spill)
{
    nd_extsort *s = calloc(1, sizeof(*s));
    if (!s)
        return ND_ENOMEM;
    *s = (nd_extsort){.rec = record_size, .cmp = cmp, .sort = sort, .spill = spill,
                      .budget = budget};
    s->cap = budget / record_size < 64 ? 64 : budget / record_size;
    *out = s;
    return 0;
}

void nd_extsort_free(nd_extsort *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_runs; i++)
        free(s->runs[i].window);
    free(s->runs);
    free(s->heap);
    nd_scratch_unmap(s->buf, s->buf_cap * s->rec);
    free(s);
}

static int sort_buffer(nd_extsort *s)
{
    if (s->sort)
        return s->sort(s->buf, s->n);
    nd_sort(s->buf, s->n, s->rec, s->cmp);
    return 0;
}

/* Sorts the buffer and appends it to the scratch file as a run. */
static int spill_run(nd_extsort *s)
{
    if (s->n == 0)
        return 0;
    int rc = sort_buffer(s);
    if (rc < 0 || ND_GROW(s->runs, s->runs_cap, s->n_runs + 1) < 0)
        return rc < 0 ? rc : ND_ENOMEM;
    run_reader *r = &s->runs[s->n_runs++];
    memset(r, 0, sizeof(*r));
    r->left = s->n;
    rc = nd_spill_append(s->spill, s->buf, s->n * s->rec, &r->offset);
    s->n = 0;
    return rc;
}

int nd_extsort_add(nd_extsort *s, const void *record)
{
    if (s->n == s->cap) {
        const int rc = spill_run(s);
        if (rc < 0)
            return rc;
    }
    if (!s->buf && (s->buf = nd_scratch_map(s->cap * s->rec)) != NULL)
        s->buf_cap = s->cap; /* room for the budget, whose pages come as they are written */
    if (s->n == s->buf_cap) { /* a budget too large to map: doubles, the pages move */
        size_t grown = s->buf_cap ? 2 * s->buf_cap : (1u << 20) / s->rec + 1;
        grown = grown < s->cap ? grown : s->cap;
        unsigned char *buf = s->buf ? nd_scratch_remap(s->buf, s->buf_cap * s->rec, grown * s->rec)
                                    : nd_scratch_map(grown * s->rec);
        if (!buf)
            return ND_ENOMEM;
        s->buf = buf;
        s->buf_cap = grown;
    }
    nd_copy_record(s->buf + s->n * s->rec, record, s->rec);
    s->n++;
    return 0;
}

int nd_extsort_add_many(nd_extsort *s, const void *records, size_t n)
{
    const unsigned char *r = records;
    while (n > 0) {
        const int rc = nd_extsort_add(s, r); /* makes room, spilling or growing */
        if (rc < 0)
            return rc;
        r += s->rec, n--;
        const size_t room = s->buf_cap - s->n, take = n < room ? n : room;
        memcpy(s->buf + s->n * s->rec, r, take * s->rec);
        s->n += take;
        r += take * s->rec, n -= take;
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
        return sort_buffer(s);
    int rc = spill_run(s);
    nd_scratch_unmap(s->buf, s->buf_cap * s->rec);
    s->buf = NULL;
    s->buf_cap = 0;
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
        if (s->read_pos == s->n)
            return 0;
        *record = s->buf + s->read_pos++ * s->rec;
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
