/*
 * test_faults.c: outputs are complete or absent, whatever happens to the run.
 */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;

/* 150 documents, 30 edited copies of each seed article: thousands of pairs and passages. */
static void make_corpus(void)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/docs", dir);
    cr_assert_eq(mkdir_p(path), 0);
    for (int i = 0; i < 150; i++) {
        size_t len;
        char *text = read_seed(i % 5, &len);
        cr_assert_not_null(text);
        char *doc = malloc(len + 64);
        const int n = snprintf(doc, len + 64, "copy %d ", i);
        memcpy(doc + n, text, len);
        snprintf(path, sizeof(path), "%s/docs/%03d.txt", dir, i);
        write_file(path, doc, (size_t)n + len);
        free(doc);
        free(text);
    }
}

static void setup(void)
{
    dir = make_temp_dir();
}

static void teardown(void)
{
    remove_tree(dir);
    free(dir);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = 600);

static pid_t start_run(const char *out_dir)
{
    const pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char pairs[700], passages[700], docs[700];
        snprintf(pairs, sizeof(pairs), "--pairs=%s/pairs.csv", out_dir);
        snprintf(passages, sizeof(passages), "--passages=%s/passages.csv", out_dir);
        snprintf(docs, sizeof(docs), "%s/docs", dir);
        freopen("/dev/null", "w", stderr);
        execl(ND_TEST_CLI, ND_TEST_CLI, "-q", "--threshold=0.5", pairs, passages, docs,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static double run_seconds(const char *out_dir)
{
    struct timespec a, b;
    int status;
    clock_gettime(CLOCK_MONOTONIC, &a);
    waitpid(start_run(out_dir), &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

/* The file is the old content or exactly the complete new one. */
static void expect_old_or_complete(const char *path, const char *complete)
{
    char *now = read_file(path, NULL);
    cr_assert_not_null(now, "%s vanished", path);
    cr_assert(!strcmp(now, "OLD\n") || !strcmp(now, complete),
              "%s is neither the previous file nor the complete output (%zu bytes)", path,
              strlen(now));
    free(now);
}

/* The corpus, and two empty folders for outputs: dir/ref (a reference run's) and dir/out. */
static void make_corpus_and_output_dirs(char ref[600], char out[600])
{
    make_corpus();
    snprintf(ref, 600, "%s/ref", dir);
    snprintf(out, 600, "%s/out", dir);
    cr_assert_eq(mkdir_p(ref), 0);
    cr_assert_eq(mkdir_p(out), 0);
}

/* SIGKILL and SIGINT at random moments: each output is the previous file or the new one;
 * after SIGINT both are old or both new (only SIGKILL between two renames can mix them). */
Test(faults, killed_runs_leave_old_or_complete_outputs)
{
    char ref[600], out[600], path[700];
    make_corpus_and_output_dirs(ref, out);
    const double seconds = run_seconds(ref);
    snprintf(path, sizeof(path), "%s/pairs.csv", ref);
    char *pairs = read_file(path, NULL);
    snprintf(path, sizeof(path), "%s/passages.csv", ref);
    char *passages = read_file(path, NULL);
    cr_assert(strlen(pairs) > 10000 && strlen(passages) > 100000, "a corpus big enough to kill");
    srand(7);
    int old = 0, complete = 0;
    for (int round = 0; round < 24; round++) {
        char p1[700], p2[700];
        snprintf(p1, sizeof(p1), "%s/pairs.csv", out);
        snprintf(p2, sizeof(p2), "%s/passages.csv", out);
        write_file(p1, "OLD\n", 4);
        write_file(p2, "OLD\n", 4);
        const pid_t pid = start_run(out);
        usleep((useconds_t)(seconds * 1.2e6 * rand() / RAND_MAX));
        kill(pid, round % 2 ? SIGINT : SIGKILL);
        waitpid(pid, NULL, 0);
        expect_old_or_complete(p1, pairs);
        expect_old_or_complete(p2, passages);
        char *now = read_file(p2, NULL), *now1 = read_file(p1, NULL);
        /* SIGINT waits for the renames: never new pairs beside old passages */
        cr_expect(round % 2 == 0 || !strcmp(now, "OLD\n") == !strcmp(now1, "OLD\n"),
                  "round %d: SIGINT left one output new and the other old", round);
        free(now1);
        old += !strcmp(now, "OLD\n");
        complete += strcmp(now, "OLD\n") != 0;
        free(now);
    }
    cr_log_info("24 killed runs: %d left the old passages, %d the complete new ones", old,
                complete);
    free(pairs);
    free(passages);
}

/* SIGINT removes the temporary file of an output being written. */
Test(faults, interrupted_run_leaves_no_temporary_file)
{
    char out[600], cmd[800];
    make_corpus();
    snprintf(out, sizeof(out), "%s/out", dir);
    cr_assert_eq(mkdir_p(out), 0);
    const double seconds = run_seconds(out);
    for (int round = 1; round <= 6; round++) {
        const pid_t pid = start_run(out);
        usleep((useconds_t)(seconds * 1e6 * round / 7));
        kill(pid, SIGINT);
        waitpid(pid, NULL, 0);
    }
    snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q '\\.tmp\\.'", out);
    cr_assert_neq(system(cmd), 0, "a temporary file was left behind after SIGINT");
}

/* A 64 KiB tmpfs at dir/name (path gets it), or the test is skipped where none can be
 * mounted; unmount_small takes it away. */
static void mount_small(const char *name, char *path, size_t len)
{
    char cmd[1400];
    snprintf(path, len, "%s/%s", dir, name);
    cr_assert_eq(mkdir_p(path), 0);
    snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=64k tmpfs '%s' 2>/dev/null", path);
    if (system(cmd) != 0)
        cr_skip_test("cannot mount a small tmpfs here (not root?): full disk not simulated");
}

static void unmount_small(const char *path)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "umount '%s'", path);
    cr_assert_eq(system(cmd), 0);
}

/* A full disk: exit status 4, the path named, and no output file presented as complete. */
Test(faults, full_disk)
{
    char small[600], path[700];
    make_corpus();
    mount_small("small", small, sizeof(small));
    cli_result r = run_cli("-q --threshold 0.5 --passages '%s/passages.csv' '%s/docs'", small, dir);
    cr_expect_eq(r.status, 4, "%s", r.err);
    cr_expect(strstr(r.err, "passages.csv"), "%s", r.err);
    cr_expect(strstr(r.err, "No space left on device"), "%s", r.err);
    snprintf(path, sizeof(path), "%s/passages.csv", small);
    cr_expect_neq(access(path, F_OK), 0, "a truncated output was left in place");
    snprintf(path, sizeof(path), "ls -a '%s' | grep -q tmp", small);
    cr_expect_neq(system(path), 0, "the temporary file was not removed");
    unmount_small(small);
    cli_result_dispose(&r);
}

/* A full --tmpdir: exit status 4, the directory named with the reason, no output. */
Test(faults, full_scratch_directory)
{
    char small[600], path[700];
    make_corpus();
    mount_small("scratch", small, sizeof(small));
    cli_result r = run_cli("-q --threads 2 --tmpdir '%s' --pairs '%s/pairs.csv' --passages "
                           "'%s/passages.csv' '%s/docs'",
                           small, dir, dir, dir);
    cr_expect_eq(r.status, 4, "%s", r.err);
    cr_expect(strstr(r.err, small), "the scratch directory is not named: %s", r.err);
    cr_expect(strstr(r.err, "No space left on device"), "%s", r.err);
    snprintf(path, sizeof(path), "%s/pairs.csv", dir);
    cr_expect_neq(access(path, F_OK), 0, "pairs were written from a failed run");
    unmount_small(small);
    cli_result_dispose(&r);
}

/* /dev/full, a directory, a missing directory: clear errors, exit status 4. */
Test(faults, unwritable_outputs)
{
    const char *paths[] = {"/dev/full", "/tmp", "/nonexistent-dir/x.csv"};
    const char *why[] = {"No space left on device", "is a directory", "No such file"};
    for (int i = 0; i < 3; i++) {
        cli_result r = run_cli("-q --threshold 0.3 --pairs %s '%s'", paths[i], SEEDS_DIR);
        cr_assert_eq(r.status, 4, "%s: %s", paths[i], r.err);
        cr_assert(strstr(r.err, paths[i]) && strstr(r.err, why[i]), "%s", r.err);
        cli_result_dispose(&r);
    }
}

/* /dev/stdout is written through, never replaced by a rename (we run as root). */
Test(faults, device_outputs_are_not_replaced)
{
    struct stat before, after;
    cr_assert_eq(lstat("/dev/stdout", &before), 0);
    cli_result r = run_cli("-q --threshold 0.3 --pairs /dev/stdout '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "000_0890706d309c6b14.txt"));
    cr_assert_eq(lstat("/dev/stdout", &after), 0);
    cr_assert_eq(before.st_mode, after.st_mode);
    cr_assert_eq(before.st_ino, after.st_ino);
    cli_result_dispose(&r);
}

/* The scratch file goes to --tmpdir; an unusable one is a clear error, exit status 4. */
Test(faults, scratch_directory)
{
    cli_result r = run_cli("-q --threshold 0.3 --tmpdir '%s' '%s'", dir, SEEDS_DIR);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "000_0890706d309c6b14.txt"));
    cli_result_dispose(&r);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", dir);
    cr_assert_eq(system(cmd), 0, "the scratch file is unlinked: nothing stays behind");
    r = run_cli("-q --tmpdir /nonexistent-scratch '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 4);
    cr_assert(strstr(r.err, "/nonexistent-scratch: error: cannot create a scratch file"), "%s",
              r.err);
    cli_result_dispose(&r);
}

/* --memory far below what the corpus needs: sorted runs spill, the output is identical;
 * on three threads, the passage feed reads a round of one batch at a time (each larger
 * than the cap allows a round), its parts marked by three threads, against one thread's
 * single round. (Rounds of many batches in three shares: test_cli, three threads.) */
Test(faults, memory_cap_spills_with_identical_output)
{
    make_corpus();
    cli_result full = run_cli("--threads 1 --threshold 0.5 --passages - --pairs /dev/null "
                              "'%s/docs'",
                              dir);
    cli_result tight =
        run_cli("--threads 3 --memory 64K --tmpdir '%s' --threshold 0.5 --passages - "
                "--pairs /dev/null '%s/docs'",
                dir, dir);
    cr_assert_eq(full.status, 0, "%s", full.err);
    cr_assert_eq(tight.status, 0, "%s", tight.err);
    cr_assert(strstr(full.err, " 0 sorted runs spilled"), "%s", full.err);
    const char *runs = strstr(tight.err, "sorted runs spilled");
    cr_assert_not_null(runs);
    while (runs > tight.err && runs[-1] == ' ')
        runs--;
    while (runs > tight.err && runs[-1] >= '0' && runs[-1] <= '9')
        runs--;
    cr_assert_gt(atoi(runs), 10, "the cap made the sort spill: %s", tight.err);
    cr_assert_gt(strlen(full.out), 100000);
    cr_assert_str_eq(tight.out, full.out, "spilling changes nothing in the output");
    cli_result_dispose(&full);
    cli_result_dispose(&tight);
}

/* The LSH band records under a tiny cap: sorted in runs on disk, the same pairs. */
Test(faults, memory_cap_spills_band_records)
{
    make_corpus();
    /* 512 values: about 100 bands a document, 15,000 records, 4,096 fit in 64K */
    cli_result full = run_cli("--num-perm 512 --threshold 0.5 --pairs - '%s/docs'", dir);
    cli_result tight = run_cli(
        "--memory 64K --tmpdir '%s' --num-perm 512 --threshold 0.5 --pairs - '%s/docs'", dir, dir);
    cr_assert_eq(full.status, 0, "%s", full.err);
    cr_assert_eq(tight.status, 0, "%s", tight.err);
    cr_assert(strstr(full.err, " 0 sorted runs spilled"), "%s", full.err);
    cr_assert_null(strstr(tight.err, " 0 sorted runs spilled"), "the band records spilled: %s",
                   tight.err);
    cr_assert_gt(strlen(full.out), 1000, "150 copies of 5 articles make many pairs");
    cr_assert_str_eq(tight.out, full.out, "spilling changes nothing in the pairs");
    cli_result_dispose(&full);
    cli_result_dispose(&tight);
}

/* ---------------------------------------------------------------- outputs and inputs */

/* Whether the file at path holds exactly want. */
static bool holds(const char *path, const char *want, size_t want_len)
{
    size_t len;
    char *now = read_file(path, &len);
    const bool same = now && len == want_len && !memcmp(now, want, len);
    free(now);
    return same;
}

static void expect_refused(cli_result *r, const char *option, const char *path)
{
    cr_expect_eq(r->status, 2, "a clash is a usage error: %s", r->err);
    cr_expect(strstr(r->err, option) && strstr(r->err, path), "%s and %s named: %s", option, path,
              r->err);
    cli_result_dispose(r);
}

/* An output that is an input (by its name, through a symlink, as the --files-from list or
 * a path in it, or a file below an input directory) is refused before anything is read or
 * written: the input stays whole and no output appears. */
Test(faults, an_output_that_is_an_input_is_refused)
{
    static const char feed[] = "{\"id\":\"a\",\"text\":\"one two three four five six seven\"}\n"
                               "{\"id\":\"b\",\"text\":\"one two three four five six seven\"}\n";
    char docs[600], path[700], list[700], link[700], out[700];
    snprintf(docs, sizeof(docs), "%s/docs", dir);
    cr_assert_eq(mkdir_p(docs), 0);
    size_t len;
    char *seed = read_seed(0, &len);
    snprintf(path, sizeof(path), "%s/000.txt", docs);
    write_file(path, seed, len);
    char *seed1 = read_seed(1, &len);
    snprintf(path, sizeof(path), "%s/001.txt", docs);
    write_file(path, seed1, len);
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    write_file(path, feed, sizeof(feed) - 1);

    /* the run: --pairs names an article of the folder being read */
    char cd[700];
    snprintf(cd, sizeof(cd), "cd '%s' && ", docs);
    cli_result r = run_cli_prefixed(cd, "-q --threshold 0.3 --pairs 000.txt --passages p.csv .");
    expect_refused(&r, "--pairs", "000.txt");
    snprintf(path, sizeof(path), "%s/000.txt", docs);
    cr_expect(holds(path, seed, strlen(seed)), "the article was overwritten");
    snprintf(path, sizeof(path), "%s/p.csv", docs);
    cr_expect_neq(access(path, F_OK), 0, "an output was written");

    /* a JSONL feed as --pairs, beside --dedup-out */
    r = run_cli("-q --pairs '%s/feed.jsonl' --dedup-out '%s/d.jsonl' '%s/feed.jsonl'", dir, dir,
                dir);
    expect_refused(&r, "--pairs", "feed.jsonl");
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    cr_expect(holds(path, feed, sizeof(feed) - 1), "the feed was overwritten");
    snprintf(path, sizeof(path), "%s/d.jsonl", dir);
    cr_expect_neq(access(path, F_OK), 0, "--dedup-out was written");

    /* the same file by another name: a symlink to the feed */
    snprintf(link, sizeof(link), "%s/link.csv", dir);
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    cr_assert_eq(symlink(path, link), 0);
    r = run_cli("-q --clusters '%s' '%s'", link, path);
    expect_refused(&r, "--clusters", "link.csv");
    cr_expect(holds(path, feed, sizeof(feed) - 1), "the feed was overwritten through a link");

    /* the --files-from list, and a path listed in it */
    snprintf(list, sizeof(list), "%s/list", dir);
    const int n = snprintf(out, sizeof(out), "%s\n", path);
    write_file(list, out, (size_t)n);
    r = run_cli("-q --pairs '%s' --files-from '%s'", list, list);
    expect_refused(&r, "--pairs", "list");
    cr_expect(holds(list, out, (size_t)n), "the list was overwritten");
    r = run_cli("-q --remove '%s' --files-from '%s'", path, list);
    expect_refused(&r, "--remove", "feed.jsonl");
    cr_expect(holds(path, feed, sizeof(feed) - 1), "a listed input was overwritten");

    /* inside an input directory: a new file (read as a document by the next run), and an
     * outside file reached through a symlink below the directory */
    r = run_cli("-q --pairs '%s/new.csv' '%s'", docs, docs);
    expect_refused(&r, "--pairs", "new.csv");
    snprintf(path, sizeof(path), "%s/new.csv", docs);
    cr_expect_neq(access(path, F_OK), 0, "an output was written inside the input directory");
    snprintf(out, sizeof(out), "%s/out.csv", dir);
    write_file(out, "OLD\n", 4);
    snprintf(link, sizeof(link), "%s/linked.txt", docs);
    cr_assert_eq(symlink(out, link), 0);
    r = run_cli("-q --pairs '%s' '%s'", out, docs);
    expect_refused(&r, "--pairs", "linked.txt");
    cr_expect(holds(out, "OLD\n", 4), "the file read through the symlink was overwritten");
    unlink(link);

    /* "-" and /dev/null never clash */
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    r = run_cli("-q --threshold 0.5 --pairs - --clusters - --remove /dev/null --passages /dev/null "
                "'%s' /dev/null",
                path);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    free(seed);
    free(seed1);
}

/* Two outputs that are one file: the same name, two spellings of it, a hard link, a
 * symlink. A usage error naming both; nothing written. */
Test(faults, two_outputs_that_are_one_file_are_refused)
{
    char a[700], b[700];
    snprintf(a, sizeof(a), "%s/x.csv", dir);
    cli_result r = run_cli("-q --pairs '%s' --clusters '%s' '%s'", a, a, SEEDS_DIR);
    expect_refused(&r, "--pairs", "x.csv");
    cr_expect_neq(access(a, F_OK), 0, "an output was written");
    r = run_cli("-q --pairs '%s' --passages '%s/./x.csv' '%s'", a, dir, SEEDS_DIR);
    expect_refused(&r, "--passages", "./x.csv");
    cr_expect_neq(access(a, F_OK), 0, "an output was written");
    write_file(a, "OLD\n", 4);
    snprintf(b, sizeof(b), "%s/hard.csv", dir);
    cr_assert_eq(link(a, b), 0);
    r = run_cli("-q --remove '%s' --report '%s' '%s'", a, b, SEEDS_DIR);
    expect_refused(&r, "--report", "hard.csv");
    snprintf(b, sizeof(b), "%s/soft.csv", dir);
    cr_assert_eq(symlink(a, b), 0);
    r = run_cli("-q --run-info '%s' --clusters '%s' '%s'", b, a, SEEDS_DIR);
    expect_refused(&r, "--run-info", "soft.csv");
    cr_expect(holds(a, "OLD\n", 4), "the output was written");
}

/* A named pipe as an input, written once with a seed article: it is read once and kept
 * (spooled), so its passages are written from the same bytes the scan read, though the
 * pipe gives nothing when opened again. Runs args (with %s the pipe) under a timeout. */
static cli_result run_with_pipe_input(const char *args_fmt)
{
    char fifo[700], args[4096];
    snprintf(fifo, sizeof(fifo), "%s/pipe.txt", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    size_t len;
    char *seed = read_seed(0, &len);
    const pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        const int fd = open(fifo, O_WRONLY);
        if (fd < 0 || write(fd, seed, len) != (ssize_t)len)
            _exit(1);
        close(fd);
        _exit(0);
    }
    snprintf(args, sizeof(args), args_fmt, fifo);
    cli_result r = run_cli_prefixed("timeout 60 ", "%s", args);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(fifo);
    free(seed);
    return r;
}

Test(faults, a_pipe_input_is_read_once_and_its_passages_written)
{
    char args[1400];
    snprintf(args, sizeof(args), "-q --threshold 0.3 --passages - '%s' %%s",
             SEED("000_0890706d309c6b14.txt"));
    cli_result r = run_with_pipe_input(args);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "pipe.txt"), "the pipe is a document with passages: %s", r.out);
    cli_result_dispose(&r);
}

