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
#include <pthread.h>
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

/* ---------------------------------------------------------------- MPI's own thread */

/* MPI starts on a thread of its own while the command line is parsed and the inputs are
 * listed, which need no MPI: its start, which meets the other processes, overlaps them
 * (bench/README.md has the figures). That thread is MPI's main thread, on which
 * MPI_Finalize must be called, so it waits to be told to end MPI; the others make their
 * calls one at a time (MPI_THREAD_SERIALIZED). */
typedef struct mpi_thread {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    enum { THREAD_STARTING, THREAD_STARTED, THREAD_FAILED, THREAD_ENDING } state;
} mpi_thread;

static void set_state(mpi_thread *t, int state)
{
    pthread_mutex_lock(&t->lock);
    t->state = state;
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

/* Waits until MPI has started or failed to; returns whether it started. */
static bool mpi_started(mpi_thread *t)
{
    pthread_mutex_lock(&t->lock);
    while (t->state == THREAD_STARTING)
        pthread_cond_wait(&t->changed, &t->lock);
    const bool started = t->state != THREAD_FAILED;
    pthread_mutex_unlock(&t->lock);
    return started;
}

static void *run_mpi(void *payload)
{
    mpi_thread *t = payload;
    int provided = 0;
    const bool initialized =
        MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) == MPI_SUCCESS;
    set_state(t, initialized && provided >= MPI_THREAD_SERIALIZED ? THREAD_STARTED : THREAD_FAILED);
    pthread_mutex_lock(&t->lock);
    while (t->state != THREAD_ENDING)
        pthread_cond_wait(&t->changed, &t->lock);
    pthread_mutex_unlock(&t->lock);
    if (initialized)
        MPI_Finalize();
    return NULL;
}

/* The thread, for the end of the process: every way out of it ends MPI (a usage error
 * or --help leaves by exit(), on every rank alike). */
static mpi_thread *mpi_of_process;

static void end_mpi(void)
{
    mpi_thread *t = mpi_of_process;
    if (!t || pthread_equal(pthread_self(), t->thread))
        return;
    mpi_started(t);
    set_state(t, THREAD_ENDING);
    pthread_join(t->thread, NULL);
    mpi_of_process = NULL;
}

/* Stops the process when MPI did not start. */
static void need_mpi(mpi_thread *t)
{
    if (!mpi_started(t)) {
        fprintf(stderr, "neardup-mpi: MPI did not start with threads (MPI_THREAD_SERIALIZED)\n");
        exit(ND_EXIT_INTERNAL);
    }
}

/* This process's rank as the launcher tells it (mpirun, srun), before MPI has started,
 * or -1. */
static int rank_from_launcher(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
                                        "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        const char *v = getenv(names[i]);
        char *end;
        const long rank = v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && rank >= 0 && rank < 1 << 30)
            return (int)rank;
    }
    return -1;
}

/* ---------------------------------------------------------------- the run */

typedef struct mpi_run {
    mpi_thread *mpi;
    nd_rank_run m;
    bool ran; /* the engine was called (the ranks agreed on their listing there, or not) */
} mpi_run;

/* The ranks, once MPI has started (the rank must be the one the launcher told). */
static void learn_ranks(mpi_run *run)
{
    need_mpi(run->mpi);
    nd_rank_run *m = &run->m;
    if (m->ranks > 0) /* learnt already */
        return;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->ranks);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &m->node_ranks);
    MPI_Comm_free(&node);
    if (m->rank >= 0 && rank != m->rank) {
        fprintf(stderr, "neardup-mpi: the launcher said rank %d, MPI says %d\n", m->rank, rank);
        MPI_Abort(MPI_COMM_WORLD, ND_EXIT_INTERNAL);
    }
    m->rank = rank;
}

static int run_on_ranks(nd_corpus *c, nd_result **out, void *payload)
{
    mpi_run *run = payload;
    run->ran = true;
    learn_ranks(run);
    return nd_rank_run_corpus(c, out, &run->m);
}

static int check_inputs(const char *const *inputs, size_t n, void *payload)
{
    return check_work_dir(inputs, n, &((mpi_run *)payload)->m);
}

int main(int argc, char **argv)
{
    /* rank 0 deals the scan's parts on a thread of its own while its main thread scans,
     * which calls MPI only once that thread is done */
    static mpi_thread mpi = {.lock = PTHREAD_MUTEX_INITIALIZER,
                             .changed = PTHREAD_COND_INITIALIZER};
    if (pthread_create(&mpi.thread, NULL, run_mpi, &mpi) != 0)
        return ND_EXIT_INTERNAL;
    mpi_of_process = &mpi;
    atexit(end_mpi);
    mpi_run run = {.mpi = &mpi,
                   .m = {.deal_lock = PTHREAD_MUTEX_INITIALIZER, .rank = rank_from_launcher()}};
    nd_rank_run *m = &run.m;
    if (m->rank < 0) /* a launcher that does not say: MPI tells, once started */
        learn_ranks(&run);
    /* the command line's messages (--help, a usage error, the listing's) are rank 0's */
    if (m->rank > 0 &&
        (!freopen("/dev/null", "w", stdout) || (m->saved_stderr = dup(STDERR_FILENO)) < 0 ||
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
    argc = take_work_dir(argc, argv, &m->work_dir);
    const cli_engine engine = {run_on_ranks, &run, m->rank > 0, check_inputs};
    const int status = cli_main(argc, argv, &engine);
    /* a rank that stopped before the run (a usage error it alone saw: an output that names
     * an input only it read, from standard input) meets the others where they agree on
     * their listing, with a value no listing has: they stop with a usage error too */
    if (!run.ran) {
        learn_ranks(&run);
        if (!nd_message_all_agree(ND_RANK_NOT_LISTED))
            return status;
    }
    if (m->failure) { /* the others wait for records, or for rank 0: the job stops */
        fprintf(stderr, "neardup-mpi: rank %d of %d stopped the run: %s\n", m->rank, m->ranks,
                nd_strerror(m->failure));
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    nd_message_all_done();
    return status;
}
