/*
 * main.c: the neardup command line, a thin layer over libneardup.
 *
 * Parses options into an nd_options, adds the inputs, runs the corpus and
 * writes the outputs. Data goes to stdout or the named files; messages,
 * warnings and the summary go to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include "neardup.h"
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_PAIRS = CHAR_MAX + 1,
    OPT_CLUSTERS,
    OPT_REMOVE,
    OPT_PASSAGES,
    OPT_PASSAGE_CLUSTERS,
    OPT_STATS,
    OPT_FORMAT,
    OPT_NO_PASSAGE_TEXT,
    OPT_THRESHOLD,
    OPT_SHINGLE,
    OPT_SHINGLE_UNIT,
    OPT_CHAR_NGRAM,
    OPT_NUM_PERM,
    OPT_SEED,
    OPT_BANDS,
    OPT_ROWS,
    OPT_VERIFY,
    OPT_KEEP,
    OPT_NORMALIZE,
    OPT_ENGINE,
    OPT_MAX_GAP,
    OPT_MIN_PASSAGE,
    OPT_MAX_DF,
    OPT_STRICT,
    OPT_ALL_PAIRS,
    OPT_THREADS,
    OPT_FILES_FROM,
    OPT_FILES0_FROM,
    OPT_EXIT_CODE,
    OPT_INPUT_FORMAT,
    OPT_ID_KEY,
    OPT_TEXT_KEY,
    OPT_DEDUP_OUT,
    OPT_RUN_INFO,
    OPT_PROGRESS,
    OPT_REPORT,
    OPT_TMPDIR,
    OPT_MEMORY,
    OPT_MAX_DOC_SIZE,
    OPT_CSV_SAFE,
    OPT_HTML,
    OPT_HTML_MAIN,
    OPT_CHARSET,
    OPT_TITLE_KEY,
};

static const struct option longopts[] = {
    {"pairs", required_argument, NULL, OPT_PAIRS},
    {"clusters", required_argument, NULL, OPT_CLUSTERS},
    {"remove", required_argument, NULL, OPT_REMOVE},
    {"passages", required_argument, NULL, OPT_PASSAGES},
    {"passage-clusters", required_argument, NULL, OPT_PASSAGE_CLUSTERS},
    {"stats", required_argument, NULL, OPT_STATS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"csv-safe", no_argument, NULL, OPT_CSV_SAFE},
    {"no-passage-text", no_argument, NULL, OPT_NO_PASSAGE_TEXT},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"shingle", required_argument, NULL, OPT_SHINGLE},
    {"shingle-unit", required_argument, NULL, OPT_SHINGLE_UNIT},
    {"char-ngram", required_argument, NULL, OPT_CHAR_NGRAM},
    {"num-perm", required_argument, NULL, OPT_NUM_PERM},
    {"seed", required_argument, NULL, OPT_SEED},
    {"bands", required_argument, NULL, OPT_BANDS},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"normalize", required_argument, NULL, OPT_NORMALIZE},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"max-gap", required_argument, NULL, OPT_MAX_GAP},
    {"min-passage", required_argument, NULL, OPT_MIN_PASSAGE},
    {"max-df", required_argument, NULL, OPT_MAX_DF},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"html", optional_argument, NULL, OPT_HTML},
    {"html-main", no_argument, NULL, OPT_HTML_MAIN},
    {"charset", required_argument, NULL, OPT_CHARSET},
    {"all-pairs", no_argument, NULL, OPT_ALL_PAIRS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"files-from", required_argument, NULL, OPT_FILES_FROM},
    {"files0-from", required_argument, NULL, OPT_FILES0_FROM},
    {"exit-code", no_argument, NULL, OPT_EXIT_CODE},
    {"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
    {"id-key", required_argument, NULL, OPT_ID_KEY},
    {"text-key", required_argument, NULL, OPT_TEXT_KEY},
    {"title-key", required_argument, NULL, OPT_TITLE_KEY},
    {"dedup-out", required_argument, NULL, OPT_DEDUP_OUT},
    {"run-info", required_argument, NULL, OPT_RUN_INFO},
    {"report", required_argument, NULL, OPT_REPORT},
    {"tmpdir", required_argument, NULL, OPT_TMPDIR},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"max-doc-size", required_argument, NULL, OPT_MAX_DOC_SIZE},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void help_option(const char *name);

/* The numeric options' lines come from the library's option table (help_option). */
static void usage(void)
{
    fputs("Usage: neardup [OPTION]... PATH...\n"
          "Find near-duplicate documents and the passages they share.\n"
          "PATH is a file or a directory (walked recursively, in sorted order).\n"
          "\n"
          "Outputs (with none, pairs go to stdout; FILE may be - for stdout):\n"
          "      --pairs=FILE         doc_a,doc_b,jaccard,jaccard_est,shared_shingles,cluster\n"
          "      --clusters=FILE      cluster,doc,size,representative\n"
          "      --remove=FILE        doc,duplicate_of,jaccard: what to delete\n"
          "      --passages=FILE      shared passages with byte and character offsets\n"
          "      --passage-clusters=FILE  each place of each reused text: cluster,doc,\n"
          "                           start,end,char_start,char_end,words,text\n"
          "      --no-passage-text    leave the text out of the passages and their clusters\n"
          "      --format=FMT         csv (default) or jsonl, for every output\n"
          "      --csv-safe           in CSV, a cell that begins with = + - @, a tab or a\n"
          "                           carriage return gets a ' before it, so that a spreadsheet\n"
          "                           shows it as text rather than run it as a formula\n"
          "      --dedup-out=FILE     the kept JSONL lines (unique documents and one per\n"
          "                           cluster), byte for byte, in input order\n"
          "      --report=FILE        a self-contained HTML page of clusters, pairs and passages\n"
          "      --stats=FILE         JSON: documents, bytes, the duplicates a deduplication\n"
          "                           removes, clusters by size, the same per host (WARC)\n"
          "      --run-info=FILE      JSON: options, versions, counts, seconds per stage, memory\n"
          "      --exit-code          exit 1 when duplicates or passages were found\n"
          "\n"
          "Inputs:\n"
          "      --files-from=FILE    read paths from FILE, one per line (- for stdin)\n"
          "      --files0-from=FILE   read NUL-separated paths from FILE (- for stdin)\n"
          "      --input-format=F     auto (default), text, jsonl or warc; auto recognizes JSONL,\n"
          "                           WARC/WET and gzip/zstd by content (inside directories:\n"
          "                           *.jsonl *.json *.warc *.wet *.gz *.zst); PATH - reads stdin\n"
          "      --id-key=KEY         JSONL key of the id, dotted for nested keys (id)\n"
          "      --text-key=KEY       JSONL key of the text (text)\n"
          "      --title-key=KEY      JSONL key of a title the report shows (else the first line)\n"
          "      --strict             a document with invalid UTF-8 is an error, not repaired\n"
          "      --html[=MODE]        auto (default): WARC records of HTML and files that begin\n"
          "                           like a page are read as the page's text; text (or\n"
          "                           --html alone): every document, JSONL texts too; off: none\n"
          "      --html-main          a page's main content only: no nav, header, footer,\n"
          "                           aside, form, nor blocks mostly of links\n"
          "      --charset=NAME       the charset of documents that name none (windows-1256);\n"
          "                           by default UTF-8, or ICU's guess for bytes that are not\n"
          "\n"
          "Matching:\n",
          stdout);
    help_option("threshold");
    fputs("      --normalize=MODE     full (default), basic (NFKC + case folding) or none\n"
          "      --engine=E           fast (default) or icu (plain ICU calls, the reference)\n",
          stdout);
    help_option("shingle");
    fputs("      --shingle-unit=U     word (default) or char\n", stdout);
    help_option("char-ngram");
    help_option("num-perm");
    help_option("seed");
    help_option("bands");
    help_option("rows");
    fputs("      --verify=V           exact (default) or estimate\n"
          "      --keep=K             first (default) or longest: the kept document of a cluster\n"
          "      --all-pairs          list every verified pair, and compare every pair of an LSH\n"
          "                           bucket (by default a cluster of over 32 documents lists\n"
          "                           each with its kept one, and a copy of a text is compared\n"
          "                           once, with its first)\n"
          "\n"
          "Passages:\n",
          stdout);
    help_option("max-gap");
    help_option("min-passage");
    help_option("max-df");
    fputs("\nOther:\n", stdout);
    help_option("threads");
    fputs("      --tmpdir=DIR         scratch file for shingle sets and words (default $TMPDIR\n"
          "                           or /tmp; unlinked at once, gone when neardup exits)\n",
          stdout);
    help_option("memory");
    help_option("max-doc-size");
    fputs("      --progress=WHEN      auto (default: when stderr is a terminal), always, never\n"
          "  -q, --quiet              no summary, only errors\n"
          "  -v, --verbose            also list pairs and passages on stderr\n"
          "  -h, --help               show this help and exit\n"
          "  -V, --version            show the versions of neardup, ICU and xxHash\n"
          "\n"
          "Examples:\n"
          "  neardup articles/                      near-duplicate pairs of a folder, as CSV\n"
          "  neardup --threshold 0.5 --clusters clusters.csv articles/\n"
          "                                         looser copies, grouped, the kept one marked\n"
          "  neardup --text-key body --dedup-out kept.jsonl feed.jsonl.zst\n"
          "                                         a JSONL feed without its near-duplicates\n"
          "  neardup --passages passages.csv --report report.html articles/\n"
          "                                         the passages articles share, and a page\n"
          "\n"
          "Exit status: 0 success; 1 duplicates found (only with --exit-code);\n"
          "2 usage error; 3 some input could not be read; 4 an output could not be written;\n"
          "5 internal error (out of memory, ICU failure).\n",
          stdout);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("neardup: ", stderr);
    va_start(ap, fmt);
    cli_vmessage(fmt, ap); /* a value given may hold control characters */
    va_end(ap);
    fputs("\nTry 'neardup --help' for more information.\n", stderr);
    exit(ND_EXIT_USAGE);
}