/* An output that cannot be written says so, naming the output and why (exit status 4
 * came with no message). */
Test(faults, an_output_that_fails_says_why)
{
    cli_result r = run_cli("-q --threshold 0.3 --passages /dev/full '%s'", SEEDS_DIR);
    cr_expect_eq(r.status, 4, "%s", r.err);
    cr_expect(strstr(r.err, "/dev/full: write failed: No space left on device"),
              "the output and what failed named: %s", r.err);
    cli_result_dispose(&r);
}

/* The outputs of a run are renamed into place together, once all are complete: when the
 * passages fail, the pairs written before them stay as they were, and no temporary file
 * remains. */
Test(faults, outputs_are_renamed_together_when_all_are_complete)
{
    char pairs[700], passages[700], cmd[800];
    snprintf(pairs, sizeof(pairs), "%s/pairs.csv", dir);
    snprintf(passages, sizeof(passages), "%s/passages.csv", dir);
    write_file(pairs, "OLD\n", 4);
    write_file(passages, "OLD\n", 4);
    cli_result r =
        run_cli("-q --threshold 0.3 --pairs '%s' --passages /dev/full '%s'", pairs, SEEDS_DIR);
    cr_expect_eq(r.status, 4, "%s", r.err);
    cr_expect(holds(pairs, "OLD\n", 4), "the pairs were replaced though the passages failed");
    cr_expect(strstr(r.err, "pairs.csv: left as it was"), "%s", r.err);
    snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    cr_expect_neq(system(cmd), 0, "a temporary file was left behind");
    cli_result_dispose(&r);
    r = run_cli("-q --threshold 0.3 --pairs '%s' --passages '%s' '%s'", pairs, passages, SEEDS_DIR);
    cr_expect_eq(r.status, 0, "%s", r.err);
    cr_expect(!holds(pairs, "OLD\n", 4) && !holds(passages, "OLD\n", 4), "both replaced");
    cli_result_dispose(&r);
}

