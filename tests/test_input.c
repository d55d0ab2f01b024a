/*
 * test_input.c: the readers: directories, JSONL (plain, gzip, zstd, stdin), bad lines.
 */
#define _GNU_SOURCE /* fseeko */
#include "helpers.h"
#include "neardup.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char jsonl[] =
    "{\"id\":\"a\",\"meta\":{\"k\":\"A1\"},\"body\":{\"t\":\"the quick brown fox jumps over the "
    "lazy dog again and again\"}}\n"
    "{\"id\":\"b\",\"body\":{\"t\":\"the quick brown fox jumps over the lazy dog again and "
    "again!\"}}\n"
    "\n"
    "not json at all\n"
    "{\"id\":\"c\",\"body\":{\"t\":7}}\n"
    "{\"id\":\"d\"}\n"
    "{\"id\":\"e\",\"body\":{\"t\":\"\\ud800 lone surrogate\"}}\n"
    "{\"id\":\"f\",\"body\":{\"t\":\"something else entirely different from all the others\"}}\n";

static char *dir;

static void setup(void)
{
    dir = make_temp_dir();
}

static void teardown(void)
{
    remove_tree(dir);
    free(dir);
}

static void write_in_dir(const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    write_file(path, text, len);
}

static void shell(const char *fmt, const char *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), fmt, arg, arg);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

TestSuite(input, .init = setup, .fini = teardown);

/* Each bad line is named FILE:LINE; good lines are still compared. */
Test(input, jsonl_nested_keys_and_bad_lines)
{
    write_in_dir("n.jsonl", jsonl, sizeof(jsonl) - 1);
    cli_result r = run_cli("-q --id-key meta.k --text-key body.t '%s/n.jsonl'", dir);
    cr_assert_eq(r.status, 3, "bad lines make exit status 3: %s", r.err);
    cr_assert(strstr(r.out, "\"A1\",\""), "nested id key: %s", r.out);
    cr_assert(strstr(r.out, "n.jsonl:2\""), "a line without the id key gets FILE:LINE: %s", r.out);
    cr_assert(strstr(r.err, "n.jsonl:4: error: not JSON"), "%s", r.err);
    cr_assert(strstr(r.err, "n.jsonl:5: error: \"body.t\" is not a string"), "%s", r.err);
    cr_assert(strstr(r.err, "n.jsonl:6: error: no \"body.t\" key"), "%s", r.err);
    cr_assert(strstr(r.err, "n.jsonl:7: error: not JSON"), "lone surrogate escape: %s", r.err);
    cli_result_dispose(&r);
}

/* gzip (one member and several), zstd and stdin give the same pairs as plain JSONL. */
Test(input, compressed_and_stdin_jsonl)
{
    write_in_dir("n.jsonl", jsonl, sizeof(jsonl) - 1);
    shell("gzip -kf '%s/n.jsonl' && zstd -qf '%s/n.jsonl'", dir);
    shell("cd '%s' && head -c 200 n.jsonl | gzip > multi.gz && tail -c +201 n.jsonl | gzip >> "
          "multi.gz",
          dir);
    cli_result plain = run_cli("-q --text-key body.t '%s/n.jsonl'", dir);
    cr_assert(strstr(plain.out, "\"a\",\"b\""), "%s", plain.out);
    const char *variants[] = {"'%s/n.jsonl.gz'", "'%s/n.jsonl.zst'", "- < '%s/n.jsonl'"};
    for (size_t i = 0; i < 3; i++) {
        char args[600];
        snprintf(args, sizeof(args), variants[i], dir);
        cli_result r = run_cli("-q --text-key body.t %s", args);
        cr_assert_str_eq(r.out, plain.out, "%s", args);
        cli_result_dispose(&r);
    }
    cli_result m = run_cli("-q --text-key body.t --input-format jsonl '%s/multi.gz'", dir);
    cr_assert(strstr(m.out, "\"a\",\"b\""), "multi-member gzip: %s", m.out);
    cli_result_dispose(&m);
    cli_result_dispose(&plain);
}

/* A truncated stream is an error with the compressed offset; the lines before it stay. */
Test(input, truncated_gzip_keeps_what_came_before)
{
    write_in_dir("n.jsonl", jsonl, sizeof(jsonl) - 1);
    shell("gzip -kf '%s/n.jsonl' && head -c 150 '%s/n.jsonl.gz' > /dev/null", dir);
    shell("cd '%s' && head -c $(( $(stat -c %%s n.jsonl.gz) - 12 )) n.jsonl.gz > t.jsonl.gz", dir);
    cli_result r = run_cli("-q --text-key body.t '%s/t.jsonl.gz'", dir);
    cr_assert_eq(r.status, 3);
    cr_assert(strstr(r.err, "t.jsonl.gz:"), "%s", r.err);
    cr_assert(strstr(r.err, "truncated or corrupt gzip stream"), "%s", r.err);
    cr_assert(strstr(r.out, "\"a\",\"b\""), "the first lines are still read: %s", r.out);
    cli_result_dispose(&r);
}