/* ------------------------------------------------ the numeric options, from the library's table */

/* The table's row of a numeric option; every name used here is in it. */
static const nd_option_info *option_info(const char *name)
{
    const nd_option_info *o = nd_option_find(name);
    if (!o) {
        fprintf(stderr, "neardup: --%s is missing from the option table\n", name);
        exit(ND_EXIT_INTERNAL);
    }
    return o;
}

/* A value as --help and the messages show it: %g without an exponent, sizes with the
 * largest of G, M and K that divides them. */
static void format_value(const nd_option_info *o, double v, char *buf, size_t len)
{
    static const char suffix[] = "GMK";
    const bool bytes = o->kind == ND_OPTION_BYTES && v >= 1 && v < 0x1p64;
    for (int i = 0; bytes && i < 3; i++) {
        const uint64_t unit = 1ull << (30 - 10 * i), u = (uint64_t)v;
        if (u >= unit && u % unit == 0) {
            snprintf(buf, len, "%llu%c", (unsigned long long)(u / unit), suffix[i]);
            return;
        }
    }
    snprintf(buf, len, "%.15g", v);
}

/* "16..1024", "above 0, at most 1", "at least 64K", or "" when only the type bounds it. */
static void range_text(const nd_option_info *o, char *buf, size_t len)
{
    char lo[32], hi[32];
    format_value(o, o->min, lo, sizeof(lo));
    format_value(o, o->max, hi, sizeof(hi));
    if (isinf(o->max) && !o->min_excluded && o->min <= 0)
        snprintf(buf, len, "%s", "");
    else if (isinf(o->max))
        snprintf(buf, len, "%s %s", o->min_excluded ? "above" : "at least", lo);
    else if (o->min_excluded)
        snprintf(buf, len, "above %s, at most %s", lo, hi);
    else
        snprintf(buf, len, "%s..%s", lo, hi);
}

