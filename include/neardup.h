/*
 * neardup.h: find near-duplicate documents and the passages they share.
 *
 * The only public header of libneardup. A caller fills an nd_options, makes an
 * nd_corpus, adds documents (files, directories or bytes in memory), runs it,
 * and reads the pairs, clusters and passages from the nd_result, or lets the
 * writers print them as CSV or JSONL.
 *
 *     nd_options opts = ND_OPTIONS_INIT;
 *     nd_corpus *corpus = NULL;
 *     nd_result *result = NULL;
 *     if (nd_corpus_new(&corpus, &opts) == 0 && nd_corpus_add_path(corpus, "docs") == 0 &&
 *         nd_corpus_run(corpus, &result) == 0)
 *         nd_write_pairs(result, stdout, ND_FORMAT_CSV);
 *     nd_result_free(result);
 *     nd_corpus_free(corpus);
 *
 * Every function returning int returns 0 on success or a negative ND_E* code.
 * Byte offsets (_off, _start, _end) are into the ORIGINAL bytes of a document,
 * 0-based, end exclusive. No ICU or xxHash type appears here.
 *
 * Every function declared here must carry ND_API: the library is built with
 * -fvisibility=hidden and exports exactly these (tests/install_check.sh checks it).
 */
#ifndef NEARDUP_H
#define NEARDUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Marks the exported functions. ND_BUILDING_LIBRARY is defined only while the library
 * itself is compiled; callers see nothing. */
#if defined(ND_BUILDING_LIBRARY) && defined(__GNUC__)
#define ND_API __attribute__((visibility("default")))
#else
#define ND_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define ND_VERSION_STRING "0.1.0"

/*
 * Threads. A corpus, and everything done with it (adding inputs, nd_corpus_run), is
 * used from one thread at a time; different corpora may be used at the same time on
 * different threads, as the library keeps no state shared between them. A result is
 * read-only once nd_corpus_run returned it: any number of threads may read it (and
 * the ids of its corpus) at once, provided none of them frees it or its corpus. The
 * diag and progress callbacks may be called from the library's worker threads rather
 * than from the thread that called the library, progress from several at once: make
 * them thread-safe. nd_strerror, nd_version and the option table functions may be
 * called from any thread at any time.
 *
 * Lifetimes. Nothing returned by a function here is freed by the caller, except through
 * nd_corpus_free and nd_result_free:
 *   - document ids and URLs (nd_corpus_doc_id, nd_corpus_doc_url) live until
 *     nd_corpus_free of their corpus;
 *   - the stats, pairs, members and passages of a result (nd_result_stats,
 *     nd_result_pair, nd_result_member, nd_result_passage) live until nd_result_free;
 *   - a result refers to its corpus: free the result before the corpus;
 *   - the strings of nd_strerror and nd_version and the nd_option_info entries are
 *     static: they live as long as the program.
 */

enum nd_error_code {
    ND_OK = 0,
    ND_ENOMEM = -1,  /* an allocation failed */
    ND_EIO = -2,     /* reading or writing a file failed */
    ND_EUTF8 = -3,   /* invalid UTF-8 where --strict forbids it */
    ND_EFORMAT = -4, /* input is not what it claims to be (binary, bad record) */
    ND_EINVAL = -5,  /* a caller's argument or option is out of range */
    ND_EICU = -6,    /* ICU reported a failure */
    ND_EINDEX = -7,  /* not a neardup index, of another schema version, or damaged */
    ND_EBUSY = -8,   /* another process writes to the index (see nd_index_open) */
    ND_EEXIST = -9,  /* an index, or a document of that id, is there already */
};

/* A short English message for an ND_E* code ("out of memory"), "unknown error" for any
 * other number. The string is static. */
ND_API const char *nd_strerror(int code);

typedef enum { ND_NORMALIZE_NONE, ND_NORMALIZE_BASIC, ND_NORMALIZE_FULL } nd_normalize_mode;
typedef enum { ND_ENGINE_FAST, ND_ENGINE_ICU } nd_engine;
typedef enum { ND_UNIT_WORD, ND_UNIT_CHAR } nd_shingle_unit;
typedef enum { ND_VERIFY_EXACT, ND_VERIFY_ESTIMATE } nd_verify_mode;
typedef enum { ND_KEEP_FIRST, ND_KEEP_LONGEST } nd_keep_rule;
/* The writers' formats. ND_FORMAT_CSV_SAFE is CSV in which a string cell that begins with
 * '=', '+', '-', '@', a tab or a carriage return gets a single quote before it (OWASP's
 * advice against formula injection: a spreadsheet shows the cell as text); numbers and
 * every other cell are as in ND_FORMAT_CSV. */