/* --dedup-out keeps unique documents and one per cluster, byte for byte, in input order. */
Test(input, dedup_out_writes_kept_lines)
{
    write_in_dir("n.jsonl", jsonl, sizeof(jsonl) - 1);
    cli_result r = run_cli("-q --text-key body.t --dedup-out - '%s/n.jsonl'", dir);
    const char *first = strstr(jsonl, "{\"id\":\"a\"");
    const char *last = strstr(jsonl, "{\"id\":\"f\"");
    char want[1024];
    const size_t n_first = (size_t)(strchr(first, '\n') - first) + 1;
    memcpy(want, first, n_first);
    strcpy(want + n_first, last);
    cr_assert_str_eq(r.out, want);
    cli_result_dispose(&r);
}

/* Directories: sorted walk, ids relative to the directory, nested folders, loops. */
Test(input, directory_walk_ids_and_symlink_loop)
{
    shell("mkdir -p '%s/b/c' && ln -s .. '%s/b/c/up'", dir);
    const char text[] = "one two three four five six seven eight nine ten";
    write_in_dir("b/c/z.txt", text, sizeof(text) - 1);
    write_in_dir("a.txt", text, sizeof(text) - 1);
    cli_result r = run_cli("-q '%s'", dir);
    cr_assert(strstr(r.out, "\"a.txt\",\"b/c/z.txt\",1.0000"), "%s", r.out);
    cr_assert(strstr(r.err, "directory loop"), "%s", r.err);
    cr_assert_eq(r.status, 3, "the loop is an input error: %s", r.err);
    cli_result_dispose(&r);
}

/* A FIFO and a device inside a walked directory: named, skipped, the rest processed,
 * exit status 3. (A device node needs root to make; without it, only the FIFO.) */
Test(input, fifo_and_device_in_a_directory)
{
    const char text[] = "one two three four five six seven eight nine ten";
    write_in_dir("a.txt", text, sizeof(text) - 1);
    write_in_dir("b.txt", text, sizeof(text) - 1);
    shell("mkfifo '%s/pipe' && test -p '%s/pipe'", dir);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mknod '%s/null' c 1 3 2>/dev/null", dir);
    const bool device = system(cmd) == 0; /* root, and a container that allows it */
    cli_result r = run_cli("-q '%s'", dir);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.out, "\"a.txt\",\"b.txt\",1.0000"), "%s", r.out);
    cr_assert(strstr(r.err, "/pipe: error: not a regular file, skipped"), "%s", r.err);
    if (device)
        cr_assert(strstr(r.err, "/null: error: not a regular file, skipped"), "%s", r.err);
    cli_result_dispose(&r);
}

/* A file without read permission (as root, run without CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH, so that permissions apply): named, the rest processed, status 3. */
Test(input, unreadable_file_is_named)
{
    const char text[] = "one two three four five six seven eight nine ten";
    write_in_dir("a.txt", text, sizeof(text) - 1);
    write_in_dir("b.txt", text, sizeof(text) - 1);
    write_in_dir("secret.txt", text, sizeof(text) - 1);
    shell("chmod 000 '%s/secret.txt' && test -f '%s/secret.txt'", dir);
    const char *drop = geteuid() == 0 ? "setpriv --bounding-set=-dac_override,-dac_read_search "
                                        "--inh-caps=-dac_override,-dac_read_search "
                                      : "";
    char probe[1024];
    snprintf(probe, sizeof(probe), "%s sh -c \"! cat '%s/secret.txt'\" 2>/dev/null", drop, dir);
    if (system(probe) != 0)
        cr_skip_test("cannot make a file unreadable here (root without setpriv/CAP_SETPCAP)");
    cli_result r = run_cli_prefixed(drop, "-q '%s'", dir);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.err, "secret.txt: error: Permission denied"), "%s", r.err);
    cr_assert(strstr(r.out, "\"a.txt\",\"b.txt\",1.0000"), "%s", r.out);
    cli_result_dispose(&r);
}

/* Empty and whitespace-only files are counted and never paired. */
Test(input, empty_documents_are_counted)
{
    write_in_dir("e1.txt", "", 0);
    write_in_dir("e2.txt", " \n\t ,. ", 7);
    cli_result r = run_cli("'%s'", dir);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.err, "2 documents") && strstr(r.err, "2 empty"), "%s", r.err);
    cli_result_dispose(&r);
}

/* Writes a WARC record of type typ with the given extra header lines and block. */
static size_t warc_record(char *out, const char *version, const char *typ, const char *headers,
                          const char *block, size_t block_len)
{
    const int n = sprintf(out, "%s\r\nWARC-Type: %s\r\n%sContent-Length: %zu\r\n\r\n", version, typ,
                          headers, block_len);
    memcpy(out + n, block, block_len);
    memcpy(out + (size_t)n + block_len, "\r\n\r\n", 4);
    return (size_t)n + block_len + 4;
}

static const char fox[] = "the quick brown fox jumps over the lazy dog again and again";

