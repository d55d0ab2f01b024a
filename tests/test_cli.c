/*
 * test_cli.c: the neardup command end to end, on the seed corpus and on bad input.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S000 "000_0890706d309c6b14.txt"
#define S001 "001_6b51f63e2d89280f.txt"
#define S002 "002_bf468212468ea075.txt"
#define S003 "003_55340620ea89ea1d.txt"

static csv_table parse_or_fail(const char *text)
{
    csv_table t;
    cr_assert_not_null(text);
    cr_assert_eq(csv_parse(text, &t), 0, "output is not valid CSV:\n%s", text);
    return t;
}

Test(cli, seeds_one_pair_at_threshold_0_3)
{
    cli_result r = run_cli("-q --threshold 0.3 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    csv_table t = parse_or_fail(r.out);
    cr_assert_eq(t.n_rows, 2, "expected the header and one pair, got:\n%s", r.out);
    cr_assert_str_eq(csv_get(&t, 1, "doc_a"), S000);
    cr_assert_str_eq(csv_get(&t, 1, "doc_b"), S001);
    const double j = atof(csv_get(&t, 1, "jaccard"));
    cr_assert(j > 0.315 && j < 0.325, "J(000,001) = %f, expected about 0.322", j);
    cr_assert_str_eq(csv_get(&t, 1, "shared_shingles"), "222");
    csv_dispose(&t);
    cli_result_dispose(&r);
}

/* The demo's pairs, clusters and passages, byte for byte as committed in tests/expected
 * (made before the stages were reorganized: any change of output shows here). */
Test(cli, demo_outputs_are_the_expected_files)
{
    static const char *const kinds[] = {"pairs", "clusters", "passages"};
    char *dir = make_temp_dir();
    cli_result r = run_cli("-q --threshold 0.3 --pairs '%s/pairs.csv' --clusters '%s/clusters.csv' "
                           "--passages '%s/passages.csv' '%s'",
                           dir, dir, dir, SEEDS_DIR);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    for (size_t i = 0; i < 3; i++) {
        char got_path[4096], want_path[4096];
        snprintf(got_path, sizeof(got_path), "%s/%s.csv", dir, kinds[i]);
        snprintf(want_path, sizeof(want_path), "%s/tests/expected/demo-%s.csv", ND_TEST_SOURCE_DIR,
                 kinds[i]);
        size_t got_len, want_len;
        char *got = read_file(got_path, &got_len), *want = read_file(want_path, &want_len);
        cr_assert(got && want, "%s or %s unreadable", got_path, want_path);
        cr_assert(got_len == want_len && !memcmp(got, want, got_len), "%s differs from %s",
                  got_path, want_path);
        free(got);
        free(want);
    }
    cli_result_dispose(&r);
    remove_tree(dir);
    free(dir);
}