typedef enum { ND_FORMAT_CSV, ND_FORMAT_JSONL, ND_FORMAT_CSV_SAFE } nd_format;
typedef enum { ND_INPUT_AUTO, ND_INPUT_TEXT, ND_INPUT_JSONL, ND_INPUT_WARC } nd_input_format;
/* Which documents are HTML pages, read as their text: auto, WARC records of an HTML
 * type and files that begin like a page (a doctype or <html>); text, every document
 * (the text of a JSONL key too); off, none (markup is read as words). */
typedef enum { ND_HTML_AUTO, ND_HTML_TEXT, ND_HTML_OFF } nd_html_mode;

#define ND_OPTIONS_VERSION 5

/* Options of a run. Start from ND_OPTIONS_INIT and change what you need. A program built
 * with an older header (a smaller ND_OPTIONS_VERSION) keeps working with a newer library:
 * the fields its struct lacks take their defaults, and fields are only ever added at
 * the end. The range,
 * default and help of each numeric field are in the option table (nd_option_find). */
typedef struct nd_options {
    int version;                  /* ND_OPTIONS_VERSION */
    nd_normalize_mode normalize;  /* full: NFKC casefold, marks removed, letters folded */
    nd_engine engine;             /* fast: ICU answers memoized per code point; icu: reference */
    nd_shingle_unit shingle_unit; /* words (default) or character n-grams */
    int shingle_k;                /* words per shingle ("shingle") */
    int char_ngram;               /* code points per shingle with ND_UNIT_CHAR */
    int num_perm;                 /* MinHash signature length */
    uint64_t seed;                /* seed of the MinHash permutation */
    double threshold;             /* Jaccard similarity that makes a pair */
    int bands, rows;              /* LSH banding; 0 = chosen from threshold */
    nd_verify_mode verify;        /* exact Jaccard (default) or the MinHash estimate */
    nd_keep_rule keep;            /* which member of a cluster is kept */
    int passages;                 /* 1: also find shared passages */
    int max_gap;                  /* words that may differ inside one passage (6 = shingle + 1:
                                     two edits closer than a shingle leave no seed between) */
    int min_passage;              /* fewest words of a reported passage */
    int max_df;                   /* shingles in more documents are ignored for passages */
    int strict;                   /* 1: invalid UTF-8 makes a document an error */
    int threads;                  /* worker threads, 0 = all cores (the default) */
    nd_input_format input_format; /* auto: JSONL and gzip/zstd recognized by content */
    const char *id_key;           /* JSONL: key of the id, dotted for nested ("meta.id") */
    const char *text_key;         /* JSONL: key of the text */
    const char *tmpdir;           /* scratch files (NULL: $TMPDIR, else /tmp) */
    uint64_t memory;              /* bytes of sort buffers before spilling to tmpdir (1 GiB) */
    int all_pairs;                /* 1: the exhaustive method: every pair of every LSH bucket
                                     verified and listed, copies of a text compared as any
                                     other documents (version 2) */
    uint64_t max_doc_size;        /* bytes of the largest document read; a larger one is
                                     skipped with a warning (64 MiB; version 3) */
    nd_html_mode html;            /* which documents are pages (version 4) */
    int html_main;                /* 1: a page's main content only: no nav, header, footer,
                                     aside, form, nor blocks mostly of links (version 4) */
    const char *charset;          /* the charset of documents that name none (a label ICU
                                     knows: "windows-1256"); NULL: UTF-8, or the detector's
                                     guess for bytes that are not UTF-8 (version 4) */
    const char *title_key;        /* JSONL: key of a title the report shows (dotted for
                                     nested); NULL: the text's first line (version 5) */
} nd_options;

#define ND_OPTIONS_INIT                                                                            \
    {                                                                                              \
        ND_OPTIONS_VERSION, ND_NORMALIZE_FULL, ND_ENGINE_FAST, ND_UNIT_WORD, 5, 5, 128, 1, 0.8, 0, \
            0, ND_VERIFY_EXACT, ND_KEEP_FIRST, 0, 6, 8, 50, 0, 0, ND_INPUT_AUTO, "id", "text",     \
            NULL, 1ull << 30, 0, 64ull << 20, ND_HTML_AUTO, 0, NULL, NULL                          \
    }

