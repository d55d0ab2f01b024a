/*
 * input.c: stage 0, paths -> documents.
 *
 * A file given by name becomes one document whose id is the path as given.
 * A directory is walked recursively in byte order of names (not locale
 * order, so ids and their order are the same on every machine); each regular
 * file below it becomes a document whose id is its path relative to that
 * directory. Symlinks are followed, and a directory already on the current
 * walk (a symlink loop) is reported and not entered again.
 * Only ids and paths are stored here: bytes are read when a stage needs them.
 */
#define _DEFAULT_SOURCE
#include "nd_internal.h"
#include "utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t nd_utf8_count(const uint8_t *s, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; n++) {
        int used, bad;
        nd_utf8_decode(s + i, len - i, &used, &bad);
        i += (size_t)used;
    }
    return n;
}

static char *copy_string(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

static int add_doc(nd_corpus *c, const char *id, const char *path)
{
    if (ND_GROW(c->docs, c->cap_docs, c->n_docs + 1) < 0)
        return ND_ENOMEM;
    nd_doc *d = &c->docs[c->n_docs];
    memset(d, 0, sizeof(*d));
    d->id = copy_string(id);
    d->path = path ? copy_string(path) : NULL;
    if (!d->id || (path && !d->path)) {
        free(d->id);
        free(d->path);
        return ND_ENOMEM;
    }
    c->n_docs++;
    return 0;
}

int nd_corpus_add_memory(nd_corpus *c, const char *id, const void *bytes, size_t len)
{
    int rc = add_doc(c, id, NULL);
    if (rc < 0)
        return rc;
    nd_doc *d = &c->docs[c->n_docs - 1];
    d->mem = malloc(len ? len : 1);
    if (!d->mem) {
        free(d->id);
        c->n_docs--;
        return ND_ENOMEM;
    }
    memcpy(d->mem, bytes, len);
    d->mem_len = len;
    return 0;
}

/* ---------------------------------------------------------------- directories */

typedef struct walk_frame {
    dev_t dev;
    ino_t ino;
    const struct walk_frame *up;
} walk_frame;

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted bytewise, without "." and "..". */
static int list_names(const char *dir, char ***names, size_t *n)
{
    DIR *dp = opendir(dir);
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    if (!dp)
        return ND_EIO;
    for (struct dirent *e; (e = readdir(dp));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (ND_GROW(*names, cap, *n + 1) < 0 || !((*names)[*n] = copy_string(e->d_name))) {
            closedir(dp);
            return ND_ENOMEM;
        }
        (*n)++;
    }
    closedir(dp);
    qsort(*names, *n, sizeof(**names), compare_names);
    return 0;
}

static char *join_path(const char *a, const char *b)
{
    size_t na = strlen(a);
    const size_t nb = strlen(b);
    const bool slash = na && a[na - 1] == '/';
    char *p = malloc(na + nb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    if (!slash && na)
        p[na++] = '/';
    memcpy(p + na, b, nb + 1);
    return p;
}

static bool on_walk(const walk_frame *f, const struct stat *st)
{
    for (; f; f = f->up)
        if (f->dev == st->st_dev && f->ino == st->st_ino)
            return true;
    return false;
}

static int walk(nd_corpus *c, const char *dir, const char *rel, const walk_frame *up);

/* One entry of a directory: recurse, add, or report why not. */
static int walk_entry(nd_corpus *c, const char *path, const char *rel, const walk_frame *frame)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        if (on_walk(frame, &st)) {
            nd_report(c, ND_DIAG_WARNING, ND_EINVAL, path, -1,
                      "directory loop (symlink back to an ancestor), not entered again");
            return 0;
        }
        return walk(c, path, rel, frame);
    }
    if (!S_ISREG(st.st_mode)) {
        nd_report(c, ND_DIAG_WARNING, ND_EINVAL, path, -1, "not a regular file, skipped");
        return 0;
    }
    return add_doc(c, rel, path);
}

static int walk(nd_corpus *c, const char *dir, const char *rel, const walk_frame *up)
{
    struct stat st;
    char **names;
    size_t n;
    int rc = stat(dir, &st) < 0 ? ND_EIO : list_names(dir, &names, &n);
    if (rc == ND_EIO) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, dir, -1, "%s", strerror(errno));
        return up ? 0 : ND_EIO;
    }
    if (rc < 0)
        return rc;
    const walk_frame frame = {st.st_dev, st.st_ino, up};
    for (size_t i = 0; i < n; i++) {
        char *path = join_path(dir, names[i]);
        char *sub = rel ? join_path(rel, names[i]) : copy_string(names[i]);
        rc = (!path || !sub) ? ND_ENOMEM : rc;
        if (rc == 0)
            rc = walk_entry(c, path, sub, &frame);
        free(path);
        free(sub);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int nd_corpus_add_path(nd_corpus *c, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
        return ND_EIO;
    }
    if (S_ISDIR(st.st_mode))
        return walk(c, path, NULL, NULL);
    /* a named FIFO or device is read like a file: the user asked for it */
    return add_doc(c, path, path);
}

/* ---------------------------------------------------------------- reading */

static int read_all(int fd, unsigned char **buf, size_t *cap, size_t *len)
{
    struct stat st;
    size_t n = 0;
    /* a regular file's size is known: one read of the right size, no regrowth */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ND_GROW(*buf, *cap, (size_t)st.st_size + 1) < 0)
        return ND_ENOMEM;
    for (;;) {
        if (n == *cap && ND_GROW(*buf, *cap, n + 65536) < 0)
            return ND_ENOMEM;
        const ssize_t got = read(fd, *buf + n, *cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ND_EIO;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *len = n;
    return 0;
}

int nd_doc_read(const nd_corpus *c, const nd_doc *d, unsigned char **buf, size_t *cap,
                size_t *len)
{
    (void)c;
    if (!d->path) {
        if (ND_GROW(*buf, *cap, d->mem_len + 1) < 0)
            return ND_ENOMEM;
        memcpy(*buf, d->mem, d->mem_len);
        *len = d->mem_len;
        return 0;
    }
    const int fd = open(d->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ND_EIO;
    const int rc = read_all(fd, buf, cap, len);
    const int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int nd_doc_load(const nd_corpus *c, const nd_doc *d, unsigned char **bytes, size_t *len)
{
    size_t cap = 0;
    *bytes = NULL;
    const int rc = nd_doc_read(c, d, bytes, &cap, len);
    if (rc < 0) {
        free(*bytes);
        *bytes = NULL;
    }
    return rc;
}

bool nd_bytes_look_binary(const unsigned char *bytes, size_t len)
{
    return memchr(bytes, 0, len) != NULL;
}
