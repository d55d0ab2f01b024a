/*
 * test_api.c: the public clean-ups of neardup.h: error messages, the option table
 * (library checks, --help and the man page all follow it), the default thread count,
 * the kept document of a cluster, and the stats' size field. Public API only.
 */
#define _POSIX_C_SOURCE 200809L
#include "neardup.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- nd_strerror */

Test(api, strerror_names_every_code)
{
    static const int codes[] = {ND_OK,     ND_ENOMEM, ND_EIO,    ND_EUTF8, ND_EFORMAT,
                                ND_EINVAL, ND_EICU,   ND_EINDEX, ND_EBUSY, ND_EEXIST};
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        const char *m = nd_strerror(codes[i]);
        cr_assert_not_null(m);
        cr_assert_gt(strlen(m), 0);
        cr_assert_str_neq(m, "unknown error", "code %d has its own message", codes[i]);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(m, nd_strerror(codes[j]), "codes %d and %d", codes[i], codes[j]);
    }
    cr_assert_str_eq(nd_strerror(ND_ENOMEM), "out of memory");
    cr_assert_eq(nd_strerror(ND_EIO), nd_strerror(ND_EIO), "a static string");
}

Test(api, strerror_of_unknown_codes)
{
    static const int unknown[] = {1, 7, -10, -100, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        cr_assert_str_eq(nd_strerror(unknown[i]), "unknown error", "code %d", unknown[i]);
}

/* ---------------------------------------------------------------- the option table */

/* The field of nd_options behind each option of the table, written out here on purpose:
 * a row added to the table without a field here fails the tests below. */
static bool field(nd_options *o, const char *name, double *get, const double *set)
{
#define FIELD(opt, member, type)                                                                   \
    if (!strcmp(name, opt)) {                                                                      \
        if (set)                                                                                   \
            o->member = (type)*set;                                                                \
        if (get)                                                                                   \
            *get = (double)o->member;                                                              \
        return true;                                                                               \
    }
    FIELD("threshold", threshold, double)
    FIELD("shingle", shingle_k, int)
    FIELD("char-ngram", char_ngram, int)
    FIELD("num-perm", num_perm, int)
    FIELD("seed", seed, uint64_t)
    FIELD("bands", bands, int)
    FIELD("rows", rows, int)
    FIELD("max-gap", max_gap, int)
    FIELD("min-passage", min_passage, int)
    FIELD("max-df", max_df, int)
    FIELD("threads", threads, int)
    FIELD("memory", memory, uint64_t)
    FIELD("max-doc-size", max_doc_size, uint64_t)
#undef FIELD
    return false;
}

static size_t n_options(void)
{
    size_t n = 0;
    while (nd_option_at(n))
        n++;
    return n;
}

Test(options, table_is_complete_and_found_by_name)
{
    const size_t n = n_options();
    cr_assert_eq(n, 13, "the numeric options of nd_options");
    for (size_t i = 0; i < n; i++) {
        const nd_option_info *o = nd_option_at(i);
        cr_assert_not_null(o->name);
        cr_assert_not_null(o->arg);
        cr_assert_not_null(o->help);
        cr_assert_eq(nd_option_find(o->name), o, "%s", o->name);
        nd_options opts = ND_OPTIONS_INIT;
        double v;
        cr_assert(field(&opts, o->name, &v, NULL), "%s has a field", o->name);
        cr_assert(o->min < o->max, "%s", o->name);
        cr_assert(!strchr(o->help, '\n'), "%s: one line", o->name);
    }
    cr_assert_null(nd_option_at(n));
    cr_assert_null(nd_option_find("no-such-option"));
    cr_assert_null(nd_option_find(NULL));
}

Test(options, defaults_are_those_of_options_init)
{
    for (size_t i = 0; nd_option_at(i); i++) {
        const nd_option_info *o = nd_option_at(i);
        nd_options opts = ND_OPTIONS_INIT;
        double v = NAN;
        field(&opts, o->name, &v, NULL);
        cr_assert_eq(v, o->def, "%s: ND_OPTIONS_INIT has %g, the table %g", o->name, v, o->def);
        cr_assert(nd_option_in_range(o, o->def), "%s: the default is in range", o->name);
    }
    const nd_options opts = ND_OPTIONS_INIT;
    cr_assert_eq(opts.threads, 0, "the library uses all cores by default, as documented");
    cr_assert_eq(nd_options_check(&opts, NULL), 0);
}

Test(options, in_range_follows_the_bounds)
{
    const nd_option_info *t = nd_option_find("threshold");
    cr_assert(t->min_excluded);
    cr_assert(!nd_option_in_range(t, 0));
    cr_assert(nd_option_in_range(t, DBL_MIN));
    cr_assert(nd_option_in_range(t, 1));
    cr_assert(!nd_option_in_range(t, 1 + DBL_EPSILON));
    cr_assert(!nd_option_in_range(t, NAN));
    const nd_option_info *p = nd_option_find("num-perm");
    cr_assert(nd_option_in_range(p, 16) && nd_option_in_range(p, 1024));
    cr_assert(!nd_option_in_range(p, 15) && !nd_option_in_range(p, 1025));
    cr_assert(isinf(nd_option_find("memory")->max));
}

/* Options that lie within their own range but break a rule between options are moved
 * to values where only the option under test can be wrong. */
static nd_options options_for(const char *name)
{
    nd_options o = ND_OPTIONS_INIT;
    if (!strcmp(name, "bands") || !strcmp(name, "rows")) {
        o.num_perm = 1024;
        o.bands = o.rows = 1;
    }
    return o;
}

/* Values just outside each end of each range are refused, and why is the option's name;
 * the ends themselves are accepted. */
Test(options, check_refuses_values_just_outside_each_range)
{
    for (size_t i = 0; nd_option_at(i); i++) {
        const nd_option_info *o = nd_option_at(i);
        const bool whole = o->kind != ND_OPTION_REAL;
        const double unsigned_min = 0; /* seed and memory are uint64_t */
        const bool is_u64 = !strcmp(o->name, "seed") || !strcmp(o->name, "memory") ||
                            !strcmp(o->name, "max-doc-size");
        double below = o->min_excluded ? o->min : whole ? o->min - 1 : o->min - DBL_EPSILON;
        double above = whole ? o->max + 1 : o->max * (1 + DBL_EPSILON);
        const double outside[2] = {below, above};
        for (int end = 0; end < 2; end++) {
            if (isinf(outside[end]) || (is_u64 && outside[end] < unsigned_min))
                continue; /* no value of the field's type lies there */
            nd_options opts = options_for(o->name);
            field(&opts, o->name, NULL, &outside[end]);
            const char *why = NULL;
            cr_assert_eq(nd_options_check(&opts, &why), ND_EINVAL, "%s = %g", o->name,
                         outside[end]);
            cr_assert_str_eq(why, o->name, "%s = %g: why names it", o->name, outside[end]);
            nd_corpus *c = NULL;
            cr_assert_eq(nd_corpus_new(&c, &opts), ND_EINVAL, "%s", o->name);
        }
        const double inside[2] = {o->min_excluded ? o->min + DBL_EPSILON : o->min, o->max};
        for (int end = 0; end < 2; end++) {
            if (isinf(inside[end]))
                continue;
            nd_options opts = options_for(o->name);
            field(&opts, o->name, NULL, &inside[end]);
            if (!strcmp(o->name, "bands") && inside[end] == 0)
                opts.rows = 0; /* together */
            if (!strcmp(o->name, "rows") && inside[end] == 0)
                opts.bands = 0;
            const char *why = NULL;
            cr_assert_eq(nd_options_check(&opts, &why), 0, "%s = %g: %s", o->name, inside[end],
                         why ? why : "");
        }
    }
}

Test(options, rules_between_options_still_hold)
{
    nd_options o = ND_OPTIONS_INIT;
    const char *why;
    o.bands = 64, o.rows = 4; /* 256 > 128 */
    cr_assert_eq(nd_options_check(&o, &why), ND_EINVAL);
    cr_assert(strstr(why, "bands"));
    o.rows = 0;
    cr_assert_eq(nd_options_check(&o, &why), ND_EINVAL);
    cr_assert(strstr(why, "bands"));
    o = (nd_options)ND_OPTIONS_INIT;
    o.passages = 1, o.min_passage = 4; /* fewer than the 5 words of a shingle */
    cr_assert_eq(nd_options_check(&o, &why), ND_EINVAL);
    cr_assert(strstr(why, "min-passage"));
    o = (nd_options)ND_OPTIONS_INIT;
    o.version = 0;
    cr_assert_eq(nd_options_check(&o, &why), ND_EINVAL);
    cr_assert(strstr(why, "version"));
}

/* ---------------------------------------------------------------- --help and the man page */

/* The range and default as --help writes them ("16..1024", "(128)"), rebuilt here. */
static void value_text(const nd_option_info *o, double v, char *buf, size_t len)
{
    if (o->kind == ND_OPTION_BYTES && v >= 1024 && v < 0x1p64) {
        const uint64_t u = (uint64_t)v;
        for (int shift = 30; shift >= 10; shift -= 10)
            if (u % (1ull << shift) == 0) {
                snprintf(buf, len, "%llu%c", (unsigned long long)(u >> shift),
                         "KMG"[shift / 10 - 1]);
                return;
            }
    }
    snprintf(buf, len, "%.15g", v);
}

static void range_text(const nd_option_info *o, char *buf, size_t len)
{
    char lo[32], hi[32];
    value_text(o, o->min, lo, sizeof(lo));
    value_text(o, o->max, hi, sizeof(hi));
    if (isinf(o->max) && !o->min_excluded && o->min <= 0)
        snprintf(buf, len, "%s", "");
    else if (isinf(o->max))
        snprintf(buf, len, "%s %s", o->min_excluded ? "above" : "at least", lo);
    else if (o->min_excluded)
        snprintf(buf, len, "above %s, at most %s", lo, hi);
    else
        snprintf(buf, len, "%s..%s", lo, hi);
}

/* s with every run of spaces and newlines made one space: wrapped lines compare as one. */
static char *squeeze(const char *s)
{
    char *out = malloc(strlen(s) + 1), *p = out;
    for (; *s; s++)
        if (*s == ' ' || *s == '\n' || *s == '\t') {
            if (p > out && p[-1] != ' ')
                *p++ = ' ';
        } else {
            *p++ = *s;
        }
    *p = '\0';
    return out;
}

Test(options, help_shows_each_option_with_its_range_and_default)
{
    cli_result r = run_cli("--help");
    cr_assert_eq(r.status, 0);
    char *help = squeeze(r.out);
    const char *last = help;
    for (size_t i = 0; nd_option_at(i); i++) {
        const nd_option_info *o = nd_option_at(i);
        char range[96], def[32], want[320];
        range_text(o, range, sizeof(range));
        value_text(o, o->def, def, sizeof(def));
        snprintf(want, sizeof(want), "--%s=%s %s%s%s (%s)", o->name, o->arg, o->help,
                 *range ? ", " : "", range, def);
        const char *at = strstr(help, want);
        cr_assert_not_null(at, "--help lacks \"%s\"", want);
        cr_assert(at > last, "--%s in the order of the table", o->name);
        last = at;
    }
    free(help);
    cli_result_dispose(&r);
}

Test(options, cli_refuses_values_outside_the_table_ranges)
{
    static const char *const bad[][2] = {
        {"threshold", "0"},   {"threshold", "1.01"}, {"shingle", "65"}, {"num-perm", "15"},
        {"num-perm", "1025"}, {"max-gap", "1001"},   {"max-df", "1"},   {"threads", "1025"},
        {"threads", "-1"},    {"memory", "65535"},   {"memory", "-1G"}, {"min-passage", "0"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cli_result r = run_cli("--%s=%s '%s'", bad[i][0], bad[i][1], SEEDS_DIR);
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s", bad[i][0]);
        cr_assert_eq(r.status, 2, "--%s=%s", bad[i][0], bad[i][1]);
        cr_assert(strstr(r.err, opt), "--%s=%s: %s", bad[i][0], bad[i][1], r.err);
        cli_result_dispose(&r);
    }
    cli_result r = run_cli("-q --memory 64K --threads 1024 --num-perm 16 '%s'", SEEDS_DIR);
    cr_assert_eq(r.status, 0, "the ends of the ranges are accepted: %s", r.err);
    cli_result_dispose(&r);
}

/* Each numeric option's paragraph of docs/neardup.1.scd gives the table's range (when it
 * has one) and "default DEF". */
Test(options, man_page_follows_the_table)
{
    size_t len;
    char *man = read_file(ND_TEST_SOURCE_DIR "/docs/neardup.1.scd", &len);
    cr_assert_not_null(man);
    for (size_t i = 0; nd_option_at(i); i++) {
        const nd_option_info *o = nd_option_at(i);
        char head[64], range[96], def[48];
        snprintf(head, sizeof(head), "*--%s*", o->name);
        const char *at = strstr(man, head);
        cr_assert_not_null(at, "the man page lacks %s", head);
        const char *end = strstr(at, "\n\n");
        char *para = strndup(at, end ? (size_t)(end - at) : strlen(at));
        char *flat = squeeze(para);
        range_text(o, range, sizeof(range));
        char v[32];
        value_text(o, o->def, v, sizeof(v));
        snprintf(def, sizeof(def), "default %s", v);
        cr_assert(!*range || strstr(flat, range), "%s: the range %s in \"%s\"", head, range, flat);
        cr_assert(strstr(flat, def), "%s: \"%s\" in \"%s\"", head, def, flat);
        free(flat);
        free(para);
    }
    free(man);
}

/* ---------------------------------------------------------------- results */

static nd_result *run_two_copies(nd_corpus **corpus)
{
    static const char text[] = "the quick brown fox jumps over the lazy dog near the river bank "
                               "while the sun sets slowly behind the distant purple hills";
    nd_options opts = ND_OPTIONS_INIT;
    opts.keep = ND_KEEP_LONGEST;
    nd_result *r = NULL;
    cr_assert_eq(nd_corpus_new(corpus, &opts), 0);
    cr_assert_eq(nd_corpus_add_memory(*corpus, "lone", "nothing in common here at all", 29), 0);
    cr_assert_eq(nd_corpus_add_memory(*corpus, "short", text, sizeof(text) - 1), 0);
    char longer[sizeof(text) + 16];
    snprintf(longer, sizeof(longer), "%s today.", text);
    cr_assert_eq(nd_corpus_add_memory(*corpus, "long", longer, strlen(longer)), 0);
    cr_assert_eq(nd_corpus_run(*corpus, &r), 0);
    return r;
}

Test(api, kept_doc_is_the_document_kept)
{
    nd_corpus *c;
    nd_result *r = run_two_copies(&c);
    cr_assert_eq(nd_result_n_members(r), 2);
    for (size_t i = 0; i < 2; i++) {
        const nd_member *m = nd_result_member(r, i);
        cr_assert_eq(m->kept_doc, 2, "--keep longest keeps \"long\"");
        cr_assert_str_eq(nd_corpus_doc_id(c, m->kept_doc), "long");
    }
    nd_result_free(r);
    nd_corpus_free(c);
}

Test(api, stats_carry_their_size)
{
    nd_corpus *c;
    nd_result *r = run_two_copies(&c);
    const nd_stats *s = nd_result_stats(r);
    cr_assert_eq(s->struct_size, sizeof(nd_stats));
    cr_assert(ND_STATS_HAS(s, n_spilled_runs));
    cr_assert(ND_STATS_HAS(s, seconds));
    cr_assert_eq(s->n_docs, 3);
    cr_assert_eq(s->n_clusters, 1);
    for (int i = ND_STAGE_COUNT; i < ND_STAGE_MAX; i++)
        cr_assert_eq(s->seconds[i], 0, "no stage %d", i);
    nd_stats older = {.struct_size = (uint32_t)offsetof(nd_stats, n_spilled_runs)};
    cr_assert(!ND_STATS_HAS(&older, n_spilled_runs), "a library without the field");
    cr_assert(ND_STATS_HAS(&older, n_capped_shingles));
    nd_result_free(r);
    nd_corpus_free(c);
}

/* A program built with the first header passes a shorter struct (version 1): it keeps
 * working, and what lies past its end (all_pairs here) is not read. */
Test(api, options_of_an_older_header_are_accepted)
{
    nd_options o = ND_OPTIONS_INIT;
    o.version = 1;
    o.all_pairs = 1; /* past the end of a version 1 struct: must not be read */
    cr_assert_eq(nd_options_check(&o, NULL), 0);
    nd_corpus *c = NULL;
    nd_result *r = NULL;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(nd_corpus_add_memory(c, i ? "copy" : "first", "one text, thrice said", 21), 0);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    cr_assert_eq(nd_result_stats(r)->n_copies, 2, "all_pairs kept its default, 0");
    nd_result_free(r);
    nd_corpus_free(c);
    o.version = ND_OPTIONS_VERSION + 1;
    const char *why = NULL;
    cr_assert_eq(nd_options_check(&o, &why), ND_EINVAL);
    cr_assert_not_null(strstr(why, "version"));
}
