/*
 * scan_records.c: a range of scanned documents as bytes, and back (see scan_records.h).
 */
#include "scan/scan_records.h"

#include "scan/scan.h"
#include "text/shingle.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define NO_STRING UINT32_MAX

typedef struct record_head {
    uint64_t size; /* of the head with its strings: a multiple of 8 */
    uint64_t n_bytes, text_hash, raw_hash, grown_size;
    int64_t first_invalid;
    uint32_t n_tokens, n_shingles, n_distinct;
    int32_t error, error_errno;
    uint32_t id_len, error_text_len, charset_label_len; /* NO_STRING: none */
    uint16_t charset;
    uint8_t status, markup, charset_from, charset_confidence, has_profile, has_tokens;
    uint8_t invalid_utf8, pad[7];
} record_head;
static_assert(sizeof(record_head) % 8 == 0, "records stay 8-byte aligned");

static size_t padded(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static uint32_t string_len(const char *s)
{
    return s ? (uint32_t)strlen(s) : NO_STRING;
}

static size_t string_room(uint32_t len)
{
    return len == NO_STRING ? 0 : padded(len);
}

/* Whether the shingles go without a block of their own: with the words (of passages of
 * word shingles), the importer makes them from the words' hashes. */
static bool shingles_from_words(const nd_options *o, uint64_t blocks)
{
    return o->passages && o->shingle_unit == ND_UNIT_WORD &&
           (blocks & ND_RECORD_BLOCK(ND_RECORD_TOKENS));
}

/* The bytes of each document's record in each block of blocks (its head's with its
 * strings). */
static void sizes_of(const record_head *h, const nd_options *o, uint64_t blocks,
                     uint64_t size[ND_RECORD_BLOCKS])
{
    const bool ok = h->status == ND_DOC_OK;
    size[ND_RECORD_HEADS] = sizeof(*h) + string_room(h->id_len) + string_room(h->error_text_len) +
                            string_room(h->charset_label_len);
    size[ND_RECORD_SIGS] = ok ? padded((size_t)o->num_perm * sizeof(uint32_t)) : 0;
    size[ND_RECORD_PROFILES] = ok && h->has_profile ? ND_PROFILE_BUCKETS : 0;
    size[ND_RECORD_SHINGLES] =
        ok && !shingles_from_words(o, blocks) ? (uint64_t)h->n_shingles * sizeof(uint64_t) : 0;
    size[ND_RECORD_TOKENS] = ok && h->has_tokens ? (uint64_t)h->n_tokens * sizeof(nd_token) : 0;
}

/* The fields a head carries as they are, both ways. */
// clang-format off
#define HEAD_FIELDS(X)                                                                             \
    X(n_bytes) X(text_hash) X(raw_hash) X(grown_size) X(first_invalid)                             \
    X(n_tokens) X(n_shingles) X(n_distinct) X(error) X(error_errno)                                \
    X(charset) X(status) X(markup) X(charset_from) X(charset_confidence)                           \
    X(has_profile) X(has_tokens) X(invalid_utf8)
// clang-format on

static record_head head_of(const nd_doc *d, const nd_options *o)
{
    record_head h = {
        /* the scan names JSONL lines; the listing names the others, here as there */
        .id_len = d->kind == ND_DOC_JSONL_LINE ? string_len(d->id) : NO_STRING,
        .error_text_len = string_len(d->error_text),
        .charset_label_len = string_len(d->charset_label),
    };
#define TO_HEAD(field) h.field = d->field;
    HEAD_FIELDS(TO_HEAD)
#undef TO_HEAD
    uint64_t size[ND_RECORD_BLOCKS];
    sizes_of(&h, o, ND_RECORD_FIRST, size);
    h.size = size[ND_RECORD_HEADS];
    return h;
}

/* Ahead of the blocks: how many documents (all of the range: a choice of them is the
 * receiver's to know), which blocks, and each block's length (0 for one not there). */
typedef struct part_head {
    uint64_t n_docs, blocks;
    uint64_t len[ND_RECORD_BLOCKS];
} part_head;

static bool chosen(const nd_record_choice *choice, size_t i)
{
    return !choice->docs || (choice->docs[i / 8] >> (i % 8) & 1);
}

/* The head of the records choice makes of documents [first, end): the blocks' lengths. */
static part_head part_of(const nd_corpus *c, size_t first, size_t end,
                         const nd_record_choice *choice)
{
    part_head p = {.n_docs = end - first, .blocks = choice->blocks};
    for (size_t i = first; i < end; i++) {
        if (!chosen(choice, i - first))
            continue;
        const record_head h = head_of(&c->docs[i], &c->opts);
        uint64_t size[ND_RECORD_BLOCKS];
        sizes_of(&h, &c->opts, choice->blocks, size);
        for (int k = 0; k < ND_RECORD_BLOCKS; k++)
            p.len[k] += choice->blocks & ND_RECORD_BLOCK(k) ? size[k] : 0;
    }
    return p;
}

static size_t piece_size(uint64_t left)
{
    return left < ND_RECORD_PIECE ? (size_t)left : ND_RECORD_PIECE;
}

/* ---------------------------------------------------------------- in memory */

int nd_memory_put(void *pipe, void *bytes, size_t len)
{
    nd_memory_pipe *m = pipe;
    if (ND_GROW(m->bytes, m->cap, m->len + len + 1) < 0)
        return ND_ENOMEM;
    memcpy(m->bytes + m->len, bytes, len);
    m->len += len;
    return 0;
}

int nd_memory_get(void *pipe, void *bytes, size_t len)
{
    nd_memory_pipe *m = pipe;
    if (len > m->len - m->at)
        return ND_EIO;
    memcpy(bytes, m->bytes + m->at, len);
    m->at += len;
    return 0;
}

/* ---------------------------------------------------------------- sending */

/* A block on its way out: bytes gathered into pieces, each moved once full. */
typedef struct piece_out {
    const nd_record_pipe *pipe;
    unsigned char *buf; /* ND_RECORD_PIECE bytes */
    size_t len, piece;  /* in buf; the size of the piece being filled */
    uint64_t left;      /* of the block, past the piece being filled */
    int rc;
} piece_out;

static void start_block(piece_out *o, uint64_t len)
{
    o->piece = piece_size(len);
    o->left = len - o->piece;
    o->len = 0;
}

static void piece_filled(piece_out *o, size_t n)
{
    o->len += n;
    if (o->len < o->piece || o->rc < 0)
        return;
    o->rc = o->pipe->move(o->pipe->payload, o->buf, o->len);
    start_block(o, o->left);
}

static void put_bytes(piece_out *o, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    while (len > 0 && o->rc == 0) {
        const size_t n = len < o->piece - o->len ? len : o->piece - o->len;
        if (p)
            memcpy(o->buf + o->len, p, n);
        else
            memset(o->buf + o->len, 0, n);
        p = p ? p + n : NULL;
        len -= n;
        piece_filled(o, n);
    }
}

static void put_string(piece_out *o, const char *s, uint32_t len)
{
    if (len == NO_STRING)
        return;
    put_bytes(o, s, len);
    put_bytes(o, NULL, padded(len) - len);
}

/* Puts len bytes at offset of spill, from its mapping when it covers them, then zeroes
 * up to room. */
static void put_spilled(piece_out *o, nd_spill *spill, const nd_spill_map *map, uint64_t offset,
                        size_t len, size_t room)
{
    while (len > 0 && o->rc == 0) {
        const size_t n = len < o->piece - o->len ? len : o->piece - o->len;
        const void *view = nd_spill_map_view(map, offset, n);
        if (view)
            memcpy(o->buf + o->len, view, n);
        else
            o->rc = nd_spill_read(spill, offset, o->buf + o->len, n);
        offset += n;
        len -= n;
        room -= n;
        piece_filled(o, n);
    }
    put_bytes(o, NULL, room);
}

static void put_head(piece_out *o, const nd_doc *d, const nd_options *opts)
{
    const record_head h = head_of(d, opts);
    put_bytes(o, &h, sizeof(h));
    put_string(o, d->id, h.id_len);
    put_string(o, d->error_text, h.error_text_len);
    put_string(o, d->charset_label, h.charset_label_len);
}

static void put_sketch(piece_out *o, nd_spill *spill, const nd_spill_map *map,
                       const nd_options *opts, const nd_doc *d, unsigned blocks, int block)
{
    const record_head h = head_of(d, opts);
    uint64_t size[ND_RECORD_BLOCKS];
    sizes_of(&h, opts, blocks, size);
    const uint64_t offset[ND_RECORD_BLOCKS] = {0, d->sig_off, d->profile_off, d->shingles_off,
                                               d->tokens_off};
    const size_t len =
        block == ND_RECORD_SIGS ? (size_t)opts->num_perm * sizeof(uint32_t) : (size_t)size[block];
    if (size[block])
        put_spilled(o, spill, map, offset[block], len, (size_t)size[block]);
}

int nd_scan_records_send(nd_spill *spill, const nd_corpus *c, size_t first, size_t end,
                         const nd_record_choice *choice, const nd_record_pipe *out)
{
    const nd_record_choice all = {ND_RECORD_ALL, NULL};
    choice = choice ? choice : &all;
    const part_head p = part_of(c, first, end, choice);
    nd_spill_map map = {{NULL}, {0}};
    piece_out o = {.pipe = out, .buf = malloc(ND_RECORD_PIECE)};
    if (!o.buf)
        return ND_ENOMEM;
    /* all the documents are read through a mapping of the scratch file, page after page;
     * those a bitmap chooses are scattered, and each is read with a call of its own
     * (empty, the map holds nothing), where a mapping would fault pages for each */
    o.rc = choice->docs ? 0 : nd_spill_map_all(spill, &map);
    if (o.rc == 0)
        o.rc = out->move(out->payload, (void *)&p, sizeof(p));
    for (int k = 0; k < ND_RECORD_BLOCKS && o.rc == 0; k++) {
        if (!(choice->blocks & ND_RECORD_BLOCK(k)))
            continue;
        start_block(&o, p.len[k]);
        for (size_t i = first; i < end && o.rc == 0; i++) {
            if (!chosen(choice, i - first))
                continue;
            if (k == ND_RECORD_HEADS)
                put_head(&o, &c->docs[i], &c->opts);
            else
                put_sketch(&o, spill, &map, &c->opts, &c->docs[i], choice->blocks, k);
        }
    }
    free(o.buf);
    return o.rc;
}

int nd_scan_records_relay(const nd_record_pipe *in, const nd_record_pipe *out)
{
    part_head p;
    unsigned char *buf = malloc(ND_RECORD_PIECE);
    int rc = buf ? in->move(in->payload, &p, sizeof(p)) : ND_ENOMEM;
    if (rc == 0)
        rc = out->move(out->payload, &p, sizeof(p));
    for (int k = 0; k < ND_RECORD_BLOCKS && rc == 0; k++) {
        for (uint64_t left = p.len[k]; left > 0 && rc == 0;) {
            const size_t n = piece_size(left);
            rc = in->move(in->payload, buf, n);
            if (rc == 0)
                rc = out->move(out->payload, buf, n);
            left -= n;
        }
    }
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- receiving */

/* The head at heads[at..len) when it is whole and says what it holds consistently: its
 * sizes in each block added to sum. */
static bool head_is_sound(const unsigned char *heads, uint64_t len, uint64_t at,
                          const nd_options *o, uint64_t blocks, record_head *h,
                          uint64_t sum[ND_RECORD_BLOCKS])
{
    if (len - at < sizeof(*h))
        return false;
    memcpy(h, heads + at, sizeof(*h));
    const bool ok = h->status == ND_DOC_OK;
    const bool strings_fit = (h->id_len == NO_STRING || h->id_len < (1u << 30)) &&
                             (h->error_text_len == NO_STRING || h->error_text_len < (1u << 30)) &&
                             (h->charset_label_len == NO_STRING || h->charset_label_len < 256);
    /* shingles made from words: each document with shingles has its words, as many */
    const bool shingles_made =
        !ok || !shingles_from_words(o, blocks) ||
        (h->has_tokens && h->n_shingles == nd_shingle_count(h->n_tokens, o->shingle_k));
    if (!strings_fit || h->status > ND_DOC_SKIPPED || (h->has_tokens && !ok) || !shingles_made)
        return false;
    uint64_t size[ND_RECORD_BLOCKS];
    sizes_of(h, o, blocks, size);
    if (h->size != size[ND_RECORD_HEADS] || h->size > len - at)
        return false;
    for (int k = 0; k < ND_RECORD_BLOCKS; k++)
        sum[k] += size[k];
    return true;
}

/* Whether the heads are those of documents [first, end) and add up to the blocks'
 * lengths. */
static bool heads_are_sound(const unsigned char *heads, const part_head *p, const nd_corpus *c,
                            size_t first, size_t end, const nd_record_choice *choice)
{
    uint64_t sum[ND_RECORD_BLOCKS] = {0}, at = 0;
    record_head h;
    if (p->n_docs != end - first)
        return false;
    for (size_t i = first; i < end; i++) {
        if (!chosen(choice, i - first))
            continue;
        if (!head_is_sound(heads, p->len[ND_RECORD_HEADS], at, &c->opts, p->blocks, &h, sum))
            return false;
        at += h.size;
    }
    for (int k = 0; k < ND_RECORD_BLOCKS; k++)
        if ((p->blocks & ND_RECORD_BLOCK(k) ? sum[k] : 0) != p->len[k])
            return false;
    return true;
}

/* A string of the head, copied (NULL for none). */
static int take_string(const unsigned char **at, uint32_t len, char **out)
{
    if (len == NO_STRING)
        return 0;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return ND_ENOMEM;
    memcpy(s, *at, len);
    s[len] = '\0';
    *at += padded(len);
    free(*out);
    *out = s;
    return 0;
}

static int take_head(nd_doc *d, const unsigned char **at)
{
    record_head h;
    memcpy(&h, *at, sizeof(h));
    const unsigned char *strings = *at + sizeof(h);
    *at += h.size;
#define FROM_HEAD(field) d->field = h.field;
    HEAD_FIELDS(FROM_HEAD)
#undef FROM_HEAD
    int rc = take_string(&strings, h.id_len, &d->id);
    if (rc == 0)
        rc = take_string(&strings, h.error_text_len, &d->error_text);
    if (rc == 0)
        rc = take_string(&strings, h.charset_label_len, &d->charset_label);
    return rc;
}

/* The heads block, whole (a few dozen bytes a document), checked against the part. */
/* The part head and the heads block of the documents choice names (the heads, with the
 * blocks choice says), or of all (all the blocks, or the heads with or without the
 * signatures), checked against the part. */
static int receive_heads(const nd_record_pipe *in, const nd_corpus *c, size_t first, size_t end,
                         const nd_record_choice *choice, part_head *p, unsigned char **heads)
{
    *heads = NULL;
    int rc = in->move(in->payload, p, sizeof(*p));
    for (int k = 0; k < ND_RECORD_BLOCKS && rc == 0; k++)
        if (p->len[k] % 8 != 0 || p->len[k] > ((uint64_t)1 << 56))
            rc = ND_EFORMAT;
    const unsigned sigs = ND_RECORD_BLOCK(ND_RECORD_SIGS);
    const bool blocks_fit =
        choice->docs ? p->blocks == choice->blocks
                     : p->blocks == ND_RECORD_ALL || (p->blocks & ~sigs) == ND_RECORD_FIRST;
    if (rc == 0 && (p->n_docs != end - first || !blocks_fit))
        rc = ND_EFORMAT;
    if (rc == 0 && !(*heads = malloc(p->len[ND_RECORD_HEADS] + 1)))
        rc = ND_ENOMEM;
    for (uint64_t at = 0; at < p->len[ND_RECORD_HEADS] && rc == 0; at += ND_RECORD_PIECE)
        rc = in->move(in->payload, *heads + at, piece_size(p->len[ND_RECORD_HEADS] - at));
    if (rc == 0 && !heads_are_sound(*heads, p, c, first, end, choice))
        rc = ND_EFORMAT;
    return rc;
}

/* A block received a piece at a time into room reserved for it in spill: *base. */
static int receive_block(const nd_record_pipe *in, nd_spill *spill, uint64_t len,
                         unsigned char *buf, uint64_t *base)
{
    *base = 0;
    int rc = len ? nd_spill_reserve(spill, (size_t)len, base) : 0;
    for (uint64_t at = 0; at < len && rc == 0; at += ND_RECORD_PIECE) {
        const size_t n = piece_size(len - at);
        rc = in->move(in->payload, buf, n);
        if (rc == 0)
            rc = nd_spill_write(spill, *base + at, buf, n);
    }
    return rc;
}

/* Where the documents choice names have the sketches of its blocks, each block
 * starting at base; the shingles made from words go side by side at
 * base[ND_RECORD_SHINGLES] too. Without a choice of documents (all of them came), the
 * sketches that did not come are ND_RECORD_ABSENT. */
static void place_sketches(nd_corpus *c, size_t first, size_t end, const nd_record_choice *choice,
                           const uint64_t base[ND_RECORD_BLOCKS], bool made, nd_shingle_blob *blobs)
{
    uint64_t at[ND_RECORD_BLOCKS];
    memcpy(at, base, sizeof(at));
    for (size_t i = first; i < end; i++) {
        nd_doc *d = &c->docs[i];
        if (!chosen(choice, i - first))
            continue;
        const record_head h = head_of(d, &c->opts);
        uint64_t size[ND_RECORD_BLOCKS];
        sizes_of(&h, &c->opts, choice->blocks, size);
        if (made && d->status == ND_DOC_OK)
            size[ND_RECORD_SHINGLES] = (uint64_t)d->n_shingles * sizeof(uint64_t);
        /* (a batch whose shingles did not come has no blob here: its rank feeds them) */
        const bool shingles_here = made || (choice->blocks & ND_RECORD_BLOCK(ND_RECORD_SHINGLES));
        nd_shingle_blob *blob = blobs && shingles_here ? &blobs[i / ND_SCAN_BATCH] : NULL;
        if (blob && i % ND_SCAN_BATCH == 0)
            *blob = (nd_shingle_blob){at[ND_RECORD_SHINGLES], 0};
        if (blob && d->status == ND_DOC_OK)
            blob->n += d->n_shingles;
        uint64_t *offset[ND_RECORD_BLOCKS] = {NULL, &d->sig_off, &d->profile_off, &d->shingles_off,
                                              &d->tokens_off};
        for (int k = ND_RECORD_SIGS; k < ND_RECORD_BLOCKS; k++) {
            if (choice->blocks & ND_RECORD_BLOCK(k) || (k == ND_RECORD_SHINGLES && made)) {
                *offset[k] = at[k];
                at[k] += size[k];
            } else if (!choice->docs) {
                *offset[k] = ND_RECORD_ABSENT;
            }
        }
    }
}

/* The part head and the heads of the documents choice names, taken into them. */
static int take_heads(const nd_record_pipe *in, nd_corpus *c, size_t first, size_t end,
                      const nd_record_choice *choice, part_head *p)
{
    unsigned char *heads;
    int rc = receive_heads(in, c, first, end, choice, p, &heads);
    const unsigned char *head = heads;
    for (size_t i = first; i < end && rc == 0; i++)
        if (chosen(choice, i - first))
            rc = take_head(&c->docs[i], &head);
    free(heads);
    return rc;
}

static uint64_t shingles_to_make(const nd_corpus *c, size_t first, size_t end)
{
    uint64_t n = 0;
    for (size_t i = first; i < end; i++)
        n += c->docs[i].status == ND_DOC_OK ? c->docs[i].n_shingles : 0;
    return n;
}

int nd_scan_records_receive(const nd_record_pipe *in, nd_corpus *c, size_t first_batch,
                            size_t end_batch, nd_spill *spill, nd_shingle_blob *blobs,
                            bool *make_shingles)
{
    const size_t first = first_batch * ND_SCAN_BATCH;
    const size_t end = end_batch > first_batch ? nd_scan_batch_end(c, end_batch - 1) : first;
    part_head p;
    unsigned char *buf = NULL;
    int rc = take_heads(in, c, first, end, &(nd_record_choice){ND_RECORD_ALL, NULL}, &p);
    if (rc == 0 && !(buf = malloc(ND_RECORD_PIECE)))
        rc = ND_ENOMEM;
    uint64_t base[ND_RECORD_BLOCKS] = {0};
    for (int k = ND_RECORD_SIGS; k < ND_RECORD_BLOCKS && rc == 0; k++)
        if (p.blocks & ND_RECORD_BLOCK(k))
            rc = receive_block(in, spill, p.len[k], buf, &base[k]);
    free(buf);
    *make_shingles = shingles_from_words(&c->opts, p.blocks);
    const uint64_t made = *make_shingles ? shingles_to_make(c, first, end) : 0;
    if (rc == 0 && made)
        rc = nd_spill_reserve(spill, (size_t)made * sizeof(uint64_t), &base[ND_RECORD_SHINGLES]);
    const nd_record_choice came = {(unsigned)p.blocks, NULL};
    if (rc == 0)
        place_sketches(c, first, end, &came, base, *make_shingles, blobs);
    return rc;
}

int nd_scan_records_receive_more(const nd_record_pipe *in, nd_corpus *c, size_t first, size_t end,
                                 const nd_record_choice *choice, nd_spill *spill)
{
    part_head p;
    int rc;
    if (choice->blocks & ND_RECORD_BLOCK(ND_RECORD_HEADS)) {
        rc = take_heads(in, c, first, end, choice, &p);
    } else { /* the receiver has the heads: the part head must be what they make */
        const part_head want = part_of(c, first, end, choice);
        rc = in->move(in->payload, &p, sizeof(p));
        if (rc == 0 && memcmp(&p, &want, sizeof(p)) != 0)
            rc = ND_EFORMAT;
    }
    unsigned char *buf = rc == 0 ? malloc(ND_RECORD_PIECE) : NULL;
    if (rc == 0 && !buf)
        rc = ND_ENOMEM;
    uint64_t base[ND_RECORD_BLOCKS] = {0};
    for (int k = ND_RECORD_SIGS; k < ND_RECORD_BLOCKS && rc == 0; k++)
        if (choice->blocks & ND_RECORD_BLOCK(k))
            rc = receive_block(in, spill, p.len[k], buf, &base[k]);
    free(buf);
    if (rc == 0)
        place_sketches(c, first, end, choice, base, false, NULL);
    return rc;
}

int nd_scan_records_shingles(nd_spill *spill, const nd_spill_map *map, const nd_options *o,
                             const nd_doc *d, uint64_t **units, size_t *cap)
{
    const size_t n = d->n_tokens;
    const nd_token *toks = nd_spill_map_view(map, d->tokens_off, n * sizeof(*toks));
    if (!toks)
        return ND_EIO;
    if (ND_GROW(*units, *cap, n + d->n_shingles) < 0)
        return ND_ENOMEM;
    uint64_t *hashes = *units, *shingles = *units + n;
    for (size_t i = 0; i < n; i++)
        hashes[i] = toks[i].hash;
    nd_shingle_hashes(hashes, n, o->shingle_k, shingles);
    return nd_spill_write(spill, d->shingles_off, shingles, d->n_shingles * sizeof(*shingles));
}
