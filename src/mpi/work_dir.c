/*
 * work_dir.c: the part files of --work-dir (see work_dir.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "mpi/work_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define PART_MAGIC "NDPART1\n"

typedef struct part_head {
    char magic[8];
    uint64_t key, first_batch, end_batch, len, checksum;
} part_head;

static void hash_string(XXH3_state_t *st, const char *s)
{
    const char *v = s ? s : "";
    XXH3_64bits_update(st, v, strlen(v) + 1);
    XXH3_64bits_update(st, s ? "+" : "-", 1);
}

static void hash_u64(XXH3_state_t *st, uint64_t v)
{
    XXH3_64bits_update(st, &v, sizeof(v));
}

/* What shapes the records: not the threads, the memory or the threshold. */
static void hash_options(XXH3_state_t *st, const nd_options *o)
{
    const int64_t fields[] = {o->normalize,  o->engine,       o->shingle_unit, o->shingle_k,
                              o->char_ngram, o->num_perm,     o->verify,       o->passages,
                              o->strict,     o->input_format, o->html,         o->html_main};
    XXH3_64bits_update(st, fields, sizeof(fields));
    hash_u64(st, o->seed);
    hash_u64(st, o->max_doc_size);
    hash_string(st, o->id_key);
    hash_string(st, o->text_key);
    hash_string(st, o->charset);
    hash_string(st, o->title_key);
}

/* A source as the scan finds it: a file (also one spooled, decompressed) by its
 * identity, size and times (ctime too: no one can set it back after a write), bytes held
 * in memory by their hash. False for a stream read once (standard input, a pipe). */
static bool hash_source(XXH3_state_t *st, const nd_source *s)
{
    hash_string(st, s->path);
    if (s->data) {
        hash_u64(st, XXH3_64bits(s->data, s->data_len));
        return true;
    }
    struct stat sb;
    if (!strcmp(s->path, "-") || stat(s->path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return false;
    const uint64_t facts[] = {(uint64_t)sb.st_dev,          (uint64_t)sb.st_ino,
                              (uint64_t)sb.st_size,         (uint64_t)sb.st_mtim.tv_sec,
                              (uint64_t)sb.st_mtim.tv_nsec, (uint64_t)sb.st_ctim.tv_sec,
                              (uint64_t)sb.st_ctim.tv_nsec};
    XXH3_64bits_update(st, facts, sizeof(facts));
    return true;
}

uint64_t nd_part_key(const nd_corpus *c, size_t first_batch, size_t end_batch)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st)
        return 0;
    XXH3_64bits_reset(st);
    hash_string(st, nd_version());
    hash_u64(st, sizeof(nd_doc)); /* a record's fields follow the build's */
    hash_options(st, &c->opts);
    bool keepable = true;
    for (size_t i = 0; i < c->n_sources && keepable; i++)
        keepable = hash_source(st, &c->sources[i]);
    const uint64_t facts[] = {c->n_docs, first_batch, end_batch};
    XXH3_64bits_update(st, facts, sizeof(facts));
    const uint64_t key = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return keepable && key ? key : 0;
}

static char *part_path(const char *dir, size_t part, size_t parts, const char *suffix)
{
    const size_t len = strlen(dir) + 64;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/scan.%zu-of-%zu.part%s", dir, part, parts, suffix);
    return path;
}

static int sync_dir(const char *path)
{
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    const int fd = dir ? open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    if (fd < 0)
        return -1;
    const int rc = fsync(fd);
    close(fd);
    return rc;
}

int nd_part_create(nd_part_file *f, const char *dir, size_t part, size_t parts)
{
    *f = (nd_part_file){.fd = -1};
    f->path = part_path(dir, part, parts, "");
    /* a name of this process's: two jobs may keep the same part at once (the last
     * rename wins, and both files are whole) */
    char tmp[32];
    snprintf(tmp, sizeof(tmp), ".%ld.tmp", (long)getpid());
    f->tmp_path = part_path(dir, part, parts, tmp);
    f->hash = XXH3_createState();
    if (!f->path || !f->tmp_path || !f->hash) {
        nd_part_abandon(f);
        return ND_ENOMEM;
    }
    XXH3_64bits_reset(f->hash);
    const part_head blank = {.key = 0};
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0 || nd_pwrite_all(f->fd, 0, &blank, sizeof(blank)) < 0) {
        const int saved = errno;
        nd_part_abandon(f);
        errno = saved;
        return ND_EIO;
    }
    return 0;
}

