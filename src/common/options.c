/*
 * options.c: the numeric options in one table: name, range, default, help, and where
 * each lives in nd_options. nd_options_check reads the ranges from here; the command
 * line reads the same rows through nd_option_at and nd_option_find for its parsing and
 * its --help, and the man page follows them.
 */
#include "common/options.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef enum { FIELD_INT, FIELD_DOUBLE, FIELD_U64 } field_type;

typedef struct option_row {
    nd_option_info info;
    size_t offset; /* of the field in nd_options */
    field_type type;
} option_row;

#define ROW(name, arg, kind, min, max, excl, def, help, field, type)                               \
    {                                                                                              \
        {name, arg, kind, min, max, excl, def, help}, offsetof(nd_options, field), type            \
    }

/* In the order of --help. The defaults are those of ND_OPTIONS_INIT (a test compares). */
static const option_row table[] = {
    ROW("threshold", "J", ND_OPTION_REAL, 0, 1, 1, 0.8,
        "Jaccard similarity of a near-duplicate pair", threshold, FIELD_DOUBLE),
    ROW("shingle", "K", ND_OPTION_WHOLE, 1, 64, 0, 5, "words per shingle", shingle_k, FIELD_INT),
    ROW("char-ngram", "N", ND_OPTION_WHOLE, 1, 64, 0, 5,
        "code points per shingle with --shingle-unit=char", char_ngram, FIELD_INT),
    ROW("num-perm", "N", ND_OPTION_WHOLE, 16, 1024, 0, 128, "MinHash signature length", num_perm,
        FIELD_INT),
    ROW("seed", "N", ND_OPTION_WHOLE, 0, INFINITY, 0, 1, "MinHash seed", seed, FIELD_U64),
    ROW("bands", "B", ND_OPTION_WHOLE, 0, 1024, 0, 0, "LSH bands, 0 = chosen from the threshold",
        bands, FIELD_INT),
    ROW("rows", "R", ND_OPTION_WHOLE, 0, 1024, 0, 0,
        "rows per LSH band, 0 = chosen from the threshold", rows, FIELD_INT),
    ROW("max-gap", "N", ND_OPTION_WHOLE, 0, 1000, 0, 6, "differing words bridged inside a passage",
        max_gap, FIELD_INT),
    ROW("min-passage", "N", ND_OPTION_WHOLE, 1, 1000000, 0, 8, "fewest words of a reported passage",
        min_passage, FIELD_INT),
    ROW("max-df", "N", ND_OPTION_WHOLE, 2, 1000000, 0, 50,
        "ignore shingles found in more than N documents", max_df, FIELD_INT),
    ROW("threads", "N", ND_OPTION_WHOLE, 0, 1024, 0, 0, "worker threads, 0 = all cores", threads,
        FIELD_INT),
    ROW("memory", "SIZE", ND_OPTION_BYTES, 65536, INFINITY, 0, 1073741824,
        "sort buffers of the LSH and passage stages before they spill to --tmpdir "
        "(suffix K, M or G, alone or with B or iB: 1G, 1GB and 1GiB are all 2^30 bytes)",
        memory, FIELD_U64),
    ROW("max-doc-size", "SIZE", ND_OPTION_BYTES, 1, 4294967294.0, 0, 67108864,
        "skip a document (a file, a JSONL line, a WARC record) of more bytes, with a warning",
        max_doc_size, FIELD_U64),
};

#define N_ROWS (sizeof(table) / sizeof(table[0]))

const nd_option_info *nd_option_at(size_t i)
{
    return i < N_ROWS ? &table[i].info : NULL;
}

const nd_option_info *nd_option_find(const char *name)
{
    for (size_t i = 0; name && i < N_ROWS; i++)
        if (!strcmp(table[i].info.name, name))
            return &table[i].info;
    return NULL;
}

int nd_option_in_range(const nd_option_info *info, double v)
{
    const int above_min = info->min_excluded ? v > info->min : v >= info->min;
    return above_min && v <= info->max; /* false for NaN */
}

static double field_value(const nd_options *o, const option_row *row)
{
    const char *field = (const char *)o + row->offset;
    switch (row->type) {
    case FIELD_INT: return *(const int *)(const void *)field;
    case FIELD_DOUBLE: return *(const double *)(const void *)field;
    case FIELD_U64: return (double)*(const uint64_t *)(const void *)field;
    }
    return NAN;
}

const char *nd_options_out_of_range(const nd_options *o)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (!nd_option_in_range(&table[i].info, field_value(o, &table[i])))
            return table[i].info.name;
    return NULL;
}
