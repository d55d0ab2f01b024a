/*
 * spill.h: append-only scratch files for records that need not stay in memory.
 *
 * Each file is created in a temporary directory and unlinked at once, so it
 * disappears with the process, however that ends. Appends and reads are
 * thread-safe: a thread appends to one of 16 files (lanes, by a hash of its
 * thread id), so that two threads' writes seldom queue on one file's lock in
 * the kernel; an offset names its file. The batches' buffers come from the
 * scratch pool given at open.
 */
#ifndef ND_SPILL_H
#define ND_SPILL_H

#include "common/scratch.h"

#include <stddef.h>
#include <stdint.h>

typedef struct nd_spill nd_spill;

/* The directory of temporary files: dir, else $TMPDIR, else /tmp. */
const char *nd_temp_dir(const char *dir);
/* A new temporary file in directory dir, unlinked at once (open for reading and
 * writing), or -1 with errno set. */
int nd_temp_file(const char *dir);

/* dir NULL: $TMPDIR, else /tmp. */
int nd_spill_open(nd_spill **out, const char *dir, nd_scratch_pool *scratch);
void nd_spill_close(nd_spill *s); /* NULL is fine */

/* Appends len bytes; *offset gets where they start. */
int nd_spill_append(nd_spill *s, const void *data, size_t len, uint64_t *offset);
/* The same in steps: room for len bytes at *offset, then writes into it (by the thread
 * that reserved it), e.g. of pieces that are not side by side in memory. */
int nd_spill_reserve(nd_spill *s, size_t len, uint64_t *offset);
int nd_spill_write(nd_spill *s, uint64_t offset, const void *data, size_t len);
/* Reads len bytes at offset into buf. */
int nd_spill_read(nd_spill *s, uint64_t offset, void *buf, size_t len);
/* Reads at least min and at most max bytes at offset into buf (fewer than max where its
 * file ends): *got of them. For a reader that takes what follows too, in one call. */
int nd_spill_read_upto(nd_spill *s, uint64_t offset, void *buf, size_t min, size_t max,
                       size_t *got);

/* After an append or read returned ND_EIO: the errno of the first failure (ENOSPC for a
 * full disk), and the directory of the files, for the message. */
/* The len bytes at offset, read where they lie: a read-only mapping of the file, valid
 * until nd_spill_close. Only for bytes already written. NULL on failure (ND_EIO, see
 * nd_spill_error). Reading a sketch many times this way costs no copy and no system
 * call after the first. */
const void *nd_spill_view(nd_spill *s, uint64_t offset, size_t len);
/* Lets the system take back the pages of the mappings (the views stay valid: a page is
 * read again when touched), so that they do not pile up in the process's memory. */
void nd_spill_drop_views(nd_spill *s);

/* Every file's mapping as it is now, for views without the lock nd_spill_view takes: for
 * a stage that reads many small records on several threads while nothing is appended.
 * The mappings stay until nd_spill_close (nd_spill_drop_views only lets their pages go). */
#define ND_SPILL_LANES 16
#define ND_SPILL_LANE_SHIFT 59 /* an offset holds its file in its top bits */
typedef struct nd_spill_map {
    const unsigned char *p[ND_SPILL_LANES];
    uint64_t n[ND_SPILL_LANES];
} nd_spill_map;
int nd_spill_map_all(nd_spill *s, nd_spill_map *m);

/* The len bytes at offset in m, or NULL when m does not hold them all. */
static inline const void *nd_spill_map_view(const nd_spill_map *m, uint64_t offset, size_t len)
{
    const unsigned lane = (unsigned)(offset >> ND_SPILL_LANE_SHIFT);
    const uint64_t at = offset & (((uint64_t)1 << ND_SPILL_LANE_SHIFT) - 1);
    return at + len <= m->n[lane] ? m->p[lane] + at : NULL;
}

/* The bytes appended to all the files so far. */
uint64_t nd_spill_bytes(nd_spill *s);

int nd_spill_error(nd_spill *s);
const char *nd_spill_dir(const nd_spill *s);

/* Appends gathered in memory and written in one go: one system call and one
 * lock per megabyte instead of per document. Offsets are filled in at flush. */
typedef struct nd_spill_batch {
    unsigned char *data;
    size_t len, cap;
    struct nd_spill_fixup {
        uint64_t *offset; /* where the record's offset goes */
        size_t at;        /* the record's place in data */
    } * fixups;
    size_t n_fixups, fixups_cap;
} nd_spill_batch;

/* Adds len bytes; *offset is set when the batch is flushed (it may be now). */
int nd_spill_batch_add(nd_spill *s, nd_spill_batch *b, const void *data, size_t len,
                       uint64_t *offset);
/* Writes what the batch holds and fills in the offsets. */
int nd_spill_batch_flush(nd_spill *s, nd_spill_batch *b);
void nd_spill_batch_dispose(nd_spill *s, nd_spill_batch *b);

#endif
