/*
 * paths.c: outputs that would destroy an input, and messages that name files safely.
 *
 * Before anything is read, each output is compared with every input and every other
 * output: the same file (device and inode) or, for a file not there yet, the same
 * resolved path (realpath of its folder, then its name). An output inside an input
 * directory is refused too, whether or not it exists yet: the walk would read it as a
 * document (now, or on the next run). The directories are walked for that (their names
 * read, not their files): a symlink or hard link below them to an output, or a symlinked
 * folder holding one, is found as well.
 *
 * Messages: file names and ids come from the data, and may hold a newline or an escape
 * sequence; cli_message escapes them, so that one problem is one line.
 */
#define _DEFAULT_SOURCE
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- messages */

/* The length of the UTF-8 sequence at s (at most n bytes), 0 when it is not one. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3, lo = s[0] == 0xE0 ? 0xA0 : 0x80, hi = s[0] == 0xED ? 0x9F : 0xBF;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4, lo = s[0] == 0xF0 ? 0x90 : 0x80, hi = s[0] == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (len > n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* s[0..n) with control characters escaped, into out (room for 4 * n + 1 bytes); the
 * newline at s[n - 1], when keep_newline, stays. */
static void escape_into(const unsigned char *s, size_t n, bool keep_newline, char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (size_t i = 0; i < n;) {
        const unsigned char c = s[i];
        size_t len = 1;
        if (c == '\n' && keep_newline && i == n - 1) {
            *o++ = '\n';
        } else if (c < 0x20 || c == 0x7F) {
            *o++ = '\\';
            if (c == '\n' || c == '\r' || c == '\t') {
                *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            } else {
                *o++ = 'x';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            }
        } else if (c < 0x80) {
            *o++ = (char)c;
        } else if ((len = utf8_length(s + i, n - i)) == 0) {
            len = 1; /* not UTF-8: a terminal might read it as a C1 control */
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else if (len == 2 && c == 0xC2 && s[i + 1] < 0xA0) { /* U+0080..U+009F */
            memcpy(o, "\\u00", 4);
            o += 4;
            *o++ = hex[s[i + 1] >> 4];
            *o++ = hex[s[i + 1] & 15];
        } else {
            memcpy(o, s + i, len);
            o += len;
        }
        i += len;
    }
    *o = '\0';
}

void cli_vmessage(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    char *shown = text ? malloc(4 * (size_t)n + 1) : NULL;
    if (shown) {
        vsnprintf(text, (size_t)n + 1, fmt, again);
        escape_into((const unsigned char *)text, (size_t)n, true, shown);
        fputs(shown, stderr); /* one call: the lines of threads do not mix */
    } else {
        fputs("neardup: out of memory (while writing a message)\n", stderr);
    }
    va_end(again);
    free(shown);
    free(text);
}

void cli_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vmessage(fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- resolved paths */

static char *join(const char *dir, const char *name)
{
    const size_t nd = strlen(dir), nn = strlen(name);
    const bool slash = nd && dir[nd - 1] == '/';
    char *p = malloc(nd + nn + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, nd);
    if (!slash)
        p[nd] = '/';
    memcpy(p + nd + !slash, name, nn + 1);
    return p;
}

/* The absolute path of path with every symlink resolved, also when the file is not there
 * yet (its folder resolved, its name appended; a dangling symlink followed). NULL when not
 * even its folder resolves. */
static char *resolve(const char *path, int depth)
{
    char *r = realpath(path, NULL);
    if (r || depth > 40)
        return r;
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return NULL;
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    char target[PATH_MAX];
    struct stat st;
    ssize_t n;
    if (dir && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
        (n = readlink(path, target, sizeof(target) - 1)) > 0) {
        target[n] = '\0';
        char *next = target[0] == '/' ? strdup(target) : join(dir, target);
        r = next ? resolve(next, depth + 1) : NULL;
        free(next);
    } else if (dir) {
        char *real_dir = realpath(dir, NULL);
        r = real_dir ? join(real_dir, name) : NULL;
        free(real_dir);
    }
    free(dir);
    return r;
}

/* ---------------------------------------------------------------- clashes */

typedef struct out_file {
    const cli_output_name *name;
    char *resolved;  /* or NULL */
    bool exists;     /* a regular file (st is its) */
    struct stat st;  /* when exists */
    bool has_parent; /* the folder it is (or will be) in, resolved: parent */
    struct stat parent;
} out_file;

typedef struct checker {
    out_file *outs;
    size_t n;
} checker;

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int clash_with_input(const out_file *o, const char *input, const char *list)
{
    cli_message("neardup: --%s %s is the %s %s: it would be overwritten\n", o->name->option,
                o->name->path, list && !strcmp(input, list) ? "--files-from list" : "input", input);
    return ND_EINVAL;
}

/* An input that is a file (st its stat), or that is not there (st NULL): is it an output? */
static int check_input_file(const checker *k, const char *input, const struct stat *st,
                            const char *list)
{
    char *resolved = NULL;
    bool resolved_done = false;
    int rc = 0;
    for (size_t i = 0; i < k->n && rc == 0; i++) {
        const out_file *o = &k->outs[i];
        if (st && o->exists && same_file(st, &o->st))
            rc = clash_with_input(o, input, list);
        if (st || o->exists || !o->resolved)
            continue; /* one is there and the other not: not the same file */
        if (!resolved_done) {
            resolved = resolve(input, 0);
            resolved_done = true;
        }
        if (resolved && !strcmp(resolved, o->resolved))
            rc = clash_with_input(o, input, list);
    }
    free(resolved);
    return rc;
}

typedef struct walk_frame {
    dev_t dev;
    ino_t ino;
    const struct walk_frame *up;
} walk_frame;

static bool on_walk(const walk_frame *f, const struct stat *st)
{
    for (; f; f = f->up)
        if (f->dev == st->st_dev && f->ino == st->st_ino)
            return true;
    return false;
}

/* Whether the entry e of a folder needs a stat: a folder to go down into, a symlink, an
 * entry of unknown type, or a file that may be an output (the same inode number). Other
 * files are left without a system call. */
static bool worth_a_stat(const checker *k, const struct dirent *e)
{
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        return false;
    if (e->d_type == DT_DIR || e->d_type == DT_LNK || e->d_type == DT_UNKNOWN)
        return true;
    for (size_t i = 0; e->d_type == DT_REG && i < k->n; i++)
        if (k->outs[i].exists && k->outs[i].st.st_ino == e->d_ino)
            return true;
    return false;
}

/* The names of the entries of path worth a stat, in *names[0..*n). */
static int list_names(const checker *k, const char *path, char ***names, size_t *n)
{
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    DIR *dp = opendir(path);
    if (!dp)
        return 0; /* the listing will say why */
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(dp));) {
        if (!worth_a_stat(k, e))
            continue;
        if (*n == cap) {
            char **grown = realloc(*names, (cap = cap ? 2 * cap : 16) * sizeof(**names));
            if (!grown) {
                rc = ND_ENOMEM;
                break;
            }
            *names = grown;
        }
        rc = ((*names)[*n] = strdup(e->d_name)) ? 0 : ND_ENOMEM;
        *n += rc == 0;
    }
    closedir(dp);
    return rc;
}

