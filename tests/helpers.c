/*
 * helpers.c: shared test helpers (see helpers.h).
 */
#define _DEFAULT_SOURCE
#include "helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, fp)) > 0;) {
        n += got;
        if (n == cap) {
            char *more = realloc(buf, (cap *= 2) + 1);
            if (!more) {
                free(buf);
                buf = NULL;
            }
            buf = more;
        }
    }
    fclose(fp);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        abort();
    if (fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
        abort();
}

int mkdir_p(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    return system(cmd) == 0 ? 0 : -1;
}

char *make_temp_dir(void)
{
    char *dir = strdup("/tmp/neardup-test-XXXXXX");
    if (!dir || !mkdtemp(dir))
        abort();
    return dir;
}

void remove_tree(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* Runs cmd with sh -c as a child, and *max_rss_kb gets the peak resident size of the
 * largest process of it (wait4 gives the child's usage with that of the children it
 * waited for). Returns the wait status. */
static int run_measured(const char *cmd, long *max_rss_kb)
{
    const pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status = -1;
    struct rusage use = {0};
    if (pid < 0 || wait4(pid, &status, 0, &use) < 0)
        return -1;
    *max_rss_kb = use.ru_maxrss;
    return status;
}

static cli_result run_cli_v(const char *prefix, const char *args_fmt, va_list ap)
{
    char args[8192], cmd[16384];
    vsnprintf(args, sizeof(args), args_fmt, ap);
    char *dir = make_temp_dir();
    snprintf(cmd, sizeof(cmd), "%s%s %s >%s/out 2>%s/err", prefix, ND_TEST_CLI, args, dir, dir);
    long max_rss_kb = 0;
    const int status = run_measured(cmd, &max_rss_kb);
    cli_result r;
    r.max_rss_kb = max_rss_kb;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/out", dir);
    r.out = read_file(path, NULL);
    snprintf(path, sizeof(path), "%s/err", dir);
    r.err = read_file(path, NULL);
    remove_tree(dir);
    free(dir);
    return r;
}

char *read_seed(int i, size_t *len)
{
    static const char *const names[] = {"000_0890706d309c6b14.txt", "001_6b51f63e2d89280f.txt",
                                        "002_bf468212468ea075.txt", "003_55340620ea89ea1d.txt",
                                        "004_4c56812b56ce6aa5.txt"};
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", SEEDS_DIR, names[i]);
    return read_file(path, len);
}

cli_result run_cli(const char *args_fmt, ...)
{
    va_list ap;
    va_start(ap, args_fmt);
    cli_result r = run_cli_v("", args_fmt, ap);
    va_end(ap);
    return r;
}

cli_result run_cli_prefixed(const char *prefix, const char *args_fmt, ...)
{
    va_list ap;
    va_start(ap, args_fmt);
    cli_result r = run_cli_v(prefix, args_fmt, ap);
    va_end(ap);
    return r;
}

void cli_result_dispose(cli_result *r)
{
    free(r->out);
    free(r->err);
}

/* ---------------------------------------------------------------- CSV */

static void push_field(csv_table *t, const char *s, size_t n)
{
    const size_t r = t->n_rows - 1;
    t->rows[r] = realloc(t->rows[r], (t->n_cols[r] + 1) * sizeof(char *));
    char *f = malloc(n + 1);
    memcpy(f, s, n);
    f[n] = '\0';
    t->rows[r][t->n_cols[r]++] = f;
}

static void push_row(csv_table *t)
{
    t->rows = realloc(t->rows, (t->n_rows + 1) * sizeof(*t->rows));
    t->n_cols = realloc(t->n_cols, (t->n_rows + 1) * sizeof(*t->n_cols));
    t->rows[t->n_rows] = NULL;
    t->n_cols[t->n_rows] = 0;
    t->n_rows++;
}

int csv_parse(const char *s, csv_table *t)
{
    memset(t, 0, sizeof(*t));
    size_t cap = 256, n = 0;
    char *field = malloc(cap);
    while (*s) {
        push_row(t);
        for (;;) {
            n = 0;
            if (*s == '"') {
                for (s++;; s++) {
                    if (!*s) {
                        free(field);
                        return -1;
                    }
                    if (*s == '"' && s[1] != '"')
                        break;
                    if (*s == '"')
                        s++;
                    if (n + 1 >= cap)
                        field = realloc(field, cap *= 2);
                    field[n++] = *s;
                }
                s++;
            } else {
                for (; *s && *s != ',' && *s != '\r' && *s != '\n'; s++) {
                    if (n + 1 >= cap)
                        field = realloc(field, cap *= 2);
                    field[n++] = *s;
                }
            }
            push_field(t, field, n);
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == '\r')
                s++;
            if (*s == '\n')
                s++;
            else if (*s) {
                free(field);
                return -1;
            }
            break;
        }
    }
    free(field);
    return 0;
}

void csv_dispose(csv_table *t)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols[r]; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    free(t->n_cols);
    memset(t, 0, sizeof(*t));
}

int csv_column(const csv_table *t, const char *name)
{
    if (t->n_rows == 0)
        return -1;
    for (size_t c = 0; c < t->n_cols[0]; c++)
        if (!strcmp(t->rows[0][c], name))
            return (int)c;
    return -1;
}

const char *csv_get(const csv_table *t, size_t r, const char *name)
{
    const int c = csv_column(t, name);
    if (c < 0 || r >= t->n_rows || (size_t)c >= t->n_cols[r])
        return NULL;
    return t->rows[r][c];
}
