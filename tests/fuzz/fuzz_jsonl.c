/*
 * fuzz_jsonl.c: any bytes read as JSONL, through the whole pipeline and every writer.
 */
#define _GNU_SOURCE
#include "fuzz_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pipeline(data, size, ND_INPUT_JSONL);
    return 0;
}
