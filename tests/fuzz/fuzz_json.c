/*
 * fuzz_json.c: the fast JSON reader against jansson, line by line. Whenever the
 * fast reader answers, jansson must accept the line and give the same text and
 * id, or refuse it only for a number beyond its range (RFC 8259 sets no limit, and
 * the fast reader takes any); on every other line the fast reader must defer. Two key layouts:
 * flat, and dotted paths into nested objects.
 */
#include "input/jsonl.h"
#include "input/corpus.h"

#include <stdlib.h>
#include <string.h>

static void same_as_jansson(const unsigned char *line, size_t len, const char *id_key,
                            const char *text_key)
{
    unsigned char *fast_text = NULL, *slow_text = NULL;
    size_t fast_cap = 0, slow_cap = 0, fast_len = 0, slow_len = 0;
    char *fast_id = NULL, *slow_id = NULL, why[256];
    const int fast = nd_jsonl_parse_fast(line, len, id_key, text_key, &fast_text, &fast_cap,
                                         &fast_len, &fast_id);
    if (fast != 0 && fast != ND_JSONL_DEFER)
        abort();
    if (fast == 0) {
        const int slow = nd_jsonl_parse_jansson(line, len, id_key, text_key, &slow_text, &slow_cap,
                                                &slow_len, &slow_id, why, sizeof(why));
        const bool out_of_range = slow != 0 && (strstr(why, "too big") || strstr(why, "overflow"));
        if (!out_of_range &&
            (slow != 0 || fast_len != slow_len || memcmp(fast_text, slow_text, fast_len) ||
             !fast_id != !slow_id || (fast_id && strcmp(fast_id, slow_id))))
            abort();
    }
    free(fast_text);
    free(slow_text);
    free(fast_id);
    free(slow_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i <= size;) {
        const uint8_t *nl = i < size ? memchr(data + i, '\n', size - i) : NULL;
        const size_t end = nl ? (size_t)(nl - data) : size;
        same_as_jansson(data + i, end - i, "id", "text");
        same_as_jansson(data + i, end - i, "meta.id", "body.text");
        i = end + 1;
    }
    return 0;
}
