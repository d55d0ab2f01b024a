/*
 * test_decode.c: stage 1 of a document from a crawl: HTTP bodies (http_body.c), the
 * offset map (offset_map.c), charsets (charset.c), HTML pages (html_text.c) and the view
 * that joins them (text_view.c).
 */
#include "decode/http_body.h"
#include "decode/text_view.h"

#include <brotli/encode.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---------------------------------------------------------------- HTTP bodies */

static int decode(const void *in, size_t len, nd_http_codings codings, uint64_t limit,
                  unsigned char **out, size_t *out_len)
{
    unsigned char *tmp = NULL;
    size_t cap = 0, tmp_cap = 0;
    char why[160];
    *out = NULL;
    const int rc = nd_http_body_decode(in, len, codings, limit, out, &cap, out_len, &tmp, &tmp_cap,
                                       why, sizeof(why));
    free(tmp);
    return rc;
}

static const char body_text[] = "The body of a page, long enough to be compressed for real: "
                                "the body of a page, the body of a page, the body of a page.";

static size_t gzip_of(const char *s, unsigned char *out, size_t cap, int window_bits)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)s;
    z.avail_in = (uInt)strlen(s);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

Test(http_body, codings_are_read_in_the_order_they_were_applied)
{
    nd_http_codings c;
    char why[160];
    cr_assert_eq(nd_http_codings_parse("gzip", "chunked", &c, why, sizeof(why)), 0);
    cr_assert_eq(c, ND_CODING_GZIP | ND_CODING_CHUNKED << 4);
    cr_assert_eq(nd_http_codings_parse("identity", "", &c, why, sizeof(why)), 0);
    cr_assert_eq(c, 0);
    cr_assert_eq(nd_http_codings_parse("compress", "", &c, why, sizeof(why)), ND_EFORMAT);
    cr_assert(strstr(why, "compress"), "%s", why);
}

Test(http_body, chunks_with_crlf_or_lf_and_extensions)
{
    const char chunked[] = "5;ext=1\r\nhello\r\n1\n \n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n";
    unsigned char *out;
    size_t len;
    cr_assert_eq(decode(chunked, strlen(chunked), ND_CODING_CHUNKED, 1000, &out, &len), 0);
    cr_assert_eq(len, 11);
    cr_assert_arr_eq(out, "hello world", 11);
    free(out);
    const char cut[] = "5\r\nhello\r\n9\r\nwor";
    cr_assert_eq(decode(cut, strlen(cut), ND_CODING_CHUNKED, 1000, &out, &len), ND_EFORMAT);
    free(out);
}

Test(http_body, gzip_deflate_and_brotli)
{
    unsigned char packed[512], *out;
    size_t len, n = strlen(body_text);
    const struct {
        nd_http_codings coding;
        int window_bits;
    } cases[] = {{ND_CODING_GZIP, 15 + 16}, {ND_CODING_DEFLATE, 15}, {ND_CODING_DEFLATE, -15}};
    for (size_t i = 0; i < 3; i++) {
        const size_t packed_len = gzip_of(body_text, packed, sizeof(packed), cases[i].window_bits);
        cr_assert_eq(decode(packed, packed_len, cases[i].coding, 1000, &out, &len), 0, "case %zu",
                     i);
        cr_assert_eq(len, n);
        cr_assert_arr_eq(out, body_text, n);
        free(out);
        /* cut short: an error, not a shorter body */
        cr_assert_eq(decode(packed, packed_len / 2, cases[i].coding, 1000, &out, &len), ND_EFORMAT);
        free(out);
    }
    size_t br_len = sizeof(packed);
    cr_assert(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, n, (const uint8_t *)body_text, &br_len,
                                    packed));
    cr_assert_eq(decode(packed, br_len, ND_CODING_BROTLI, 1000, &out, &len), 0);
    cr_assert_arr_eq(out, body_text, n);
    free(out);
    /* larger than the limit once decoded */
    cr_assert_eq(decode(packed, br_len, ND_CODING_BROTLI, 10, &out, &len), ND_EINVAL);
    free(out);
}

Test(http_body, gzip_inside_chunks)
{
    unsigned char packed[512], chunked[1024], *out;
    const size_t packed_len = gzip_of(body_text, packed, sizeof(packed), 15 + 16);
    int n = sprintf((char *)chunked, "%zx\r\n", packed_len);
    memcpy(chunked + n, packed, packed_len);
    n += (int)packed_len;
    n += sprintf((char *)chunked + n, "\r\n0\r\n\r\n");
    size_t len;
    cr_assert_eq(
        decode(chunked, (size_t)n, ND_CODING_GZIP | ND_CODING_CHUNKED << 4, 1000, &out, &len), 0);
    cr_assert_arr_eq(out, body_text, strlen(body_text));
    free(out);
}

