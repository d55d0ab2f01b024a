/*
 * test_spill.c: the scratch files.
 *
 * Threads append to files of their own; every record must come back from
 * its offset as it was written, whichever thread wrote it, through single
 * appends and through batches.
 */
#include "input/corpus.h"
#include "common/spill.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#define THREADS 6
#define RECORDS 300

typedef struct writer {
    nd_spill *spill;
    int id;
    uint64_t offset[RECORDS];
    int rc;
} writer;

/* Record r of writer w: 1 to 3,000 bytes that say who wrote them. */
static size_t record_of(int w, int r, unsigned char *buf)
{
    const size_t len = 1 + (size_t)(w * 7919 + r * 104729) % 3000;
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(w * 31 + r * 17 + i);
    return len;
}

static void *write_records(void *arg)
{
    writer *w = arg;
    unsigned char buf[3000];
    nd_spill_batch batch = {0};
    for (int r = 0; r < RECORDS && w->rc == 0; r++) {
        const size_t len = record_of(w->id, r, buf);
        w->rc = r % 2 ? nd_spill_append(w->spill, buf, len, &w->offset[r])
                      : nd_spill_batch_add(w->spill, &batch, buf, len, &w->offset[r]);
    }
    if (w->rc == 0)
        w->rc = nd_spill_batch_flush(w->spill, &batch);
    nd_spill_batch_dispose(w->spill, &batch);
    return NULL;
}

Test(spill, records_of_many_threads_come_back)
{
    nd_spill *spill;
    cr_assert_eq(nd_spill_open(&spill, NULL, NULL), 0);
    static writer w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){.spill = spill, .id = i};
        cr_assert_eq(pthread_create(&t[i], NULL, write_records, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    unsigned char want[3000], got[3000];
    for (int i = 0; i < THREADS; i++) {
        cr_assert_eq(w[i].rc, 0);
        for (int r = 0; r < RECORDS; r++) {
            const size_t len = record_of(i, r, want);
            cr_assert_eq(nd_spill_read(spill, w[i].offset[r], got, len), 0);
            cr_assert_eq(memcmp(got, want, len), 0, "writer %d record %d", i, r);
        }
    }
    nd_spill_close(spill);
}

Test(spill, a_directory_that_is_not_there_fails_at_open)
{
    nd_spill *spill = NULL;
    cr_assert_eq(nd_spill_open(&spill, "/nonexistent/neardup", NULL), ND_EIO);
    cr_assert_null(spill);
}
