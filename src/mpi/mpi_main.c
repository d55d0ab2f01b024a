/*
 * mpi_main.c: neardup-mpi, neardup's command line on the ranks of an Open MPI job
 * (ranks.h tells how they share the run). Every rank parses the same command line;
 * rank 0 tells its messages and writes the outputs. A rank that fails stops the job.
 * See docs/ARCHITECTURE.md, "On many machines".
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli/cli.h"
#include "mpi/messages.h"
#include "mpi/ranks.h"

#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Takes --work-dir DIR (or --work-dir=DIR) out of argv, the rest for neardup's
 * parsing; makes the directory. Returns the new argc. */
static int take_work_dir(int argc, char **argv, const char **dir)
{
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            while (i < argc)
                argv[kept++] = argv[i++];
            break;
        }
        if (!strncmp(argv[i], "--work-dir=", 11))
            *dir = argv[i] + 11;
        else if (!strcmp(argv[i], "--work-dir") && i + 1 < argc)
            *dir = argv[++i];
        else if (!strcmp(argv[i], "--work-dir"))
            cli_usage_error("--work-dir needs a directory");
        else
            argv[kept++] = argv[i];
    }
    argv[kept] = NULL;
    if (*dir && mkdir(*dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "neardup-mpi: --work-dir %s: %s\n", *dir, strerror(errno));
        exit(ND_EXIT_USAGE);
    }
    return kept;
}

/* Refuses a --work-dir inside a folder given as input: the next run would read its part
 * files as documents. (Rank 0 says so: every rank refuses alike.) */
static int check_work_dir(const char *const *inputs, size_t n, void *rank_run)
{
    const nd_rank_run *m = rank_run;
    char *work = m->work_dir ? realpath(m->work_dir, NULL) : NULL;
    int rc = 0;
    for (size_t i = 0; work && i < n && rc == 0; i++) {
        char *in = realpath(inputs[i], NULL);
        struct stat st;
        const size_t len = in ? strlen(in) : 0;
        if (in && stat(in, &st) == 0 && S_ISDIR(st.st_mode) && !strncmp(work, in, len) &&
            (work[len] == '/' || work[len] == '\0' || len == 1))
            rc = ND_EINVAL;
        if (rc < 0 && m->rank == 0)
            fprintf(stderr,
                    "neardup-mpi: --work-dir %s is inside the input %s: its part files would be "
                    "read as documents\n",
                    m->work_dir, inputs[i]);
        free(in);
    }
    free(work);
    return rc;
}

/* A rank that leaves by exit() (a usage error, --help: every rank alike) ends MPI. */
static void finalize_at_exit(void)
{
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

int main(int argc, char **argv)
{
    /* rank 0 deals the scan's parts on a thread of its own while its main thread scans,
     * which calls MPI only once that thread is done */
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS ||
        provided < MPI_THREAD_SERIALIZED) {
        fprintf(stderr, "neardup-mpi: MPI did not start with threads (MPI_THREAD_SERIALIZED)\n");
        return ND_EXIT_INTERNAL;
    }
    atexit(finalize_at_exit);
    nd_rank_run m = {.deal_lock = PTHREAD_MUTEX_INITIALIZER};
    MPI_Comm_rank(MPI_COMM_WORLD, &m.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m.ranks);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &m.node_ranks);
    MPI_Comm_free(&node);
    /* the command line's messages (--help, a usage error, the listing's) are rank 0's */
    if (m.rank > 0 &&
        (!freopen("/dev/null", "w", stdout) || (m.saved_stderr = dup(STDERR_FILENO)) < 0 ||
         dup2(STDOUT_FILENO, STDERR_FILENO) < 0))
        return ND_EXIT_INTERNAL;
    if (argc > 1 && !strcmp(argv[1], "index")) {
        fprintf(stderr, "neardup-mpi: the feed index is neardup's: neardup index %s\n",
                argc > 2 ? argv[2] : "...");
        return ND_EXIT_USAGE;
    }
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            printf("Usage: mpirun -np N neardup-mpi [--work-dir=DIR] [OPTION]... PATH...\n"
                   "neardup on the ranks of an MPI job: the same outputs, byte for byte.\n"
                   "  --work-dir=DIR  keep each scanned part there; a rerun takes those that "
                   "still hold\n"
                   "  --threads=N     threads of each rank (default: its share of its node)\n"
                   "The other options are neardup's:\n\n");
    argc = take_work_dir(argc, argv, &m.work_dir);
    const cli_engine engine = {nd_rank_run_corpus, &m, m.rank > 0, check_work_dir};
    const int status = cli_main(argc, argv, &engine);
    if (m.failure) { /* the others wait for records, or for rank 0: the job stops */
        fprintf(stderr, "neardup-mpi: rank %d of %d stopped the run: %s\n", m.rank, m.ranks,
                nd_strerror(m.failure));
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    nd_message_all_done();
    MPI_Finalize();
    return status;
}
