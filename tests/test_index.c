/*
 * test_index.c: the feed index (nd_index_*): its file, feeds, upkeep, and bad indexes.
 */
#define _GNU_SOURCE
#include "neardup.h"
#include "helpers.h"
#include "index/store.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir;
static char db[512];

static void setup(void)
{
    dir = make_temp_dir();
    snprintf(db, sizeof(db), "%s/index.ndx", dir);
}

static void teardown(void)
{
    remove_tree(dir);
    free(dir);
}

TestSuite(index, .init = setup, .fini = teardown);

static nd_options low_threshold(void)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.3;
    o.threads = 1;
    return o;
}

static nd_index *open_db(int mode)
{
    nd_index *x = NULL;
    char why[256];
    const int rc = nd_index_open(&x, db, mode, 0, NULL, NULL, why, sizeof(why));
    cr_assert_eq(rc, 0, "open: %s", why);
    return x;
}

/* The documents index x holds. */
static uint64_t docs_in(nd_index *x)
{
    nd_index_info info;
    cr_assert_eq(nd_index_get_info(x, &info), 0);
    return info.n_docs;
}

/* A corpus of the seed articles first..last (ids "seedN"), for the index's options. */
static nd_corpus *seed_corpus(const nd_index *x, int first, int last)
{
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    for (int i = first; i <= last; i++) {
        size_t len;
        char *text = read_seed(i, &len), id[16];
        snprintf(id, sizeof(id), "seed%d", i);
        cr_assert_eq(nd_corpus_add_memory(c, id, text, len), 0);
        free(text);
    }
    return c;
}

/* Feeds seeds first..last; the result's matches as "new~earlier" lines into buf. */
static void feed_seeds(nd_index *x, int first, int last, int add, int query, char *buf, size_t len)
{
    nd_corpus *c = seed_corpus(x, first, last);
    nd_index_feed_options fo = {.query = query, .add = add};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    buf[0] = '\0';
    for (size_t i = 0; i < nd_index_result_n_matches(r); i++) {
        const nd_index_match *m = nd_index_result_match(r, i);
        const size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s~%s%s %.4f\n", nd_corpus_doc_id(c, m->doc), m->earlier_id,
                 m->archived ? "(archived)" : "", m->jaccard);
    }
    nd_index_result_free(r);
    nd_corpus_free(c);
}

