/*
 * spill.h: an append-only scratch file for records that need not stay in memory.
 *
 * The file is created in a temporary directory and unlinked at once, so it
 * disappears with the process, however that ends. Appends and reads are
 * thread-safe.
 */
#ifndef ND_SPILL_H
#define ND_SPILL_H

#include <stddef.h>
#include <stdint.h>

typedef struct nd_spill nd_spill;

/* dir NULL: $TMPDIR, else /tmp. */
int nd_spill_open(nd_spill **out, const char *dir);
void nd_spill_close(nd_spill *s); /* NULL is fine */

/* Appends len bytes; *offset gets where they start. */
int nd_spill_append(nd_spill *s, const void *data, size_t len, uint64_t *offset);
/* Reads len bytes at offset into buf. */
int nd_spill_read(nd_spill *s, uint64_t offset, void *buf, size_t len);

/* Bytes appended so far. */
uint64_t nd_spill_size(nd_spill *s);

#endif