/* A small WET file: a warcinfo record, then conversion records; WARC/1.0 and 1.1 alike. */
static size_t make_wet(char *buf, const char *version)
{
    size_t n = warc_record(buf, version, "warcinfo", "WARC-Record-ID: <urn:uuid:info>\r\n",
                           "isPartOf: test\r\n", 16);
    n += warc_record(buf + n, version, "conversion",
                     "WARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: http://a.example/\r\n", fox,
                     sizeof(fox) - 1);
    char http[512];
    const int h = sprintf(http, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n%s!", fox);
    n += warc_record(buf + n, version, "response", "WARC-Record-ID: <urn:uuid:2>\r\n", http,
                     (size_t)h);
    n += warc_record(buf + n, version, "response", "WARC-Record-ID: <urn:uuid:3>\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\nPNG", 48);
    return n;
}

/* WARC/1.0 and /1.1, plain, one gzip member per record, and one gzip stream. */
Test(input, warc_and_wet_records)
{
    char buf[4096], one[4096];
    const char *versions[] = {"WARC/1.0", "WARC/1.1"};
    for (int v = 0; v < 2; v++) {
        const size_t n = make_wet(buf, versions[v]);
        write_in_dir("t.wet", buf, n);
        cli_result r = run_cli("-q --passages - --pairs /dev/null '%s/t.wet'", dir);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "\"<urn:uuid:1>\",0,59,\"<urn:uuid:2>\",0,59"),
                  "offsets are into each record's text: %s", r.out);
        cli_result_dispose(&r);
    }
    /* one gzip member per record, as crawls do */
    size_t n = 0, at = 0;
    n = make_wet(buf, "WARC/1.1");
    write_in_dir("t.warc", buf, n);
    shell("cd '%s' && gzip -c t.warc > single.warc.gz && rm -f multi.warc.gz", dir);
    for (size_t i = 0; i + 8 <= n; i++) {
        if (i > at && !memcmp(buf + i, "WARC/1.1", 8)) {
            memcpy(one, buf + at, i - at);
            write_in_dir("part", one, i - at);
            shell("cd '%s' && gzip -c part >> multi.warc.gz", dir);
            at = i;
        }
    }
    memcpy(one, buf + at, n - at);
    write_in_dir("part", one, n - at);
    shell("cd '%s' && gzip -c part >> multi.warc.gz && rm part t.warc", dir);
    cli_result r = run_cli("-q '%s'", dir);
    cr_assert(strstr(r.out, "\"<urn:uuid:1>\",\"<urn:uuid:2>\""), "%s", r.out);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
}

/* A Content-Length past the end, a header without its empty line, and one too long:
 * named with offsets, each for what it is. */
Test(input, lying_warc_records)
{
    char buf[4096];
    const size_t n = make_wet(buf, "WARC/1.1");
    const char *second = strstr(buf + 10, "WARC/1.1");
    write_in_dir("lying.warc", buf, n);
    shell("sed -i 's/Content-Length: 59/Content-Length: 99999/' '%s/lying.warc'", dir);
    cli_result r = run_cli("-q '%s/lying.warc'", dir);
    cr_assert_eq(r.status, 3);
    char want[128];
    snprintf(want, sizeof(want), "lying.warc:%td: error: Content-Length 99999 runs past",
             second - buf);
    cr_assert(strstr(r.err, want), "%s", r.err);
    cli_result_dispose(&r);
    write_in_dir("cut.warc", "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 3\r\n", 52);
    r = run_cli("-q '%s/cut.warc'", dir);
    cr_assert(strstr(r.err, "cut.warc:0: error: WARC header without its empty line"), "%s", r.err);
    cli_result_dispose(&r);
    static char long_header[70100];
    size_t len = (size_t)snprintf(long_header, sizeof(long_header),
                                  "WARC/1.0\r\nWARC-Type: conversion\r\nX-Long: ");
    memset(long_header + len, 'a', 70000);
    len += 70000;
    len += (size_t)snprintf(long_header + len, sizeof(long_header) - len,
                            "\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n");
    write_in_dir("long.warc", long_header, len);
    r = run_cli("-q '%s/long.warc'", dir);
    cr_assert(strstr(r.err, "long.warc:0: error: WARC header longer than 65536 bytes"), "%s",
              r.err);
    cli_result_dispose(&r);
}

/* Ids taken from the data may repeat: one warning per repeated id. */
Test(input, duplicate_ids_reported)
{
    static const char lines[] =
        "{\"id\":\"a\",\"text\":\"one two\"}\n{\"id\":\"b\",\"text\":\"x\"}\n"
        "{\"id\":\"a\",\"text\":\"three\"}\n{\"id\":\"a\",\"text\":\"four\"}\n";
    write_in_dir("d.jsonl", lines, sizeof(lines) - 1);
    cli_result r = run_cli("-q '%s/d.jsonl'", dir);
    cr_assert_eq(r.status, 0, "a warning, not an error: %s", r.err);
    cr_assert(strstr(r.err, "duplicate id \"a\": 3 documents"), "%s", r.err);
    cr_assert_null(strstr(r.err, "\"b\""), "%s", r.err);
    cli_result_dispose(&r);
}