Test(index, a_feed_finds_the_archived_and_the_earlier_documents)
{
    const nd_options o = low_threshold();
    cr_assert_eq(nd_index_create(db, &o), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[1024];
    feed_seeds(x, 0, 0, ND_INDEX_ADD_ALL, 1, found, sizeof(found));
    cr_assert_str_eq(found, "");
    cr_assert_eq(nd_index_commit(x), 0);
    /* 001 shares the McMaster and Mnuchin paragraphs with 000: J 0.3217 in the batch tool */
    feed_seeds(x, 1, 4, ND_INDEX_ADD_NONE, 1, found, sizeof(found));
    cr_assert_str_eq(found, "seed1~seed0(archived) 0.3217\n");
    /* a query of 000 and 001 together: 001 against the archived 000 and the 000 before it */
    feed_seeds(x, 0, 1, ND_INDEX_ADD_NONE, 1, found, sizeof(found));
    cr_assert_str_eq(found, "seed0~seed0(archived) 1.0000\nseed1~seed0(archived) 0.3217\n"
                            "seed1~seed0 0.3217\n");
    nd_index_close(x);
}

Test(index, verdicts_name_the_best_match_and_what_was_added)
{
    const nd_options o = low_threshold();
    cr_assert_eq(nd_index_create(db, &o), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    nd_corpus *c = seed_corpus(x, 0, 2);
    cr_assert_eq(nd_corpus_add_memory(c, "copy", "", 0), 0); /* no word */
    nd_index_feed_options fo = {.query = 1, .add = ND_INDEX_ADD_UNIQUE};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    cr_assert_eq(nd_index_result_n_verdicts(r), 4);
    cr_assert_eq(nd_index_result_verdict(r, 0)->kind, ND_VERDICT_NEW);
    cr_assert_eq(nd_index_result_verdict(r, 0)->added, 1);
    cr_assert_eq(nd_index_result_verdict(r, 1)->kind, ND_VERDICT_DUPLICATE);
    cr_assert_eq(nd_index_result_verdict(r, 1)->added, 0, "unique: a duplicate is not added");
    cr_assert_eq(nd_index_result_verdict(r, 3)->kind, ND_VERDICT_EMPTY);
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    cr_assert_eq(nd_index_write_verdicts(r, f), 0);
    fclose(f);
    cr_assert(strstr(out, "{\"id\":\"seed1\",\"verdict\":\"duplicate\",\"added\":false,"
                          "\"match\":\"seed0\",\"jaccard\":0.3217,\"archived\":false}\n"),
              "%s", out);
    free(out);
    nd_index_result_free(r);
    nd_corpus_free(c);
    cr_assert_eq(nd_index_commit(x), 0);
    cr_assert_eq(docs_in(x), 2, "seed0 and seed2 added, seed1 a duplicate");
    nd_index_close(x);
}

/* Commits, expects n documents and a sound index, and closes x. */
static void commit_check_close(nd_index *x, uint64_t n)
{
    cr_assert_eq(nd_index_commit(x), 0);
    cr_assert_eq(docs_in(x), n);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    nd_index_close(x);
}

Test(index, an_id_already_archived_is_an_error_or_replaced)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[256];
    feed_seeds(x, 0, 1, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    nd_corpus *c = seed_corpus(x, 0, 0);
    nd_index_feed_options fo = {.add = ND_INDEX_ADD_ALL};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    cr_assert_eq(nd_index_result_verdict(r, 0)->kind, ND_VERDICT_ERROR);
    cr_assert_eq(nd_index_result_verdict(r, 0)->added, 0);
    nd_index_result_free(r);
    fo.replace = 1;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    cr_assert_eq(nd_index_result_verdict(r, 0)->added, 1);
    nd_index_result_free(r);
    nd_corpus_free(c);
    commit_check_close(x, 2);
}

/* A document replaced by a later one of the same feed leaves no band key behind, though
 * its keys were still waiting to be written when it was deleted. */
Test(index, a_document_replaced_in_its_own_feed_leaves_no_key)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    static const char feed[] = "{\"id\":\"a\",\"text\":\"one two three four five six seven\"}\n"
                               "{\"id\":\"b\",\"text\":\"eight nine ten eleven twelve\"}\n"
                               "{\"id\":\"a\",\"text\":\"thirteen fourteen fifteen sixteen\"}\n";
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    cr_assert_eq(nd_corpus_add_bytes(c, "feed.jsonl", 1, feed, sizeof(feed) - 1), 0);
    const nd_index_feed_options fo = {.add = ND_INDEX_ADD_ALL, .replace = 1};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    nd_index_result_free(r);
    nd_corpus_free(c);
    commit_check_close(x, 2);
}

/* With --add unique, a document that would replace an archived one of its id but is a
 * duplicate of another is not added, and the archived one stays. */
Test(index, a_duplicate_not_added_replaces_nothing)
{
    const nd_options o = low_threshold();
    cr_assert_eq(nd_index_create(db, &o), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[1024];
    feed_seeds(x, 0, 1, ND_INDEX_ADD_ALL, 0, found, sizeof(found)); /* seed0, seed1 */
    cr_assert_eq(nd_index_commit(x), 0);
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    size_t len;
    char *text = read_seed(1, &len); /* seed1's text under the id seed0 */
    cr_assert_eq(nd_corpus_add_memory(c, "seed0", text, len), 0);
    free(text);
    const nd_index_feed_options fo = {.query = 1, .add = ND_INDEX_ADD_UNIQUE, .replace = 1};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    cr_assert_eq(nd_index_result_verdict(r, 0)->kind, ND_VERDICT_DUPLICATE);
    cr_assert_eq(nd_index_result_verdict(r, 0)->added, 0);
    nd_index_result_free(r);
    nd_corpus_free(c);
    feed_seeds(x, 0, 0, ND_INDEX_ADD_NONE, 1, found, sizeof(found));
    cr_assert(strstr(found, "seed0~seed0(archived) 1.0000"), "seed0 is still there: %s", found);
    commit_check_close(x, 2);
}

/* Rows of a query of seed 0 by another process (LMDB: one handle of a file per process). */
static int rows_seen_by_a_reader(void)
{
    cli_result q =
        run_cli("index query -q '%s' '%s' --pairs -", db, SEED("000_0890706d309c6b14.txt"));
    cr_assert_eq(q.status, 0, "%s", q.err);
    int rows = -1; /* the header */
    for (const char *p = q.out; (p = strchr(p, '\n')) != NULL; p++)
        rows++;
    cli_result_dispose(&q);
    return rows;
}

Test(index, what_is_not_committed_is_not_seen_and_is_dropped_on_close)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *w = open_db(ND_INDEX_WRITE);
    char found[256];
    feed_seeds(w, 0, 0, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    cr_assert_eq(rows_seen_by_a_reader(), 0, "a reader sees only what is committed");
    cr_assert_eq(nd_index_commit(w), 0);
    cr_assert_eq(rows_seen_by_a_reader(), 1);
    feed_seeds(w, 1, 1, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    nd_index_close(w); /* seed1 not committed */
    nd_index *r = open_db(ND_INDEX_READ);
    cr_assert_eq(docs_in(r), 1);
    nd_index_close(r);
}

/* Feeds seeds first..last with fo; appends the matches and verdicts to log. */
static void feed_logged(nd_index *x, int first, int last, nd_index_feed_options fo, char *log,
                        size_t len)
{
    nd_corpus *c = seed_corpus(x, first, last);
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    for (size_t i = 0; i < nd_index_result_n_matches(r); i++) {
        const nd_index_match *m = nd_index_result_match(r, i);
        const size_t at = strlen(log);
        snprintf(log + at, len - at, "%s~%s%s %.4f\n", nd_corpus_doc_id(c, m->doc), m->earlier_id,
                 m->archived ? "(archived)" : "", m->jaccard);
    }
    for (size_t i = 0; i < nd_index_result_n_verdicts(r); i++) {
        const size_t at = strlen(log);
        snprintf(log + at, len - at, "%d%d ", nd_index_result_verdict(r, i)->kind,
                 nd_index_result_verdict(r, i)->added);
    }
    nd_index_result_free(r);
    nd_corpus_free(c);
}

/* Adds, replaces and queries seeds through a handle opened with mode, committing now and
 * then; what each feed found into log, and the documents held at the end. */
static uint64_t replace_and_query(int mode, char *log, size_t len)
{
    const nd_options o = low_threshold();
    cr_assert_eq(nd_index_create(db, &o), 0);
    nd_index *x = open_db(mode);
    const nd_index_feed_options add = {.query = 1, .add = ND_INDEX_ADD_ALL},
                                replace = {.query = 1, .add = ND_INDEX_ADD_ALL, .replace = 1},
                                query = {.query = 1};
    log[0] = '\0';
    feed_logged(x, 0, 0, add, log, len);
    feed_logged(x, 0, 1, add, log, len); /* seed0 refused: its id is not committed yet */
    feed_logged(x, 0, 2, query, log, len);
    cr_assert_eq(nd_index_commit(x), 0);
    feed_logged(x, 0, 0, replace, log, len); /* the committed seed0 replaced */
    feed_logged(x, 1, 1, replace, log, len); /* and the new one */
    feed_logged(x, 0, 1, query, log, len);
    cr_assert_eq(nd_index_commit(x), 0);
    feed_logged(x, 3, 4, add, log, len); /* not committed: dropped */
    cr_assert_eq(nd_index_flush(x), 0);
    nd_index_close(x);
    x = open_db(ND_INDEX_READ);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    const uint64_t n = docs_in(x);
    nd_index_close(x);
    remove(db);
    return n;
}

Test(index, a_background_writer_gives_the_answers_of_a_foreground_one)
{
    static char now[8192], later[8192];
    const uint64_t n_now = replace_and_query(ND_INDEX_WRITE, now, sizeof(now));
    const uint64_t n_later =
        replace_and_query(ND_INDEX_WRITE | ND_INDEX_BACKGROUND, later, sizeof(later));
    cr_assert_str_eq(later, now);
    cr_assert_eq(n_later, n_now);
    cr_assert_eq(n_now, 2, "seed0 and seed1, each replaced once");
    cr_assert(strstr(now, "seed1~seed0(archived) 0.3217\n"), "%s", now);
    cr_assert(strstr(now, "seed0~seed0(archived) 1.0000\n"), "%s", now);
}

Test(index, a_background_writer_leaves_upkeep_to_another_handle)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE | ND_INDEX_BACKGROUND);
    const char *ids[] = {"seed0"};
    uint64_t removed, unknown;
    cr_assert_eq(nd_index_remove(x, ids, 1, &removed, &unknown), ND_EINVAL);
    cr_assert_eq(nd_index_compact(x), ND_EINVAL);
    nd_index_close(x);
}

Test(index, a_second_writer_waits_then_gives_up)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *w = open_db(ND_INDEX_WRITE), *w2 = NULL;
    char why[256];
    cr_assert_eq(nd_index_open(&w2, db, ND_INDEX_WRITE, 0.2, NULL, NULL, why, sizeof(why)),
                 ND_EBUSY);
    cr_assert(strstr(why, "another process is writing"), "%s", why);
    nd_index_close(w);
    cr_assert_eq(nd_index_open(&w2, db, ND_INDEX_WRITE, 0.2, NULL, NULL, why, sizeof(why)), 0);
    nd_index_close(w2);
}

