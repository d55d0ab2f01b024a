/*
 * extsort.h: sorting fixed-size records that may not fit in memory.
 *
 * Records are added one by one; past the memory budget each full buffer is
 * sorted and written to the scratch file as a run, and reading merges the runs.
 * Under the budget nothing touches the disk. Either way the records come back
 * in the order of cmp, which must be a total order (so the result is the same
 * whatever the budget).
 */
#ifndef ND_EXTSORT_H
#define ND_EXTSORT_H

#include "common/radix.h"
#include "common/spill.h"

#include <stddef.h>

typedef struct nd_extsort nd_extsort;

typedef int (*nd_compare_fn)(const void *, const void *);
/* Sorts n records in place by cmp's order (may be faster than qsort, e.g. a radix sort);
 * returns 0 or ND_ENOMEM. */
typedef int (*nd_sort_fn)(const nd_sort_env *env, void *records, size_t n);

/* The part of a record, below the number of parts; a record in a later part never
 * comes before one in an earlier part in cmp's order. */
typedef size_t (*nd_part_fn)(const void *ctx, const void *record);

/* budget: bytes of records held in memory (at least a few records' worth); env: the
 * threads and scratch pool that sort (and the sorter's buffers) may use. */
int nd_extsort_new(nd_extsort **out, size_t record_size, nd_compare_fn cmp, nd_sort_fn sort,
                   const nd_sort_env *env, size_t budget, nd_spill *spill);
/* Before the first add (else ND_EINVAL): the records go to n_parts parts by part(ctx,
 * record). In memory each part is sorted on its own when reading reaches it and freed
 * when reading leaves it, so that a sort (a radix sort's second buffer) and the reader's
 * own records need about a part's memory more, not the whole's. */
int nd_extsort_partition(nd_extsort *s, size_t n_parts, nd_part_fn part, const void *ctx);
void nd_extsort_free(nd_extsort *s);

int nd_extsort_add(nd_extsort *s, const void *record);
/* Adds n records, in order (as n calls of nd_extsort_add, copied in blocks). */
int nd_extsort_add_many(nd_extsort *s, const void *records, size_t n);
/* Ends adding; reading starts. */
int nd_extsort_finish(nd_extsort *s);
/* The next record in order: 1 and *record (valid until the next call), 0 at the end, or < 0. */
int nd_extsort_next(nd_extsort *s, const void **record);

/* Runs written to the scratch file (0 when everything fitted in memory). */
size_t nd_extsort_runs(const nd_extsort *s);

#endif
