/*
 * pipeline.h: the stages over a corpus, with the scan done another way.
 */
#ifndef ND_PIPELINE_H
#define ND_PIPELINE_H

#include "scan/scan.h"

/* A scan that fills *out and the documents as nd_scan_stage would, by other means (in
 * parts, some scanned by other processes: neardup-mpi). */
typedef int (*nd_scan_fn)(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out, void *payload);

/* nd_corpus_run, its scan done by scan(ctx, c, out, payload). */
int nd_corpus_run_scanning(nd_corpus *c, nd_scan_fn scan, void *payload, nd_result **out);

#endif
