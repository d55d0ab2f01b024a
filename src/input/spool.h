/*
 * spool.h: a stream that can be read only once and in order (a compressed file,
 * standard input, a pipe, a device) -> an unlinked temporary file, read from then on
 * as a plain file is: cut into lines, walked for WARC records, read again for passages.
 */
#ifndef ND_SPOOL_H
#define ND_SPOOL_H

#include "input/decompress.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct nd_spool {
    int fd;             /* the temporary file */
    uint64_t base;      /* where the stream's bytes start in it */
    uint64_t size;      /* bytes of the stream in it */
    bool cut_short;     /* the stream held more than its limit: the rest was not read */
    int64_t bad_offset; /* where a compressed stream failed, or the padding starts */
    bool write_failed;  /* an ND_EIO of the temporary file (errno), not of the input */
} nd_spool;

/* Says from the first bytes of a stream (up to ND_SPOOL_HEAD of them) how many bytes of
 * it to keep at most. */
typedef uint64_t (*nd_spool_limit_fn)(const unsigned char *head, size_t len, void *payload);
#define ND_SPOOL_HEAD 4096

/* Copies what in_fd holds (decompressed when kind says so) into out_fd (a temporary
 * file; several streams may share one) from offset base on, a chunk at a time; the
 * file ends where the stream's bytes end. Returns 0, ND_DECOMPRESS_PADDED,
 * ND_DECOMPRESS_CHECKSUM, ND_EFORMAT for a truncated or corrupt stream (what came
 * before it is kept), ND_EIO (errno set; the bytes before it are kept), ND_ENOMEM. */
int nd_spool_stream(int in_fd, nd_compression kind, int out_fd, uint64_t base,
                    nd_spool_limit_fn limit_of, void *payload, nd_spool *out);

#endif