/* Checks an nd_options; on ND_EINVAL, *why (if not NULL) names the bad option: a value
 * out of its range in the option table gives exactly the option's name there
 * ("num-perm"; nd_option_find tells its range), other mistakes a short sentence that
 * begins with the option's name ("bands x rows: at most num-perm"). */
ND_API int nd_options_check(const nd_options *opts, const char **why);

/* ---------------------------------------------------------------- the option table */

/* The numeric options: their names, ranges, defaults and help, in one table that
 * nd_options_check, the command line's parsing and its --help all read. */

typedef enum {
    ND_OPTION_WHOLE, /* a whole number */
    ND_OPTION_REAL,  /* a real number */
    ND_OPTION_BYTES, /* a byte count; the command line takes K, M and G, alone or with B or
                        iB (all 1024-based) */
} nd_option_kind;

/* One numeric option. Entries are static and only ever gain fields at the end. */
typedef struct nd_option_info {
    const char *name; /* as on the command line without "--" ("num-perm") */
    const char *arg;  /* the placeholder of its value in --help ("N") */
    nd_option_kind kind;
    double min, max;  /* accepted: min <= value <= max; max is INFINITY when only the
                         field's type bounds it */
    int min_excluded; /* 1: min itself is refused (min < value <= max) */
    double def;       /* the value in ND_OPTIONS_INIT */
    const char *help; /* one line for --help, without range or default */
} nd_option_info;

/* The i-th numeric option, in the order of --help; NULL when i is past the last. */
ND_API const nd_option_info *nd_option_at(size_t i);
/* The numeric option of that name ("threads"), or NULL. */
ND_API const nd_option_info *nd_option_find(const char *name);
/* 1 when value is within the option's range, else 0 (NaN is never within). Whole
 * numbers are not checked for a fraction here. */
ND_API int nd_option_in_range(const nd_option_info *info, double value);

/* ---------------------------------------------------------------- diagnostics */

/* A note says what the run decided about an input (the charset ICU's detector chose): no
 * fault, shown by the command line with -v. */
typedef enum { ND_DIAG_WARNING, ND_DIAG_ERROR, ND_DIAG_NOTE } nd_diag_level;

/* One message about one input. path is the file (or id), offset a byte offset into it or
 * -1 when none applies. All pointers are borrowed for the duration of the callback. */
typedef struct nd_diag {
    nd_diag_level level;
    int code; /* an ND_E* code */
    const char *path;
    int64_t offset;
    const char *message;
} nd_diag;

typedef void (*nd_diag_fn)(const nd_diag *diag, void *payload);

/* ---------------------------------------------------------------- the corpus */

typedef struct nd_corpus nd_corpus;

/* Makes an empty corpus with a copy of *opts (NULL: ND_OPTIONS_INIT). */
ND_API int nd_corpus_new(nd_corpus **out, const nd_options *opts);
ND_API void nd_corpus_free(nd_corpus *corpus); /* NULL is fine */

/* Where warnings and per-document errors go; by default they are dropped. */
ND_API void nd_corpus_set_diag(nd_corpus *corpus, nd_diag_fn fn, void *payload);

/* Adds a file (id = path as given) or every regular file below a directory, in sorted
 * order (id = path relative to that directory); "-" reads standard input. A JSONL file
 * (plain, gzip or zstd; recognized by content when named, by its name inside a
 * directory) adds one document per line, whose id is its id key (or FILE:LINE) and
 * whose text is its text key; offsets then refer to that decoded text. A WARC or WET
 * file (plain or gzip/zstd) adds one document per text record, whose id is its
 * WARC-Record-ID; offsets then refer to the record's text (its block, or the HTTP
 * body of a response record). Problems with
 * single files are reported through the diag callback and counted; the return value is
 * an error only when the path itself cannot be used. */
ND_API int nd_corpus_add_path(nd_corpus *corpus, const char *path);

/* Adds a document held in memory; id and bytes are copied. */
ND_API int nd_corpus_add_memory(nd_corpus *corpus, const char *id, const void *bytes, size_t len);

ND_API size_t nd_corpus_size(const nd_corpus *corpus);

/* ---------------------------------------------------------------- results */

