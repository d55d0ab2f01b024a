/*
 * charset.h: which charset a document's bytes are in, and converting them to UTF-8
 * with each character mapped to the bytes it came from (ICU's converters and detector).
 */
#ifndef ND_CHARSET_H
#define ND_CHARSET_H

#include "decode/offset_map.h"

/* A charset by number: ND_CHARSET_UTF8 (the bytes are read as they are), else 1 + its
 * place in ICU's list of converters, the same in every thread of a process. */
typedef uint16_t nd_charset;
#define ND_CHARSET_UTF8 0
#define ND_CHARSET_UNKNOWN UINT16_MAX /* a name ICU does not know */

/* The charset a label names, as the WHATWG Encoding Standard reads labels in HTML
 * (latin1 and ascii are windows-1252, gb2312 and gbk are gb18030); UTF-8 labels give
 * ND_CHARSET_UTF8, UTF-16 ones too when from_html (a page that says so is not). */
nd_charset nd_charset_find(const char *label, bool from_html);

/* Its name, as ICU calls it ("windows-1256"); "UTF-8" for ND_CHARSET_UTF8. */
const char *nd_charset_name(nd_charset cs);

/* The charset a byte order mark (UTF-8, UTF-16, UTF-32) at the start of bytes names,
 * with the mark's length, else ND_CHARSET_UNKNOWN (*bom_len 0). */
nd_charset nd_charset_of_bom(const unsigned char *bytes, size_t len, size_t *bom_len);

/* The charset of an HTML page's <meta charset> or <meta http-equiv="Content-Type">
 * within its first 1,024 bytes: its label copied into label (NUL-terminated), true when
 * one was found. */
bool nd_charset_in_meta(const unsigned char *bytes, size_t len, char *label, size_t label_len);

/* Whether bytes that hold invalid UTF-8 are mostly not UTF-8: more invalid bytes than
 * valid sequences of two bytes or more. */
bool nd_bytes_mostly_not_utf8(const unsigned char *bytes, size_t len);

/* What one thread keeps to convert and detect: ICU's converter and detector. */
typedef struct nd_converter nd_converter;
int nd_converter_new(nd_converter **out);
void nd_converter_free(nd_converter *cv);

/* ICU's guess at the charset of bytes that are not UTF-8 (2 KB of their words that hold
 * bytes outside ASCII): the charset and ICU's confidence (0 to 100), passing over EBCDIC
 * and visual Hebrew; ND_CHARSET_UTF8 when it finds none it can use. */
nd_charset nd_charset_detect(nd_converter *cv, const unsigned char *bytes, size_t len,
                             int *confidence);

/* Converts bytes[0..len) from cs to UTF-8 into *out (of *cap bytes, grown): *out_len
 * bytes, and in map where each character came from. The first bom_len bytes are a byte
 * order mark: a character of no text. Bytes that are not characters of cs become U+FFFD
 * (or cs's substitute). */
int nd_charset_convert(nd_converter *cv, nd_charset cs, const unsigned char *bytes, size_t len,
                       size_t bom_len, unsigned char **out, size_t *cap, size_t *out_len,
                       nd_offset_map *map);

#endif
