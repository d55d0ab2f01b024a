/*
 * test_scratch.c: scratch memory, and the freed mappings handed out again.
 *
 * A freed mapping may come back for a smaller request, trimmed to it, or for a
 * larger one, grown: its old contents may be there (nd_scratch_map promises
 * nothing), the zeroed variant must clear them all, and the mapping must grow
 * and be freed like a fresh one.
 * Scratch under a megabyte comes from malloc, and keeps its bytes when it
 * grows past one into a mapping.
 */
#include "common/scratch.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MB ((size_t)1 << 20)

/* The freed mappings kept for the next requests. */
static nd_scratch_pool pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

Test(scratch, a_freed_mapping_serves_a_smaller_one)
{
    unsigned char *a = nd_scratch_map(&pool, 8 * MB);
    cr_assert_not_null(a);
    memset(a, 0xAB, 8 * MB);
    nd_scratch_unmap(&pool, a, 8 * MB);
    unsigned char *b = nd_scratch_map(&pool, 3 * MB); /* the kept 8 MB, trimmed */
    cr_assert_not_null(b);
    memset(b, 0xCD, 3 * MB);
    nd_scratch_unmap(&pool, b, 3 * MB);
    unsigned char *z = nd_scratch_map_zeroed(&pool, 3 * MB);
    cr_assert_not_null(z);
    cr_assert(all_bytes(z, 3 * MB, 0), "a zeroed mapping held old bytes");
    unsigned char *grown = nd_scratch_remap(&pool, z, 3 * MB, 20 * MB);
    cr_assert_not_null(grown);
    cr_assert(all_bytes(grown, 3 * MB, 0), "growing lost the contents");
    memset(grown, 1, 20 * MB);
    nd_scratch_unmap(&pool, grown, 20 * MB);
    nd_scratch_release(&pool);
}

/* Whether the byte at p is mapped, as /proc/self/maps says. */
static bool mapped_at(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert_not_null(f);
    const uintptr_t at = (uintptr_t)p;
    bool mapped = false;
    for (unsigned long lo, hi; !mapped && fscanf(f, "%lx-%lx%*[^\n]", &lo, &hi) == 2;)
        mapped = at >= lo && at < hi;
    fclose(f);
    return mapped;
}

/* A kept mapping given to a smaller request of an odd size is trimmed on a page
 * boundary, and a small request leaves it kept: freed and released, nothing of it
 * stays mapped. */
Test(scratch, a_kept_mapping_trimmed_for_an_odd_size_leaves_nothing)
{
    nd_scratch_release(&pool);
    unsigned char *big = nd_scratch_map(&pool, 8 * MB);
    cr_assert_not_null(big);
    memset(big, 1, 8 * MB);
    nd_scratch_unmap(&pool, big, 8 * MB);
    unsigned char *small = nd_scratch_map_zeroed(&pool, 40008); /* from malloc */
    cr_assert_not_null(small);
    cr_assert(all_bytes(small, 40008, 0));
    nd_scratch_unmap(&pool, small, 40008);
    unsigned char *odd = nd_scratch_map_zeroed(&pool, 3 * MB + 40008); /* the kept 8 MB, trimmed */
    cr_assert_not_null(odd);
    cr_assert(all_bytes(odd, 3 * MB + 40008, 0));
    nd_scratch_unmap(&pool, odd, 3 * MB + 40008);
    nd_scratch_release(&pool);
    cr_assert_not(mapped_at(big), "the freed mapping is still there");
    cr_assert_not(mapped_at(big + 8 * MB - 1), "the end of the trimmed mapping is still there");
}

/* Two mappings of na and nb bytes, filled with va and vb, freed (so kept), nothing else
 * kept; *a and *b say where they were. */
static void keep_two(size_t na, unsigned char va, unsigned char **a, size_t nb, unsigned char vb,
                     unsigned char **b)
{
    nd_scratch_release(&pool);
    *a = nd_scratch_map(&pool, na);
    *b = nd_scratch_map(&pool, nb);
    cr_assert(*a && *b);
    memset(*a, va, na);
    memset(*b, vb, nb);
    nd_scratch_unmap(&pool, *a, na);
    nd_scratch_unmap(&pool, *b, nb);
}

