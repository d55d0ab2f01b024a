/*
 * mpi_main.c: neardup-mpi, neardup's batch run on the ranks of an Open MPI job.
 *
 * Every rank parses the same command line and lists the same inputs, so that a document
 * has the same number on every rank: its place in input order, whatever the number of
 * ranks. The scan's batches are divided among the ranks by their documents' bytes; each
 * rank scans its part (or takes it from --work-dir) and sends its records to rank 0,
 * which imports them in rank order, runs the stages after the scan on the threads of
 * its node's ranks (idle by then) and writes the outputs: the same bytes as neardup's.
 * A rank that fails stops the job. See docs/ARCHITECTURE.md, "On many machines".
 */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"
#include "common/threads.h"
#include "mpi/work_dir.h"
#include "pipeline/pipeline.h"
#include "scan/scan_records.h"

#include <errno.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { TAG_RECORDS = 1 };

typedef struct rank_run {
    int rank, ranks;
    int node_ranks;       /* the ranks on this rank's node, this one included */
    const char *work_dir; /* --work-dir, or NULL */
    size_t *bounds;       /* rank r scans batches [bounds[r], bounds[r + 1]) */
    bool reused;          /* this rank's part came from --work-dir */
    int failure;          /* why the run failed here (an ND_E* code), else 0: the job stops */
    int rank_threads;     /* of the scan on each rank */
    int saved_stderr;     /* a rank other than 0: stderr, while the command line is parsed */
    nd_run_progress_fn progress; /* the command line's, which stop_at_stage passes on */
    void *progress_payload;
} rank_run;

/* Waits for a request, leaving the core to others when it waits long: several ranks may
 * share a node's cores, and a rank waits for another's part for as long as it takes to
 * scan. While a transfer flows, each test moves it on: no pause then. */
static void wait_quietly(MPI_Request *request)
{
    const struct timespec pause = {0, 100 * 1000};
    int done = 0;
    for (long tests = 0; !done; tests++) {
        MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (!done && tests > 1000)
            nanosleep(&pause, NULL);
    }
}

/* Records as MPI messages: a piece a message, from a rank to rank 0. */
typedef struct message_pipe {
    int peer;
} message_pipe;

static int send_piece(void *payload, void *bytes, size_t len)
{
    const message_pipe *to = payload;
    MPI_Request request;
    MPI_Isend(bytes, (int)len, MPI_BYTE, to->peer, TAG_RECORDS, MPI_COMM_WORLD, &request);
    wait_quietly(&request);
    return 0;
}

static int receive_piece(void *payload, void *bytes, size_t len)
{
    const message_pipe *from = payload;
    MPI_Request request;
    MPI_Irecv(bytes, (int)len, MPI_BYTE, from->peer, TAG_RECORDS, MPI_COMM_WORLD, &request);
    wait_quietly(&request);
    return 0;
}

/* Records sent to rank 0 and written to --work-dir at once. */
typedef struct tee_pipe {
    nd_part_file *file;
    message_pipe to;
} tee_pipe;

static int tee_piece(void *payload, void *bytes, size_t len)
{
    tee_pipe *t = payload;
    const int rc = nd_part_put(t->file, bytes, len);
    return rc < 0 ? rc : send_piece(&t->to, bytes, len);
}

/* What a batch costs to scan, about: its documents' bytes, and a little for each. */
static uint64_t batch_weight(const nd_corpus *c, size_t b)
{
    uint64_t w = 0;
    for (size_t i = b * ND_SCAN_BATCH; i < nd_scan_batch_end(c, b); i++) {
        const uint64_t size = nd_doc_size(c, &c->docs[i]);
        w += 256 + (size < c->opts.max_doc_size ? size : c->opts.max_doc_size);
    }
    return w;
}

/* The batches of each rank: consecutive, about an equal share of the bytes each. */
static int divide_batches(const nd_corpus *c, rank_run *m)
{
    const size_t n_batches = (c->n_docs + ND_SCAN_BATCH - 1) / ND_SCAN_BATCH;
    uint64_t *weight = malloc((n_batches + 1) * sizeof(*weight));
    m->bounds = malloc(((size_t)m->ranks + 1) * sizeof(*m->bounds));
    if (!weight || !m->bounds) {
        free(weight);
        return ND_ENOMEM;
    }
    uint64_t total = 0, sum = 0;
    for (size_t b = 0; b < n_batches; b++)
        total += weight[b] = batch_weight(c, b);
    int r = 1;
    m->bounds[0] = 0;
    for (size_t b = 0; b < n_batches; b++) {
        sum += weight[b];
        while (r < m->ranks && sum * (uint64_t)m->ranks >= total * (uint64_t)r)
            m->bounds[r++] = b + 1;
    }
    while (r <= m->ranks)
        m->bounds[r++] = n_batches;
    free(weight);
    return 0;
}