/* A 50 MB document without a line break and a 1 MB word: processed, offsets exact. */
Test(input, huge_documents, .timeout = 300)
{
    const size_t big = 50u << 20, word = 1u << 20;
    char *text = malloc(big);
    cr_assert_not_null(text);
    static const char sentence[] = "قال الرئيس إن الاجتماع كان مثمرا and the talks went on ";
    for (size_t i = 0; i < big; i++)
        text[i] = sentence[i % (sizeof(sentence) - 1)];
    text[big - 1] = ' ';
    write_in_dir("big1.txt", text, big);
    write_in_dir("big2.txt", text, big);
    memset(text, 'w', word);
    memcpy(text + word, " and the end of it all here", 27);
    write_in_dir("word1.txt", text, word + 27);
    write_in_dir("word2.txt", text, word + 27);
    free(text);
    cli_result r = run_cli("-q --passages - --no-passage-text --pairs /dev/null '%s'", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    csv_table t;
    cr_assert_eq(csv_parse(r.out, &t), 0);
    bool word_found = false;
    for (size_t i = 1; i < t.n_rows; i++) {
        if (!strcmp(csv_get(&t, i, "doc_a"), "word1.txt")) {
            word_found = true;
            cr_assert_str_eq(csv_get(&t, i, "a_start"), "0", "the 1 MB word starts the passage");
            cr_assert_str_eq(csv_get(&t, i, "a_end"), "1048603");
        }
    }
    cr_assert(word_found, "%s", r.out);
    csv_dispose(&t);
    cli_result_dispose(&r);
}

static void gather_diag(const nd_diag *d, void *payload)
{
    char *buf = payload;
    const size_t used = strlen(buf);
    snprintf(buf + used, 4096 - used, "%s: %s\n", d->path, d->message);
}

/* A file that vanishes between listing and reading: not something a CLI run can time,
 * so the library is stopped between the two (nd_corpus_add_path, then nd_corpus_run):
 * the file is named, counted as skipped, and the other documents are still paired. */
Test(input, file_vanishing_between_listing_and_reading)
{
    const char text[] = "one two three four five six seven eight nine ten";
    write_in_dir("a.txt", text, sizeof(text) - 1);
    write_in_dir("b.txt", text, sizeof(text) - 1);
    write_in_dir("gone.txt", text, sizeof(text) - 1);
    char diag[4096] = "", gone[512];
    nd_corpus *c;
    nd_result *r;
    cr_assert_eq(nd_corpus_new(&c, NULL), 0);
    nd_corpus_set_diag(c, gather_diag, diag);
    cr_assert_eq(nd_corpus_add_path(c, dir), 0);
    snprintf(gone, sizeof(gone), "%s/gone.txt", dir);
    cr_assert_eq(unlink(gone), 0);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    cr_assert(strstr(diag, "gone.txt: No such file or directory"), "%s", diag);
    cr_assert_eq(nd_result_stats(r)->n_skipped, 1);
    cr_assert_eq(nd_result_n_pairs(r), 1, "a.txt and b.txt are still paired");
    nd_result_free(r);
    nd_corpus_free(c);
}

/* A JSONL line longer than the listing's 1 MiB blocks is one document, not pieces. */
Test(input, jsonl_line_longer_than_a_block)
{
    const size_t words = 600000; /* "word " x 600,000: a 3 MB text */
    char *line = malloc(words * 5 + 128);
    cr_assert_not_null(line);
    size_t n = (size_t)sprintf(line, "{\"id\": \"big\", \"text\": \"");
    for (size_t i = 0; i < words; i++, n += 5)
        memcpy(line + n, "word ", 5);
    n += (size_t)sprintf(line + n, "\"}\n{\"id\": \"small\", \"text\": \"a small one\"}\n");
    write_in_dir("big.jsonl", line, n);
    free(line);
    cli_result r = run_cli("-v --pairs /dev/null '%s/big.jsonl'", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "neardup: 2 documents (3000011 bytes, 600003 words"), "%s", r.err);
    cr_assert(strstr(r.err, " 0 skipped"), "%s", r.err);
    cli_result_dispose(&r);
}

/* JSONL saved with a byte order mark (as Windows tools do) is still JSONL, and the mark
 * is not part of the first line. */
Test(input, jsonl_with_a_byte_order_mark)
{
    const char text[] =
        "\xEF\xBB\xBF{\"id\":\"a\",\"text\":\"one two three four five six seven\"}\n"
        "{\"id\":\"b\",\"text\":\"one two three four five six seven\"}\n";
    write_in_dir("bom.jsonl", text, sizeof(text) - 1);
    cli_result r = run_cli("-q '%s/bom.jsonl'", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"a\",\"b\",1.0000"), "%s", r.out);
    cli_result_dispose(&r);
}

/* The diagnostics of a run, without the summary's timings. */
static char *diagnostics(const char *err)
{
    char *out = calloc(strlen(err) + 1, 1);
    for (const char *line = err; *line;) {
        const char *end = strchr(line, '\n');
        const size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
        if (strstr(line, ": error: ") && (size_t)(strstr(line, ": error: ") - line) < n)
            strncat(out, line, n);
        line += n;
    }
    return out;
}