#define HELP_INDENT 27 /* the column where the descriptions of --help begin */
#define HELP_WIDTH 80

/* Prints word (len bytes) at *col, first on a new line when it would pass HELP_WIDTH. */
static void help_word(const char *word, size_t len, int *col)
{
    if (*col > HELP_INDENT && *col + 1 + (int)len > HELP_WIDTH) {
        printf("\n%*s", HELP_INDENT, "");
        *col = HELP_INDENT;
    } else if (*col > HELP_INDENT) {
        putchar(' ');
        ++*col;
    }
    printf("%.*s", (int)len, word);
    *col += (int)len;
}

/* The --help line of a numeric option: its help, range and default from the table
 * ("MinHash signature length, 16..1024 (128)"), wrapped; range and default stay together. */
static void help_option(const char *name)
{
    const nd_option_info *o = option_info(name);
    char range[96], def[32], tail[136];
    range_text(o, range, sizeof(range));
    format_value(o, o->def, def, sizeof(def));
    snprintf(tail, sizeof(tail), "%s%s(%s)", range, *range ? " " : "", def);
    int col = printf("      --%s=%s", o->name, o->arg);
    printf("%*s", col < HELP_INDENT ? HELP_INDENT - col : 1, "");
    col = HELP_INDENT;
    for (const char *s = o->help; *s;) {
        const size_t n = strcspn(s, " ");
        if (n)
            help_word(s, n, &col);
        s += n + strspn(s + n, " ");
    }
    if (*range)
        putchar(','), col++;
    help_word(tail, strlen(tail), &col);
    putchar('\n');
}