/* ---------------------------------------------------------------- the offset map */

Test(offset_map, copies_merge_and_atoms_keep_their_bytes)
{
    nd_offset_map m = {0};
    /* text "a&b\nc" from "<p>a&amp;b</p><p>c": copy a, atom &amp;, copy b, break, copy c */
    cr_assert_eq(nd_map_copy(&m, 3, 1, 0), 0);
    cr_assert_eq(nd_map_atom(&m, 4, 5, 1, 0), 0);
    cr_assert_eq(nd_map_copy(&m, 9, 1, 0), 0);
    cr_assert_eq(nd_map_atom(&m, 14, 0, 1, 0), 0);
    cr_assert_eq(nd_map_copy(&m, 17, 1, 0), 0);
    cr_assert_eq(m.text_len, 5);
    nd_map_cursor hint = {0};
    cr_assert_eq(nd_map_start(&m, &hint, 0), 3);
    cr_assert_eq(nd_map_end(&m, &hint, 3), 10);   /* "a&b" ends after b */
    cr_assert_eq(nd_map_start(&m, &hint, 4), 17); /* c */
    cr_assert_eq(nd_map_end(&m, &hint, 5), 18);
    uint32_t from, to;
    nd_map_text_span(&m, 3, 10, &from, &to);
    cr_assert_eq(from, 0);
    cr_assert_eq(to, 3);
    nd_map_text_span(&m, 4, 18, &from, &to);
    cr_assert_eq(from, 1);
    cr_assert_eq(to, 5);
    nd_map_dispose(&m);
}

/* ---------------------------------------------------------------- charsets */

Test(charset, labels_as_browsers_read_them)
{
    cr_assert_eq(nd_charset_find("UTF-8", false), ND_CHARSET_UTF8);
    cr_assert_eq(nd_charset_find("utf-16", true), ND_CHARSET_UTF8);
    cr_assert_str_eq(nd_charset_name(nd_charset_find(" Windows-1256 ", false)), "windows-1256");
    cr_assert_str_eq(nd_charset_name(nd_charset_find("latin1", false)), "windows-1252");
    cr_assert_str_eq(nd_charset_name(nd_charset_find("gb2312", false)), "GB18030");
    cr_assert_eq(nd_charset_find("no-such-charset", false), ND_CHARSET_UNKNOWN);
    char label[64];
    const char page[] = "<html><head><META http-equiv=\"Content-Type\" "
                        "content=\"text/html; charset=windows-1256\">";
    cr_assert(nd_charset_in_meta((const unsigned char *)page, strlen(page), label, sizeof(label)));
    cr_assert_str_eq(label, "windows-1256");
    const char short_form[] = "<meta charset='shift_jis'/>";
    cr_assert(nd_charset_in_meta((const unsigned char *)short_form, strlen(short_form), label,
                                 sizeof(label)));
    cr_assert_str_eq(label, "shift_jis");
}

Test(charset, byte_order_marks)
{
    const struct {
        const char *bytes;
        size_t len, bom_len;
        const char *name;
    } marks[] = {{"\xef\xbb\xbfx", 4, 3, "UTF-8"},
                 {"\xff\xfex\0", 4, 2, "UTF-16LE"},
                 {"\xfe\xff\0x", 4, 2, "UTF-16BE"},
                 {"\xff\xfe\0\0x\0\0\0", 8, 4, "UTF-32LE"},
                 {"\0\0\xfe\xff\0\0\0x", 8, 4, "UTF-32BE"}};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t bom_len;
        const nd_charset cs =
            nd_charset_of_bom((const unsigned char *)marks[i].bytes, marks[i].len, &bom_len);
        cr_assert_eq(bom_len, marks[i].bom_len, "%s", marks[i].name);
        cr_assert_str_eq(nd_charset_name(cs), marks[i].name);
    }
}

