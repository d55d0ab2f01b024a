/*
 * fuzz_csv.c: what the CSV writer writes parses back to the same fields.
 *
 * The input is split at its first NUL into two document ids (any bytes: commas,
 * quotes, CR, LF, invalid UTF-8); both documents hold the same text, so they
 * make one pair. Parsed back, the pair's ids must be the ids as written
 * (invalid UTF-8 bytes each become U+FFFD, the one documented change).
 */
#define _GNU_SOURCE
#include "fuzz_pipeline.h"
#include "common/utf8.h"
#include "../helpers.h"

/* id with each invalid byte replaced by U+FFFD, as the writers do. */
static char *expected_id(const uint8_t *s, size_t n)
{
    char *out = malloc(3 * n + 1), *o = out;
    CHECK(out);
    for (size_t i = 0; i < n;) {
        int used, bad;
        nd_utf8_decode(s + i, n - i, &used, &bad);
        if (bad) {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(o, s + i, (size_t)used);
            o += used;
        }
        i += (size_t)used;
    }
    *o = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    const size_t n1 = (size_t)(nul - data), n2 = size - n1 - 1;
    char *id1 = strndup((const char *)data, n1), *id2 = strndup((const char *)nul + 1, n2);
    if (strlen(id1) != n1 || strlen(id2) != n2 || !strcmp(id1, id2)) {
        free(id1), free(id2);
        return 0; /* ids are C strings: no NUL inside, and two different ones */
    }
    static const char text[] = "one two three four five six seven eight nine ten";
    nd_options opts = ND_OPTIONS_INIT;
    nd_corpus *c = NULL;
    nd_result *r = NULL;
    opts.threads = 1;
    CHECK(nd_corpus_new(&c, &opts) == 0);
    CHECK(nd_corpus_add_memory(c, id1, text, sizeof(text) - 1) == 0);
    CHECK(nd_corpus_add_memory(c, id2, text, sizeof(text) - 1) == 0);
    CHECK(nd_corpus_run(c, &r) == 0 && nd_result_n_pairs(r) == 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(out && nd_write_pairs(r, out, ND_FORMAT_CSV) == 0);
    fclose(out);
    csv_table t;
    CHECK(csv_parse(buf, &t) == 0 && t.n_rows == 2);
    char *want1 = expected_id(data, n1), *want2 = expected_id(nul + 1, n2);
    CHECK(!strcmp(csv_get(&t, 1, "doc_a"), want1));
    CHECK(!strcmp(csv_get(&t, 1, "doc_b"), want2));
    CHECK(!strcmp(csv_get(&t, 1, "jaccard"), "1.0000"));
    csv_dispose(&t);
    free(want1), free(want2), free(buf), free(id1), free(id2);
    nd_result_free(r);
    nd_corpus_free(c);
    return 0;
}