static int inside_input(const out_file *o, const char *top, const char *path)
{
    const bool below = strcmp(path, top) != 0; /* reached through a symlink, or deeper */
    const char *a = below ? path : "the input directory ";
    const char *b = below ? ", below the input directory " : "";
    if (o->exists)
        cli_message("neardup: --%s %s is read as input, in %s%s%s: it would be overwritten\n",
                    o->name->option, o->name->path, a, b, top);
    else
        cli_message("neardup: --%s %s is inside %s%s%s, whose files are all read as "
                    "documents: write it elsewhere\n",
                    o->name->option, o->name->path, a, b, top);
    return ND_EINVAL;
}

/* Walks the folder path (st its stat) below the input directory top as the library's
 * listing does (symlinks followed, a loop entered once), looking for an output: one whose
 * folder is this one, or a file below that is one. One folder is open at a time, however
 * deep the tree. */
static int walk(const checker *k, const char *top, const char *path, const struct stat *st,
                const walk_frame *up)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->outs[i].has_parent && same_file(&k->outs[i].parent, st))
            return inside_input(&k->outs[i], top, path);
    char **names;
    size_t n;
    int rc = list_names(k, path, &names, &n);
    const walk_frame frame = {st->st_dev, st->st_ino, up};
    for (size_t j = 0; j < n && rc == 0; j++) {
        char *sub = join(path, names[j]);
        struct stat sub_st;
        if (!sub)
            rc = ND_ENOMEM;
        else if (stat(sub, &sub_st) != 0)
            ; /* gone, or a dangling symlink: the listing will say */
        else if (S_ISDIR(sub_st.st_mode) && !on_walk(&frame, &sub_st))
            rc = walk(k, top, sub, &sub_st, &frame);
        else if (S_ISREG(sub_st.st_mode))
            for (size_t i = 0; i < k->n && rc == 0; i++)
                if (k->outs[i].exists && same_file(&k->outs[i].st, &sub_st)) {
                    cli_message("neardup: --%s %s is the file %s, read as input below the input "
                                "directory %s: it would be overwritten\n",
                                k->outs[i].name->option, k->outs[i].name->path, sub, top);
                    rc = ND_EINVAL;
                }
        free(sub);
    }
    for (size_t j = 0; j < n; j++)
        free(names[j]);
    free(names);
    return rc;
}

