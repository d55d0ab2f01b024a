/*
 * helpers.h: what several test suites need: running the CLI, reading files,
 * a scratch directory, and a small RFC 4180 CSV reader.
 */
#ifndef ND_TEST_HELPERS_H
#define ND_TEST_HELPERS_H

#include <stddef.h>

/* The seed corpus in the source tree, and the CLI binary. */
#define SEEDS_DIR ND_TEST_SOURCE_DIR "/demo"
#define SEED(n) SEEDS_DIR "/" n

typedef struct cli_result {
    int status;      /* exit status, or -1 when it did not exit normally */
    char *out;       /* stdout, NUL-terminated */
    char *err;       /* stderr */
    long max_rss_kb; /* the peak resident size of the largest process run */
} cli_result;

/* Runs neardup with a shell-quoted argument string; free with cli_result_dispose. */
cli_result run_cli(const char *args_fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a command put before the binary (e.g. one dropping privileges). */
cli_result run_cli_prefixed(const char *prefix, const char *args_fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_result_dispose(cli_result *r);

/* Reads a whole file (NUL-terminated copy); *len gets its size. NULL if unreadable. */
char *read_file(const char *path, size_t *len);
/* The text of seed article i (0..4) of demo/, malloc'd; *len gets its length. */
char *read_seed(int i, size_t *len);
void write_file(const char *path, const void *data, size_t len);

/* mkdir -p; 0 on success. */
int mkdir_p(const char *path);

/* A fresh empty directory under /tmp, removed by remove_tree. */
char *make_temp_dir(void);
void remove_tree(const char *dir);

/* A parsed CSV: rows[r][c] strings; row 0 is the header. */
typedef struct csv_table {
    char ***rows;
    size_t n_rows;
    size_t *n_cols;
} csv_table;

/* Parses RFC 4180 text; returns 0, or -1 on malformed quoting. */
int csv_parse(const char *text, csv_table *out);
void csv_dispose(csv_table *t);
/* The column index of name in the header, or -1. */
int csv_column(const csv_table *t, const char *name);
/* The field of row r (1-based data rows) in column name. */
const char *csv_get(const csv_table *t, size_t r, const char *name);

#endif