/* A JSONL file large enough to be cut on two threads gives the documents, ids and line
 * numbers of one reader: a byte order mark, blank lines, a bad line, a line of 1.5 MB
 * across the middle of the file (where the second part would start), no final newline.
 * Documents are random words, every 50th a copy of the one before (so there are pairs). */
Test(input, jsonl_cut_on_two_threads_as_on_one, .timeout = 120)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/big.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("\xEF\xBB\xBF", f);
    uint64_t rng = 1, doc_seed = 1;
    for (int i = 0; i < 1400; i++) {
        if (i == 700) { /* the long line, after about 4 MB */
            fputs("{\"id\": \"long\", \"text\": \"", f);
            for (int k = 0; k < 300000; k++)
                fputs("word ", f);
            fputs("\"}\n", f);
        }
        if (i % 97 == 10)
            fputs(i % 2 ? "\n" : "  \t\r\n", f);
        if (i % 211 == 30)
            fputs("not json at all\n", f);
        if (i % 50 != 49)
            doc_seed = rng; /* else: the same words as the document before */
        rng = doc_seed;
        fprintf(f, "{\"id\": \"d%04d\", \"text\": \"", i);
        for (int w = 0; w < 1000; w++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            fprintf(f, "w%u ", (unsigned)(rng >> 33) % 5000);
        }
        fputs(i == 1399 ? "\"}" : "\"}\n", f);
    }
    fclose(f);
    cli_result one = run_cli("--threads 1 -v --pairs - '%s'", path);
    cli_result two = run_cli("--threads 2 -v --pairs - '%s'", path);
    cr_assert_eq(one.status, 3, "the bad lines are input errors: %s", one.err);
    cr_assert_eq(two.status, 3, "%s", two.err);
    cr_assert_gt(strlen(one.out), 1000, "pairs of copies: %s", one.out);
    cr_assert_str_eq(two.out, one.out);
    char *d1 = diagnostics(one.err), *d2 = diagnostics(two.err);
    cr_assert(strstr(d1, "big.jsonl:32: error: not JSON"), "%s", d1);
    cr_assert_str_eq(d2, d1);
    const char *summary = "neardup: 1408 documents ("; /* 1401 and 7 bad lines */
    cr_assert(strstr(one.err, summary), "%s", one.err);
    cr_assert_eq(strncmp(strstr(one.err, summary), strstr(two.err, summary), 60), 0,
                 "same documents, bytes and words: %s", two.err);
    free(d1);
    free(d2);
    cli_result_dispose(&one);
    cli_result_dispose(&two);
}

/* What the progress callback was told, from whichever thread called it. */
typedef struct progress_seen {
    pthread_mutex_t lock;
    uint64_t calls, most_docs, bytes_then, total;
} progress_seen;

static void note_progress(uint64_t docs, uint64_t total, uint64_t bytes, void *payload)
{
    progress_seen *p = payload;
    pthread_mutex_lock(&p->lock);
    p->calls++;
    p->total = total;
    if (docs > p->most_docs) {
        p->most_docs = docs;
        p->bytes_then = bytes;
    }
    pthread_mutex_unlock(&p->lock);
}

/* Progress on two threads: every document and byte counted once, the last call saying
 * all were scanned, and a call at most every 64 documents on average. */
Test(input, progress_counts_every_document_once)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threads = 2;
    nd_corpus *c;
    nd_result *r;
    progress_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    uint64_t bytes = 0;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    nd_corpus_set_progress(c, note_progress, &seen);
    for (int i = 0; i < 1000; i++) {
        char id[32], text[128];
        snprintf(id, sizeof(id), "doc%d", i);
        const int n = snprintf(text, sizeof(text), "document %d says %s", i,
                               i % 3 ? "one two three four five six" : "seven eight");
        cr_assert_eq(nd_corpus_add_memory(c, id, text, (size_t)n), 0);
        bytes += (uint64_t)n;
    }
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    cr_assert_eq(seen.total, 1000);
    cr_assert_eq(seen.most_docs, 1000);
    cr_assert_eq(seen.bytes_then, bytes);
    cr_assert(seen.calls >= 1000 / 64 && seen.calls <= 1000 / 64 + 2, "%lu calls",
              (unsigned long)seen.calls);
    nd_result_free(r);
    nd_corpus_free(c);
}

/* File names that are not UTF-8 make distinct ids that give the names back: an invalid
 * byte is written \xHH and a backslash \\. */