typedef struct nd_result nd_result;

/* Runs the whole pipeline. The corpus must outlive the result. */
ND_API int nd_corpus_run(nd_corpus *corpus, nd_result **out);
ND_API void nd_result_free(nd_result *result); /* NULL is fine */

/* The pairs a result lists. A cluster of at most ND_LIST_ALL_PAIRS documents lists every
 * pair of its members whose similarity reaches the threshold (as found by LSH); a larger
 * one lists each member with its kept document only, so that a text repeated m times
 * costs m rows, not m^2 (stats.n_pairs_unlisted counts the rest). With
 * nd_options.all_pairs, every verified pair is listed. */
#define ND_LIST_ALL_PAIRS 32

typedef struct nd_pair {
    uint32_t doc_a, doc_b; /* document indices, doc_a < doc_b (input order) */
    double jaccard;        /* exact Jaccard of the shingle sets */
    double jaccard_est;    /* MinHash estimate */
    uint32_t shared;       /* shingles in both */
    uint32_t cluster;      /* 1-based cluster number */
} nd_pair;

typedef struct nd_member {
    uint32_t cluster; /* 1-based, numbered in input order of the first member */
    uint32_t doc;
    uint32_t size;
    uint32_t kept_doc; /* the document kept for this cluster (the CSV's representative
                          column is 1 where doc == kept_doc) */
} nd_member;

/* The passages a result lists. A shingle found in at most ND_PASSAGE_ALL_PLACES places
 * seeds the passages of each two of them; one found in more seeds each later place
 * against the first, so that a text reprinted m times costs m passages, not m^2
 * (stats.n_passage_pairs_unlisted counts the pairs of documents left out). With
 * nd_options.all_pairs, every two places. */
#define ND_PASSAGE_ALL_PLACES 16

typedef struct nd_passage {
    uint32_t doc_a, doc_b;   /* doc_a <= doc_b; equal for a repeat inside one */
    uint64_t a_start, a_end; /* bytes of doc_a's original text */
    uint64_t b_start, b_end;
    uint32_t words_a, words_b;
    double score; /* share of aligned words that match */
} nd_passage;

/* A place where a reused text occurs. A passage cluster is every place of one text: the
 * two sides of each passage, and in one document, a place and a side that overlaps the
 * place's first side by at least half of the longer of the two are one place (their
 * union). Clusters are numbered from 0 in the order
 * of their first place (by document, then start). */
typedef struct nd_passage_place {
    uint32_t cluster;
    uint32_t doc;
    uint64_t start, end; /* bytes of the document's original text */
    uint32_t words;
} nd_passage_place;

typedef enum {
    ND_STAGE_LIST,   /* adding the inputs: folders walked, JSONL files cut into lines */
    ND_STAGE_SCAN,   /* read, normalize, tokenize, shingle, sign */
    ND_STAGE_LSH,    /* band records sorted into candidate pairs */
    ND_STAGE_VERIFY, /* exact Jaccard of candidates */
    ND_STAGE_CLUSTER,
    ND_STAGE_PASSAGES,
    ND_STAGE_COUNT
} nd_stage;

/* Room for stages in nd_stats.seconds: later stages take unused places, so the array,
 * and the fields after it, never move. */
#define ND_STAGE_MAX 16

/*
 * Counts and timings of a run, owned by the result (nd_result_stats).
 *
 * Growing without breaking programs: fields are only ever appended at the end, never
 * moved, resized or removed, and struct_size is the sizeof(nd_stats) of the library
 * that filled it. Since the library allocates the struct and callers read it through a
 * pointer, a program built against this header keeps working with a later library
 * whose struct is longer; a program built against a later header checks
 * ND_STATS_HAS(s, field) before reading a field that an older library may lack. Do not
 * copy the struct by value. (A struct rather than one getter per counter: every count
 * is read as a plain typed field, seconds and bands alike, from one call.)
 */
#define ND_SIMILARITY_BINS 20