Test(index, removal_and_expiry_leave_no_key_to_a_removed_document)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    static const char feed[] =
        "{\"id\":\"a\",\"d\":\"2026-01-01\",\"text\":\"one two three four five six\"}\n"
        "{\"id\":\"b\",\"d\":\"2026-02-01T10:00:00+02:00\",\"text\":\"seven eight nine\"}\n"
        "{\"id\":\"c\",\"text\":\"twelve thirteen fourteen fifteen sixteen\"}\n";
    cr_assert_eq(nd_corpus_add_bytes(c, "feed.jsonl", 1, feed, strlen(feed)), 0);
    nd_index_feed_options fo = {.add = ND_INDEX_ADD_ALL, .date_key = "d"};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    nd_index_result_free(r);
    nd_corpus_free(c);
    cr_assert_eq(nd_index_commit(x), 0);
    nd_index_info info;
    cr_assert_eq(nd_index_get_info(x, &info), 0);
    int64_t jan1, feb1;
    cr_assert_eq(nd_parse_date("2026-01-01", &jan1), 0);
    cr_assert_eq(nd_parse_date("2026-02-01T08:00:00Z", &feb1), 0);
    cr_assert_eq(info.first_date, jan1);
    cr_assert_eq(info.last_date, feb1, "10:00 at +02:00 is 08:00 UTC");
    uint64_t removed, unknown;
    cr_assert_eq(nd_index_expire(x, feb1, &removed), 0);
    cr_assert_eq(removed, 1, "a is older; c has no date and stays");
    const char *ids[] = {"b", "nobody"};
    cr_assert_eq(nd_index_remove(x, ids, 2, &removed, &unknown), 0);
    cr_assert_eq(removed, 1);
    cr_assert_eq(unknown, 1);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(nd_index_get_info(x, &info), 0);
    cr_assert_eq(info.n_docs, 1);
    cr_assert_eq(info.n_band_keys, (uint64_t)1 * 13, "the bands of c alone");
    nd_index_close(x);
}