Test(input, file_names_make_unique_reversible_ids)
{
    char *names_dir = make_temp_dir();
    const char *const names[] = {"bad\xff.txt", "bad\xfe.txt", "back\\slash.txt", "ok é.txt"};
    const char *const ids[] = {"back\\\\slash.txt", "bad\\xFE.txt", "bad\\xFF.txt", "ok é.txt"};
    for (size_t i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", names_dir, names[i]);
        write_file(path, "some words", 10);
    }
    nd_corpus *c = NULL;
    cr_assert_eq(nd_corpus_new(&c, NULL), 0);
    cr_assert_eq(nd_corpus_add_path(c, names_dir), 0);
    cr_assert_eq(nd_corpus_size(c), 4);
    for (uint32_t i = 0; i < 4; i++) /* in byte order of the names */
        cr_assert_str_eq(nd_corpus_doc_id(c, i), ids[i]);
    nd_corpus_free(c);
    remove_tree(names_dir);
    free(names_dir);
}

/* A zstd stream whose only fault is its checksum keeps every line, as a gzip member
 * with a wrong CRC does, and the error names the offset of the checksum. */
Test(input, zstd_with_a_wrong_checksum_keeps_its_text)
{
    static char lines[128 * 1024];
    size_t len = 0;
    for (int i = 0; i < 2000; i++)
        len += (size_t)snprintf(lines + len, sizeof(lines) - len,
                                "{\"id\":\"%d\",\"text\":\"w%d x y z\"}\n", i, i);
    write_in_dir("c.jsonl", lines, len);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && zstd -qf --check c.jsonl && size=$(stat -c %%s c.jsonl.zst) && "
             "printf '\\377\\377\\377\\377' | dd of=c.jsonl.zst bs=1 seek=$((size - 4)) "
             "conv=notrunc 2>/dev/null",
             dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    cli_result r = run_cli("--pairs /dev/null '%s/c.jsonl.zst'", dir);
    cr_assert_eq(r.status, 3, "an error all the same: %s", r.err);
    cr_assert(strstr(r.err, "zstd"), "%s", r.err);
    cr_assert(strstr(r.err, "neardup: 2000 documents"), "every line is kept: %s", r.err);
    cr_assert_null(strstr(r.err, "not JSON"), "no line is cut: %s", r.err);
    cli_result_dispose(&r);
}

/* A gzip file padded with zero bytes after its last member: a warning, as gzip -d gives,
 * not an error; every line is kept. */
Test(input, gzip_padded_with_zeros_is_a_warning)
{
    write_in_dir("p.jsonl", jsonl, sizeof(jsonl) - 1);
    shell("gzip -kf '%s/p.jsonl' && head -c 512 /dev/zero >> '%s/p.jsonl.gz'", dir);
    cli_result plain = run_cli("-q --text-key body.t --id-key meta.k '%s/p.jsonl'", dir);
    cli_result r = run_cli("-q --text-key body.t --id-key meta.k '%s/p.jsonl.gz'", dir);
    cr_assert_eq(r.status, plain.status, "%s", r.err);
    cr_assert(strstr(r.err, "warning: trailing zero bytes ignored"), "%s", r.err);
    cr_assert_null(strstr(r.err, "gzip stream"), "no error: %s", r.err);
    char *out = r.out, *gz; /* the same pairs, but that FILE:LINE ids name p.jsonl.gz */
    while ((gz = strstr(out, ".gz")) != NULL)
        memmove(gz, gz + 3, strlen(gz + 3) + 1);
    cr_assert_str_eq(r.out, plain.out);
    cli_result_dispose(&plain);
    cli_result_dispose(&r);
}

/* Keeps the last diagnostic's message in payload (512 bytes). */
static void keep_message(const nd_diag *d, void *payload)
{
    snprintf(payload, 512, "%s", d->message);
}

/* A file named on the command line that grows after it was listed (a log being written)
 * is read as it was listed, not until the writer stops, with a warning. */
Test(input, a_file_that_grows_is_read_as_listed)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/grow.txt", dir);
    write_file(path, "one two three four five six\n", 28);
    nd_corpus *c = NULL;
    nd_result *r = NULL;
    char said[512] = "";
    cr_assert_eq(nd_corpus_new(&c, NULL), 0);
    nd_corpus_set_diag(c, keep_message, said);
    cr_assert_eq(nd_corpus_add_path(c, path), 0);
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs("seven eight nine ten\n", f);
    fclose(f);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    cr_assert_eq(nd_result_stats(r)->n_bytes, 28, "read as listed");
    cr_assert_eq(nd_result_stats(r)->n_tokens, 6);
    cr_assert_str_eq(said, "grew to 49 bytes while neardup ran: read as listed, 28 bytes");
    nd_result_free(r);
    nd_corpus_free(c);
}

/* ---------------------------------------------------------------- size limits */

/* Runs cmd (a printf format taking the test directory as its only argument) in sh. */
static void run_in_dir(const char *fmt)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), fmt, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Peak resident size allowed to a run whose documents are all small: the inputs' size has
 * no part in it. Not measured under AddressSanitizer, whose shadow memory and quarantine
 * change every figure. */
#define SMALL_RUN_KB (160 * 1024)
#if defined(__SANITIZE_ADDRESS__)
#define expect_small_run(r) ((void)(r))
#else
#define expect_small_run(r)                                                                        \
    cr_assert_lt((r)->max_rss_kb, SMALL_RUN_KB, "peak %ld KB", (r)->max_rss_kb)
