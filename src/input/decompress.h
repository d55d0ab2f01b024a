/*
 * decompress.h: gzip and zstd streams -> their bytes, a chunk at a time.
 */
#ifndef ND_DECOMPRESS_H
#define ND_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { ND_PLAIN, ND_GZIP, ND_ZSTD } nd_compression;

/* Which compression the first bytes of a file announce. */
nd_compression nd_sniff_compression(const unsigned char *head, size_t len);

/* Takes the next len bytes of a stream: 0 to go on, ND_SINK_STOP when it wants no more,
 * or an error (< 0) that stops the stream and is returned. */
typedef int (*nd_sink_fn)(const unsigned char *bytes, size_t len, void *payload);
#define ND_SINK_STOP 2

/* nd_decompress_fd's answer for a complete stream followed by zero bytes from
 * *bad_offset on (some writers pad gzip files so; gzip -d ignores them with a warning). */
#define ND_DECOMPRESS_PADDED 1
/* Its answer for a zstd stream decoded whole whose only fault is a frame's checksum, found
 * wrong at *bad_offset: every byte was delivered. */
#define ND_DECOMPRESS_CHECKSUM 3

/* Decompresses what fd holds from its current position (all gzip members, or all zstd
 * frames) into sink. On a truncated or corrupt stream, returns ND_EFORMAT with what
 * was decoded before it delivered and *bad_offset the compressed byte offset where it
 * failed; ND_EIO when reading fd failed (errno set). */
int nd_decompress_fd(nd_compression kind, int fd, nd_sink_fn sink, void *payload,
                     int64_t *bad_offset);

#endif
