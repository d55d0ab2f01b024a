/*
 * crawl_stats.c: the duplicate rate of a run, by cluster size and by host.
 */
#define _POSIX_C_SOURCE 200809L
#include "output/crawl_stats.h"

#include "common/base.h"

#include <stdlib.h>
#include <string.h>

static void count_doc(nd_dup_count *c, uint64_t bytes, bool dup)
{
    c->docs++;
    c->bytes += bytes;
    c->dup_docs += dup;
    c->dup_bytes += dup ? bytes : 0;
}

/* The size class of a cluster of n >= 2 documents: (2^k / 2, 2^k] is class k - 1. */
static unsigned size_class(uint32_t n)
{
    unsigned k = 1;
    while (k + 1 < ND_SIZE_CLASSES && (1ull << k) < n)
        k++;
    return k - 1;
}

/* The host of a URL ("scheme://user@Host:port/path"), lower-cased, into buf; false when
 * it has none. */
static bool url_host(const char *url, char *buf, size_t len)
{
    const char *at = strstr(url, "://");
    if (!at)
        return false;
    at += 3;
    size_t n = strcspn(at, "/?#");
    const char *user = memchr(at, '@', n);
    if (user) {
        n -= (size_t)(user + 1 - at);
        at = user + 1;
    }
    const char *bracket = at[0] == '[' ? memchr(at, ']', n) : NULL;
    if (bracket) /* an IPv6 address keeps its colons, not the port after it */
        n = (size_t)(bracket + 1 - at);
    else
        n = strcspn(at, ":/?#") < n ? strcspn(at, ":/?#") : n;
    if (n == 0 || n >= len)
        return false;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + ('a' - 'A') : at[i]);
    buf[n] = '\0';
    return true;
}

typedef struct doc_host {
    const char *url;
    uint32_t doc;
} doc_host;

static int compare_hosts(const void *pa, const void *pb)
{
    const nd_host_count *a = pa, *b = pb;
    if (a->count.docs != b->count.docs)
        return a->count.docs > b->count.docs ? -1 : 1;
    return strcmp(a->host, b->host);
}

static int compare_names(const void *pa, const void *pb)
{
    return strcmp(((const nd_host_count *)pa)->host, ((const nd_host_count *)pb)->host);
}

/* Per host, the documents with a URL: one entry per document, sorted by host and merged. */
static int count_hosts(const nd_corpus *c, const bool *dup, nd_crawl_stats *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_docs; i++)
        n += c->docs[i].url != NULL;
    nd_host_count *h = calloc(n ? n : 1, sizeof(*h));
    if (!h)
        return ND_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < c->n_docs; i++) {
        char host[256];
        const nd_doc *d = &c->docs[i];
        if (!d->url || !url_host(d->url, host, sizeof(host)))
            continue;
        if (!(h[k].host = strdup(host))) {
            out->hosts = h, out->n_hosts = k;
            return ND_ENOMEM;
        }
        count_doc(&h[k++].count, d->n_bytes, dup[i]);
    }
    nd_sort(h, k, sizeof(*h), compare_names);
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w && !strcmp(h[w - 1].host, h[i].host)) {
            nd_dup_count *to = &h[w - 1].count;
            to->docs += h[i].count.docs, to->bytes += h[i].count.bytes;
            to->dup_docs += h[i].count.dup_docs, to->dup_bytes += h[i].count.dup_bytes;
            free(h[i].host);
        } else {
            h[w++] = h[i];
        }
    }
    nd_sort(h, w, sizeof(*h), compare_hosts);
    out->hosts = h;
    out->n_hosts = w;
    return 0;
}

int nd_crawl_stats_of(const nd_result *r, nd_crawl_stats *out)
{
    const nd_corpus *c = r->corpus;
    *out = (nd_crawl_stats){0};
    bool *dup = calloc(c->n_docs ? c->n_docs : 1, sizeof(*dup));
    if (!dup)
        return ND_ENOMEM;
    for (size_t i = 0; i < r->n_members; i++) {
        const nd_member *m = &r->members[i];
        dup[m->doc] = m->doc != m->kept_doc;
        if (m->doc == m->kept_doc) {
            out->clusters[size_class(m->size)]++;
            out->clustered_docs[size_class(m->size)] += m->size;
        }
    }
    for (size_t i = 0; i < c->n_docs; i++)
        count_doc(&out->all, c->docs[i].n_bytes, dup[i]);
    const int rc = count_hosts(c, dup, out);
    free(dup);
    if (rc < 0)
        nd_crawl_stats_dispose(out);
    return rc;
}

void nd_crawl_stats_dispose(nd_crawl_stats *s)
{
    for (size_t i = 0; i < s->n_hosts; i++)
        free(s->hosts[i].host);
    free(s->hosts);
    *s = (nd_crawl_stats){0};
}