static void report(const nd_corpus *c, nd_diag_level level, int code, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(const nd_corpus *c, nd_diag_level level, int code, const char *path,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nd_vreport(c->diag, c->diag_payload, level, code, path, -1, fmt, ap);
    va_end(ap);
}

/* The part's file in --work-dir, when it is there and still holds: 1 (f open), else 0
 * (or a failure). */
static int open_kept_part(const nd_corpus *c, const rank_run *m, uint64_t key, nd_part_file *f)
{
    const size_t first = m->bounds[m->rank], end = m->bounds[m->rank + 1];
    const int rc =
        key ? nd_part_open(f, m->work_dir, m->rank, m->ranks, key, first, end) : ND_EINVAL;
    if (rc == ND_EFORMAT)
        report(c, ND_DIAG_WARNING, rc, m->work_dir,
               "the part of rank %d is damaged (its "
               "checksum differs): scanned again",
               m->rank);
    return rc == ND_ENOMEM ? rc : rc == 0;
}

static void report_part_failure(const nd_corpus *c, const rank_run *m)
{
    report(c, ND_DIAG_ERROR, ND_EIO, m->work_dir, "cannot keep the part of rank %d there: %s",
           m->rank, strerror(errno));
}

/* A rank's records, to rank 0: from --work-dir, else scanned (and kept there). */
static int send_own_part(nd_corpus *c, rank_run *m)
{
    const size_t first = m->bounds[m->rank], end = m->bounds[m->rank + 1];
    const uint64_t key = m->work_dir ? nd_part_key(c, m->ranks, first, end) : 0;
    nd_part_file f;
    message_pipe to = {0};
    const nd_record_pipe to_rank0 = {send_piece, &to};
    int rc = open_kept_part(c, m, key, &f);
    m->reused = rc == 1;
    if (rc == 1) {
        const nd_record_pipe from_file = {nd_part_get, &f};
        rc = nd_scan_records_relay(&from_file, &to_rank0);
        nd_part_close(&f);
        return rc;
    }
    if (rc < 0)
        return rc;
    if (!key)
        return nd_scan_records_make(c, first, end, &to_rank0);
    if (nd_part_create(&f, m->work_dir, m->rank, m->ranks) < 0) {
        report_part_failure(c, m);
        return ND_EIO;
    }
    tee_pipe tee = {&f, to};
    rc = nd_scan_records_make(c, first, end, &(nd_record_pipe){tee_piece, &tee});
    if (rc == 0 && (rc = nd_part_commit(&f, key, first, end)) == ND_EIO)
        report_part_failure(c, m);
    if (rc < 0)
        nd_part_abandon(&f);
    return rc;
}

/* Rank 0's part: imported from --work-dir, or scanned where the run reads it (its
 * records then written there). */
static int scan_rank0_part(nd_run_ctx *ctx, nd_corpus *c, rank_run *m, nd_scan_out *out)
{
    const size_t first = m->bounds[0], end = m->bounds[1];
    const uint64_t key = m->work_dir ? nd_part_key(c, m->ranks, first, end) : 0;
    nd_part_file f;
    int rc = open_kept_part(c, m, key, &f);
    m->reused = rc == 1;
    if (rc == 1) {
        rc = nd_scan_part(ctx, c, first, end, &(nd_record_pipe){nd_part_get, &f}, out);
        nd_part_close(&f);
        return rc;
    }
    if (rc == 0)
        rc = nd_scan_part(ctx, c, first, end, NULL, out);
    if (rc < 0 || !key)
        return rc;
    if (nd_part_create(&f, m->work_dir, 0, m->ranks) < 0) {
        report_part_failure(c, m);
        return ND_EIO;
    }
    const size_t end_doc = end > first ? nd_scan_batch_end(c, end - 1) : first * ND_SCAN_BATCH;
    rc = nd_scan_records_send(ctx->spill, c, first * ND_SCAN_BATCH, end_doc,
                              &(nd_record_pipe){nd_part_put, &f});
    if (rc == 0 && (rc = nd_part_commit(&f, key, first, end)) == ND_EIO)
        report_part_failure(c, m);
    if (rc < 0)
        nd_part_abandon(&f);
    return rc;
}

/* The scan on rank 0: its own part, then every other rank's records imported in rank
 * order (on the scan's threads of one rank; the stages after take those of the node). */
static int import_parts(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out, void *payload)
{
    rank_run *m = payload;
    const int node_threads = ctx->threads;
    ctx->threads = m->rank_threads;
    int rc = nd_scan_begin(c, out);
    if (rc == 0)
        rc = scan_rank0_part(ctx, c, m, out);
    for (int r = 1; r < m->ranks && rc == 0; r++) {
        message_pipe from = {r};
        rc = nd_scan_part(ctx, c, m->bounds[r], m->bounds[r + 1],
                          &(nd_record_pipe){receive_piece, &from}, out);
        if (rc == ND_EFORMAT)
            report(c, ND_DIAG_ERROR, rc, "neardup-mpi", "the records of rank %d are damaged", r);
    }
    ctx->threads = node_threads;
    return rc;
}

/* NEARDUP_MPI_TEST_KILL_AT, for tests only: the name of a stage ("verify") at whose
 * start rank 0 kills itself with SIGKILL, as a machine lost halfway would stop. */
static void stop_at_stage(const nd_run_progress *p, void *payload)
{
    const rank_run *m = payload;
    const char *at = getenv("NEARDUP_MPI_TEST_KILL_AT");
    if (at && p->stage == ND_STAGE_VERIFY && !strcmp(at, "verify"))
        raise(SIGKILL);
    if (m->progress)
        m->progress(p, m->progress_payload);
}

/* The messages of ranks other than 0, about their part only (rank 0 tells the inputs'). */
static void print_rank_diag(const nd_diag *d, void *payload)
{
    const rank_run *m = payload;
    const char *level = d->level == ND_DIAG_ERROR ? "error" : "warning";
    if (d->level != ND_DIAG_NOTE)
        fprintf(stderr, "neardup-mpi: rank %d: %s: %s: %s\n", m->rank, d->path, level, d->message);
}

static int run_on_ranks(nd_corpus *c, nd_result **out, void *payload)
{
    rank_run *m = payload;
    *out = NULL;
    if (m->rank > 0) { /* from here on, its messages are about its own part */
        dup2(m->saved_stderr, STDERR_FILENO);
        nd_corpus_set_diag(c, print_rank_diag, m);
    }
    /* a rank's threads: --threads, else its share of its node's cores */
    if (c->opts.threads == 0) {
        const int share = nd_threads_wanted(0) / m->node_ranks;
        c->opts.threads = share > 1 ? share : 1;
    }
    m->rank_threads = c->opts.threads;
    int rc = divide_batches(c, m);
    if (rc == 0 && m->rank > 0) {
        rc = send_own_part(c, m);
    } else if (rc == 0) {
        m->progress = c->run_progress;
        m->progress_payload = c->run_progress_payload;
        nd_corpus_set_run_progress(c, stop_at_stage, m);
        c->opts.threads = m->rank_threads * m->node_ranks;
        rc = nd_corpus_run_scanning(c, import_parts, m, out);
        c->opts.threads = m->rank_threads;
    }
    m->failure = rc < 0 ? rc : 0;
    return rc;
}

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
    int provided;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "neardup-mpi: MPI did not start\n");
        return ND_EXIT_INTERNAL;
    }
    atexit(finalize_at_exit);
    rank_run m = {0};
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
    argc = take_work_dir(argc, argv, &m.work_dir);
    const cli_engine engine = {run_on_ranks, &m, m.rank > 0};
    const int status = cli_main(argc, argv, &engine);
    free(m.bounds);
    if (m.failure) { /* the others wait for records, or for rank 0: the job stops */
        fprintf(stderr, "neardup-mpi: rank %d of %d stopped the run: %s\n", m.rank, m.ranks,
                nd_strerror(m.failure));
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    wait_quietly(&request);
    MPI_Finalize();
    return status;
}
