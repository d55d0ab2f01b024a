/*
 * test_scratch.c: scratch mappings, and the freed ones handed out again.
 *
 * A freed mapping may come back for a smaller request, trimmed to it: its old
 * contents may be there (nd_scratch_map promises nothing), the zeroed variant
 * must clear them, and the mapping must grow and be freed like a fresh one.
 */
#include "nd_internal.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define MB ((size_t)1 << 20)

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

Test(scratch, a_freed_mapping_serves_a_smaller_one)
{
    unsigned char *a = nd_scratch_map(8 * MB);
    cr_assert_not_null(a);
    memset(a, 0xAB, 8 * MB);
    nd_scratch_unmap(a, 8 * MB);
    unsigned char *b = nd_scratch_map(3 * MB); /* the kept 8 MB, trimmed */
    cr_assert_not_null(b);
    memset(b, 0xCD, 3 * MB);
    nd_scratch_unmap(b, 3 * MB);
    unsigned char *z = nd_scratch_map_zeroed(3 * MB);
    cr_assert_not_null(z);
    cr_assert(all_bytes(z, 3 * MB, 0), "a zeroed mapping held old bytes");
    unsigned char *grown = nd_scratch_remap(z, 3 * MB, 20 * MB);
    cr_assert_not_null(grown);
    cr_assert(all_bytes(grown, 3 * MB, 0), "growing lost the contents");
    memset(grown, 1, 20 * MB);
    nd_scratch_unmap(grown, 20 * MB);
    nd_scratch_release();
}

/* The mappings of this process, as /proc/self/maps lists them. */
static size_t count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert_not_null(f);
    size_t n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

/* A kept mapping given to a request of an odd size under a megabyte is trimmed on a page
 * boundary: freed and released, nothing of it stays mapped. */
Test(scratch, a_kept_mapping_trimmed_for_an_odd_size_leaves_nothing)
{
    nd_scratch_release();
    const size_t before = count_mappings();
    for (int round = 0; round < 3; round++) {
        unsigned char *big = nd_scratch_map(4 * MB);
        cr_assert_not_null(big);
        memset(big, 1, 4 * MB);
        nd_scratch_unmap(big, 4 * MB);
        unsigned char *odd = nd_scratch_map_zeroed(40008);
        cr_assert_not_null(odd);
        cr_assert(all_bytes(odd, 40008, 0));
        nd_scratch_unmap(odd, 40008);
        nd_scratch_release();
    }
    cr_assert_leq(count_mappings(), before, "mappings were left behind");
}

Test(scratch, small_and_odd_sizes)
{
    const size_t sizes[] = {1, 4095, 4097, MB - 1, MB, MB + 1, 5 * MB + 3};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        unsigned char *p = nd_scratch_map_zeroed(sizes[i]);
        cr_assert_not_null(p);
        cr_assert(all_bytes(p, sizes[i], 0));
        memset(p, 0xFF, sizes[i]);
        nd_scratch_unmap(p, sizes[i]);
    }
    nd_scratch_release();
}
