/*
 * fuzz_date.c: the feed index's dates (nd_parse_date), from --date-key values and
 * WARC-Date headers.
 *
 * Any bytes: no crash, no read past the string; a date it accepts is one of the forms it
 * documents, and the same date written back as YYYY-MM-DDTHH:MM:SSZ parses to the same
 * second.
 */
#define _GNU_SOURCE
#include "fuzz_pipeline.h"

#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    CHECK(s);
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t seconds;
    if (nd_parse_date(s, &seconds) == 0) {
        CHECK(strlen(s) >= 10 && s[4] == '-' && s[7] == '-');
        const time_t t = (time_t)seconds;
        struct tm tm;
        char again[64];
        int64_t back;
        /* (years past 9999 do not come from four digits and a day's offset) */
        CHECK(gmtime_r(&t, &tm));
        if (tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999) {
            snprintf(again, sizeof(again), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
            CHECK(nd_parse_date(again, &back) == 0 && back == seconds);
        }
    }
    free(s);
    return 0;
}