Test(index, the_options_are_fixed_at_creation)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.7;
    o.shingle_k = 3;
    cr_assert_eq(nd_index_create(db, &o), 0);
    cr_assert_eq(nd_index_create(db, &o), ND_EEXIST);
    nd_index *x = open_db(ND_INDEX_READ);
    cr_assert_eq(nd_index_options(x)->threshold, 0.7);
    cr_assert_eq(nd_index_options(x)->shingle_k, 3);
    cr_assert_null(nd_index_option_differs(x, nd_index_options(x)));
    nd_options other = *nd_index_options(x);
    other.seed = 2;
    cr_assert_str_eq(nd_index_option_differs(x, &other), "seed");
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, &other), 0);
    nd_index_feed_options fo = {.query = 1};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), ND_EINVAL);
    nd_corpus_free(c);
    nd_index_close(x);
}

/* Opening path fails with ND_EINDEX and a sentence holding what. */
static void assert_refused(const char *what)
{
    nd_index *x = NULL;
    char why[512];
    const int rc = nd_index_open(&x, db, ND_INDEX_READ, 0, NULL, NULL, why, sizeof(why));
    cr_assert_eq(rc, ND_EINDEX, "%d: %s", rc, why);
    cr_assert(strstr(why, db) && strstr(why, what), "%s", why);
    cr_assert_null(x);
}

Test(index, a_file_that_is_not_an_index_is_named)
{
    write_file(db, "hello, not an index\n", 20);
    assert_refused("not a neardup index");
}

Test(index, a_truncated_index_is_named_not_read)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[256];
    for (int i = 0; i < 5; i++)
        feed_seeds(x, i, i, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    cr_assert_eq(nd_index_commit(x), 0);
    nd_index_close(x);
    struct stat st;
    cr_assert_eq(stat(db, &st), 0);
    cr_assert_eq(truncate(db, st.st_size / 2), 0);
    assert_refused("truncated");
}

/* Adds the seeds through a handle opened with mode and commits with a file size limit
 * that stands in for a full disk: the commit (or, in the background, the flush) fails
 * with ND_EIO and the index is left empty. */
