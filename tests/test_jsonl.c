/*
 * test_jsonl.c: the fast JSON reader answers exactly as jansson, or leaves the line to it;
 * files are cut into lines as bytes in memory are.
 */
#include "input/jsonl.h"
#include "input/corpus.h"
#include "input/jsonl_cut.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reading {
    int rc;
    unsigned char *text;
    size_t cap, len;
    char *id;
} reading;

static reading read_fast(const char *line, const char *id_key, const char *text_key)
{
    reading r = {0};
    r.rc = nd_jsonl_parse_fast((const unsigned char *)line, strlen(line), id_key, text_key, &r.text,
                               &r.cap, &r.len, &r.id);
    return r;
}

static reading read_jansson(const char *line, const char *id_key, const char *text_key)
{
    reading r = {0};
    char why[256];
    r.rc = nd_jsonl_parse_jansson((const unsigned char *)line, strlen(line), id_key, text_key,
                                  &r.text, &r.cap, &r.len, &r.id, why, sizeof(why));
    return r;
}

static void reading_free(reading *r)
{
    free(r->text);
    free(r->id);
}

/* The fast reader answers this line itself, with jansson's text and id. */
static void expect_fast_answer(const char *line, const char *id_key, const char *text_key)
{
    reading fast = read_fast(line, id_key, text_key), slow = read_jansson(line, id_key, text_key);
    cr_assert_eq(fast.rc, 0, "fast reader answers: %s", line);
    cr_assert_eq(slow.rc, 0, "jansson accepts: %s", line);
    cr_assert_eq(fast.len, slow.len, "text length: %s", line);
    cr_assert_eq(memcmp(fast.text, slow.text, fast.len), 0, "text: %s", line);
    cr_assert_eq(!fast.id, !slow.id, "id presence: %s", line);
    if (fast.id)
        cr_assert_str_eq(fast.id, slow.id, "id: %s", line);
    reading_free(&fast);
    reading_free(&slow);
}

/* The fast reader leaves this line to jansson. */
static void expect_deferred(const char *line, const char *id_key, const char *text_key)
{
    reading fast = read_fast(line, id_key, text_key);
    cr_assert_eq(fast.rc, ND_JSONL_DEFER, "deferred to jansson: %s", line);
    reading_free(&fast);
}

Test(jsonl, fast_reader_gives_jansson_answers)
{
    expect_fast_answer("{\"id\": \"a1\", \"text\": \"hello world\"}", "id", "text");
    expect_fast_answer(" {\"text\":\"\",\"id\":7}\r", "id", "text");
    expect_fast_answer("{\"id\": -12, \"text\": \"x\", \"n\": [1, 2.5e-3, -0, true, null, {}]}",
                       "id", "text");
    expect_fast_answer("{\"text\": \"\\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\u0627 "
                       "\\ud83d\\ude00\"}",
                       "id", "text");
    expect_fast_answer("{\"text\": \"\\u0000 nul inside\"}", "id", "text");
    expect_fast_answer("{\"text\": \"قال الرئيس «مرحبا»\", \"title\": \"عنوان\"}", "id", "text");
    expect_fast_answer("{\"meta\": {\"id\": \"m\", \"x\": [\"t\"]}, \"body\": {\"text\": \"b\"}}",
                       "meta.id", "body.text");
    expect_fast_answer("{\"doc\": {\"id\": \"both\", \"text\": \"nested\"}}", "doc.id", "doc.text");
    expect_fast_answer("{\"id\": null, \"text\": \"no usable id\"}", "nothing", "text");
}

Test(jsonl, fast_reader_defers_what_it_does_not_model)
{
    expect_deferred("{\"text\": \"a\", \"text\": \"b\"}", "id", "text"); /* repeated key */
    expect_deferred("{\"te\\u0078t\": \"escaped key\"}", "id", "text");
    expect_deferred("{\"id\": 1.5, \"text\": \"real id\"}", "id", "text");
    expect_deferred("{\"id\": -0, \"text\": \"minus zero id\"}", "id", "text");
    expect_deferred("{\"id\": 12345678901234567890, \"text\": \"long id\"}", "id", "text");
    expect_deferred("{\"id\": \"a\\u0000b\", \"text\": \"nul in id\"}", "id", "text");
    /* jansson rejects numbers beyond 64-bit integers and doubles, wherever they are */
}

Test(jsonl, fast_reader_defers_every_error)
{
    static const char *const bad[] = {
        "",
        "[]",
        "\"text\"",
        "{\"text\": 5}",
        "{\"other\": \"x\"}",
        "{\"text\": \"x\"",
        "{\"text\": \"x\"} trailing",
        "{\"text\": \"\\ud800\"}",
        "{\"text\": \"\\udc00 x\"}",
        "{\"text\": \"\\ud800\\u0041\"}",
        "{\"text\": \"bad \\x escape\"}",
        "{\"text\": \"raw\tcontrol\"}",
        "{\"text\": \"\xc3\x28 invalid utf-8\"}",
        "{\"text\": \"\xed\xa0\x80 surrogate in utf-8\"}",
        "{\"text\": \"x\", \"n\": 01}",
        "{\"text\": \"x\", \"n\": 1.}",
        "{\"text\": \"x\", \"n\": tru}",
        "{\"text\": \"x\",}",
        "{'text': 'x'}",
        "{\"text\": \"x\", \"n\": [1,]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        expect_deferred(bad[i], "id", "text");
        reading slow = read_jansson(bad[i], "id", "text");
        cr_expect_eq(slow.rc, ND_EFORMAT, "jansson reports it: %s", bad[i]);
        reading_free(&slow);
    }
}