static void bad_value(const nd_option_info *o, const char *s)
{
    static const char *const nouns[] = {"a whole number", "a number", "a size"};
    char range[96], example[64];
    range_text(o, range, sizeof(range));
    if (!*range) /* only the type bounds it: say where it starts */
        snprintf(range, sizeof(range), "at least %.15g", o->min);
    if (o->kind == ND_OPTION_BYTES)
        snprintf(example, sizeof(example), "like 512M or 2G");
    else if (o->kind == ND_OPTION_REAL && o->max == 1 && strtod(s, NULL) > 1 &&
             strtod(s, NULL) <= 100) /* a percentage */
        snprintf(example, sizeof(example), "a fraction: %.15g%% is %.15g", strtod(s, NULL),
                 strtod(s, NULL) / 100);
    else
        snprintf(example, sizeof(example), "e.g. %.15g", o->def);
    cli_usage_error("--%s: '%s' is not %s %s (%s)", o->name, s, nouns[o->kind], range, example);
}

/* The edit distance of a and b (at most 64 bytes of each are compared). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t row[65], la = strnlen(a, 64), lb = strnlen(b, 64);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            const size_t up = row[j];
            const size_t best = diagonal + (a[i - 1] != b[j - 1]);
            row[j] = best < up + 1 ? best : up + 1;
            if (row[j - 1] + 1 < row[j])
                row[j] = row[j - 1] + 1;
            diagonal = up;
        }
    }
    return row[lb];
}

/* The long option nearest to name (without "--" and "=VALUE"), or NULL when none is near:
 * one that starts with it, or within two edits. */
static const char *nearest_option(const char *name)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (const struct option *o = longopts; o->name; o++) {
        const size_t d =
            strncmp(o->name, name, strlen(name)) == 0 ? 0 : edit_distance(o->name, name);
        if (d < best_distance) {
            best = o->name;
            best_distance = d;
        }
    }
    return best;
}

/* getopt_long found an unknown option or one without its value (opterr is 0). */
static void bad_option(int c, const char *arg)
{
    if (c == ':')
        cli_usage_error("%s needs a value", arg);
    if (arg[1] != '-') /* a short option */
        cli_usage_error("unknown option '-%c'", optopt);
    char name[128];
    snprintf(name, sizeof(name), "%s", arg + strspn(arg, "-"));
    name[strcspn(name, "=")] = '\0';
    for (const struct option *o = longopts; o->name; o++)
        if (!strcmp(o->name, name) && o->has_arg == no_argument)
            cli_usage_error("--%s takes no value", name);
    size_t starting = 0;
    for (const struct option *o = longopts; o->name; o++)
        starting += strncmp(o->name, name, strlen(name)) == 0;
    if (starting > 1)
        cli_usage_error("'%s' could be more than one option: write it whole", arg);
    const char *near = nearest_option(name);
    if (near)
        cli_usage_error("unknown option '%s'; did you mean '--%s'?", arg, near);
    cli_usage_error("unknown option '%s'", arg);
}

/* A whole number within the option's range (every whole option of the table starts at 0
 * or above, so a minus sign is refused rather than wrapped around by strtoull). */
uint64_t cli_parse_whole(const char *name, const char *s)
{
    const nd_option_info *o = option_info(name);
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || strchr(s, '-') || !nd_option_in_range(o, (double)v))
        bad_value(o, s);
    return v;
}