Test(charset, each_character_keeps_its_bytes)
{
    /* "AB" then alef, beh in windows-1256 (one byte each), then "." */
    const unsigned char bytes[] = {'A', 'B', ' ', 0xC7, 0xC8, '.'};
    nd_converter *cv;
    cr_assert_eq(nd_converter_new(&cv), 0);
    unsigned char *out = NULL;
    size_t cap = 0, len;
    nd_offset_map m = {0};
    cr_assert_eq(nd_charset_convert(cv, nd_charset_find("windows-1256", false), bytes,
                                    sizeof(bytes), 0, &out, &cap, &len, &m),
                 0);
    cr_assert_eq(len, 8);
    cr_assert_arr_eq(out, "AB \xd8\xa7\xd8\xa8.", 8);
    nd_map_cursor hint = {0};
    cr_assert_eq(nd_map_start(&m, &hint, 3), 3); /* alef */
    cr_assert_eq(nd_map_end(&m, &hint, 7), 5);   /* after beh */
    cr_assert_eq(nd_map_chars_before(&m, 5), 5); /* A B space alef beh */
    int confidence;
    cr_assert_eq(nd_bytes_mostly_not_utf8(bytes, sizeof(bytes)), true);
    cr_assert_eq(nd_bytes_mostly_not_utf8(out, len), false);
    (void)nd_charset_detect(cv, bytes, sizeof(bytes), &confidence);
    free(out);
    nd_map_dispose(&m);
    nd_converter_free(cv);
}

/* ---------------------------------------------------------------- HTML */

static char *page_text(const char *page, bool main_only, nd_offset_map *m)
{
    nd_html_parser *p;
    cr_assert_eq(nd_html_parser_new(&p), 0);
    unsigned char *out = NULL;
    size_t cap = 0, len;
    cr_assert_eq(nd_html_to_text(p, (const unsigned char *)page, strlen(page), main_only, &out,
                                 &cap, &len, m),
                 0);
    nd_html_parser_free(p);
    out = realloc(out, len + 1);
    out[len] = '\0';
    return (char *)out;
}

Test(html, text_without_scripts_styles_and_comments)
{
    const char page[] = "<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head>"
                        "<body><script>var a=1;</script><p>one &amp; two</p><!-- x -->"
                        "<div>th<b>re</b>e<br>four</div></body></html>";
    nd_offset_map m = {0};
    char *text = page_text(page, false, &m);
    cr_assert_str_eq(text, "one & two\nthree\nfour");
    /* "two" maps to its bytes, "three" spans its <b> */
    nd_map_cursor hint = {0};
    const char *two = strstr(page, "two"), *three = strstr(page, "th<b>");
    cr_assert_eq(nd_map_start(&m, &hint, 6), (uint32_t)(two - page));
    cr_assert_eq(nd_map_end(&m, &hint, 9), (uint32_t)(two - page + 3));
    cr_assert_eq(nd_map_start(&m, &hint, 10), (uint32_t)(three - page));
    cr_assert_eq(nd_map_end(&m, &hint, 15), (uint32_t)(three - page + 12));
    free(text);
    nd_map_dispose(&m);
}

/* The first word of page text t, and where the map puts it. */
static uint32_t first_word_at(const char *page, const char *word)
{
    nd_offset_map m = {0};
    char *text = page_text(page, false, &m);
    const char *at = strstr(text, word);
    cr_assert(at, "%s not in \"%s\"", word, text);
    nd_map_cursor cursor = {0};
    const uint32_t orig = nd_map_start(&m, &cursor, (uint32_t)(at - text));
    free(text);
    nd_map_dispose(&m);
    return orig;
}

Test(html, text_the_parser_joins_keeps_its_place)
{
    /* after a stray end tag, and past </body>, MyHTML adds to a text node it gives no
     * span: each word is still found at its bytes */
    const char stray[] = "<!DOCTYPE html><p>alpha bravo</span> charlie delta</p>";
    cr_assert_eq(first_word_at(stray, "alpha"), (uint32_t)(strstr(stray, "alpha") - stray));
    cr_assert_eq(first_word_at(stray, "charlie"), (uint32_t)(strstr(stray, "charlie") - stray));
    const char past_body[] = "<!DOCTYPE html>\n<html><body>alpha bravo</body>\n</html>\n";
    cr_assert_eq(first_word_at(past_body, "alpha"),
                 (uint32_t)(strstr(past_body, "alpha") - past_body));
}

Test(html, legacy_references_without_a_semicolon)
{
    const char page[] = "<!DOCTYPE html><p>&copy2024\r\nalpha bravo zz&ampxy&amp; charlie</p>";
    cr_assert_eq(first_word_at(page, "alpha"), (uint32_t)(strstr(page, "alpha") - page));
    cr_assert_eq(first_word_at(page, "charlie"), (uint32_t)(strstr(page, "charlie") - page));
    cr_assert_eq(first_word_at(page, "2024"), (uint32_t)(strstr(page, "2024") - page));
}

