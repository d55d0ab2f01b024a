/*
 * warc.h: WARC and WET files -> the text records they hold.
 */
#ifndef ND_WARC_H
#define ND_WARC_H

#include "decode/http_body.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nd_warc_record {
    const char *id;   /* WARC-Record-ID, NUL-terminated, borrowed for the callback */
    const char *url;  /* WARC-Target-URI or "" */
    const char *date; /* WARC-Date or "" */
    size_t text_off;  /* the text: data[text_off .. text_off + text_len), an HTTP body
                         still in its codings */
    size_t text_len;
    nd_http_codings codings; /* of a response's body: chunked, gzip, deflate, br */
    bool html;               /* its Content-Type is text/html or application/xhtml+xml */
    const char *charset;     /* the charset parameter of its Content-Type, or "" */
    const char *problem;     /* why the record cannot be read (a body coding neardup does
                                not know), or NULL */
} nd_warc_record;

/* Called for each text record; a negative return stops the walk with that code. */
typedef int (*nd_warc_fn)(const nd_warc_record *rec, void *payload);

/* Whether the bytes start like a WARC file. */
bool nd_warc_sniff(const unsigned char *data, size_t len);

/* Walks data[0..len): conversion and resource records, and response records whose HTTP
 * payload is text (a record with a problem is given to fn all the same, to report). Returns 0, a
 * callback's error, or ND_EFORMAT with *bad_offset and why naming the first malformed record (the
 * records before it were already delivered). *n_skipped counts records passed over (requests,
 * metadata, non-text payloads). */
int nd_warc_walk(const unsigned char *data, size_t len, nd_warc_fn fn, void *payload,
                 uint64_t *n_skipped, int64_t *bad_offset, char *why, size_t why_len);

#endif