double cli_parse_real(const char *name, const char *s)
{
    const nd_option_info *o = option_info(name);
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (errno || end == s || *end || !nd_option_in_range(o, v))
        bad_value(o, s);
    return v;
}

/* A byte count with an optional K, M or G suffix, alone or followed by B or iB (any case):
 * 1G, 1GB and 1GiB are all 2^30 bytes, as for every size of neardup; a B alone is bytes.
 * A minus sign anywhere is refused (strtoull would wrap -5 around to 16 EiB). */
uint64_t cli_parse_size(const char *name, const char *s)
{
    static const char units[] = "KMG";
    const nd_option_info *o = option_info(name);
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    const char *unit = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (unit) {
        shift = 10 * (unsigned)(unit - units + 1);
        end++;
        if (toupper((unsigned char)end[0]) == 'I' && toupper((unsigned char)end[1]) == 'B')
            end += 2;
        else if (toupper((unsigned char)end[0]) == 'B')
            end++;
    } else if (toupper((unsigned char)*end) == 'B') {
        end++;
    }
    if (errno || end == s || *end || strchr(s, '-') || v > (UINT64_MAX >> shift) ||
        !nd_option_in_range(o, (double)(v << shift)))
        bad_value(o, s);
    return (uint64_t)v << shift;
}

/* The index of s in words (NULL-terminated), or a usage error. */
int cli_parse_word(const char *opt, const char *s, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (!strcmp(s, words[i]))
            return i;
    cli_usage_error("--%s: unknown value '%s'", opt, s);
    return -1;
}

static void parse_option(int c, const char *arg, nd_options *o, cli_config *cfg)
{
    static const char *const formats[] = {"csv", "jsonl", NULL};
    static const char *const units[] = {"word", "char", NULL};
    static const char *const verifies[] = {"exact", "estimate", NULL};
    static const char *const keeps[] = {"first", "longest", NULL};
    static const char *const norms[] = {"none", "basic", "full", NULL};
    static const char *const engines[] = {"fast", "icu", NULL};
    static const char *const inputs[] = {"auto", "text", "jsonl", "warc", NULL};
    static const char *const whens[] = {"never", "auto", "always", NULL};
    static const char *const htmls[] = {"auto", "text", "off", NULL};
    switch (c) {
    case OPT_PAIRS: cfg->pairs = arg; break;
    case OPT_CLUSTERS: cfg->clusters = arg; break;
    case OPT_REMOVE: cfg->remove = arg; break;
    case OPT_PASSAGES:
        cfg->passages = arg;
        o->passages = 1;
        break;
    case OPT_STATS: cfg->stats = arg; break;
    case OPT_PASSAGE_CLUSTERS:
        cfg->passage_clusters = arg;
        o->passages = 1;
        break;
    case OPT_FORMAT: cfg->format = (nd_format)cli_parse_word("format", arg, formats); break;
    case OPT_NO_PASSAGE_TEXT: cfg->passage_text = false; break;
    case OPT_CSV_SAFE: cfg->csv_safe = true; break;
    case OPT_THRESHOLD: o->threshold = cli_parse_real("threshold", arg); break;
    case OPT_SHINGLE: o->shingle_k = (int)cli_parse_whole("shingle", arg); break;
    case OPT_SHINGLE_UNIT:
        o->shingle_unit = (nd_shingle_unit)cli_parse_word("shingle-unit", arg, units);
        break;
    case OPT_CHAR_NGRAM: o->char_ngram = (int)cli_parse_whole("char-ngram", arg); break;
    case OPT_NUM_PERM: o->num_perm = (int)cli_parse_whole("num-perm", arg); break;
    case OPT_SEED: o->seed = cli_parse_whole("seed", arg); break;
    case OPT_BANDS: o->bands = (int)cli_parse_whole("bands", arg); break;
    case OPT_ROWS: o->rows = (int)cli_parse_whole("rows", arg); break;
    case OPT_VERIFY: o->verify = (nd_verify_mode)cli_parse_word("verify", arg, verifies); break;
    case OPT_KEEP: o->keep = (nd_keep_rule)cli_parse_word("keep", arg, keeps); break;
    case OPT_NORMALIZE:
        o->normalize = (nd_normalize_mode)cli_parse_word("normalize", arg, norms);
        break;
    case OPT_ENGINE: o->engine = (nd_engine)cli_parse_word("engine", arg, engines); break;
    case OPT_MAX_GAP: o->max_gap = (int)cli_parse_whole("max-gap", arg); break;
    case OPT_MIN_PASSAGE: o->min_passage = (int)cli_parse_whole("min-passage", arg); break;
    case OPT_MAX_DF: o->max_df = (int)cli_parse_whole("max-df", arg); break;
    case OPT_STRICT: o->strict = 1; break;
    case OPT_HTML:
        o->html = arg ? (nd_html_mode)cli_parse_word("html", arg, htmls) : ND_HTML_TEXT;
        break;
    case OPT_HTML_MAIN: o->html_main = 1; break;
    case OPT_CHARSET: o->charset = arg; break;
    case OPT_ALL_PAIRS: o->all_pairs = 1; break;
    case OPT_THREADS: o->threads = (int)cli_parse_whole("threads", arg); break;
    case OPT_FILES_FROM:
        cfg->files_from = arg;
        cfg->files_from_nul = false;
        break;
    case OPT_FILES0_FROM:
        cfg->files_from = arg;
        cfg->files_from_nul = true;
        break;
    case OPT_EXIT_CODE: cfg->exit_code = true; break;
    case OPT_INPUT_FORMAT:
        o->input_format = (nd_input_format)cli_parse_word("input-format", arg, inputs);
        break;
    case OPT_ID_KEY: o->id_key = arg; break;
    case OPT_TEXT_KEY: o->text_key = arg; break;
    case OPT_TITLE_KEY: o->title_key = arg; break;
    case OPT_DEDUP_OUT: cfg->dedup_out = arg; break;
    case OPT_RUN_INFO: cfg->run_info = arg; break;
    case OPT_REPORT:
        cfg->report = arg;
        o->passages = 1;
        break;
    case OPT_TMPDIR: o->tmpdir = arg; break;
    case OPT_MEMORY: o->memory = cli_parse_size("memory", arg); break;
    case OPT_MAX_DOC_SIZE: o->max_doc_size = cli_parse_size("max-doc-size", arg); break;
    case OPT_PROGRESS: cfg->progress = cli_parse_word("progress", arg, whens); break;
    case 'q': cfg->verbosity = 0; break;
    case 'v': cfg->verbosity = 2; break;
    case 'h': usage(); exit(ND_EXIT_OK);
    case 'V': {
        char buf[128];
        nd_version_details(buf, sizeof(buf));
        printf("%s\n", buf);
        exit(ND_EXIT_OK);
    }
    default: bad_option(c, arg);
    }
}

