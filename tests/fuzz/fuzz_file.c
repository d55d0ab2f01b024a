/*
 * fuzz_file.c: any bytes as a file named on the command line: recognized by content
 * (gzip or zstd, spooled and decompressed as a stream; WARC walked through a mapping;
 * JSONL cut into lines; else one document), with a small --max-doc-size so that the
 * limits are crossed too, then the whole pipeline and every writer.
 */
#define _GNU_SOURCE
#include "fuzz_pipeline.h"

#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nd_options opts = fuzz_options(ND_INPUT_AUTO);
    nd_corpus *c = NULL;
    char path[64];
    opts.max_doc_size = 2048;
    const int fd = memfd_create("fuzz", MFD_CLOEXEC);
    CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    CHECK(nd_corpus_new(&c, &opts) == 0);
    const int added = nd_corpus_add_path(c, path);
    CHECK(added == 0 || added == ND_EIO); /* an unreadable input is said, not fatal */
    fuzz_run(c);
    close(fd);
    return 0;
}