Test(jsonl, deep_nesting_goes_to_jansson)
{
    char line[1000] = "{\"text\": \"x\", \"deep\": ";
    for (int i = 0; i < 100; i++)
        strcat(line, "[");
    for (int i = 0; i < 100; i++)
        strcat(line, "]");
    strcat(line, "}");
    expect_deferred(line, "id", "text");
    reading slow = read_jansson(line, "id", "text");
    cr_expect_eq(slow.rc, 0, "jansson reads 100 levels");
    reading_free(&slow);
}

/* Every byte position of a long string, with a valid or broken sequence put there:
 * the block-wise check of plain text must agree with jansson across block edges. */
Test(jsonl, sequences_at_every_position_agree_with_jansson)
{
    static const char *const inserts[] = {
        "\xc3\x28", "\x80",    "\xd8", "\xe2\x80\x9c", "\xf0\x9f\x98\x80", "\xc0\xaf", "\"",
        "\\\\",     "\\u0627", "\x1f", "\x7f",         "\xed\xa0\x80",     "\xd8\xa7",
    };
    const char *body = "قال abc الرئيس de «مرحبا» ok قال الرئيس hello world";
    for (size_t k = 0; k < sizeof(inserts) / sizeof(*inserts); k++) {
        for (size_t at = 0; at <= strlen(body); at++) {
            char line[512];
            snprintf(line, sizeof(line), "{\"text\": \"%.*s%s%s\"}", (int)at, body, inserts[k],
                     body + at);
            reading fast = read_fast(line, "id", "text"), slow = read_jansson(line, "id", "text");
            if (slow.rc != 0) {
                cr_assert_eq(fast.rc, ND_JSONL_DEFER, "insert %zu at %zu", k, at);
            } else if (fast.rc == 0) {
                cr_assert_eq(fast.len, slow.len, "insert %zu at %zu", k, at);
                cr_assert_eq(memcmp(fast.text, slow.text, fast.len), 0, "insert %zu at %zu", k, at);
            }
            reading_free(&fast);
            reading_free(&slow);
        }
    }
}

/* RFC 8259 sets no limit on numbers: a line whose unrelated key holds one beyond what
 * jansson takes (a 64-bit integer, a double) is read all the same, not skipped. */
Test(jsonl, numbers_of_any_size_in_other_keys)
{
    static const char *const lines[] = {
        "{\"text\": \"x\", \"n\": -88888888888888888888888}",
        "{\"text\": \"x\", \"n\": 1e999}",
        "{\"id\": \"a\", \"n\": 123456789012345678901234567890, \"text\": \"x\"}",
        "{\"text\": \"x\", \"deep\": [{\"v\": 1.5e-400}]}",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
        reading fast = read_fast(lines[i], "id", "text");
        cr_assert_eq(fast.rc, 0, "read: %s", lines[i]);
        cr_assert_eq(fast.len, 1);
        cr_assert_eq(fast.text[0], 'x');
        reading_free(&fast);
        cr_assert(nd_jsonl_is_object((const unsigned char *)lines[i], strlen(lines[i])),
                  "recognized as JSONL: %s", lines[i]);
    }
}

/* An id holding a NUL character is kept whole, the NUL written \u0000. */
Test(jsonl, an_id_with_a_nul_is_kept_whole)
{
    const char *line = "{\"id\": \"a\\u0000b\", \"text\": \"x\"}";
    reading slow = read_jansson(line, "id", "text");
    cr_assert_eq(slow.rc, 0);
    cr_assert_str_eq(slow.id, "a\\u0000b");
    reading_free(&slow);
}

/* The lines of bytes[0..len) cut from a file on threads threads, as the listing does. */
static void cut_file(const char *bytes, size_t len, int threads, nd_cut_line **lines, size_t *n)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    cr_assert_eq(fflush(f), 0);
    uint64_t error_at;
    cr_assert_eq(nd_cut_lines(fileno(f), 0, len, threads, lines, n, &error_at), 0);
    fclose(f);
}

/* Lines longer than the cutter's 256 KiB block (blank or not, first after a byte order
 * mark, last without a newline) are followed to their end without being held, and cut as
 * the cutter of bytes held in memory cuts them. */
Test(jsonl, long_lines_are_cut_as_in_memory)
{
    static const size_t lengths[] = {0, 1, 262143, 262144, 262145, 600000, 5, 1048576};
    const size_t cap = 8u << 20;
    char *bytes = malloc(cap);
    srand(7);
    for (int round = 0; round < 6; round++) {
        size_t len = 0;
        if (round % 2)
            len += (size_t)sprintf(bytes, "\xEF\xBB\xBF");
        for (int i = 0; i < 12; i++) {
            const size_t n = lengths[rand() % 8];
            const char fill = rand() % 3 == 0 ? ' ' : 'x';
            memset(bytes + len, fill, n);
            if (n > 2 && rand() % 2)
                bytes[len + n / 2] = 'y'; /* a blank-looking line with one letter inside */
            len += n;
            if (i < 11 || round < 3)
                bytes[len++] = rand() % 4 == 0 ? '\r' : '\n';
        }
        nd_cut_line *want, *got;
        size_t n_want, n_got;
        cr_assert_eq(nd_cut_buffer((const unsigned char *)bytes, len, &want, &n_want), 0);
        for (int threads = 1; threads <= 3; threads += 2) {
            cut_file(bytes, len, threads, &got, &n_got);
            cr_assert_eq(n_got, n_want, "round %d, %d threads", round, threads);
            for (size_t i = 0; i < n_want; i++) {
                cr_assert_eq(got[i].offset, want[i].offset, "round %d line %zu", round, i);
                cr_assert_eq(got[i].length, want[i].length, "round %d line %zu", round, i);
                cr_assert_eq(got[i].line, want[i].line, "round %d line %zu", round, i);
            }
            free(got);
        }
        free(want);
    }
    free(bytes);
}
