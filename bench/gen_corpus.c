/*
 * gen_corpus.c: a deterministic news-like corpus of any size, for benchmarks.
 *
 *   gen_corpus --docs N --lang arabic|english|mixed [--seed S] [--dup-rate R]
 *              [--passage-rate R] [--format jsonl|files] --out PATH [--vocab DIR]
 *              [--id-prefix P] [--dates]
 *
 * Documents are ~6 KB of sentences drawn from a vocabulary with a Zipf-like
 * skew: Arabic words come from the articles in --vocab (default demo/, part
 * of the repository), English words from a list in this file, so a benchmark
 * never depends on data outside the repository. A share --dup-rate of the
 * documents are edited copies of a recent one (about 2% of words changed),
 * and a share --passage-rate get a 30-200 word passage of a recent document
 * pasted in. The same arguments give byte-identical output. Streaming: only
 * the last 256 documents are kept in memory, so 1M documents are fine.
 * With --format jsonl, PATH is a file; with files, a directory of
 * DDD/NNNNNNNNN.txt files. PATH.truth.csv lists what was planted. JSONL ids are
 * P followed by the document's number (P: "doc"); --dates gives each line a "date", a
 * minute after the one before, from 2025-01-01T00:00:00Z (the feed index's benchmark).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RECENT 256
#define DOC_BYTES 6000

// clang-format off
static const char *const english_words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "was", "with", "he", "it",
    "as", "at", "by", "said", "from", "his", "an", "be", "has", "have", "are", "were", "its",
    "which", "but", "not", "they", "this", "had", "after", "who", "will", "their", "been",
    "would", "been", "president", "government", "minister", "talks", "meeting", "summit",
    "officials", "security", "country", "countries", "foreign", "state", "united", "russia",
    "russian", "american", "election", "elections", "interference", "agreement", "ceasefire",
    "syria", "war", "peace", "sanctions", "economy", "economic", "markets", "oil", "prices",
    "bank", "central", "rates", "inflation", "growth", "trade", "tariffs", "exports", "deal",
    "week", "year", "month", "day", "monday", "tuesday", "wednesday", "thursday", "friday",
    "reporters", "statement", "press", "conference", "news", "agency", "told", "according",
    "spokesman", "source", "sources", "report", "reports", "investigation", "intelligence",
    "cyber", "unit", "hacking", "hackers", "military", "forces", "troops", "border", "city",
    "capital", "region", "local", "national", "international", "group", "leaders", "leader",
    "party", "parliament", "vote", "votes", "voters", "campaign", "candidate", "opposition",
    "policy", "policies", "plan", "plans", "program", "million", "billion", "percent", "first",
    "second", "new", "last", "next", "more", "most", "many", "several", "two", "three", "four",
    "also", "however", "while", "during", "before", "since", "under", "over", "about", "into",
    "against", "between", "including", "public", "health", "workers", "companies", "company",
    "energy", "gas", "climate", "crisis", "support", "aid", "humanitarian", "refugees", "court",
    "law", "rights", "police", "killed", "attack", "attacks", "protest", "protests", "strike",
    "talked", "discussed", "announced", "expected", "continue", "continued", "called", "urged",
    "warned", "denied", "confirmed", "rejected", "accused", "signed", "agreed", "met", "visit"};
// clang-format on

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(rng *r)
{
    return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* ---------------------------------------------------------------- vocabulary */

typedef struct vocab {
    char **words;
    size_t n, cap;
} vocab;

static void vocab_add(vocab *v, const char *w, size_t len)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->words = realloc(v->words, v->cap * sizeof(*v->words));
    }
    v->words[v->n++] = strndup(w, len);
}

/* Words of the text files in dir: runs of bytes that are not ASCII space or punctuation. */
static void vocab_from_dir(vocab *v, const char *dir)
{
    struct dirent **names;
    const int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        FILE *fp = names[i]->d_name[0] != '.' ? fopen(path, "rb") : NULL;
        free(names[i]);
        if (!fp)
            continue;
        static char buf[1 << 20];
        const size_t len = fread(buf, 1, sizeof(buf), fp);
        fclose(fp);
        for (size_t p = 0; p < len;) {
            while (p < len && (unsigned char)buf[p] < 0x80)
                p++; /* Arabic words: skip ASCII (spaces, quotes, digits, Latin) */
            const size_t start = p;
            while (p < len && (unsigned char)buf[p] >= 0x80 &&
                   !((unsigned char)buf[p] == 0xD8 && p + 1 < len &&
                     ((unsigned char)buf[p + 1] == 0x8C || (unsigned char)buf[p + 1] == 0x9F)))
                p++; /* up to the next ASCII byte, Arabic comma or question mark */
            if (p > start)
                vocab_add(v, buf + start, p - start);
            if (p < len && (unsigned char)buf[p] == 0xD8)
                p += 2;
        }
    }
    free(names);
}