Test(cli, seeds_no_pair_at_threshold_0_5)
{
    cli_result r = run_cli("-q --threshold 0.5 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0);
    csv_table t = parse_or_fail(r.out);
    cr_assert_eq(t.n_rows, 1, "only the header expected:\n%s", r.out);
    cr_assert_eq(csv_column(&t, "jaccard_est"), 3);
    csv_dispose(&t);
    cli_result_dispose(&r);
}

/* The hand-verified passages of shared/eval/seeds_expected.md, byte for byte. */
Test(cli, seeds_passages_exact_offsets)
{
    static const struct {
        const char *a;
        int a0, a1;
        const char *b;
        int b0, b1;
    } want[] = {
        {S000, 1999, 4723, S001, 2983, 5715}, {S000, 1131, 1737, S002, 1411, 2041},
        {S003, 0, 110, S003, 112, 222},       {S003, 0, 110, S003, 223, 333},
        {S003, 0, 110, S003, 336, 446},
    };
    cli_result r = run_cli("-q --passages - --pairs /dev/null '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    csv_table t = parse_or_fail(r.out);
    cr_assert_eq(t.n_rows, 6, "5 passages expected:\n%s", r.out);
    for (size_t i = 0; i < 5; i++) {
        cr_expect_str_eq(csv_get(&t, i + 1, "doc_a"), want[i].a);
        cr_expect_eq(atoi(csv_get(&t, i + 1, "a_start")), want[i].a0, "row %zu", i);
        cr_expect_eq(atoi(csv_get(&t, i + 1, "a_end")), want[i].a1, "row %zu", i);
        cr_expect_str_eq(csv_get(&t, i + 1, "doc_b"), want[i].b);
        cr_expect_eq(atoi(csv_get(&t, i + 1, "b_start")), want[i].b0, "row %zu", i);
        cr_expect_eq(atoi(csv_get(&t, i + 1, "b_end")), want[i].b1, "row %zu", i);
    }
    csv_dispose(&t);
    cli_result_dispose(&r);
}

/* text_a is exactly the original bytes [a_start, a_end) of doc_a. */
Test(cli, passage_text_slices_original_bytes)
{
    cli_result r = run_cli("-q --passages - --pairs /dev/null '%s'", SEEDS_DIR);
    csv_table t = parse_or_fail(r.out);
    for (size_t i = 1; i < t.n_rows; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", SEEDS_DIR, csv_get(&t, i, "doc_a"));
        char *bytes = read_file(path, NULL);
        const int a0 = atoi(csv_get(&t, i, "a_start")), a1 = atoi(csv_get(&t, i, "a_end"));
        const char *text = csv_get(&t, i, "text_a");
        cr_assert_eq(strlen(text), (size_t)(a1 - a0));
        cr_assert_eq(memcmp(bytes + a0, text, (size_t)(a1 - a0)), 0, "row %zu", i);
        free(bytes);
    }
    csv_dispose(&t);
    cli_result_dispose(&r);
}

/* Code points in the first n bytes of valid UTF-8: the bytes that do not continue one. */
static size_t count_code_points(const char *bytes, int n)
{
    size_t count = 0;
    for (int i = 0; i < n; i++)
        count += ((unsigned char)bytes[i] & 0xC0) != 0x80;
    return count;
}

/* The demo's reused texts: the tweets (000, 002), the McMaster and Mnuchin paragraphs
 * (000, 001) and 003's title in its four places; each row slices the original bytes,
 * its character offsets count code points, its words are the passage's. */
Test(cli, demo_passage_clusters)
{
    static const struct {
        const char *doc;
        int cluster, start, end, words;
    } want[] = {
        {S000, 0, 1131, 1737, 53},  {S002, 0, 1411, 2041, 54}, {S000, 1, 1999, 4723, 232},
        {S001, 1, 2983, 5715, 230}, {S003, 2, 0, 110, 12},     {S003, 2, 112, 222, 12},
        {S003, 2, 223, 333, 12},    {S003, 2, 336, 446, 12},
    };
    cli_result r = run_cli("-q --passage-clusters - --pairs /dev/null '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0, "stderr: %s", r.err);
    csv_table t = parse_or_fail(r.out);
    cr_assert_eq(t.n_rows, 9, "8 places expected:\n%s", r.out);
    for (size_t i = 0; i < 8; i++) {
        const size_t row = i + 1;
        cr_expect_str_eq(csv_get(&t, row, "doc"), want[i].doc);
        cr_expect_eq(atoi(csv_get(&t, row, "cluster")), want[i].cluster, "row %zu", row);
        const int start = atoi(csv_get(&t, row, "start")), end = atoi(csv_get(&t, row, "end"));
        cr_expect_eq(start, want[i].start, "row %zu", row);
        cr_expect_eq(end, want[i].end, "row %zu", row);
        cr_expect_eq(atoi(csv_get(&t, row, "words")), want[i].words, "row %zu", row);
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", SEEDS_DIR, want[i].doc);
        char *bytes = read_file(path, NULL);
        const char *text = csv_get(&t, row, "text");
        cr_assert_eq(strlen(text), (size_t)(end - start));
        cr_expect_eq(memcmp(bytes + start, text, (size_t)(end - start)), 0, "row %zu", row);
        cr_expect_eq((size_t)atoi(csv_get(&t, row, "char_start")), count_code_points(bytes, start));
        cr_expect_eq((size_t)atoi(csv_get(&t, row, "char_end")), count_code_points(bytes, end));
        free(bytes);
    }
    csv_dispose(&t);
    cli_result_dispose(&r);
}

Test(cli, same_output_with_one_and_two_threads)
{
    cli_result one = run_cli("-q --threshold 0.3 --threads 1 --passages - '%s'", SEEDS_DIR);
    cli_result two = run_cli("-q --threshold 0.3 --threads 2 --passages - '%s'", SEEDS_DIR);
    cr_assert_eq(one.status, 0);
    cr_assert_str_eq(one.out, two.out);
    cli_result_dispose(&one);
    cli_result_dispose(&two);
}

Test(cli, jsonl_has_the_csv_keys)
{
    cli_result r = run_cli("-q --threshold 0.3 --format jsonl '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "{\"doc_a\":\"" S000 "\",\"doc_b\":\"" S001 "\",\"jaccard\":0.32"));
    cr_assert(strstr(r.out, "\"shared_shingles\":222,\"cluster\":1}\n"));
    cli_result_dispose(&r);
}

Test(cli, missing_file_is_named_and_others_still_processed)
{
    cli_result r = run_cli("-q --threshold 0.3 /nonexistent/file.txt '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 3, "exit status 3 expected for an input error");
    cr_assert(strstr(r.err, "/nonexistent/file.txt"), "stderr: %s", r.err);
    cr_assert(strstr(r.out, S000 "\",\"" S001), "the pair is still reported: %s", r.out);
    cli_result_dispose(&r);
}

Test(cli, binary_and_invalid_utf8_are_reported_with_offsets)
{
    char *dir = make_temp_dir();
    char path[512];
    snprintf(path, sizeof(path), "%s/a.bin", dir);
    write_file(path, "PNG\0\1\2", 6);
    snprintf(path, sizeof(path), "%s/b.txt", dir);
    write_file(path, "good words here \xC0\xAF and more", 27);
    cli_result r = run_cli("-q '%s'", dir);
    cr_assert_eq(r.status, 0, "warnings only: %s", r.err);
    cr_assert(strstr(r.err, "a.bin:3: warning: NUL byte"), "stderr: %s", r.err);
    cr_assert(strstr(r.err, "b.txt:16: warning: invalid UTF-8"), "stderr: %s", r.err);
    cli_result_dispose(&r);
    r = run_cli("-q --strict '%s'", dir);
    cr_assert_eq(r.status, 3, "--strict makes invalid UTF-8 an error");
    cli_result_dispose(&r);
    remove_tree(dir);
    free(dir);
}

Test(cli, usage_errors_exit_2)
{
    cli_result r = run_cli("--threshold 2 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--threshold"));
    cli_result_dispose(&r);
    r = run_cli("--bands 10 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cli_result_dispose(&r);
    r = run_cli("%s", "");
    cr_assert_eq(r.status, 2);
    cli_result_dispose(&r);
}

Test(cli, help_and_version_go_to_stdout)
{
    cli_result r = run_cli("--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Usage: neardup"));
    cli_result_dispose(&r);
    r = run_cli("--version");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "ICU 72") || strstr(r.out, "ICU "));
    cr_assert(strstr(r.out, "xxHash"));
    cli_result_dispose(&r);
}

Test(cli, unwritable_output_fails_without_partial_file)
{
    cli_result r = run_cli("-q --pairs /nonexistent-dir/pairs.csv '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 4);
    cr_assert(strstr(r.err, "/nonexistent-dir/pairs.csv"));
    cli_result_dispose(&r);
}

Test(cli, files_from_lists)
{
    char *dir = make_temp_dir();
    char list[512], list0[512];
    snprintf(list, sizeof(list), "%s/list", dir);
    snprintf(list0, sizeof(list0), "%s/list0", dir);
    char text[2048];
    const int n = snprintf(text, sizeof(text), "%s\n%s\n", SEED(S000), SEED(S001));
    write_file(list, text, (size_t)n);
    for (int i = 0; i < n; i++)
        if (text[i] == '\n')
            text[i] = '\0';
    write_file(list0, text, (size_t)n);
    cli_result r = run_cli("-q --threshold 0.3 --files-from '%s'", list);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, SEED(S000)), "ids are paths as given: %s", r.out);
    cli_result r0 = run_cli("-q --threshold 0.3 --files0-from '%s'", list0);
    cr_assert_str_eq(r.out, r0.out);
    /* a list with CRLF line ends, as written on Windows */
    const int n_crlf = snprintf(text, sizeof(text), "%s\r\n%s\r\n", SEED(S000), SEED(S001));
    write_file(list, text, (size_t)n_crlf);
    cli_result rc = run_cli("-q --threshold 0.3 --files-from '%s'", list);
    cr_assert_eq(rc.status, 0, "%s", rc.err);
    cr_assert_str_eq(rc.out, r.out);
    cli_result_dispose(&r);
    cli_result_dispose(&r0);
    cli_result_dispose(&rc);
    remove_tree(dir);
    free(dir);
}

