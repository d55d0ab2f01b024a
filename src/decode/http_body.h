/*
 * http_body.h: an HTTP message body as a crawler stored it (chunked, gzip, deflate,
 * brotli) -> the body the server meant.
 */
#ifndef ND_HTTP_BODY_H
#define ND_HTTP_BODY_H

#include <stddef.h>
#include <stdint.h>

/* The codings applied to a body, in the order they were applied, four bits each from the
 * lowest; 0 when none. */
typedef uint16_t nd_http_codings;
enum { ND_CODING_CHUNKED = 1, ND_CODING_GZIP, ND_CODING_DEFLATE, ND_CODING_BROTLI };

/* Reads the Content-Encoding and Transfer-Encoding header values (either may be "" or
 * "identity") into *codings. ND_EFORMAT with why naming it for a coding neardup cannot
 * undo ("compress") or more than four. */
int nd_http_codings_parse(const char *content_encoding, const char *transfer_encoding,
                          nd_http_codings *codings, char *why, size_t why_len);

/* Undoes codings on body[0..len): the decoded body into *out (of *cap bytes, grown as
 * needed), *out_len bytes; *tmp (of *tmp_cap) is scratch for a body of several codings.
 * ND_EFORMAT with why saying what is wrong and where; ND_EINVAL when the decoded body
 * would exceed limit bytes. */
int nd_http_body_decode(const unsigned char *body, size_t len, nd_http_codings codings,
                        uint64_t limit, unsigned char **out, size_t *cap, size_t *out_len,
                        unsigned char **tmp, size_t *tmp_cap, char *why, size_t why_len);

#endif
