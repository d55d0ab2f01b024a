/*
 * cli.h: what the command line asked for, and the run that carries it out.
 */
#ifndef ND_CLI_H
#define ND_CLI_H

#include "neardup.h"

#include <pthread.h>
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

typedef struct cli_config {
    const char *pairs, *clusters, *remove, *passages; /* output paths or NULL */
    const char *dedup_out, *run_info, *report;
    int progress; /* 0 never, 1 auto (stderr is a terminal), 2 always */
    nd_format format;
    bool passage_text;
    bool exit_code;
    int verbosity; /* 0 quiet, 1 summary, 2 listing */
    const char *files_from;
    bool files_from_nul;
    const char *const *paths;
    size_t n_paths;
} cli_config;

#define CLI_CONFIG_INIT                                                                            \
    {                                                                                              \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, ND_FORMAT_CSV, true, false, 1, NULL, false,   \
            NULL, 0                                                                                \
    }

int cli_run(const nd_options *opts, const cli_config *cfg);

/* ------------------------------------------------------------ progress */

typedef struct cli_progress {
    double started, last_draw;
    bool drawn;
    pthread_mutex_t lock; /* the scan threads draw one at a time */
} cli_progress;

void cli_progress_start(cli_progress *p);
void cli_progress_report(uint64_t docs_done, uint64_t docs_total, uint64_t bytes_done,
                         void *payload);
void cli_progress_end(cli_progress *p);

/* ------------------------------------------------------------ outputs */

typedef struct cli_output {
    const char *path; /* as given; "-" is stdout */
    char *tmp_path;   /* the temporary file renamed over path when complete, or NULL */
    FILE *fp;
    char *buffer; /* fp's, larger than stdio's own */
} cli_output;

/* Opens an output: regular files are written under a temporary name beside
 * them; stdout, devices and pipes are written directly. */
int cli_output_open(cli_output *o, const char *path);
/* Removes the temporary files of open outputs when SIGINT, SIGTERM or SIGHUP arrives. */
void cli_output_catch_signals(void);

/* Closes it; with ok, renames the temporary file into place; otherwise removes it.
 * Returns 0 or ND_EIO (the message is printed). */
int cli_output_close(cli_output *o, bool ok);

#endif