/* Two runs at once writing the same outputs: both succeed, each output is one run's
 * complete file (never a mix of the two), no temporary file is left beside it, and no
 * input changes. */
Test(faults, two_runs_at_once_on_the_same_outputs)
{
    char ref[600], out[600], path[700];
    make_corpus_and_output_dirs(ref, out);
    run_seconds(ref);
    snprintf(path, sizeof(path), "%s/docs/007.txt", dir);
    char *input_before = read_file(path, NULL);
    for (int round = 0; round < 3; round++) {
        const pid_t a = start_run(out), b = start_run(out);
        int status_a, status_b;
        waitpid(a, &status_a, 0);
        waitpid(b, &status_b, 0);
        cr_assert(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 0, "round %d: first run", round);
        cr_assert(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0, "round %d: second run", round);
        static const char *const names[] = {"pairs.csv", "passages.csv"};
        for (size_t i = 0; i < 2; i++) {
            char want_path[700], got_path[700];
            snprintf(want_path, sizeof(want_path), "%s/%s", ref, names[i]);
            snprintf(got_path, sizeof(got_path), "%s/%s", out, names[i]);
            char *want = read_file(want_path, NULL), *got = read_file(got_path, NULL);
            cr_assert(got && !strcmp(got, want), "round %d: %s is not one run's whole file", round,
                      names[i]);
            free(want);
            free(got);
        }
        DIR *d = opendir(out);
        size_t entries = 0;
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            entries += e->d_name[0] != '.';
        closedir(d);
        cr_assert_eq(entries, 2, "round %d: only the two outputs are left in the folder", round);
    }
    char *input_after = read_file(path, NULL);
    cr_assert_str_eq(input_after, input_before, "an input changed");
    free(input_before);
    free(input_after);
}