typedef struct nd_stats {
    uint32_t struct_size; /* sizeof(nd_stats) of the library */
    uint64_t n_docs, n_bytes, n_tokens, n_shingles;
    uint64_t n_empty;        /* documents without a word */
    uint64_t n_skipped;      /* binary or unreadable documents */
    uint64_t n_invalid_utf8; /* documents with invalid UTF-8 (replaced by U+FFFD) */
    uint64_t n_candidates, n_pairs, n_clusters, n_duplicates;
    uint64_t n_passages, n_capped_shingles;
    uint64_t n_spilled_runs; /* sorted runs written to tmpdir because of --memory */
    int bands, rows;
    double seconds[ND_STAGE_MAX];      /* by nd_stage; 0 for places no stage uses */
    uint64_t n_copies;                 /* documents whose normalized text an earlier one has */
    uint64_t n_pairs_unlisted;         /* pairs of members of clusters over ND_LIST_ALL_PAIRS
                                          documents that n_pairs leaves out (see nd_result_pair) */
    uint64_t n_passage_clusters;       /* see nd_passage_place */
    uint64_t n_passage_pairs_unlisted; /* pairs of documents of one passage cluster of over
                                          ND_PASSAGE_ALL_PLACES places that no passage
                                          joins (each place is aligned with the text's
                                          first; nd_options.all_pairs aligns every two) */
    uint64_t n_jsonl_lines; /* documents that are JSONL lines (what --dedup-out writes) */
    uint64_t compared_similarity[ND_SIMILARITY_BINS]; /* the candidate pairs verified, by
                                  MinHash estimate: bin k holds [k, k + 1) / 20, the last
                                  1.0 too (the report's chart) */
    /* new fields go here, and only here */
} nd_stats;

/* 1 when the library that filled *s has that field (field is a name of nd_stats). */
#define ND_STATS_HAS(s, field)                                                                     \
    (offsetof(nd_stats, field) + sizeof((s)->field) <= (size_t)(s)->struct_size)

/* The counts of a run; it lives until nd_result_free. */
ND_API const nd_stats *nd_result_stats(const nd_result *result);
/* The rows of a result, i from 0 to n - 1; each pointer lives until nd_result_free. */
ND_API size_t nd_result_n_pairs(const nd_result *result);
ND_API const nd_pair *nd_result_pair(const nd_result *result, size_t i);
ND_API size_t nd_result_n_members(const nd_result *result);
ND_API const nd_member *nd_result_member(const nd_result *result, size_t i);
/* The exact Jaccard of member i with its cluster's kept document (1 for the kept one):
 * the jaccard column of --remove. */
ND_API double nd_result_member_jaccard(const nd_result *result, size_t i);
ND_API size_t nd_result_n_passages(const nd_result *result);
ND_API const nd_passage *nd_result_passage(const nd_result *result, size_t i);
/* The places of the passage clusters, by cluster, document and start. */
ND_API size_t nd_result_n_passage_places(const nd_result *result);
ND_API const nd_passage_place *nd_result_passage_place(const nd_result *result, size_t i);

/* The run's memory plan: --memory (nd_options.memory) divided once among the parts of
 * the pipeline that hold records before they spill to the scratch file, each share
 * named ("lsh_part_sort", "feed_maps", ...; the last, "total", is the option itself).
 * nd_result_memory_share returns the i-th name (static) and its bytes in *bytes, or
 * NULL when i >= nd_result_n_memory_shares. */
ND_API size_t nd_result_n_memory_shares(const nd_result *result);
ND_API const char *nd_result_memory_share(const nd_result *result, size_t i, uint64_t *bytes);

/* The id of document doc, borrowed until nd_corpus_free. */
ND_API const char *nd_corpus_doc_id(const nd_corpus *corpus, uint32_t doc);
/* The URL of a document from a WARC file (WARC-Target-URI), or NULL; borrowed until
 * nd_corpus_free. */
ND_API const char *nd_corpus_doc_url(const nd_corpus *corpus, uint32_t doc);

/* ---------------------------------------------------------------- writers */

/* Each writes a header (CSV) and one record per row; ND_EIO when the stream fails. */
ND_API int nd_write_pairs(const nd_result *result, FILE *out, nd_format format);
ND_API int nd_write_clusters(const nd_result *result, FILE *out, nd_format format);
ND_API int nd_write_remove(const nd_result *result, FILE *out, nd_format format);
/* with_text: add text_a and text_b, the original text of the two spans. */
ND_API int nd_write_passages(const nd_result *result, FILE *out, nd_format format, int with_text);
/* One row per place of a reused text (nd_passage_place), with its character offsets, and
 * with with_text its original text. */
ND_API int nd_write_passage_clusters(const nd_result *result, FILE *out, nd_format format,
                                     int with_text);