/* A word with a Zipf-like skew: low indices (function words come first) are common. */
static const char *pick(const vocab *v, rng *r)
{
    const double u = uniform(r);
    return v->words[(size_t)(u * u * u * (double)v->n)];
}

/* ---------------------------------------------------------------- documents */

typedef struct doc {
    char *text;
    size_t len, cap;
} doc;

static void doc_put(doc *d, const char *s, size_t n)
{
    if (n > SIZE_MAX / 4) /* never: tells the compiler the sizes are sane */
        abort();
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        char *text = realloc(d->text, d->cap);
        if (!text) {
            fprintf(stderr, "gen_corpus: out of memory\n");
            exit(1);
        }
        d->text = text;
    }
    memcpy(d->text + d->len, s, n);
    d->len += n;
    d->text[d->len] = '\0';
}

static void doc_word(doc *d, const char *w, bool first)
{
    if (!first)
        doc_put(d, " ", 1);
    doc_put(d, w, strlen(w));
}

static void write_sentence(doc *d, const vocab *v, rng *r, bool arabic)
{
    const int n = 8 + (int)(next(r) % 14);
    for (int i = 0; i < n; i++)
        doc_word(d, pick(v, r), i == 0);
    doc_put(d, arabic ? "، " : ". ", arabic ? 3 : 2);
    if (next(r) % 6 == 0)
        doc_put(d, "\n\n", 2);
}

static void fresh_doc(doc *d, const vocab *ar, const vocab *en, const char *lang, rng *r)
{
    d->len = 0;
    while (d->len < DOC_BYTES) {
        const bool arabic = !strcmp(lang, "arabic") || (!strcmp(lang, "mixed") && next(r) % 2);
        write_sentence(d, arabic ? ar : en, r, arabic);
    }
}

/* An edited copy: about 1% of the words replaced and 1% dropped (Jaccard of word
 * 5-shingles about 0.8-0.9, as republished wire copy). */
static void edited_copy(doc *d, const doc *src, const vocab *v, rng *r)
{
    d->len = 0;
    const char *p = src->text, *end = src->text + src->len;
    bool first = true;
    while (p < end) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const size_t n = sp ? (size_t)(sp - p) : (size_t)(end - p);
        const uint64_t roll = next(r) % 200;
        if (roll < 2)
            doc_word(d, pick(v, r), first);
        else if (roll > 3) {
            if (!first)
                doc_put(d, " ", 1);
            doc_put(d, p, n);
        }
        first = false;
        p += n + (sp ? 1 : 0);
    }
}

/* Pastes words [w, w+count) of src into d at a random sentence start. */
static void paste_passage(doc *d, const doc *src, rng *r, size_t *at, size_t *len)
{
    const size_t words = 30 + (size_t)(next(r) % 171);
    const char *p = src->text, *end = src->text + src->len;
    for (size_t skip = next(r) % 200; skip && p < end; skip--) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        p = sp ? sp + 1 : end;
    }
    const char *q = p;
    for (size_t k = 0; k < words && q < end; k++) {
        const char *sp = memchr(q, ' ', (size_t)(end - q));
        q = sp ? sp + 1 : end;
    }
    const char *nl = memchr(d->text + d->len / 2, '\n', d->len / 2);
    const size_t pos = nl ? (size_t)(nl - d->text) + 1 : d->len;
    doc tail = {0};
    if (pos < d->len)
        doc_put(&tail, d->text + pos, d->len - pos);
    d->len = pos;
    doc_put(d, p, (size_t)(q - p));
    doc_put(d, "\n", 1);
    if (tail.len)
        doc_put(d, tail.text, tail.len);
    free(tail.text);
    *at = pos;
    *len = (size_t)(q - p);
}

/* ---------------------------------------------------------------- output */

static void put_json_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

typedef struct emit_style {
    const char *id_prefix;
    bool dates;
} emit_style;