static void full_disk(int mode)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    const pid_t pid = fork();
    if (pid == 0) { /* (no cr_assert in the child: Criterion's runner is the parent's) */
        nd_index *x = NULL;
        nd_index_result *r = NULL;
        nd_corpus *c = NULL;
        if (nd_index_open(&x, db, mode, 0, NULL, NULL, NULL, 0) < 0 ||
            nd_corpus_new(&c, nd_index_options(x)) < 0 || nd_corpus_add_path(c, SEEDS_DIR) < 0)
            _exit(2);
        nd_index_feed_options fo = {.add = ND_INDEX_ADD_ALL};
        if (nd_index_feed(x, c, &fo, &r) < 0)
            _exit(3);
        /* the pages are written at the commit */
        signal(SIGXFSZ, SIG_IGN);
        struct stat st;
        stat(db, &st);
        const struct rlimit limit = {(rlim_t)st.st_size, (rlim_t)st.st_size};
        setrlimit(RLIMIT_FSIZE, &limit);
        int rc = nd_index_commit(x);
        if (rc == 0)
            rc = nd_index_flush(x);
        nd_index_result_free(r);
        nd_corpus_free(c);
        nd_index_close(x);
        _exit(rc == ND_EIO ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the commit fails with ND_EIO (status %d)", status);
    nd_index *x = open_db(ND_INDEX_READ);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(docs_in(x), 0);
    nd_index_close(x);
}

Test(index, a_full_disk_leaves_the_index_as_it_was)
{
    full_disk(ND_INDEX_WRITE);
}

Test(index, a_full_disk_under_a_background_writer_is_told_by_flush)
{
    full_disk(ND_INDEX_WRITE | ND_INDEX_BACKGROUND);
}

Test(index, compaction_keeps_every_document)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[256];
    feed_seeds(x, 0, 4, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    cr_assert_eq(nd_index_commit(x), 0);
    const char *ids[] = {"seed0", "seed1", "seed2"};
    uint64_t removed, unknown;
    cr_assert_eq(nd_index_remove(x, ids, 3, &removed, &unknown), 0);
    cr_assert_eq(nd_index_compact(x), 0);
    nd_index_close(x);
    x = open_db(ND_INDEX_READ);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    feed_seeds(x, 3, 4, ND_INDEX_ADD_NONE, 1, found, sizeof(found));
    cr_assert_str_eq(found, "seed3~seed3(archived) 1.0000\nseed4~seed4(archived) 1.0000\n");
    nd_index_close(x);
}

Test(index, iso_dates)
{
    int64_t s;
    cr_assert_eq(nd_parse_date("1970-01-01", &s), 0);
    cr_assert_eq(s, 0);
    cr_assert_eq(nd_parse_date("2000-03-01T00:00:00Z", &s), 0);
    cr_assert_eq(s, 951868800);
    cr_assert_eq(nd_parse_date("1969-12-31T23:59:59.5Z", &s), 0);
    cr_assert_eq(s, -1);
    cr_assert_eq(nd_parse_date("2026-12-05T10:20:30-0130", &s), 0);
    cr_assert_eq(nd_parse_date("2026-02-29", &s), ND_EINVAL, "not a leap year");
    cr_assert_eq(nd_parse_date("2026-12-05T25:00", &s), ND_EINVAL);
    cr_assert_eq(nd_parse_date("yesterday", &s), ND_EINVAL);
    cr_assert_eq(nd_parse_date("2026-12-05 junk", &s), ND_EINVAL);
}

/* The README's "Deduplicate a live feed", its two commands as written, tail -f ended by a
 * timeout (neardup then reads the end of its input, commits and exits). */
Test(index, the_readme_feed_example_runs_as_written)
{
    char path[600], command[2048];
    snprintf(path, sizeof(path), "%s/feed.jsonl", dir);
    static const char feed[] =
        "{\"id\":\"a\",\"text\":\"the minister said talks would resume on monday in cairo\"}\n"
        "{\"id\":\"b\",\"text\":\"the minister said talks would resume on monday in cairo\"}\n";
    write_file(path, feed, strlen(feed));
    char folder[512];
    snprintf(folder, sizeof(folder), "%s", ND_TEST_CLI);
    *strrchr(folder, '/') = '\0';
    snprintf(command, sizeof(command),
             "cd '%s' && PATH='%s':\"$PATH\" && neardup index create feed.ndx && "
             "timeout 1 tail -f feed.jsonl | neardup index add --query feed.ndx - --verdicts -",
             dir, folder);
    FILE *p = popen(command, "r");
    cr_assert_not_null(p);
    char out[1024] = "";
    const size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_assert(strstr(out, "{\"id\":\"a\",\"verdict\":\"new\",\"added\":true}\n"), "%s", out);
    cr_assert(strstr(out, "{\"id\":\"b\",\"verdict\":\"duplicate\",\"added\":true,\"match\":\"a\","
                          "\"jaccard\":1.0000,\"archived\":false}\n"),
              "%s", out);
    snprintf(db, sizeof(db), "%s/feed.ndx", dir);
    nd_index *x = open_db(ND_INDEX_READ);
    cr_assert_eq(docs_in(x), 2, "committed when the input ended");
    nd_index_close(x);
}

/* A JSONL feed of n documents of twenty words each from a small vocabulary (ids dN). */
static char *word_feed(int n, size_t *len)
{
    static const char *const words[] = {"rain",  "cairo", "minister", "talks", "bank",
                                        "rates", "oil",   "summit",   "said",  "monday",
                                        "peace", "trade", "markets",  "syria", "deal"};
    size_t cap = (size_t)n * 256, at = 0;
    char *out = malloc(cap);
    unsigned x = 7;
    for (int i = 0; i < n; i++) {
        at += (size_t)sprintf(out + at, "{\"id\":\"d%d\",\"text\":\"", i);
        for (int w = 0; w < 20; w++) {
            x = x * 1103515245u + 12345u;
            at += (size_t)sprintf(out + at, "%s%s", w ? " " : "", words[(x >> 16) % 15]);
        }
        at += (size_t)sprintf(out + at, "\"}\n");
    }
    *len = at;
    return out;
}

/* Adds n documents of word_feed to x and commits; the feed's text (for the caller to free). */
static char *add_word_feed(nd_index *x, int n, size_t *len)
{
    char *feed = word_feed(n, len);
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    cr_assert_eq(nd_corpus_add_bytes(c, "feed.jsonl", 1, feed, *len), 0);
    nd_index_feed_options fo = {.add = ND_INDEX_ADD_ALL};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    nd_index_result_free(r);
    nd_corpus_free(c);
    cr_assert_eq(nd_index_commit(x), 0);
    return feed;
}

/* A first add of 1,200 documents through a handle opened with mode trains the texts'
 * dictionary: reopened, every text decompresses and copies are found. */
static void trains_the_dictionary(int mode)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(mode);
    size_t len;
    char *feed = add_word_feed(x, 1200, &len);
    cr_assert_eq(nd_index_flush(x), 0);
    nd_index_close(x);
    /* reopened: the dictionary is read back, every text decompresses, copies are found */
    x = open_db(ND_INDEX_READ);
    cr_assert_not_null(x->ddict, "a dictionary trained and stored");
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    cr_assert_eq(nd_corpus_add_bytes(c, "again.jsonl", 1, feed, 10 * len / 1200), 0);
    const nd_index_feed_options fo = {.query = 1};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    const nd_index_match *m = nd_index_result_match(r, 0);
    cr_assert_not_null(m);
    cr_assert_str_eq(m->earlier_id, "d0");
    cr_assert_eq(m->archived, 1);
    cr_assert_eq(m->jaccard, 1.0);
    nd_index_result_free(r);
    nd_corpus_free(c);
    nd_index_info info;
    cr_assert_eq(nd_index_get_info(x, &info), 0);
    cr_assert_lt(info.used_bytes / info.n_docs, 1024, "%llu bytes a document",
                 (unsigned long long)(info.used_bytes / info.n_docs));
    nd_index_close(x);
    free(feed);
}

Test(index, a_large_first_add_trains_the_texts_dictionary)
{
    trains_the_dictionary(ND_INDEX_WRITE);
}

Test(index, a_large_first_add_trains_the_dictionary_in_the_background_too)
{
    trains_the_dictionary(ND_INDEX_WRITE | ND_INDEX_BACKGROUND);
}

