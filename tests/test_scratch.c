/*
 * test_scratch.c: scratch mappings, and the freed ones handed out again.
 *
 * A freed mapping may come back for a smaller request, trimmed to it: its old
 * contents may be there (nd_scratch_map promises nothing), the zeroed variant
 * must clear them, and the mapping must grow and be freed like a fresh one.
 */
#include "nd_internal.h"

#include <criterion/criterion.h>
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