int nd_part_put(void *file, void *bytes, size_t len)
{
    nd_part_file *f = file;
    XXH3_64bits_update(f->hash, bytes, len);
    const int rc = nd_pwrite_all(f->fd, sizeof(part_head) + f->len, bytes, len);
    f->len += len;
    return rc < 0 ? ND_EIO : 0;
}

int nd_part_commit(nd_part_file *f, uint64_t key, size_t first_batch, size_t end_batch)
{
    part_head h = {.key = key, .first_batch = first_batch, .end_batch = end_batch, .len = f->len};
    memcpy(h.magic, PART_MAGIC, 8);
    h.checksum = XXH3_64bits_digest(f->hash);
    const bool ok =
        nd_pwrite_all(f->fd, 0, &h, sizeof(h)) == 0 && fsync(f->fd) == 0 && close(f->fd) == 0;
    f->fd = -1;
    if (!ok || rename(f->tmp_path, f->path) != 0 || sync_dir(f->path) != 0) {
        const int saved = errno;
        nd_part_abandon(f);
        errno = saved;
        return ND_EIO;
    }
    free(f->tmp_path);
    f->tmp_path = NULL;
    nd_part_close(f);
    return 0;
}

void nd_part_abandon(nd_part_file *f)
{
    if (f->tmp_path)
        unlink(f->tmp_path);
    free(f->tmp_path);
    f->tmp_path = NULL;
    nd_part_close(f);
}

/* Reads the body through once: whether its checksum is the header's. */
static bool body_is_whole(nd_part_file *f, const part_head *h)
{
    unsigned char *buf = malloc(ND_RECORD_PIECE);
    bool ok = buf != NULL;
    XXH3_64bits_reset(f->hash);
    for (uint64_t at = 0; at < h->len && ok;) {
        const size_t n = h->len - at < ND_RECORD_PIECE ? (size_t)(h->len - at) : ND_RECORD_PIECE;
        ok = nd_pread_all(f->fd, sizeof(*h) + at, buf, n) == 0;
        XXH3_64bits_update(f->hash, buf, n);
        at += n;
    }
    free(buf);
    char extra;
    return ok && pread(f->fd, &extra, 1, (off_t)(sizeof(*h) + h->len)) == 0 &&
           XXH3_64bits_digest(f->hash) == h->checksum;
}

int nd_part_open(nd_part_file *f, const char *dir, size_t part, size_t parts, uint64_t key,
                 size_t first_batch, size_t end_batch)
{
    *f = (nd_part_file){.fd = -1};
    f->path = part_path(dir, part, parts, "");
    f->hash = XXH3_createState();
    if (!f->path || !f->hash) {
        nd_part_close(f);
        return ND_ENOMEM;
    }
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    part_head h;
    int rc = f->fd >= 0 && nd_pread_all(f->fd, 0, &h, sizeof(h)) == 0 ? 0 : ND_EINVAL;
    if (rc == 0 && (memcmp(h.magic, PART_MAGIC, 8) || h.key != key ||
                    h.first_batch != first_batch || h.end_batch != end_batch))
        rc = ND_EINVAL;
    if (rc == 0 && !body_is_whole(f, &h))
        rc = ND_EFORMAT;
    if (rc < 0)
        nd_part_close(f);
    return rc;
}

int nd_part_get(void *file, void *bytes, size_t len)
{
    nd_part_file *f = file; /* len: the body read so far */
    const int rc = nd_pread_all(f->fd, sizeof(part_head) + f->len, bytes, len);
    f->len += len;
    return rc < 0 ? ND_EFORMAT : 0;
}

void nd_part_close(nd_part_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->path);
    f->path = NULL;
    if (f->hash)
        XXH3_freeState(f->hash);
    f->hash = NULL;
}

void nd_part_forget_other_cuts(const char *dir, size_t parts)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t k, of;
        int end = 0;
        if (sscanf(e->d_name, "scan.%zu-of-%zu.part%n", &k, &of, &end) != 2 ||
            e->d_name[end] != '\0' || of == parts)
            continue;
        char *path = part_path(dir, k, of, "");
        if (path)
            unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
}