/* A passage that starts at byte 0 and ends at the last byte, in files with CRLF lines. */
Test(cli, passage_offsets_first_last_byte_crlf)
{
    static const char a[] = "Shared words begin the file\r\nand go on across CRLF line ends\r\n"
                            "to the very last word";
    static const char b[] = "Other text first.\r\nShared words begin the file\r\nand go on across "
                            "CRLF line ends\r\nto the very last word\r\nthen more.";
    char *dir = make_temp_dir(), path[600];
    snprintf(path, sizeof(path), "%s/a.txt", dir);
    write_file(path, a, sizeof(a) - 1);
    snprintf(path, sizeof(path), "%s/b.txt", dir);
    write_file(path, b, sizeof(b) - 1);
    cli_result r = run_cli("-q --passages - --pairs /dev/null '%s'", dir);
    csv_table t = parse_or_fail(r.out);
    cr_assert_eq(t.n_rows, 2, "%s", r.out);
    cr_assert_str_eq(csv_get(&t, 1, "a_start"), "0");
    char end[16];
    snprintf(end, sizeof(end), "%zu", sizeof(a) - 1);
    cr_assert_str_eq(csv_get(&t, 1, "a_end"), end, "ends on the last byte of the file");
    cr_assert_str_eq(csv_get(&t, 1, "b_start"), "19");
    cr_assert_str_eq(csv_get(&t, 1, "text_a"), a, "CRLF kept inside the passage text");
    csv_dispose(&t);
    cli_result_dispose(&r);
    remove_tree(dir);
    free(dir);
}