/* The band keys in the fresh table and in the merged one. */
static void band_tables(nd_index *x, size_t *fresh, size_t *merged)
{
    MDB_txn *txn;
    MDB_stat st;
    cr_assert_eq(mdb_txn_begin(x->env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_stat(txn, x->fresh, &st), 0);
    *fresh = st.ms_entries;
    cr_assert_eq(mdb_stat(txn, x->bands, &st), 0);
    *merged = st.ms_entries;
    mdb_txn_abort(txn);
}

/* Queries the first n lines of feed; how many found their archived self (Jaccard 1). */
static size_t copies_found(nd_index *x, const char *feed, int n)
{
    const char *end = feed;
    for (int i = 0; i < n; i++)
        end = strchr(end, '\n') + 1;
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    cr_assert_eq(nd_corpus_add_bytes(c, "again.jsonl", 1, feed, (size_t)(end - feed)), 0);
    const nd_index_feed_options fo = {.query = 1};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    size_t found = 0;
    for (size_t i = 0; i < nd_index_result_n_matches(r); i++) {
        const nd_index_match *m = nd_index_result_match(r, i);
        found +=
            m->archived && m->jaccard == 1.0 && !strcmp(m->earlier_id, nd_corpus_doc_id(c, m->doc));
    }
    nd_index_result_free(r);
    nd_corpus_free(c);
    return found;
}

/* Adds lines first..first+n-1 (from 0) of feed to x, and commits. */
static void add_lines(nd_index *x, const char *feed, int first, int n)
{
    const char *from = feed;
    for (int i = 0; i < first; i++)
        from = strchr(from, '\n') + 1;
    const char *to = from;
    for (int i = 0; i < n; i++)
        to = strchr(to, '\n') + 1;
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, nd_index_options(x)), 0);
    cr_assert_eq(
        nd_corpus_add_bytes(c, "feed.jsonl", (uint32_t)first + 1, from, (size_t)(to - from)), 0);
    const nd_index_feed_options fo = {.add = ND_INDEX_ADD_ALL};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    nd_index_result_free(r);
    nd_corpus_free(c);
    cr_assert_eq(nd_index_commit(x), 0);
}

Test(index, fresh_band_keys_are_merged_and_found_on_both_sides)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    x->fresh_min = 100; /* (a merge every eighth of the merged keys, from 100 on) */
    size_t len, fresh, merged;
    char *more = word_feed(400, &len);
    for (int part = 0; part < 3; part++) { /* three adds of 100, a commit each */
        add_lines(x, more, part * 100, 100);
        band_tables(x, &fresh, &merged);
        cr_assert_eq(fresh, 0, "each commit of 100 documents' keys merges them");
    }
    x->fresh_min = 1u << 30;
    add_lines(x, more, 300, 100);
    band_tables(x, &fresh, &merged);
    cr_assert_gt(fresh, 0, "100 more documents' keys stay fresh");
    cr_assert_gt(merged, 0);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(copies_found(x, more, 400), 400, "merged and fresh keys both found");
    const char *ids[] = {"d5", "d350"};
    uint64_t removed, unknown;
    cr_assert_eq(nd_index_remove(x, ids, 2, &removed, &unknown), 0);
    cr_assert_eq(removed, 2);
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(copies_found(x, more, 400), 398);
    nd_index_close(x);
    free(more);
}

/* Writes schema into the index's meta with LMDB itself, and drops table drop (when not
 * NULL). */