/* A request larger than every kept mapping grows the largest, whose pages it keeps (the
 * part added is zero), and frees the others; the zeroed variant clears the old bytes. */
Test(scratch, a_larger_request_grows_the_largest_kept_mapping)
{
    unsigned char *a, *b;
    keep_two(4 * MB, 0xAB, &a, 6 * MB, 0xCD, &b);
    unsigned char *g = nd_scratch_map(&pool, 20 * MB);
    cr_assert_not_null(g);
    cr_assert(all_bytes(g, 6 * MB, 0xCD), "the largest kept mapping's pages were not kept");
    cr_assert(all_bytes(g + 6 * MB, 14 * MB, 0), "the part added was not zero");
    const bool a_in_g = a >= g && a < g + 20 * MB; /* the grown one may have moved there */
    cr_assert(a_in_g || !mapped_at(a), "the smaller kept mapping was not freed");
    memset(g, 0xEF, 20 * MB);
    nd_scratch_unmap(&pool, g, 20 * MB);
    unsigned char *z = nd_scratch_map_zeroed(&pool, 30 * MB + 12345);
    cr_assert_not_null(z);
    cr_assert(all_bytes(z, 30 * MB + 12345, 0), "a grown mapping held old bytes");
    nd_scratch_unmap(&pool, z, 30 * MB + 12345);
    nd_scratch_release(&pool);
    cr_assert_not(mapped_at(z), "the grown mapping is still there");
    cr_assert_not(mapped_at(z + 30 * MB), "its grown part is still there");
}

/* A request that a kept mapping holds takes the smallest that does and leaves the other
 * kept, for the next request. */
Test(scratch, a_fitting_request_leaves_the_other_mapping_kept)
{
    unsigned char *big, *small;
    keep_two(8 * MB, 0xAB, &big, 4 * MB, 0xCD, &small);
    unsigned char *a = nd_scratch_map(&pool, 2 * MB); /* the 4 MB, trimmed */
    cr_assert_not_null(a);
    cr_assert(all_bytes(a, 2 * MB, 0xCD), "the smallest kept mapping was not taken");
    unsigned char *b = nd_scratch_map(&pool, 6 * MB); /* the 8 MB, still kept */
    cr_assert_not_null(b);
    cr_assert(all_bytes(b, 6 * MB, 0xAB), "the other kept mapping was freed");
    nd_scratch_unmap(&pool, a, 2 * MB);
    nd_scratch_unmap(&pool, b, 6 * MB);
    nd_scratch_release(&pool);
}

Test(scratch, small_scratch_grows_into_a_mapping)
{
    unsigned char *p = nd_scratch_map(&pool, 100000);
    cr_assert_not_null(p);
    memset(p, 7, 100000);
    unsigned char *q = nd_scratch_remap(&pool, p, 100000, 500000);
    cr_assert_not_null(q);
    memset(q + 100000, 7, 400000);
    unsigned char *r = nd_scratch_remap(&pool, q, 500000, 6 * MB);
    cr_assert_not_null(r);
    cr_assert(all_bytes(r, 500000, 7), "growing lost the contents");
    nd_scratch_unmap(&pool, r, 6 * MB);
    nd_scratch_release(&pool);
}

Test(scratch, growing_nothing_maps_anew)
{
    unsigned char *p = nd_scratch_remap(&pool, NULL, 0, 3 * MB);
    cr_assert_not_null(p);
    memset(p, 1, 3 * MB);
    unsigned char *q = nd_scratch_remap(&pool, NULL, 0, 1000);
    cr_assert_not_null(q);
    memset(q, 1, 1000);
    nd_scratch_unmap(&pool, p, 3 * MB);
    nd_scratch_unmap(&pool, q, 1000);
    nd_scratch_release(&pool);
}

Test(scratch, small_and_odd_sizes)
{
    const size_t sizes[] = {1, 4095, 4097, MB - 1, MB, MB + 1, 5 * MB + 3};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        unsigned char *p = nd_scratch_map_zeroed(&pool, sizes[i]);
        cr_assert_not_null(p);
        cr_assert(all_bytes(p, sizes[i], 0));
        memset(p, 0xFF, sizes[i]);
        nd_scratch_unmap(&pool, p, sizes[i]);
    }
    nd_scratch_release(&pool);
}