/* SIGKILL while a large gzip input is being spooled to --tmpdir, and while it is being
 * read from there: nothing is left in --tmpdir (its files are unlinked as made), and the
 * input is unchanged. */
Test(faults, killed_while_spooling_leaves_no_temporary_file)
{
    char tmp[600], gz[600], cmd[2000];
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    snprintf(gz, sizeof(gz), "%s/big.jsonl.gz", dir);
    cr_assert_eq(mkdir_p(tmp), 0);
    snprintf(cmd, sizeof(cmd),
             "yes '{\"text\":\"one two three four five six seven\"}' | head -c 200000000 | "
             "gzip -1 > '%s' && md5sum < '%s' > '%s.md5'",
             gz, gz, dir);
    cr_assert_eq(system(cmd), 0);
    for (int round = 1; round <= 4; round++) {
        const pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            execl(ND_TEST_CLI, "neardup", "-q", "--tmpdir", tmp, "--pairs", "/dev/null", gz,
                  (char *)NULL);
            _exit(127);
        }
        usleep((useconds_t)(150000 * round));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s')\" ]", tmp);
        cr_assert_eq(system(cmd), 0, "round %d: a file was left in --tmpdir", round);
    }
    snprintf(cmd, sizeof(cmd), "md5sum < '%s' | cmp -s - '%s.md5'", gz, dir);
    cr_assert_eq(system(cmd), 0, "the input changed");
}