static void set_schema(uint32_t schema, const char *drop)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, dropped;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
    cr_assert_eq(mdb_env_open(env, db, MDB_NOSUBDIR, 0644), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    if (drop) {
        cr_assert_eq(mdb_dbi_open(txn, drop, 0, &dropped), 0);
        cr_assert_eq(mdb_drop(txn, dropped, 1), 0);
    }
    MDB_val k = {6, "schema"}, v = {4, &schema};
    cr_assert_eq(mdb_put(txn, meta, &k, &v, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* An index of schema 2 (its band keys in one table, no fresh table) is read as it is, and
 * a writer upgrades it. */
Test(index, an_index_of_schema_2_is_read_and_upgraded)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    x->fresh_min = 0; /* every key merged at the commit */
    size_t len;
    char *feed = add_word_feed(x, 50, &len);
    nd_index_close(x);
    set_schema(2, "fresh");
    x = open_db(ND_INDEX_READ);
    nd_index_info info;
    cr_assert_eq(nd_index_get_info(x, &info), 0);
    cr_assert_eq(info.schema, 2);
    cr_assert_eq(copies_found(x, feed, 50), 50);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    nd_index_close(x);
    x = open_db(ND_INDEX_WRITE);
    cr_assert_eq(nd_index_get_info(x, &info), 0);
    cr_assert_eq(info.schema, ND_INDEX_SCHEMA, "a writer upgrades it");
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(copies_found(x, feed, 50), 50);
    nd_index_close(x);
    free(feed);
}

Test(index, another_schema_is_named)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    set_schema(99, NULL);
    assert_refused("schema 99");
}

/* The passages of a match against an archived document are the batch tool's passages of
 * the two, byte for byte (the archived side sliced from its stored text). */
Test(index, passages_of_a_match_are_the_batchs)
{
    const nd_options o = low_threshold();
    cr_assert_eq(nd_index_create(db, &o), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[256];
    feed_seeds(x, 0, 0, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    cr_assert_eq(nd_index_commit(x), 0);
    nd_options with = *nd_index_options(x);
    with.passages = 1;
    nd_corpus *c, *batch;
    size_t len;
    char *text = read_seed(1, &len);
    cr_assert_eq(nd_corpus_new(&c, &with), 0);
    cr_assert_eq(nd_corpus_add_memory(c, "seed1", text, len), 0);
    nd_index_feed_options fo = {.query = 1};
    nd_index_result *r;
    cr_assert_eq(nd_index_feed(x, c, &fo, &r), 0);
    cr_assert_eq(nd_index_result_n_passages(r), 1);
    const nd_index_passage *p = nd_index_result_passage(r, 0);
    /* the batch tool on the same two texts */
    nd_result *br;
    cr_assert_eq(nd_corpus_new(&batch, &with), 0);
    size_t len0;
    char *text0 = read_seed(0, &len0);
    cr_assert_eq(nd_corpus_add_memory(batch, "seed0", text0, len0), 0);
    cr_assert_eq(nd_corpus_add_memory(batch, "seed1", text, len), 0);
    cr_assert_eq(nd_corpus_run(batch, &br), 0);
    const nd_passage *bp = NULL;
    for (size_t i = 0; i < nd_result_n_passages(br); i++)
        if (nd_result_passage(br, i)->doc_a == 0 && nd_result_passage(br, i)->doc_b == 1)
            bp = nd_result_passage(br, i);
    cr_assert_not_null(bp);
    cr_assert_eq(p->a_start, bp->b_start);
    cr_assert_eq(p->a_end, bp->b_end);
    cr_assert_eq(p->b_start, bp->a_start);
    cr_assert_eq(p->b_end, bp->a_end);
    cr_assert_eq(p->archived, 1);
    cr_assert_str_eq(p->earlier_id, "seed0");
    cr_assert_eq(strlen(p->text_b), bp->a_end - bp->a_start);
    cr_assert_eq(memcmp(p->text_b, text0 + bp->a_start, bp->a_end - bp->a_start), 0);
    cr_assert_eq(memcmp(p->text_a, text + bp->b_start, bp->b_end - bp->b_start), 0);
    nd_result_free(br);
    nd_corpus_free(batch);
    nd_index_result_free(r);
    nd_corpus_free(c);
    free(text);
    free(text0);
    nd_index_close(x);
}

/* An output that names an input or the index is refused before anything is written; a
 * missing input is named, the others are read (exit 3). */
Test(index, outputs_never_overwrite_inputs_and_bad_inputs_are_named)
{
    char input[600];
    snprintf(input, sizeof(input), "%s/article.txt", dir);
    size_t len;
    char *text = read_seed(0, &len);
    write_file(input, text, len);
    cr_assert_eq(nd_index_create(db, NULL), 0);
    cli_result r = run_cli("index query '%s' '%s' --pairs '%s'", db, input, input);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "would be overwritten"), "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("index add '%s' '%s' --verdicts '%s'", db, input, db);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cli_result_dispose(&r);
    size_t now;
    char *after = read_file(input, &now);
    cr_assert(now == len && !memcmp(after, text, len), "the input is as it was");
    free(after);
    r = run_cli("index add '%s' '%s/missing.txt' '%s' --verdicts -", db, dir, input);
    cr_assert_eq(r.status, 3, "%s", r.err);
    cr_assert(strstr(r.err, "missing.txt: error: No such file"), "%s", r.err);
    cr_assert(strstr(r.out, "\"verdict\":\"new\",\"added\":true"), "%s", r.out);
    cli_result_dispose(&r);
    free(text);
}

/* A file redirected to standard input is an input: naming it as an output is refused
 * before anything is opened, by the stream and by the batch tool. */
Test(index, a_file_behind_standard_input_is_never_an_output)
{
    char input[600];
    snprintf(input, sizeof(input), "%s/feed.jsonl", dir);
    static const char feed[] = "{\"id\":\"a\",\"text\":\"one two three four five six\"}\n";
    write_file(input, feed, sizeof(feed) - 1);
    cr_assert_eq(nd_index_create(db, NULL), 0);
    cli_result r = run_cli("index add '%s' - --verdicts '%s' < '%s'", db, input, input);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "standard input"), "%s", r.err);
    cli_result_dispose(&r);
    r = run_cli("- --pairs '%s' < '%s'", input, input);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cli_result_dispose(&r);
    size_t now;
    char *after = read_file(input, &now);
    cr_assert(now == sizeof(feed) - 1 && !memcmp(after, feed, now), "the input is as it was");
    free(after);
    r = run_cli("index add --add none '%s' '%s'", db, input); /* (not a way to add nothing) */
    cr_assert_eq(r.status, 2, "%s", r.err);
    cli_result_dispose(&r);
    nd_index *x = open_db(ND_INDEX_READ);
    cr_assert_eq(docs_in(x), 0);
    nd_index_close(x);
}

Test(index, a_command_naming_another_similarity_option_is_refused)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.3;
    cr_assert_eq(nd_index_create(db, &o), 0);
    cli_result r = run_cli("index query '%s' '%s' --threshold 0.3 --pairs -", db,
                           SEED("000_0890706d309c6b14.txt"));
    cr_assert_eq(r.status, 0, "the same value is fine: %s", r.err);
    cli_result_dispose(&r);
    r = run_cli("index add '%s' '%s' --threshold 0.5 --shingle 5", db,
                SEED("000_0890706d309c6b14.txt"));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "was made with another --threshold"), "%s", r.err);
    cli_result_dispose(&r);
    nd_index *x = open_db(ND_INDEX_READ);
    cr_assert_eq(docs_in(x), 0, "nothing added");
    nd_index_close(x);
}

/* Removing every document frees the pages at the end of the file that a commit took and
 * gave back: the index still opens (its file covers every page it counts). */
