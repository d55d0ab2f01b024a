/*
 * dates.c: ISO 8601 dates, as JSONL feeds and WARC-Date write them, to seconds since 1970.
 */
#include "common/base.h"

#include <stdbool.h>

/* Reads exactly n digits at *s into *v, moving *s past them. */
static bool digits(const char **s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, ++*s) {
        if (**s < '0' || **s > '9')
            return false;
        *v = *v * 10 + (**s - '0');
    }
    return true;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_day(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap(y));
}

/* "THH:MM[:SS[.fraction]]" (or with a space for T): seconds into the day. */
static bool parse_time(const char **s, int64_t *seconds)
{
    int h, min, sec = 0;
    if (!digits(s, 2, &h) || *(*s)++ != ':' || !digits(s, 2, &min))
        return false;
    if (**s == ':') {
        ++*s;
        if (!digits(s, 2, &sec))
            return false;
        if (**s == '.' || **s == ',') /* fractions of a second are dropped */
            for (++*s; **s >= '0' && **s <= '9'; ++*s) {
            }
    }
    *seconds = (int64_t)h * 3600 + min * 60 + sec;
    return h <= 23 && min <= 59 && sec <= 60;
}

/* "Z", "+HH:MM", "+HHMM", "+HH" or nothing (UTC): the zone's offset in seconds. */
static bool parse_zone(const char **s, int64_t *offset)
{
    *offset = 0;
    if (**s == 'Z' || **s == 'z') {
        ++*s;
        return true;
    }
    if (**s != '+' && **s != '-')
        return **s == '\0';
    const int sign = *(*s)++ == '-' ? -1 : 1;
    int h, m = 0;
    if (!digits(s, 2, &h))
        return false;
    if (**s == ':')
        ++*s;
    if (**s && !digits(s, 2, &m))
        return false;
    *offset = sign * ((int64_t)h * 3600 + m * 60);
    return h <= 23 && m <= 59;
}

int nd_parse_date(const char *s, int64_t *seconds)
{
    int y, m, d;
    int64_t time = 0, zone = 0;
    if (!s || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &m) || *s++ != '-' ||
        !digits(&s, 2, &d) || !valid_day(y, m, d))
        return ND_EINVAL;
    if ((*s == 'T' || *s == 't' || *s == ' ') && (++s, !parse_time(&s, &time)))
        return ND_EINVAL;
    if (!parse_zone(&s, &zone) || *s != '\0')
        return ND_EINVAL;
    *seconds = days_from_civil(y, m, d) * 86400 + time - zone;
    return 0;
}