/* A JSONL corpus of many batches of documents: edited copies of the seeds (pairs and
 * passages across batches) and texts in scripts the one-pass splitter hands to ICU. */
static char *many_documents(char **dir)
{
    static const char *const others[] = {
        "北京时间今天上午，国家主席在人民大会堂会见了来访的代表团。",
        "กรุงเทพฯ วันนี้ นายกรัฐมนตรี แถลงข่าว เรื่อง เศรษฐกิจ",
        "Москва. Президент России провёл переговоры с делегацией, сообщает агентство.",
        "Le président a rencontré à l'Élysée la délégation étrangère, selon l'agence. 😀",
    };
    *dir = make_temp_dir();
    char path[600];
    snprintf(path, sizeof(path), "%s/many.jsonl", *dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 400; i++) {
        size_t len;
        char *text = read_seed(i % 5, &len);
        cr_assert_not_null(text);
        fprintf(f, "{\"id\": \"d%03d\", \"text\": \"%s نسخة %d ", i, others[i % 4], i / 7);
        const size_t cut = i % 3 == 0 ? len / 2 + (size_t)(i % 11) * 40 : len;
        for (size_t k = 0; k < len; k++) { /* the article, JSON-escaped, cut at a point */
            const unsigned char c = (unsigned char)text[k];
            if (k >= cut && (c & 0xC0) != 0x80)
                break;
            if (c == '"' || c == '\\')
                fprintf(f, "\\%c", c);
            else if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
        fputs("\"}\n", f);
        free(text);
    }
    fclose(f);
    return strdup(path);
}

/* Byte-identical outputs (pairs with their MinHash estimates, clusters, passages) from
 * the fast engine and the plain-ICU engine, and from 1, 2 and 3 threads, on a corpus
 * of 400 documents that spans many scan batches and verification blocks. */
Test(cli, same_output_for_any_engine_and_threads_on_many_documents, .timeout = 120)
{
    char *dir, *corpus = many_documents(&dir);
    static const char *const runs[] = {"--engine fast --threads 1", "--engine icu --threads 1",
                                       "--engine fast --threads 2", "--engine fast --threads 3"};
    char *first = NULL;
    for (size_t i = 0; i < 4; i++) {
        cli_result r = run_cli("-q %s --threshold 0.5 --pairs - --clusters - --passages - '%s'",
                               runs[i], corpus);
        cr_assert_eq(r.status, 0, "%s: %s", runs[i], r.err);
        if (!first) {
            first = strdup(r.out);
            cr_assert_gt(strlen(first), 10000, "many pairs and passages:\n%s", first);
        } else {
            cr_assert_str_eq(r.out, first, "%s differs from %s", runs[i], runs[0]);
        }
        cli_result_dispose(&r);
    }
    free(first);
    free(corpus);
    remove_tree(dir);
    free(dir);
}

/* A --files-from list that cannot be read is an input error (exit status 3) naming it;
 * the other inputs are still processed. */
Test(cli, unreadable_files_from_list_is_an_input_error)
{
    cli_result r = run_cli("-q --threshold 0.3 --files-from /nonexistent/list '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 3, "exit status 3 expected: %s", r.err);
    cr_assert(strstr(r.err, "/nonexistent/list"), "stderr: %s", r.err);
    cr_assert(strstr(r.out, S000 "\",\"" S001), "the pair is still reported: %s", r.out);
    cli_result_dispose(&r);
}

/* --memory: no minus sign; K, M and G alone or with B or iB, all 1024-based. */
Test(cli, memory_sizes_take_units_and_refuse_negatives)
{
    static const char *const bad[] = {"-5", "-1G", "-0", "5GG", "1GiBB", "1.5G", "1Gi", "1T"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cli_result r = run_cli("-q --memory=%s '%s'", bad[i], SEED(S000));
        cr_assert_eq(r.status, 2, "--memory=%s: %s", bad[i], r.err);
        cr_assert(strstr(r.err, "--memory"), "%s", r.err);
        cli_result_dispose(&r);
    }
    static const char *const good[][2] = {
        {"1G", "1073741824"}, {"1GB", "1073741824"}, {"1GiB", "1073741824"}, {"1gib", "1073741824"},
        {"64K", "65536"},     {"64KB", "65536"},     {"64KiB", "65536"},     {"2M", "2097152"},
        {"2MB", "2097152"},   {"2MiB", "2097152"},   {"65536", "65536"},     {"65536B", "65536"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cli_result r = run_cli("-v --memory=%s --pairs /dev/null '%s'", good[i][0], SEED(S000));
        char want[64];
        snprintf(want, sizeof(want), "total %s\n", good[i][1]);
        cr_assert_eq(r.status, 0, "--memory=%s: %s", good[i][0], r.err);
        cr_assert(strstr(r.err, want), "--memory=%s is %s bytes: %s", good[i][0], good[i][1],
                  r.err);
        cli_result_dispose(&r);
    }
    cli_result r = run_cli("--help");
    cr_assert(strstr(r.out, "1GiB"), "--help says what 1G, 1GB and 1GiB mean");
    cli_result_dispose(&r);
}

/* Ids and file names with a newline or an escape sequence: every message and every line of
 * the -v listing stays one line, with no control character in it; the CSV keeps the id. */
Test(cli, control_characters_in_ids_and_names_are_escaped_in_messages)
{
    static const char line[] =
        "{\"id\":\"evil\\nline\\u001b[2J\\u007f\",\"text\":\"the quick brown "
        "fox jumps over the lazy dog again and again\"}\n";
    char *dir = make_temp_dir(), path[600], feed[1200];
    snprintf(path, sizeof(path), "%s/in", dir);
    cr_assert_eq(mkdir_p(path), 0);
    const int n = snprintf(feed, sizeof(feed), "%s%s", line, line);
    snprintf(path, sizeof(path), "%s/in/feed.jsonl", dir);
    write_file(path, feed, (size_t)n);
    snprintf(path, sizeof(path), "%s/in/bad\033[31m\nname.txt", dir);
    write_file(path, "binary\0file", 11);
    cli_result r = run_cli("-v --threshold 0.5 --pairs - '%s/in'", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "evil\\nline\\x1b[2J\\x7f"), "the id escaped: %s", r.err);
    cr_assert(strstr(r.err, "bad\\x1b[31m\\nname.txt"), "the file name escaped: %s", r.err);
    cr_assert(strstr(r.err, "  pair     feed.jsonl:1 ~ feed.jsonl:2") ||
                  strstr(r.err, "  pair     evil\\nline"),
              "the listing: %s", r.err);
    for (const char *c = r.err; *c; c++)
        cr_assert(*c == '\n' || ((unsigned char)*c >= 0x20 && *c != 0x7f),
                  "a control character (0x%02x) in the messages: %s", (unsigned char)*c, r.err);
    for (const char *l = r.err; *l; l = strchr(l, '\n') + 1)
        cr_assert(!strncmp(l, "neardup: ", 9) || !strncmp(l, "  pair ", 7) ||
                      !strncmp(l, "  passage ", 10),
                  "one problem, one line: \"%.40s\" in %s", l, r.err);
    cr_assert(strstr(r.out, "\"evil\nline\033[2J\177\""), "the CSV keeps the id as it is: %s",
              r.out);
    cli_result_dispose(&r);
    remove_tree(dir);
    free(dir);
}

/* --csv-safe: a cell that begins with = + - @, a tab or a carriage return gets a ' before
 * it (ids and text alike); without it, the CSV is as it was; JSONL is unchanged by it. */
Test(cli, csv_safe_neutralises_formula_cells)
{
    static const char *const ids[] = {"=cmd|' /C calc'!A0",
                                      "@SUM(1+1)*cmd|' /C calc'!A0",
                                      "+1+1",
                                      "-2+3",
                                      "\\tx",
                                      "\\rx",
                                      "plain=1"};
    static const char *const shown[] = {"\"'=cmd|' /C calc'!A0\"",
                                        "\"'@SUM(1+1)*cmd|' /C calc'!A0\"",
                                        "\"'+1+1\"",
                                        "\"'-2+3\"",
                                        "\"'\tx\"",
                                        "\"'\rx\"",
                                        "\"plain=1\""};
    char *dir = make_temp_dir(), path[600];
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t i = 0; i < 7; i++)
        fprintf(f, "{\"id\":\"%s\",\"text\":\"the quick brown fox jumps over the lazy dog\"}\n",
                ids[i]);
    fclose(f);
    cli_result safe = run_cli("-q --csv-safe --threshold 0.5 --pairs - --clusters - '%s'", path);
    cli_result plain = run_cli("-q --threshold 0.5 --pairs - --clusters - '%s'", path);
    cr_assert_eq(safe.status, 0, "%s", safe.err);
    cr_assert_eq(plain.status, 0, "%s", plain.err);
    for (size_t i = 0; i < 7; i++) {
        cr_assert(strstr(safe.out, shown[i]), "%s in %s", shown[i], safe.out);
        cr_assert(i == 6 || !strstr(plain.out, shown[i]), "no quote without --csv-safe");
    }
    cr_assert(strstr(plain.out, "\"=cmd|' /C calc'!A0\""), "%s", plain.out);
    csv_table t = parse_or_fail(safe.out);
    cr_assert_str_eq(csv_get(&t, 1, "doc_a"), "'=cmd|' /C calc'!A0");
    csv_dispose(&t);
    cli_result json = run_cli("-q --csv-safe --format jsonl --threshold 0.5 '%s'", path);
    cli_result json_plain = run_cli("-q --format jsonl --threshold 0.5 '%s'", path);
    cr_assert_str_eq(json.out, json_plain.out, "--csv-safe leaves JSONL alone");
    cli_result help = run_cli("--help");
    cr_assert(strstr(help.out, "--csv-safe"));
    cli_result_dispose(&help);
    cli_result_dispose(&json);
    cli_result_dispose(&json_plain);
    cli_result_dispose(&safe);
    cli_result_dispose(&plain);
    remove_tree(dir);
    free(dir);
}

/* ---------------------------------------------------------------- a CLI that guides */

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = text; (at = strstr(at, needle)) != NULL; at += strlen(needle))
        n++;
    return n;
}