/* 2025-01-01T00:00:00Z plus i minutes. */
static void put_date(FILE *out, size_t i)
{
    const time_t t = (time_t)1735689600 + (time_t)i * 60;
    struct tm tm;
    char text[32];
    gmtime_r(&t, &tm);
    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, "\"date\":\"%s\",", text);
}

static void emit(FILE *jsonl, const char *dir, size_t i, const doc *d, const emit_style *style)
{
    char id[64];
    snprintf(id, sizeof(id), "%.30s%09zu", style->id_prefix, i);
    if (jsonl) {
        fprintf(jsonl, "{\"id\":\"%s\",", id);
        if (style->dates)
            put_date(jsonl, i);
        fputs("\"text\":", jsonl);
        put_json_string(jsonl, d->text, d->len);
        fputs("}\n", jsonl);
        return;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%03zu", dir, i / 1000);
    if (i % 1000 == 0)
        mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%03zu/%09zu.txt", dir, i / 1000, i);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(d->text, 1, d->len, fp) != d->len || fclose(fp) != 0) {
        fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static const char *arg_value(int argc, char **argv, const char *name, const char *fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return fallback;
}

int main(int argc, char **argv)
{
    const size_t n_docs = strtoull(arg_value(argc, argv, "--docs", "1000"), NULL, 10);
    const char *lang = arg_value(argc, argv, "--lang", "arabic");
    const char *format = arg_value(argc, argv, "--format", "jsonl");
    const char *out = arg_value(argc, argv, "--out", NULL);
    const double dup_rate = atof(arg_value(argc, argv, "--dup-rate", "0.1"));
    const double passage_rate = atof(arg_value(argc, argv, "--passage-rate", "0.1"));
    rng r = {strtoull(arg_value(argc, argv, "--seed", "1"), NULL, 10)};
    emit_style style = {arg_value(argc, argv, "--id-prefix", "doc"), false};
    for (int i = 1; i < argc; i++)
        style.dates |= !strcmp(argv[i], "--dates");
    vocab ar = {0}, en = {0};
    if (!out) {
        fputs("usage: gen_corpus --docs N --lang arabic|english|mixed [--seed S] [--dup-rate R]"
              " [--passage-rate R] [--format jsonl|files] --out PATH [--vocab DIR]\n",
              stderr);
        return 2;
    }
    vocab_from_dir(&ar, arg_value(argc, argv, "--vocab", "demo"));
    for (size_t i = 0; i < sizeof(english_words) / sizeof(*english_words); i++)
        vocab_add(&en, english_words[i], strlen(english_words[i]));
    if (strcmp(lang, "english") && ar.n < 100) {
        fputs("gen_corpus: too few Arabic words: give --vocab DIR (the repository's demo/)\n",
              stderr);
        return 2;
    }
    FILE *jsonl = NULL;
    if (!strcmp(format, "jsonl") ? !(jsonl = fopen(out, "wb"))
                                 : mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: %s: %s\n", out, strerror(errno));
        return 1;
    }
    char truth_path[4096];
    snprintf(truth_path, sizeof(truth_path), "%s.truth.csv", out);
    FILE *truth = fopen(truth_path, "wb");
    fputs("doc,kind,source,at,len\n", truth);
    doc recent[RECENT] = {{0}};
    const vocab *main_vocab = !strcmp(lang, "english") ? &en : &ar;
    for (size_t i = 0; i < n_docs; i++) {
        doc *d = &recent[i % RECENT];
        const double u = uniform(&r);
        const size_t src = i ? i - 1 - (size_t)(next(&r) % (i < RECENT ? i : RECENT - 1)) : 0;
        if (i && u < dup_rate) {
            doc copy = {0};
            doc_put(&copy, recent[src % RECENT].text, recent[src % RECENT].len);
            edited_copy(d, &copy, main_vocab, &r);
            free(copy.text);
            fprintf(truth, "%zu,near-duplicate,%zu,,\n", i, src);
        } else {
            fresh_doc(d, &ar, &en, lang, &r);
            if (i && u < dup_rate + passage_rate) {
                size_t at, len;
                doc copy = {0};
                doc_put(&copy, recent[src % RECENT].text, recent[src % RECENT].len);
                paste_passage(d, &copy, &r, &at, &len);
                free(copy.text);
                fprintf(truth, "%zu,passage,%zu,%zu,%zu\n", i, src, at, len);
            }
        }
        emit(jsonl, out, i, d, &style);
    }
    fclose(truth);
    if (jsonl && fclose(jsonl) != 0)
        return 1;
    return 0;
}
