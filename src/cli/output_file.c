/*
 * output_file.c: outputs that are either complete or absent.
 *
 * A regular file is written as PATH.tmp.XXXXXX in the same directory, flushed
 * to disk and renamed over PATH only when everything was written: a run that
 * fails or is killed leaves the previous file or none, never half of one.
 * stdout, a device or a pipe cannot be replaced by a rename (renaming over
 * /dev/stdout as root would destroy the device node), so they are written
 * directly.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_special(const char *path)
{
    struct stat st;
    if (!strcmp(path, "-"))
        return true;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

int cli_output_open(cli_output *o, const char *path)
{
    *o = (cli_output){path, NULL, NULL};
    if (is_special(path)) {
        o->fp = strcmp(path, "-") ? fopen(path, "w") : stdout;
    } else {
        const size_t n = strlen(path);
        o->tmp_path = malloc(n + sizeof(".tmp.XXXXXX"));
        if (!o->tmp_path)
            return ND_ENOMEM;
        memcpy(o->tmp_path, path, n);
        memcpy(o->tmp_path + n, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
        const int fd = mkstemp(o->tmp_path);
        if (fd >= 0 && !(o->fp = fdopen(fd, "w")))
            close(fd);
        if (fd >= 0 && o->fp)
            fchmod(fd, 0644);
    }
    if (!o->fp) {
        fprintf(stderr, "neardup: %s: cannot write: %s\n", path, strerror(errno));
        if (o->tmp_path)
            unlink(o->tmp_path);
        free(o->tmp_path);
        o->tmp_path = NULL;
        return ND_EIO;
    }
    return 0;
}

int cli_output_close(cli_output *o, bool ok)
{
    int rc = 0;
    if (!o->fp)
        return 0;
    if (fflush(o->fp) != 0 || ferror(o->fp) || (o->tmp_path && fsync(fileno(o->fp)) != 0))
        ok = false, rc = ND_EIO;
    if (o->fp != stdout && fclose(o->fp) != 0)
        ok = false, rc = ND_EIO;
    if (rc < 0)
        fprintf(stderr, "neardup: %s: write failed: %s\n", o->path, strerror(errno));
    if (o->tmp_path) {
        if (ok && rename(o->tmp_path, o->path) != 0) {
            fprintf(stderr, "neardup: %s: cannot rename into place: %s\n", o->path,
                    strerror(errno));
            rc = ND_EIO;
        }
        if (!ok || rc < 0)
            unlink(o->tmp_path);
        free(o->tmp_path);
    }
    o->fp = NULL;
    o->tmp_path = NULL;
    return rc;
}