/* A mistyped option: the program's name, the option, and the one meant. */
Test(cli, an_unknown_option_suggests_the_nearest)
{
    cli_result r = run_cli("--treshold 0.5 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "neardup: unknown option '--treshold'; did you mean '--threshold'?\n"),
              "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("'%s' --pairs", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "neardup: --pairs needs a value\n"), "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("--quiet=yes '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "neardup: --quiet takes no value\n"), "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("--pa x '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "'--pa' could be more than one option"), "%s", r.err);
    cli_result_dispose(&r);
}

/* A value out of range says what the option takes, with an example. */
Test(cli, a_bad_value_says_what_is_wanted)
{
    cli_result r = run_cli("--threshold 80 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--threshold: '80' is not a number above 0, at most 1 (a fraction: "
                            "80% is 0.8)"),
              "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("--num-perm 8 '%s'", SEEDS_DIR);
    cr_assert(strstr(r.err, "'8' is not a whole number 16..1024 (e.g. 128)"), "%s", r.err);
    cli_result_dispose(&r);
}

/* 2,000 lines read with the wrong --text-key: three errors shown, then one line with the
 * count, the keys of the first line and the option that fixes it. */
Test(cli, the_wrong_text_key_is_said_once_with_its_fix)
{
    char *dir = make_temp_dir(), path[4096];
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 2000; i++)
        fprintf(f, "{\"id\": %d, \"body\": \"words of line %d\"}\n", i, i);
    fclose(f);
    cli_result r = run_cli("--pairs /dev/null '%s'", path);
    cr_assert_eq(r.status, 3);
    cr_assert_eq(count_lines_with(r.err, "error: no \"text\" key"), 3, "%s", r.err);
    cr_assert(strstr(r.err, "neardup: 1997 more errors like these: no \"text\" key\n"), "%s",
              r.err);
    cr_assert(strstr(r.err, "neardup: 2000 lines have no \"text\" key: name the key that holds the "
                            "text with --text-key KEY (the first line's keys: \"id\", \"body\")\n"),
              "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("--text-key body --pairs /dev/null '%s'", path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    remove_tree(dir);
    free(dir);
}

/* --dedup-out writes JSONL lines only: with none among the inputs, a warning says so. */
Test(cli, dedup_out_without_jsonl_warns)
{
    cli_result r = run_cli("--dedup-out /dev/null --pairs /dev/null '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.err, "warning: --dedup-out /dev/null: no input is JSONL"), "%s", r.err);
    cli_result_dispose(&r);
}

/* One of a thing is singular; --help ends with examples. */
Test(cli, plurals_and_examples)
{
    cli_result r = run_cli("--threshold 0.3 --pairs /dev/null '%s'", SEEDS_DIR);
    cr_assert(strstr(r.err, "1 candidate pair, 1 listed pair, 1 cluster (1 document to remove)"),
              "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "\nExamples:\n  neardup articles/"), "%s", r.out);
    cli_result_dispose(&r);
}

/* Runs the command line on a pseudo-terminal (stdin, stdout and stderr): what it wrote. */
static char *run_on_terminal(const char *args)
{
    int master;
    const pid_t pid = forkpty(&master, NULL, NULL, NULL);
    cr_assert_neq(pid, -1, "forkpty: %s", strerror(errno));
    if (pid == 0) {
        char cmd[4096];
        snprintf(cmd, sizeof(cmd), "exec '%s' %s", ND_TEST_CLI, args);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    for (ssize_t n; (n = read(master, out + len, cap - 1 - len)) > 0;) {
        len += (size_t)n;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    close(master);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", out);
    return out;
}

/* On a terminal, progress goes through every stage, with the time left; on a pipe,
 * nothing. */
Test(cli, progress_through_every_stage_on_a_terminal)
{
    char args[2048];
    snprintf(args, sizeof(args), "--threshold 0.3 --passages /dev/null --pairs /dev/null '%s'",
             SEEDS_DIR);
    char *out = run_on_terminal(args);
    static const char *const stages[] = {"scan (stage 1 of 5)", "lsh (stage 2 of 5)",
                                         "verify (stage 3 of 5)", "cluster (stage 4 of 5)",
                                         "passages (stage 5 of 5)"};
    for (size_t i = 0; i < 5; i++)
        cr_expect(strstr(out, stages[i]), "no '%s' in: %s", stages[i], out);
    cr_expect(strstr(out, "s left, "), "%s", out);
    cr_expect(strstr(out, "\r\033[K"), "the line is redrawn in place: %s", out);
    free(out);
    cli_result r = run_cli("%s", args);
    cr_assert_eq(r.status, 0);
    cr_assert_null(strstr(r.err, "(stage "), "no progress on a pipe: %s", r.err);
    cli_result_dispose(&r);
}