/* Two outputs that are the same file. */
static bool same_output(const out_file *a, const out_file *b)
{
    if (a->exists && b->exists)
        return same_file(&a->st, &b->st);
    if (a->exists != b->exists)
        return false;
    return a->resolved && b->resolved ? !strcmp(a->resolved, b->resolved)
                                      : !strcmp(a->name->path, b->name->path);
}

static int check(const checker *k, const char *const *inputs, size_t n_inputs, const char *list)
{
    for (size_t i = 0; i < k->n; i++)
        for (size_t j = 0; j < i; j++)
            if (same_output(&k->outs[j], &k->outs[i])) {
                cli_message("neardup: --%s %s and --%s %s are the same file: give each output "
                            "its own\n",
                            k->outs[j].name->option, k->outs[j].name->path, k->outs[i].name->option,
                            k->outs[i].name->path);
                return ND_EINVAL;
            }
    struct stat st;
    int rc = 0;
    if (list && strcmp(list, "-"))
        rc = check_input_file(k, list, stat(list, &st) == 0 ? &st : NULL, list);
    struct stat *walked = NULL; /* the input directories walked, each once */
    size_t n_walked = 0;
    for (size_t i = 0; i < n_inputs && rc == 0; i++) {
        if (!strcmp(inputs[i], "-")) { /* a file behind standard input is an input too */
            if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
                rc = check_input_file(k, "- (standard input)", &st, NULL);
            continue;
        }
        const bool there = stat(inputs[i], &st) == 0;
        if (!there || !S_ISDIR(st.st_mode)) {
            rc = check_input_file(k, inputs[i], there ? &st : NULL, NULL);
            continue;
        }
        bool seen = false;
        for (size_t w = 0; w < n_walked; w++)
            seen |= same_file(&walked[w], &st);
        if (seen)
            continue;
        struct stat *grown = realloc(walked, (n_walked + 1) * sizeof(*walked));
        if (!grown) {
            rc = ND_ENOMEM;
            break;
        }
        walked = grown;
        walked[n_walked++] = st;
        rc = walk(k, inputs[i], inputs[i], &st, NULL);
    }
    free(walked);
    return rc;
}

int cli_check_paths(const cli_output_name *names, size_t n_outs, const char *const *inputs,
                    size_t n_inputs, const char *list)
{
    checker k = {calloc(n_outs ? n_outs : 1, sizeof(out_file)), 0};
    if (!k.outs)
        return ND_ENOMEM;
    for (size_t i = 0; i < n_outs; i++) {
        out_file *o = &k.outs[k.n];
        struct stat st;
        if (!strcmp(names[i].path, "-"))
            continue;
        const bool there = stat(names[i].path, &st) == 0;
        if (there && !S_ISREG(st.st_mode))
            continue; /* a device or pipe (never renamed over), or a folder (an error later) */
        o->name = &names[i];
        o->exists = there;
        if (there)
            o->st = st;
        o->resolved = resolve(names[i].path, 0);
        if (o->resolved) {
            const char *slash = strrchr(o->resolved, '/');
            char *parent =
                strndup(o->resolved, slash == o->resolved ? 1 : (size_t)(slash - o->resolved));
            o->has_parent = parent && stat(parent, &o->parent) == 0;
            free(parent);
        }
        k.n++;
    }
    const int rc = k.n ? check(&k, inputs, n_inputs, list) : 0;
    for (size_t i = 0; i < k.n; i++)
        free(k.outs[i].resolved);
    free(k.outs);
    return rc;
}