/* The original JSONL lines of the kept documents (those in no cluster, and each cluster's
 * kept_doc), byte for byte with their newline, in input order; documents that are
 * not JSONL lines are left out. */
ND_API int nd_write_kept_lines(const nd_result *result, FILE *out);

/* One self-contained HTML page: clusters, pairs, and each passage side by side in its
 * context, highlighted; right-to-left text shown right, all document text escaped. */
ND_API int nd_write_report_html(const nd_result *result, FILE *out);

/* The figures of a crawl's deduplication, as one JSON object: documents, bytes, the
 * duplicates a deduplication removes (documents, bytes, rates), the clusters by size
 * (sizes 2, 3-4, 5-8, ...), and the same per host for documents with a URL (WARC). */
ND_API int nd_write_stats(const nd_result *result, FILE *out);

/* A JSON object describing the run: versions of neardup, ICU and xxHash, the options,
 * the counts, the seconds of each stage and the peak memory of the process. */
ND_API int nd_write_run_info(const nd_result *result, FILE *out);

/* ---------------------------------------------------------------- progress */

/* Called from the scanning threads, at most every 64 documents, with the documents
 * scanned so far, their total, and the bytes scanned so far. It must be quick and
 * thread-safe. */
typedef void (*nd_progress_fn)(uint64_t docs_done, uint64_t docs_total, uint64_t bytes_done,
                               void *payload);
ND_API void nd_corpus_set_progress(nd_corpus *corpus, nd_progress_fn fn, void *payload);

/* Where a run is, for a progress display through every stage: called when a stage
 * starts (done 0), as it goes (the scan every 64 documents, verification every round of
 * candidates) and when the run ends (stage ND_STAGE_COUNT). done and total count the
 * stage's own units, named by unit ("documents", "candidate pairs"); total is 0 for a
 * stage without a measure. bytes_done: the bytes scanned so far. Called from any thread,
 * one call at a time for the scan's threads only if fn locks: it must be quick and
 * thread-safe. */
typedef struct nd_run_progress {
    nd_stage stage;
    uint64_t done, total;
    const char *unit;
    uint64_t bytes_done;
} nd_run_progress;
typedef void (*nd_run_progress_fn)(const nd_run_progress *progress, void *payload);
ND_API void nd_corpus_set_run_progress(nd_corpus *corpus, nd_run_progress_fn fn, void *payload);

/* ---------------------------------------------------------------- the feed index */

/*
 * An archive that each new document is checked against: one LMDB file (with PATH-lock
 * beside it) holding, for every document added, its id, date, LSH band keys and text
 * (compressed). A query finds the archived documents that share a band with a new one
 * and verifies each exactly, as the batch tool's --all-pairs does: a corpus fed in
 * order, in any batches, gets the pairs of one batch run over it.
 *
 * Readers never wait: a query sees the index as the last commit left it. One process
 * writes at a time (nd_index_open with ND_INDEX_WRITE waits for the lock). What a writer
 * added is seen by queries once nd_index_commit returns; a writer that dies leaves the
 * index as its last commit did. A process opens one index file once (LMDB's rule: a
 * second handle on the same file in one process breaks its locks); an nd_index is used
 * from one thread at a time.
 */
typedef struct nd_index nd_index;

#define ND_INDEX_SCHEMA 3    /* (an index of schema 2 is read, and upgraded by a writer) */
#define ND_NO_DATE INT64_MIN /* a document of no known date */

/* Makes an empty index at path for the options that decide what is similar (normalize,
 * shingle_unit, shingle_k, char_ngram, num_perm, seed, threshold, bands, rows): they are
 * stored and every later use of the index takes them. ND_EEXIST when path exists. */
ND_API int nd_index_create(const char *path, const nd_options *opts);

#define ND_INDEX_READ 0
#define ND_INDEX_WRITE 1
/* With ND_INDEX_WRITE: commits run on a thread of the index's own, so that a feed never
 * waits for the disk (a stream's next line is not kept waiting by the last commit).
 * nd_index_commit then queues the commit and returns at once; later feeds of this handle
 * see what it added before the commit is done; nd_index_flush waits for the commits
 * queued and tells whether they failed. Removing, expiring and compacting need a handle
 * without it. */
#define ND_INDEX_BACKGROUND 2

