/*
 * text_store.c: the texts the passage writers quote, read once for all of them (see
 * text_store.h).
 */
#include "output/text_store.h"
#include "common/threads.h"
#include "common/utf8.h"

#include <errno.h>
#include <stdlib.h>

void nd_stored_text_dispose(nd_stored_text *t)
{
    free(t->bytes);
    free(t->cp_pos);
    free(t->cp);
    if (t->view)
        nd_text_view_dispose(t->view);
    free(t->view);
    *t = (nd_stored_text){0};
}

size_t nd_stored_text_bytes(const nd_stored_text *t)
{
    return t->len + (t->len / ND_CP_STEP + 1) * 8 + (t->view ? nd_text_view_bytes(t->view) : 0);
}

/* The code-point index of t (invalid bytes count one each, as nd_utf8_count). */
static int index_code_points(nd_stored_text *t)
{
    const size_t steps = t->len / ND_CP_STEP + 1;
    t->cp_pos = malloc(steps * sizeof(*t->cp_pos));
    t->cp = malloc(steps * sizeof(*t->cp));
    if (!t->cp_pos || !t->cp)
        return ND_ENOMEM;
    size_t at = 0;
    uint32_t count = 0;
    for (size_t k = 0; k < steps; k++) {
        if (at < k * ND_CP_STEP) {
            size_t used;
            count += (uint32_t)nd_utf8_count_upto(t->bytes + at, t->len - at, k * ND_CP_STEP - at,
                                                  &used);
            at += used;
        }
        t->cp_pos[k] = (uint32_t)at;
        t->cp[k] = count;
    }
    return 0;
}

uint64_t nd_stored_text_chars_before(const nd_stored_text *t, size_t at)
{
    if (t->view && t->view->converted)
        return nd_text_view_chars_before(t->view, t->bytes, (uint32_t)at);
    size_t k = at / ND_CP_STEP;
    if (t->cp_pos[k] > at)
        k--;
    return t->cp[k] + nd_utf8_count(t->bytes + t->cp_pos[k], at - t->cp_pos[k]);
}

/* The view of a page or of a legacy charset, made as the scan made it. */
static int make_view(const nd_corpus *c, nd_text_view *work, const nd_doc *d, nd_stored_text *t)
{
    nd_view_spec spec;
    nd_doc_view_spec(c, d, t->bytes, t->len, &spec);
    if (nd_view_is_identity(&spec))
        return 0;
    if (!(t->view = calloc(1, sizeof(*t->view))))
        return ND_ENOMEM;
    const int rc = nd_text_view_make(work, t->bytes, t->len, &spec);
    return rc < 0 ? rc : nd_text_view_take(work, t->view);
}

int nd_stored_text_load(const nd_corpus *c, nd_reader *reader, nd_text_view *work, const nd_doc *d,
                        nd_stored_text *t, char *why, size_t why_len)
{
    size_t cap = 0;
    errno = 0;
    int rc = nd_doc_read(c, reader, d, &t->bytes, &cap, &t->len, NULL, why, why_len);
    if (rc == 0 && nd_doc_changed(reader, d)) {
        errno = 0; /* "changed since it was scanned" */
        rc = ND_EIO;
    }
    if (rc == 0 && !t->bytes && !(t->bytes = malloc(1))) /* an empty text is held too */
        rc = ND_ENOMEM;
    if (rc == 0)
        rc = index_code_points(t);
    if (rc == 0)
        rc = make_view(c, work, d, t);
    if (rc < 0) {
        const int err = errno;
        nd_stored_text_dispose(t);
        errno = err;
    }
    return rc;
}

/* ------------------------------------------------------------ the texts stage */

#define DOCS_PER_PIECE 64

typedef struct texts_stage {
    const nd_corpus *c;
    const uint32_t *docs; /* the documents to read, in order */
    size_t n_docs;
    nd_stored_text *texts;
} texts_stage;

static int read_texts(void *stage, nd_work *work)
{
    texts_stage *s = stage;
    nd_reader reader = ND_READER_INIT;
    nd_text_view view = {0};
    size_t piece;
    while (nd_work_take(work, &piece)) {
        const size_t end = (piece + 1) * DOCS_PER_PIECE;
        for (size_t i = piece * DOCS_PER_PIECE; i < end && i < s->n_docs; i++) {
            char why[256];
            const uint32_t doc = s->docs[i];
            nd_stored_text_load(s->c, &reader, &view, &s->c->docs[doc], &s->texts[doc], why,
                                sizeof(why)); /* a failure is the writer's to say */
        }
    }
    nd_text_view_dispose(&view);
    nd_reader_dispose(&reader);
    return 0;
}

/* What holding d is expected to cost, before it is read: a page or a converted text
 * holds a view about its own size. */
static uint64_t expected_bytes(const nd_doc *d)
{
    const uint64_t base = d->n_bytes + (d->n_bytes / ND_CP_STEP + 1) * 8;
    return d->markup == ND_MARKUP_HTML || d->charset != ND_CHARSET_UTF8 ? 2 * base : base;
}

/* The documents named by passages and places, in order, while they fit in budget. */
static int docs_to_read(const nd_corpus *c, const nd_passage *passages, size_t n_passages,
                        const nd_passage_place *places, size_t n_places, uint64_t budget,
                        uint32_t **out, size_t *n_out)
{
    unsigned char *named = calloc(c->n_docs + 1, 1);
    uint32_t *docs = malloc((c->n_docs + 1) * sizeof(*docs));
    if (!named || !docs) {
        free(named);
        free(docs);
        return ND_ENOMEM;
    }
    for (size_t i = 0; i < n_passages; i++)
        named[passages[i].doc_a] = named[passages[i].doc_b] = 1;
    for (size_t i = 0; i < n_places; i++)
        named[places[i].doc] = 1;
    size_t n = 0;
    uint64_t held = 0;
    for (uint32_t doc = 0; doc < c->n_docs; doc++) {
        if (!named[doc])
            continue;
        held += expected_bytes(&c->docs[doc]);
        if (held > budget)
            break;
        docs[n++] = doc;
    }
    free(named);
    *out = docs;
    *n_out = n;
    return 0;
}

int nd_text_store_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_passage *passages,
                        size_t n_passages, const nd_passage_place *places, size_t n_places,
                        uint64_t budget, nd_text_store *store)
{
    *store = (nd_text_store){NULL, 0};
    if (!n_passages && !n_places)
        return 0;
    if (!(store->texts = calloc(c->n_docs, sizeof(*store->texts))))
        return ND_ENOMEM;
    store->n_docs = c->n_docs;
    texts_stage s = {c, NULL, 0, store->texts};
    uint32_t *docs = NULL;
    int rc = docs_to_read(c, passages, n_passages, places, n_places, budget, &docs, &s.n_docs);
    s.docs = docs;
    if (rc == 0)
        rc = nd_parallel(ctx->threads, (s.n_docs + DOCS_PER_PIECE - 1) / DOCS_PER_PIECE, read_texts,
                         &s);
    free(docs);
    return rc;
}

void nd_text_store_free(nd_text_store *store)
{
    for (size_t i = 0; i < store->n_docs; i++)
        nd_stored_text_dispose(&store->texts[i]);
    free(store->texts);
    *store = (nd_text_store){NULL, 0};
}
