/*
 * jsonl_cut.c: cutting a plain JSONL file into lines on all threads (see jsonl_cut.h).
 *
 * Part t starts after the first newline at or after t/n of the file (part 0 at
 * the start), so every part holds whole lines; the last part reads on to the
 * end of the file, whatever its size was when it was listed. Each part is read
 * in 256 KiB blocks with pread, and its lines are numbered within the part;
 * joining adds the line counts of the parts before. A line longer than a block
 * is followed to its end without being held: only where it starts and whether
 * it is blank are kept (a line may be gigabytes).
 */
#define _GNU_SOURCE
#include "input/jsonl_cut.h"

#include "input/corpus.h"
#include "common/threads.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (256u << 10)  /* stays in the caches between the read and the search */
#define MIN_PART (4u << 20) /* a smaller part is not worth a thread */

typedef struct part {
    uint64_t from, to; /* bytes [from, to); to = UINT64_MAX: to the end of the file */
    nd_cut_line *lines;
    size_t n, cap;
    uint32_t n_lines; /* lines seen, blank ones too */
    int rc, error;
    uint64_t error_at;
    bool open;          /* a line longer than a block is being followed: */
    uint64_t open_from; /* where it starts */
    bool open_nonblank; /* whether what was seen of it is not blank */
} part;

typedef struct cut_job {
    int fd;
    uint64_t base_offset; /* where the bytes start in fd: offsets are from there */
    part *parts;
    int n_parts;
} cut_job;

size_t nd_bom_length(const unsigned char *bytes, size_t len)
{
    return len >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
}

static bool blank_line(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Counts the line [from, to) and keeps it unless blank. */
static int add_line(part *p, uint64_t from, uint64_t to, bool blank)
{
    p->n_lines++;
    if (blank)
        return 0;
    if (ND_GROW(p->lines, p->cap, p->n + 1) < 0)
        return ND_ENOMEM;
    p->lines[p->n++] = (nd_cut_line){from, to - from, p->n_lines};
    return 0;
}

/* The lines of buf[0..len), which starts at file offset base, into p; the first ends
 * the line being followed, if one is. */
static int split_lines(part *p, const unsigned char *buf, size_t len, uint64_t base)
{
    size_t start = base == 0 ? nd_bom_length(buf, len) : 0;
    int rc = 0;
    while (rc == 0 && start < len) {
        const unsigned char *nl = memchr(buf + start, '\n', len - start);
        const size_t end = nl ? (size_t)(nl - buf) : len;
        const bool blank = blank_line(buf + start, end - start);
        if (p->open)
            rc = add_line(p, p->open_from, base + end, blank && !p->open_nonblank);
        else
            rc = add_line(p, base + start, base + end, blank);
        p->open = false;
        start = end + 1;
    }
    return rc;
}

/* buf[0..len) at file offset base holds no newline: it is part of a line followed to
 * its end, its bytes dropped. */
static void follow_line(part *p, const unsigned char *buf, size_t len, uint64_t base)
{
    const size_t bom = base == 0 ? nd_bom_length(buf, len) : 0;
    if (!p->open) {
        p->open = true;
        p->open_from = base + bom;
        p->open_nonblank = false;
    }
    p->open_nonblank = p->open_nonblank || !blank_line(buf + bom, len - bom);
}

/* Reads part p block by block and splits it into lines. */
static int cut_part(int fd, uint64_t base_offset, part *p)
{
    size_t cap = BLOCK, have = 0;
    unsigned char *buf = malloc(cap);
    uint64_t base = p->from, at = p->from;
    int rc = buf ? 0 : ND_ENOMEM;
    while (rc == 0) {
        if (have == cap) { /* a block without a newline */
            follow_line(p, buf, have, base);
            base += have;
            have = 0;
        }
        const uint64_t left = p->to - at;
        const size_t want = left < cap - have ? (size_t)left : cap - have;
        const ssize_t got = want ? pread(fd, buf + have, want, (off_t)(base_offset + at)) : 0;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            p->error = errno;
            p->error_at = at;
            rc = ND_EIO;
            break;
        }
        at += (uint64_t)got;
        have += (size_t)got;
        const unsigned char *last_nl = have ? memrchr(buf, '\n', have) : NULL;
        const size_t done = got == 0  ? have /* the part's end: its last line */
                            : last_nl ? (size_t)(last_nl - buf) + 1
                                      : 0;
        rc = split_lines(p, buf, done, base);
        if (got == 0) { /* the part ends inside a line followed so far */
            if (rc == 0 && p->open)
                rc = add_line(p, p->open_from, base + done, !p->open_nonblank);
            break;
        }
        memmove(buf, buf + done, have - done);
        base += done;
        have -= done;
    }
    free(buf);
    return rc;
}