/* The outputs added with passage clusters and crawl statistics are refused as inputs
 * too, and two of them naming one file are refused: the input stays whole. */
Test(faults, the_new_outputs_are_refused_as_inputs)
{
    char docs[600], path[700];
    snprintf(docs, sizeof(docs), "%s/docs", dir);
    cr_assert_eq(mkdir_p(docs), 0);
    size_t len;
    char *seed = read_seed(0, &len);
    snprintf(path, sizeof(path), "%s/000.txt", docs);
    write_file(path, seed, len);
    static const char *const options[] = {"--stats", "--passage-clusters"};
    for (size_t i = 0; i < 2; i++) {
        cli_result r = run_cli("-q %s '%s' '%s'", options[i], path, docs);
        expect_refused(&r, options[i], "000.txt");
        cr_expect(holds(path, seed, len), "%s overwrote the input", options[i]);
    }
    cli_result r =
        run_cli("-q --stats '%s/s.json' --passage-clusters '%s/s.json' '%s'", dir, dir, docs);
    expect_refused(&r, "--stats", "s.json");
    snprintf(path, sizeof(path), "%s/s.json", dir);
    cr_expect_neq(access(path, F_OK), 0, "an output was written");
    free(seed);
}

/* Two runs at once writing the same --stats file: each writes its own temporary file and
 * renames it into place, so the file is one whole JSON object, never a mix. */
Test(faults, two_runs_write_one_stats_file)
{
    char cmd[2048], path[700];
    snprintf(path, sizeof(path), "%s/stats.json", dir);
    snprintf(cmd, sizeof(cmd),
             "'%s' -q --stats '%s' --pairs /dev/null '%s' & '%s' -q --stats '%s' --pairs /dev/null "
             "'%s' & wait",
             ND_TEST_CLI, path, SEEDS_DIR, ND_TEST_CLI, path, SEEDS_DIR);
    cr_assert_eq(system(cmd), 0);
    size_t len;
    char *json = read_file(path, &len);
    cr_assert_not_null(json);
    cr_expect(len > 2 && json[0] == '{' && json[len - 2] == '}' && json[len - 1] == '\n', "%s",
              json);
    cr_expect_eq(strstr(json + 1, "{\"documents\""), NULL, "one object: %s", json);
    free(json);
    char pattern[800];
    snprintf(pattern, sizeof(pattern), "ls '%s' | grep -q 'stats.json.tmp'", dir);
    cr_expect_neq(system(pattern), 0, "no temporary file left");
}
