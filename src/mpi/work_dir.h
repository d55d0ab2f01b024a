/*
 * work_dir.h: neardup-mpi's --work-dir, where the ranks keep the records of the parts
 * they scanned, so that a run that stopped is taken up again without scanning anew.
 *
 * Part K of M has its file, DIR/scan.K-of-M.part: a header (a magic string, the part's
 * key, its batches, the records' length and their XXH3 checksum) and the records. It is
 * written under a temporary name, synced and renamed: a file of that name is complete,
 * and is its own completion marker. A later run takes it when the key (the build, the
 * options that shape the records, the inputs' names, sizes, inodes, modification and
 * change times, and the part's batches) and the checksum still hold; otherwise it scans the part
 * again and writes the file anew. The key does not name the ranks: which rank scanned a part does
 * not change its records.
 */
#ifndef ND_WORK_DIR_H
#define ND_WORK_DIR_H

#include "input/corpus.h"
#include "scan/scan_records.h"

/* The key of a part's records, or 0 when they cannot be kept (an input read once, from
 * a pipe or standard input, may differ the next time). */
uint64_t nd_part_key(const nd_corpus *c, size_t first_batch, size_t end_batch);

/* A part's file being written, or read. */
typedef struct nd_part_file {
    int fd;
    char *path, *tmp_path; /* tmp_path: while it is written */
    struct XXH3_state_s *hash;
    uint64_t len; /* of the records written, or read */
} nd_part_file;

/* Starts the part's file, under a temporary name: the records go in with
 * nd_part_put (an nd_record_pipe's move), then nd_part_commit or nd_part_abandon. */
int nd_part_create(nd_part_file *f, const char *dir, size_t part, size_t parts);
int nd_part_put(void *file, void *bytes, size_t len);
/* Completes the file with its header (key, batches, length, checksum), synced, and
 * renames it into place. ND_EIO (errno set) when it cannot. */
int nd_part_commit(nd_part_file *f, uint64_t key, size_t first_batch, size_t end_batch);
void nd_part_abandon(nd_part_file *f);

/* Opens the part's file for nd_part_get when it is there, of this key and batches, and
 * whole (its checksum read through): 0; ND_EINVAL when there is none or it is of other
 * inputs or options; ND_EFORMAT when it is damaged. Closed with nd_part_close. */
int nd_part_open(nd_part_file *f, const char *dir, size_t part, size_t parts, uint64_t key,
                 size_t first_batch, size_t end_batch);
int nd_part_get(void *file, void *bytes, size_t len);
void nd_part_close(nd_part_file *f);

/* Removes the part files of DIR of another cut than one into `parts` parts (left by a
 * run of other inputs or options). */
void nd_part_forget_other_cuts(const char *dir, size_t parts);

#endif
