/*
 * test_input.c: the readers: directories, JSONL (plain, gzip, zstd, stdin), bad lines.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    shell("cd '%s' && head -c 200 n.jsonl | gzip > multi.gz && tail -c +201 n.jsonl | gzip >> multi.gz",
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