/* Opens an index. With ND_INDEX_WRITE it takes the writer's lock, waiting up to
 * lock_timeout seconds (0: not at all; negative: for ever) and calling wait_fn once
 * (when not NULL) if it has to wait; ND_EBUSY when the time runs out. ND_EINDEX when
 * path is not a neardup index, has another schema or is damaged (truncated); why (when
 * not NULL) gets a sentence saying which. */
ND_API int nd_index_open(nd_index **out, const char *path, int mode, double lock_timeout,
                         void (*wait_fn)(const char *path, void *payload), void *payload, char *why,
                         size_t why_len);
/* Closes it; what was added since the last nd_index_commit is dropped. NULL is fine. */
ND_API void nd_index_close(nd_index *index);

/* The options the index was created with (the others at their defaults): make the corpus
 * of documents to query or add with them, changing only how inputs are read (threads,
 * input_format, keys, tmpdir, memory, strict, max_doc_size). */
ND_API const nd_options *nd_index_options(const nd_index *index);

/* The first option of *opts that decides similarity and differs from the index's ("threshold"),
 * or NULL when none does. */
ND_API const char *nd_index_option_differs(const nd_index *index, const nd_options *opts);

/* What nd_index_feed does with each document of the corpus, in input order. */
typedef struct nd_index_feed_options {
    int query;             /* 1: compare it with the archive and the documents before it */
    int add;               /* ND_INDEX_ADD_NONE, _ALL or _UNIQUE (only those that match nothing) */
    int replace;           /* 1: an id already archived is replaced; 0: an error for the document */
    const char *date_key;  /* JSONL: the key of an ISO 8601 date, or NULL */
    uint64_t commit_every; /* adding: commit after every that many documents (0: only
                              nd_index_commit commits) */
} nd_index_feed_options;
#define ND_INDEX_ADD_NONE 0
#define ND_INDEX_ADD_ALL 1
#define ND_INDEX_ADD_UNIQUE 2

/* A new document's match: an earlier one (archived, or before it in the corpus) whose
 * exact Jaccard reaches the threshold. */
typedef struct nd_index_match {
    uint32_t doc;           /* the new document (in the corpus) */
    int archived;           /* 1: the earlier one is archived; 0: it is corpus document earlier */
    uint32_t earlier;       /* the earlier one in the corpus, when not archived */
    const char *earlier_id; /* its id, borrowed until nd_index_result_free */
    int64_t earlier_date;   /* its date, seconds since 1970 (UTC), or ND_NO_DATE */
    double jaccard, jaccard_est;
    uint32_t shared; /* shingles in both */
} nd_index_match;

typedef enum {
    ND_VERDICT_NEW,       /* no earlier document reaches the threshold */
    ND_VERDICT_DUPLICATE, /* one does (best: the match of highest Jaccard, the earliest on ties) */
    ND_VERDICT_ERROR,     /* unreadable, or an id already archived without replace */
    ND_VERDICT_EMPTY,     /* no word: never added */
} nd_verdict_kind;

typedef struct nd_index_verdict {
    uint32_t doc;
    nd_verdict_kind kind;
    int added;         /* 1: added to the index */
    size_t best_match; /* index of the best match (nd_index_result_match), for a duplicate */
} nd_index_verdict;

/* A passage a new document shares with one of its matches (when the corpus was made
 * with nd_options.passages): a in the new document's text, b in the earlier one's, in
 * bytes; text_a and text_b are the two spans' original text, NUL-terminated. */
typedef struct nd_index_passage {
    uint32_t doc;
    const char *earlier_id;
    int archived;
    uint64_t a_start, a_end, b_start, b_end;
    uint32_t words_a, words_b;
    double score;
    const char *text_a, *text_b;
} nd_index_passage;

typedef struct nd_index_result nd_index_result;

/* Queries and/or adds the documents of a corpus made with nd_index_options (run
 * nd_corpus_run is not needed: this scans it); with its passages option, the passages each
 * new document shares with each of its matches too. Adding needs ND_INDEX_WRITE; added
 * documents are in a transaction that nd_index_commit ends (later feeds see them).
 * Problems with single documents go to the corpus's diag callback; the return value is
 * an error only when the run cannot go on. The corpus must outlive the result. */
ND_API int nd_index_feed(nd_index *index, nd_corpus *corpus, const nd_index_feed_options *fo,
                         nd_index_result **out);