Test(index, removing_everything_leaves_an_index_that_opens)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    size_t len;
    char *feed = add_word_feed(x, 300, &len);
    const char *two[] = {"d1", "d2"};
    uint64_t removed, unknown;
    cr_assert_eq(nd_index_remove(x, two, 2, &removed, &unknown), 0);
    const char **all = malloc(300 * sizeof(*all));
    char(*ids)[8] = malloc(300 * sizeof(*ids));
    for (int i = 0; i < 300; i++) {
        snprintf(ids[i], sizeof(ids[i]), "d%d", i);
        all[i] = ids[i];
    }
    cr_assert_eq(nd_index_remove(x, all, 300, &removed, &unknown), 0);
    cr_assert_eq(removed, 298);
    nd_index_close(x);
    x = open_db(ND_INDEX_READ);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    nd_index_close(x);
    free(all);
    free(ids);
    free(feed);
}

Test(index, an_empty_file_is_no_index_and_is_left_alone)
{
    write_file(db, "", 0);
    assert_refused("an empty file");
    char lock[600];
    snprintf(lock, sizeof(lock), "%s-lock", db);
    struct stat st;
    cr_assert_eq(stat(db, &st), 0);
    cr_assert_eq(st.st_size, 0, "not made an LMDB file");
    cr_assert_neq(stat(lock, &st), 0, "no lock file made beside it");
}

Test(index, compaction_through_a_symlink_keeps_the_link_and_the_mode)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    cr_assert_eq(chmod(db, 0640), 0);
    char link[600];
    snprintf(link, sizeof(link), "%s/link.ndx", dir);
    cr_assert_eq(symlink(db, link), 0);
    cli_result r = run_cli("index compact '%s'", link);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "still a link");
    cr_assert_eq(stat(db, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0640);
}

Test(index, lines_streamed_without_ids_get_their_line_in_the_stream)
{
    char folder[512], command[2048];
    snprintf(folder, sizeof(folder), "%s", ND_TEST_CLI);
    *strrchr(folder, '/') = '\0';
    cr_assert_eq(nd_index_create(db, NULL), 0);
    snprintf(command, sizeof(command),
             "(printf '{\"text\":\"one two three four five six seven\"}\\n'; sleep 0.3; "
             "printf '{\"text\":\"eight nine ten eleven twelve thirteen\"}\\n') | "
             "'%s/neardup' index add -q '%s' - --verdicts -",
             folder, db);
    FILE *p = popen(command, "r");
    char out[1024] = "";
    const size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", out);
    cr_assert(strstr(out, "{\"id\":\"-:1\",\"verdict\":\"new\",\"added\":true}"), "%s", out);
    cr_assert(strstr(out, "{\"id\":\"-:2\",\"verdict\":\"new\",\"added\":true}"), "%s", out);
}

/* A feed full of copies of one text: every copy is verified against every earlier one
 * (each pair listed, as --all-pairs does), each text's shingles sorted once, and the
 * memory stays that of one document's work. */
Test(index, a_feed_of_copies_lists_every_pair_in_little_memory)
{
    char feed[600];
    snprintf(feed, sizeof(feed), "%s/copies.jsonl", dir);
    FILE *f = fopen(feed, "w");
    for (int i = 0; i < 300; i++)
        fprintf(f, "{\"id\":\"c%d\",\"text\":\"%s\"}\n", i,
                "the minister said on monday that talks with the union would resume in cairo "
                "next week after a pause of two months over wages and pensions");
    fclose(f);
    cr_assert_eq(nd_index_create(db, NULL), 0);
    cli_result r = run_cli("index add --query -q '%s' '%s' --pairs -", db, feed);
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t rows = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
        rows++;
    cr_assert_eq(rows, 1 + 300 * 299 / 2, "a header and every pair once");
    cr_assert_lt(r.max_rss_kb, 200 * 1024, "%ld KB", r.max_rss_kb);
    cli_result_dispose(&r);
}

/* A compaction that cannot finish (here a file size limit; a kill leaves the same) leaves
 * the index as it was and no file beside it: the copy has no name until it is whole. */
Test(index, a_failed_compaction_leaves_nothing_behind)
{
    cr_assert_eq(nd_index_create(db, NULL), 0);
    nd_index *x = open_db(ND_INDEX_WRITE);
    char found[256];
    feed_seeds(x, 0, 4, ND_INDEX_ADD_ALL, 0, found, sizeof(found));
    cr_assert_eq(nd_index_commit(x), 0);
    nd_index_close(x);
    const pid_t pid = fork();
    if (pid == 0) { /* (no cr_assert in the child) */
        signal(SIGXFSZ, SIG_IGN);
        const struct rlimit limit = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &limit);
        nd_index *w = NULL;
        if (nd_index_open(&w, db, ND_INDEX_WRITE, 0, NULL, NULL, NULL, 0) < 0)
            _exit(2);
        const int rc = nd_index_compact(w);
        nd_index_close(w);
        _exit(rc < 0 ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the compaction fails (%d)", status);
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        cr_assert_null(strstr(e->d_name, ".compact-"), "%s left behind", e->d_name);
    closedir(d);
    x = open_db(ND_INDEX_READ);
    char why[256];
    cr_assert_eq(nd_index_check(x, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(docs_in(x), 5);
    nd_index_close(x);
}