/* Each part keeps its own result: join_parts tells the first part's failure. */
static int cut_worker(void *stage, nd_work *work)
{
    cut_job *job = stage;
    for (size_t t; nd_work_take(work, &t);)
        job->parts[t].rc = cut_part(job->fd, job->base_offset, &job->parts[t]);
    return 0;
}

/* Where the line that holds the byte before `at` ends, plus one (0 for at 0). */
static int line_start_after(int fd, uint64_t base_offset, uint64_t at, uint64_t *start)
{
    unsigned char buf[65536];
    uint64_t pos = at ? at - 1 : 0;
    *start = 0;
    while (at) {
        const ssize_t got = pread(fd, buf, sizeof(buf), (off_t)(base_offset + pos));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ND_EIO;
        const unsigned char *nl = got ? memchr(buf, '\n', (size_t)got) : NULL;
        if (nl || got == 0) {
            *start = nl ? pos + (uint64_t)(nl - buf) + 1 : pos;
            return 0;
        }
        pos += (uint64_t)got;
    }
    return 0;
}

/* Joins the parts' lines in file order, up to and with the first part that failed. */
static int join_parts(part *parts, int n_parts, nd_cut_line **lines, size_t *n,
                      uint64_t *error_offset)
{
    size_t total = 0;
    for (int t = 0; t < n_parts; t++)
        total += parts[t].n;
    if (!(*lines = malloc((total ? total : 1) * sizeof(**lines))))
        return ND_ENOMEM;
    uint32_t lines_before = 0;
    *n = 0;
    for (int t = 0; t < n_parts; t++) {
        for (size_t i = 0; i < parts[t].n; i++) {
            (*lines)[*n] = parts[t].lines[i];
            (*lines)[(*n)++].line += lines_before;
        }
        lines_before += parts[t].n_lines;
        if (parts[t].rc < 0) {
            *error_offset = parts[t].error_at;
            errno = parts[t].error;
            return parts[t].rc;
        }
    }
    return 0;
}

int nd_cut_lines(int fd, uint64_t base_offset, uint64_t size, int threads, nd_cut_line **lines,
                 size_t *n, uint64_t *error_offset)
{
    const uint64_t most = size / MIN_PART;
    const int n_parts = most < 1 ? 1 : most < (uint64_t)threads ? (int)most : threads;
    cut_job job = {.fd = fd, .base_offset = base_offset, .n_parts = n_parts};
    int rc = (job.parts = calloc((size_t)n_parts, sizeof(*job.parts))) ? 0 : ND_ENOMEM;
    for (int t = 0; rc == 0 && t < n_parts; t++) {
        rc = line_start_after(fd, base_offset, size / (uint64_t)n_parts * (uint64_t)t,
                              &job.parts[t].from);
        if (t > 0 && job.parts[t].from < job.parts[t - 1].from)
            job.parts[t].from = job.parts[t - 1].from;
    }
    for (int t = 0; rc == 0 && t < n_parts; t++)
        job.parts[t].to = t + 1 < n_parts ? job.parts[t + 1].from : UINT64_MAX;
    *lines = NULL;
    *n = 0;
    *error_offset = 0;
    if (rc == ND_EIO) { /* a part's start could not be found: one part does it all */
        rc = 0;
        job.n_parts = 1;
        job.parts[0] = (part){.from = 0, .to = UINT64_MAX};
    }
    if (rc == 0)
        rc = nd_parallel(job.n_parts, (size_t)job.n_parts, cut_worker, &job);
    if (rc == 0)
        rc = join_parts(job.parts, job.n_parts, lines, n, error_offset);
    const int saved = errno;
    for (int t = 0; job.parts && t < n_parts; t++)
        free(job.parts[t].lines);
    free(job.parts);
    errno = saved;
    return rc;
}

int nd_cut_buffer(const unsigned char *bytes, size_t len, nd_cut_line **lines, size_t *n)
{
    part p = {.from = 0, .to = len};
    const int rc = split_lines(&p, bytes, len, 0);
    *lines = p.lines;
    *n = p.n;
    return rc;
}
