/*
 * output_file.c: outputs that are either complete or absent.
 *
 * A regular file is written as PATH.tmp.XXXXXX in the same directory and flushed
 * to disk; when every output of the run is complete, they are renamed over their
 * PATHs one after the other, with signals held off: a run that fails or is killed
 * leaves the previous files or none, never half of one, and never new pairs beside
 * the clusters of an earlier run (only SIGKILL or a crash between two renames can).
 * stdout, a device or a pipe cannot be replaced by a rename (renaming over
 * /dev/stdout as root would destroy the device node), so they are written
 * directly. On SIGINT, SIGTERM or SIGHUP the temporary files are removed
 * before the process dies; after SIGKILL one may stay behind, under its
 * temporary name, and the output itself is still the previous file or none.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files being written, for the signal handler. */
#define MAX_PENDING 16
static char *volatile pending[MAX_PENDING];

static void remove_pending(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i])
            unlink(pending[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_output_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = remove_pending;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Adds or removes a temporary file for the handler; signals wait meanwhile. */
static void track_blocked(char *tmp_path, bool add)
{
    for (int i = 0; i < MAX_PENDING; i++) {
        if (add && !pending[i]) {
            pending[i] = tmp_path;
            break;
        }
        if (!add && pending[i] == tmp_path)
            pending[i] = NULL;
    }
}

static void track(char *tmp_path, bool add)
{
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    track_blocked(tmp_path, add);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Creates the temporary file from the template tmp_path and tracks it, with signals
 * held off from before it exists until it is tracked: a signal in between left it
 * behind (tests/test_faults.c caught one). Returns its descriptor, or -1. */
static int create_tracked(char *tmp_path)
{
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    const int fd = mkstemp(tmp_path);
    if (fd >= 0)
        track_blocked(tmp_path, true);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return fd;
}

/* Written through, never renamed over: stdout, devices, pipes, and symlinks (renaming
 * over /dev/stdout -> /proc/self/fd/1 would replace the link, and with it the device). */
static bool is_special(const char *path)
{
    struct stat st;
    if (!strcmp(path, "-"))
        return true;
    return lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

/* stdio's buffer for a file is its block size, 4 KiB: a write call per 4 KiB of
 * passages. */
#define OUTPUT_BUFFER (256u << 10)

int cli_output_open(cli_output *o, const char *path)
{
    struct stat st;
    *o = (cli_output){path, NULL, NULL, NULL, 0};
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_message("neardup: %s: cannot write: is a directory\n", path);
        return ND_EIO;
    }
    if (is_special(path)) {
        o->fp = strcmp(path, "-") ? fopen(path, "w") : stdout;
    } else {
        const size_t n = strlen(path);
        o->tmp_path = malloc(n + sizeof(".tmp.XXXXXX"));
        if (!o->tmp_path) {
            cli_message("neardup: %s: cannot write: %s\n", path, nd_strerror(ND_ENOMEM));
            return ND_ENOMEM;
        }
        memcpy(o->tmp_path, path, n);
        memcpy(o->tmp_path + n, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
        const int fd = create_tracked(o->tmp_path);
        if (fd >= 0 && !(o->fp = fdopen(fd, "w")))
            close(fd);
        if (fd >= 0 && o->fp)
            fchmod(fd, 0644);
    }
    if (!o->fp) {
        cli_message("neardup: %s: cannot write: %s\n", path, strerror(errno));
        if (o->tmp_path) {
            unlink(o->tmp_path);
            track(o->tmp_path, false);
        }
        free(o->tmp_path);
        o->tmp_path = NULL;
        return ND_EIO;
    }
    /* (glibc keeps its own size when setvbuf is given no buffer) */
    if (o->fp != stdout && (o->buffer = malloc(OUTPUT_BUFFER)) != NULL)
        setvbuf(o->fp, o->buffer, _IOFBF, OUTPUT_BUFFER);
    return 0;
}

/* Removes the temporary file of o, if any. */
static void discard(cli_output *o)
{
    if (o->tmp_path) {
        unlink(o->tmp_path);
        track(o->tmp_path, false);
        free(o->tmp_path);
        o->tmp_path = NULL;
    }
}

int cli_output_close(cli_output *o, bool ok)
{
    int rc = 0, err = 0;
    if (!o->fp)
        return 0;
    if (fflush(o->fp) != 0)
        rc = ND_EIO, err = errno;
    else if (ferror(o->fp)) /* an earlier write failed, and nothing was left to flush */
        rc = ND_EIO, err = o->write_errno;
    else if (o->tmp_path && fsync(fileno(o->fp)) != 0)
        rc = ND_EIO, err = errno;
    if (o->fp != stdout && fclose(o->fp) != 0 && rc == 0)
        rc = ND_EIO, err = errno;
    if (rc < 0)
        cli_message("neardup: %s: write failed: %s\n", o->path,
                    err ? strerror(err) : "the stream reported an error");
    free(o->buffer);
    if (!ok || rc < 0)
        discard(o);
    o->fp = NULL;
    o->buffer = NULL;
    return rc;
}

int cli_outputs_commit(cli_output *outs, size_t n, bool ok)
{
    sigset_t all, old;
    int rc = 0;
    size_t failed = n;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old); /* a SIGINT now waits for the last rename */
    for (size_t i = 0; i < n; i++) {
        cli_output *o = &outs[i];
        if (!o->tmp_path)
            continue;
        if (ok && rename(o->tmp_path, o->path) != 0) {
            cli_message("neardup: %s: cannot rename into place: %s\n", o->path, strerror(errno));
            ok = false, rc = ND_EIO, failed = i;
        }
        if (!ok) {
            unlink(o->tmp_path);
            if (i > failed)
                cli_message("neardup: %s: left as it was, as %s could not be replaced\n", o->path,
                            outs[failed].path);
        }
        track_blocked(o->tmp_path, false);
        free(o->tmp_path);
        o->tmp_path = NULL;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
