/*
 * decompress.h: gzip and zstd streams -> bytes in memory.
 */
#ifndef ND_DECOMPRESS_H
#define ND_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { ND_PLAIN, ND_GZIP, ND_ZSTD } nd_compression;

/* Which compression the first bytes of a file announce. */
nd_compression nd_sniff_compression(const unsigned char *head, size_t len);

/* nd_decompress's answer for a complete stream followed by zero bytes from *bad_offset
 * on (some writers pad gzip files so; gzip -d ignores them with a warning). */
#define ND_DECOMPRESS_PADDED 1

/* Decompresses in[0..len) (all gzip members, or all zstd frames) into *out (malloc'd).
 * On a truncated or corrupt stream, returns ND_EFORMAT with *out holding what was
 * decoded before it and *bad_offset the compressed byte offset where it failed. */
int nd_decompress(nd_compression kind, const unsigned char *in, size_t len, unsigned char **out,
                  size_t *out_len, int64_t *bad_offset);

#endif