Test(html, nesting_and_joins_past_the_bounds_cost_no_more)
{
    /* 5,000 "<div/>" (each opens a div) and 5,000 stray end tags: the text is all there */
    const size_t n = 5000;
    char *page = malloc(n * 16 + 64);
    size_t len = (size_t)sprintf(page, "<!DOCTYPE html><body>");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(page + len, "<div/>x </q>y ");
    nd_offset_map m = {0};
    char *text = page_text(page, false, &m);
    size_t xs = 0, ys = 0;
    for (const char *t = text; *t; t++)
        xs += *t == 'x', ys += *t == 'y';
    cr_assert_eq(xs, n);
    cr_assert_eq(ys, n);
    free(text);
    free(page);
    nd_map_dispose(&m);
}

Test(html, main_content_drops_the_template)
{
    const char page[] = "<html><body><header><nav><a href=/>Home</a></nav></header>"
                        "<div class=menu><a href=/a>Sports</a> <a href=/b>Weather</a></div>"
                        "<main><article><header><h1>Title</h1></header><p>The story, "
                        "<a href=/c>with a link</a> in its text.</p></article></main>"
                        "<aside>Most read</aside><footer>Copyright</footer></body></html>";
    nd_offset_map m = {0};
    char *all = page_text(page, false, &m), *main = page_text(page, true, &m);
    cr_assert(strstr(all, "Home") && strstr(all, "Sports") && strstr(all, "Copyright"), "%s", all);
    cr_assert_str_eq(main, "Title\nThe story, with a link in its text.");
    free(all);
    free(main);
    nd_map_dispose(&m);
}

Test(html, sniffing_a_page)
{
    const char *pages[] = {"<!DOCTYPE html><p>x", "\xef\xbb\xbf  <!-- c --> <html lang=en>",
                           "<?xml version=\"1.0\"?><!DOCTYPE html>"};
    for (size_t i = 0; i < 3; i++)
        cr_assert(nd_html_sniff((const unsigned char *)pages[i], strlen(pages[i])), "%zu", i);
    const char *texts[] = {"plain text <html> later", "<p>a fragment</p>", "<htmlx>"};
    for (size_t i = 0; i < 3; i++)
        cr_assert(!nd_html_sniff((const unsigned char *)texts[i], strlen(texts[i])), "%zu", i);
}

/* ---------------------------------------------------------------- the view */

Test(text_view, a_legacy_page_maps_words_through_both_maps)
{
    /* <p>&amp; then alef beh in windows-1256 */
    const unsigned char page[] = "<meta charset=windows-1256><p>x &amp; \xC7\xC8 y</p>";
    const size_t len = sizeof(page) - 1;
    nd_view_rules rules = {ND_HTML_AUTO, false, -1};
    nd_view_spec spec;
    nd_view_resolve(&rules, page, len, ND_MARKUP_UNKNOWN, ND_CHARSET_UTF8, false, &spec);
    cr_assert(!spec.html, "no doctype, no <html>: not sniffed as a page");
    nd_view_resolve(&rules, page, len, ND_MARKUP_HTML, ND_CHARSET_UTF8, false, &spec);
    cr_assert(spec.html);
    cr_assert_eq(spec.from, ND_CHARSET_FROM_META);
    nd_text_view v = {0};
    cr_assert_eq(nd_text_view_make(&v, page, len, &spec), 0);
    cr_assert_eq(v.len, 10);
    cr_assert_arr_eq(v.text, "x & \xd8\xa7\xd8\xa8 y", 10);
    nd_token t[] = {{4, 8, 0}, {9, 10, 0}}; /* the Arabic word, y */
    nd_text_view_map_tokens(&v, t, 2);
    const unsigned char *arabic = (const unsigned char *)strstr((const char *)page, "\xC7");
    cr_assert_eq(t[0].start, (uint32_t)(arabic - page));
    cr_assert_eq(t[0].end, (uint32_t)(arabic - page + 2));
    cr_assert_eq(t[1].start, (uint32_t)(arabic - page + 3));
    cr_assert_eq(nd_text_view_chars_before(&v, page, t[1].start), (uint64_t)(arabic - page + 3));
    nd_text_view_dispose(&v);
}