#endif

/* 3 GB of zeros in a 100 KB zstd file: decompressed a chunk at a time, and no further than
 * a byte past --max-doc-size, since it is one document; an error names the file, and the
 * other inputs are processed. It took 6.3 GB when a stream was decompressed whole. */
Test(input, a_decompression_bomb_stops_at_the_size_limit, .timeout = 120)
{
    run_in_dir("head -c 3000000000 /dev/zero | zstd -q -1 -o '%s/bomb.zst'");
    cli_result r = run_cli("--pairs /dev/null '%s/bomb.zst' '%s'", dir, SEEDS_DIR);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.err, "bomb.zst: error: more than --max-doc-size (67108864 bytes), not "
                            "read further, skipped"),
              "%s", r.err);
    cr_assert(strstr(r.err, "neardup: 6 documents"), "the other inputs are read: %s", r.err);
    expect_small_run(&r);
    cli_result_dispose(&r);
}

/* A compressed JSONL file with a 300 MB line between two small ones: the stream is spooled
 * to a temporary file a chunk at a time, the long line skipped with a warning giving its
 * place and size, the others read. */
Test(input, a_long_line_of_compressed_jsonl_is_skipped_not_held, .timeout = 120)
{
    run_in_dir("cd '%s' && { echo '{\"id\":\"a\",\"text\":\"one two three four five six\"}'; "
               "printf '{\"id\":\"long\",\"text\":\"'; head -c 300000000 /dev/zero | tr '\\0' x; "
               "echo '\"}'; echo '{\"id\":\"b\",\"text\":\"one two three four five six\"}'; } "
               "| zstd -q -1 -o long.jsonl.zst");
    cli_result r = run_cli("--pairs - '%s/long.jsonl.zst'", dir);
    cr_assert_eq(r.status, 0, "a warning: %s", r.err);
    cr_assert(strstr(r.err, "long.jsonl.zst:2: warning: 300000023 bytes, more than "
                            "--max-doc-size (67108864 bytes), skipped"),
              "%s", r.err);
    cr_assert(strstr(r.out, "\"a\",\"b\""), "the other lines are read: %s", r.out);
    expect_small_run(&r);
    cli_result_dispose(&r);
}

/* Devices named as inputs are read once, to a byte past --max-doc-size: each is an error
 * naming it, and the other inputs are processed (/dev/zero ran until memory ran out). */
Test(input, devices_are_read_to_the_size_limit, .timeout = 120)
{
    run_in_dir("ln -s /dev/zero '%s/zeros'");
    cli_result r = run_cli_prefixed("timeout 100 ",
                                    "-q --max-doc-size 1M /dev/zero /dev/urandom "
                                    "'%s/zeros' '%s'",
                                    dir, SEEDS_DIR);
    cr_assert_eq(r.status, 3, "%s", r.err);
    static const char *const named[] = {"/dev/zero: error", "/dev/urandom: error", "zeros: error"};
    for (int i = 0; i < 3; i++)
        cr_assert(strstr(r.err, named[i]), "%s in %s", named[i], r.err);
    cr_assert(strstr(r.err, "more than --max-doc-size (1048576 bytes), not read further"), "%s",
              r.err);
    cli_result_dispose(&r);
    r = run_cli("-q --threshold 0.3 --max-doc-size 1M --pairs - /dev/zero '%s' '%s'",
                SEED("000_0890706d309c6b14.txt"), SEED("001_6b51f63e2d89280f.txt"));
    cr_assert(strstr(r.out, "000_0890706d309c6b14.txt"), "the other inputs: %s", r.out);
    cli_result_dispose(&r);
}

/* A WARC record of 5 GB (a sparse file): reported with its offset and size and skipped, the
 * record after it read; the file is walked through a mapping, never read whole (records
 * over 4 GiB were dropped silently, and the file was read into memory). */
Test(input, a_warc_record_over_4_gib_is_reported, .timeout = 60)
{
    static const char head[] = "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:big>\r\n"
                               "Content-Type: text/plain\r\nContent-Length: 5000000000\r\n\r\n";
    static const char tail[] = "\r\n\r\nWARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: "
                               "<urn:small>\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
                               "\r\none two three four five six\r\n\r\n";
    char path[600];
    snprintf(path, sizeof(path), "%s/big.warc", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(head, 1, sizeof(head) - 1, f);
    cr_assert_eq(fseeko(f, (off_t)(sizeof(head) - 1) + 5000000000, SEEK_SET), 0);
    fwrite(tail, 1, sizeof(tail) - 1, f);
    cr_assert_eq(fclose(f), 0);
    cli_result r = run_cli("--pairs - '%s' '%s'", path, path);
    cr_assert(strstr(r.err, "big.warc:114: warning: 5000000000 bytes, more than --max-doc-size"),
              "%s", r.err);
    cr_assert(strstr(r.out, "<urn:small>"), "the next record is read: %s", r.out);
    expect_small_run(&r);
    cli_result_dispose(&r);
}

/* A plain document of 100 MB on one line, scanned with --memory 64K: it costs at most
 * about twice its size while scanned (it took 8 times, 1.5 GB for 200 MB), since a large
 * document is scanned a piece at a time. Not measured under AddressSanitizer, whose
 * shadow memory doubles every figure. */
Test(input, a_large_document_costs_about_twice_its_size, .timeout = 300)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/large.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    uint64_t x = 1;
    for (size_t written = 0; written < 100000000;) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        char word[16];
        const int n = snprintf(word, sizeof(word), "w%llx ", (unsigned long long)(x >> 44));
        fputs(word, f);
        written += (size_t)n;
    }
    cr_assert_eq(fclose(f), 0);
    cli_result r = run_cli("--memory 64K --max-doc-size 128M '%s' '%s'", path, SEEDS_DIR);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "neardup: 6 documents"), "%s", r.err);