ND_API void nd_index_result_free(nd_index_result *result); /* NULL is fine */
/* Matches by new document, then earlier document (archived ones first, oldest first). */
ND_API size_t nd_index_result_n_matches(const nd_index_result *result);
ND_API const nd_index_match *nd_index_result_match(const nd_index_result *result, size_t i);
/* The passages, by new document, then match, then start. */
ND_API size_t nd_index_result_n_passages(const nd_index_result *result);
ND_API const nd_index_passage *nd_index_result_passage(const nd_index_result *result, size_t i);
/* One verdict per document, in input order. */
ND_API size_t nd_index_result_n_verdicts(const nd_index_result *result);
ND_API const nd_index_verdict *nd_index_result_verdict(const nd_index_result *result, size_t i);

/* Makes what was added since the last commit durable and visible to queries (with
 * ND_INDEX_BACKGROUND: queues that, and returns an earlier commit's failure, if any). */
ND_API int nd_index_commit(nd_index *index);
/* With ND_INDEX_BACKGROUND: waits for the commits queued; 0, or the first that failed
 * (the index is then as the last commit before it left it). Otherwise 0. */
ND_API int nd_index_flush(nd_index *index);

/* Writers: the matches (doc_a the new document, doc_b the earlier one, b_archived and
 * b_date as extra columns), and the verdicts as JSONL (id, verdict, match, jaccard). */
ND_API int nd_index_write_matches(const nd_index_result *result, FILE *out, nd_format format);
ND_API int nd_index_write_verdicts(const nd_index_result *result, FILE *out);
/* The passages: doc_a (the new document), a_start, a_end, doc_b, b_start, b_end, words_a,
 * words_b, score, b_archived, text_a, text_b. */
ND_API int nd_index_write_passages(const nd_index_result *result, FILE *out, nd_format format);
/* The duplicates, each with its best match: doc, duplicate_of, jaccard, archived. */
ND_API int nd_index_write_remove(const nd_index_result *result, FILE *out, nd_format format);
/* The original JSONL lines of the documents found new, byte for byte, in input order. */
ND_API int nd_index_write_new_lines(const nd_index_result *result, FILE *out);

/* Removes the documents of those ids (committed at once); *removed counts them, and
 * *unknown the ids not in the index. */
ND_API int nd_index_remove(nd_index *index, const char *const *ids, size_t n, uint64_t *removed,
                           uint64_t *unknown);
/* Removes every document dated before `before` (seconds since 1970); undated ones stay. */
ND_API int nd_index_expire(nd_index *index, int64_t before, uint64_t *removed);

typedef struct nd_index_info {
    uint64_t n_docs, n_bytes;        /* documents, and the bytes of their texts */
    int64_t first_date, last_date;   /* ND_NO_DATE when no document has one */
    uint64_t file_bytes, used_bytes; /* the file's size, and the pages in use */
    uint64_t n_band_keys;
    int schema;
    uint64_t data_bytes; /* the pages the tables hold: about what index compact leaves */
} nd_index_info;
ND_API int nd_index_get_info(nd_index *index, nd_index_info *info);

/* Checks that every key points to a live document and the counts agree; ND_EINDEX with
 * the first fault in why. */
ND_API int nd_index_check(nd_index *index, char *why, size_t why_len);

/* Writes a compacted copy of the index (open for writing) and renames it over the
 * original (the file a symlink names), with its mode and owner, so that the file is
 * either the old one or the whole new one. ND_EBUSY when another process has the index
 * open: its view of the file would no longer match it. */
ND_API int nd_index_compact(nd_index *index);

/* Parses an ISO 8601 date or date and time ("2026-12-05", "2026-12-05T10:20:30Z",
 * "...+02:00") into seconds since 1970; ND_EINVAL when it is not one. */
ND_API int nd_parse_date(const char *s, int64_t *seconds);

/* Adds bytes held in memory as if read from a file named name: JSONL lines, WARC records
 * or one document, as the input format (or their content) says; bytes are copied. JSONL
 * lines are numbered from first_line (1 for a whole file; a stream read in pieces gives
 * each piece the number of its first line, so that FILE:LINE ids stay apart). */
ND_API int nd_corpus_add_bytes(nd_corpus *corpus, const char *name, uint32_t first_line,
                               const void *bytes, size_t len);

/* ---------------------------------------------------------------- versions */

ND_API const char *nd_version(void);
/* "neardup X (ICU Y, xxHash Z)" into buf. */
ND_API void nd_version_details(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* NEARDUP_H */
