/*
 * cli.h: what the command line asked for, and the run that carries it out.
 */
#ifndef ND_CLI_H
#define ND_CLI_H

#include "neardup.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum {
    ND_EXIT_OK = 0,
    ND_EXIT_FOUND = 1, /* with --exit-code: duplicates or passages found */
    ND_EXIT_USAGE = 2,
    ND_EXIT_INPUT = 3,    /* some input could not be read; the rest was processed */
    ND_EXIT_OUTPUT = 4,   /* an output could not be written */
    ND_EXIT_INTERNAL = 5, /* out of memory, ICU failure */
};

/* Who carries a run out: this process (cli_config's engine NULL: nd_corpus_run), or
 * neardup-mpi's ranks, each of which runs the same command line. */
typedef struct cli_engine {
    /* Runs the corpus; *out NULL when another process writes the outputs. */
    int (*run)(nd_corpus *c, nd_result **out, void *payload);
    void *payload;
    bool quiet; /* the listing's messages and the summary are another process's to tell */
    /* Checks the inputs before anything is read (NULL: none): ND_EINVAL, told, refuses
     * them with a usage error. */
    int (*check_inputs)(const char *const *inputs, size_t n, void *payload);
} cli_engine;

typedef struct cli_config {
    const char *pairs, *clusters, *remove, *passages, *passage_clusters; /* paths or NULL */
    const char *dedup_out, *run_info, *report, *stats;
    int progress; /* 0 never, 1 auto (stderr is a terminal), 2 always */
    nd_format format;
    bool passage_text;
    bool exit_code;
    bool csv_safe; /* --csv-safe: cells that a spreadsheet would take for a formula get a ' */
    int verbosity; /* 0 quiet, 1 summary, 2 listing */
    const char *files_from;
    bool files_from_nul;
    const char *const *paths;
    size_t n_paths;
    const cli_engine *engine; /* NULL: this process */
} cli_config;

#define CLI_CONFIG_INIT                                                                            \
    {                                                                                              \
        .progress = 1, .format = ND_FORMAT_CSV, .passage_text = true, .verbosity = 1               \
    }

int cli_run(const nd_options *opts, const cli_config *cfg);

/* The command line: `neardup [options] INPUT...` or `neardup index ...`, run by engine
 * (NULL: this process; neardup-mpi has no index command). Returns the exit status. */
int cli_main(int argc, char **argv, const cli_engine *engine);

/* `neardup index ...` (argv[0] is "index"). */
int cli_index_main(int argc, char **argv);

/* ------------------------------------------------------------ option values */

/* A message, the --help hint, and exit status 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The value of the numeric option of that name (nd_option_find), or a usage error. */
uint64_t cli_parse_whole(const char *name, const char *s);
double cli_parse_real(const char *name, const char *s);
uint64_t cli_parse_size(const char *name, const char *s);
/* The index of s in words (NULL-terminated), or a usage error naming --opt. */
int cli_parse_word(const char *opt, const char *s, const char *const *words);

/* ------------------------------------------------------------ progress */

typedef struct cli_progress {
    double started, stage_started, last_draw, scan_seconds;
    int stage;     /* the nd_stage being drawn, -1 before the first */
    bool passages; /* whether the run has a passage stage */
    bool drawn;
    pthread_mutex_t lock; /* the scan threads draw one at a time */
} cli_progress;

void cli_progress_start(cli_progress *p, bool passages);
/* An nd_run_progress_fn: one line on stderr, redrawn at most four times a second. */
void cli_progress_report(const nd_run_progress *progress, void *payload);
void cli_progress_end(cli_progress *p);

/* ------------------------------------------------------------ outputs */

typedef struct cli_output {
    const char *path; /* as given; "-" is stdout */
    char *tmp_path;   /* the temporary file renamed over path when complete, or NULL */
    FILE *fp;
    char *buffer;    /* fp's, larger than stdio's own */
    int write_errno; /* errno of the first failed write, when the writer saw one */
} cli_output;

/* Opens an output: regular files are written under a temporary name beside
 * them; stdout, devices and pipes are written directly. Returns 0, or ND_EIO or
 * ND_ENOMEM (the message is printed). */
int cli_output_open(cli_output *o, const char *path);
/* Removes the temporary files of open outputs when SIGINT, SIGTERM or SIGHUP arrives. */
void cli_output_catch_signals(void);

/* Flushes it to disk and closes it. With ok, and when that succeeds, its temporary file
 * stays (complete, under its temporary name) for cli_outputs_commit; otherwise it is
 * removed. Returns 0 or ND_EIO (the message is printed). */
int cli_output_close(cli_output *o, bool ok);

/* The outputs of a run, all closed: with ok, renames their temporary files into place one
 * after the other, signals held off meanwhile; otherwise (or from the first rename that
 * fails) removes them. Returns 0 or ND_EIO (the message is printed). */
int cli_outputs_commit(cli_output *outs, size_t n, bool ok);

/* ------------------------------------------------------------ paths and messages */

/* Prints a message on stderr, in one write, with every control character but a last
 * newline escaped (\n, \r, \t, \xHH; C1 controls as \u0080..\u009f; bytes that are
 * not UTF-8 as \xHH): a file name or id cannot break a line or move the cursor. */
void cli_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A library's message about an input: "neardup: FILE[:OFFSET]: error: ...". */
void cli_print_diag(const nd_diag *d);
void cli_vmessage(const char *fmt, va_list ap);

/* An output as the command line named it: "pairs" and its path. */
typedef struct cli_output_name {
    const char *option, *path;
} cli_output_name;

/* Before anything is read: whether an output would overwrite an input or another output.
 * An output clashes with an input that is the same file (device and inode, or the same
 * resolved path for a file not there yet), with another output that is, and with an input
 * directory when it lies inside it, where a run would read it as a document. "-" and
 * outputs that are not regular files (devices, /dev/null, pipes) never clash. inputs are
 * the paths to read, list the --files-from file or NULL. Returns 0, ND_EINVAL after
 * printing the clash, or ND_ENOMEM. */
int cli_check_paths(const cli_output_name *outs, size_t n_outs, const char *const *inputs,
                    size_t n_inputs, const char *list);

#endif