#if !defined(__SANITIZE_ADDRESS__)
    cr_assert_lt(r.max_rss_kb, 2 * 100000 + 40 * 1024, "peak %ld KB", r.max_rss_kb);
#endif
    cli_result_dispose(&r);
}

/* A folder of 300 gzip files, read with 64 descriptors allowed: the streams share one
 * spool file, so each costs no descriptor of its own, and the pairs and passages (read
 * back from their places in it) are those of the same files uncompressed. */
Test(input, many_compressed_files_share_one_spool_file, .timeout = 120)
{
    run_in_dir("cd '%s' && mkdir plain gz && for i in $(seq 1 300); do "
               "printf '{\"id\":\"d%%s\",\"text\":\"the same story was told again by wire "
               "number %%s today\"}\\n' $i $((i %% 7)) > plain/f$i.jsonl; "
               "gzip -c plain/f$i.jsonl > gz/f$i.jsonl.gz; done");
    cli_result plain =
        run_cli("-q --threshold 0.5 --pairs - --passages '%s/plain.csv' '%s/plain'", dir, dir);
    cli_result gz = run_cli_prefixed(
        "ulimit -n 64; ", "-q --threshold 0.5 --pairs - --passages '%s/gz.csv' '%s/gz'", dir, dir);
    cr_assert_eq(gz.status, 0, "%s", gz.err);
    cr_assert_str_eq(gz.out, plain.out);
    cr_assert_gt(strlen(gz.out), 1000, "pairs: %s", gz.out);
    char a[600], b[600];
    snprintf(a, sizeof(a), "%s/plain.csv", dir);
    snprintf(b, sizeof(b), "%s/gz.csv", dir);
    char *pa = read_file(a, NULL), *pb = read_file(b, NULL);
    cr_assert(pa && pb);
    cr_assert_str_eq(pb, pa, "the passages");
    free(pa);
    free(pb);
    cli_result_dispose(&plain);
    cli_result_dispose(&gz);
}

/* --stats: the duplicates a deduplication removes, by cluster size and by host (the host
 * of WARC-Target-URI, lower-cased, without user or port). */
Test(input, crawl_statistics_by_host)
{
    static const char rain[] = "rain is expected in the capital on monday the agency said";
    static const char bank[] = "the central bank kept its interest rate unchanged this week";
    static const struct {
        const char *uri, *text;
    } records[] = {
        {"http://a.example/1", fox},        {"http://A.Example:8080/2", fox},
        {"https://user@b.example/x", rain}, {"http://b.example/y", rain},
        {"http://b.example/z", bank},
    };
    char buf[8192];
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        char headers[256];
        snprintf(headers, sizeof(headers),
                 "WARC-Record-ID: <urn:uuid:%zu>\r\nWARC-Target-URI: %s\r\n", i, records[i].uri);
        n += warc_record(buf + n, "WARC/1.0", "conversion", headers, records[i].text,
                         strlen(records[i].text));
    }
    write_in_dir("crawl.wet", buf, n);
    cli_result r = run_cli("-q --stats - --pairs /dev/null '%s/crawl.wet'", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "{\"documents\":5,\"bytes\":"), "%s", r.out);
    cr_assert(strstr(r.out, "\"duplicates\":2,"), "%s", r.out);
    cr_assert(strstr(r.out, "\"duplicate_rate\":0.400000,"), "%s", r.out);
    cr_assert(
        strstr(r.out, "\"cluster_sizes\":[{\"min\":2,\"max\":2,\"clusters\":2,\"documents\":4}]"),
        "%s", r.out);
    cr_assert(strstr(r.out, "\"hosts\":[{\"host\":\"b.example\",\"documents\":3,"), "%s", r.out);
    cr_assert(strstr(r.out, "{\"host\":\"a.example\",\"documents\":2,"), "%s", r.out);
    cr_assert_eq(strstr(r.out, "user"), NULL, "no user part: %s", r.out);
    cli_result_dispose(&r);
    r = run_cli("-q --run-info - --pairs /dev/null '%s/crawl.wet'", dir);
    cr_assert(strstr(r.out, "\"crawl\":{\"documents\":5,"), "in --run-info too: %s", r.out);
    cli_result_dispose(&r);
}