int cli_main(int argc, char **argv, const cli_engine *engine)
{
    if (argc > 1 && !strcmp(argv[1], "index") && !engine)
        return cli_index_main(argc - 1, argv + 1);
    nd_options opts = ND_OPTIONS_INIT;
    cli_config cfg = CLI_CONFIG_INIT;
    int c;
    opterr = 0; /* bad_option says what was wrong, in neardup's words */
    while ((c = getopt_long(argc, argv, ":qvhV", longopts, NULL)) != -1)
        parse_option(c, c == '?' || c == ':' ? argv[optind - 1] : optarg, &opts, &cfg);
    if ((opts.bands == 0) != (opts.rows == 0))
        cli_usage_error("--bands and --rows go together");
    if (opts.bands && (long)opts.bands * opts.rows > opts.num_perm)
        cli_usage_error("--bands x --rows is %d, more than --num-perm %d", opts.bands * opts.rows,
                        opts.num_perm);
    const char *why;
    if (nd_options_check(&opts, &why) < 0)
        cli_usage_error("bad option: %s", why);
    if (optind == argc && !cfg.files_from)
        cli_usage_error("no input: name files or directories, or use --files-from");
    if (cfg.csv_safe && cfg.format == ND_FORMAT_CSV)
        cfg.format = ND_FORMAT_CSV_SAFE; /* (JSONL has no formulas: unchanged) */
    cli_output_catch_signals();
    cfg.paths = (const char *const *)argv + optind;
    cfg.n_paths = (size_t)(argc - optind);
    cfg.engine = engine;
    return cli_run(&opts, &cfg);
}
