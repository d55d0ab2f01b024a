/*
 * html_text.c: the text of an HTML page, with the bytes each piece came from.
 *
 * MyHTML parses the page as browsers do (HTML5 tree construction: unclosed tags,
 * misnested ones, tables) and gives each text node its decoded text and the span of
 * the page it was read from. The tree is walked without recursion (a page may nest
 * 100,000 elements); what is dropped is not entered. The text nodes kept are then put in
 * page order (tree construction may move text before a table), and each is aligned with
 * its span: bytes the parser kept as they were are copies; a character reference, a
 * CR LF made LF, a NUL made U+FFFD are atoms of their bytes. Where the alignment cannot
 * follow (text the parser joined from two places), the rest of the node is one atom of
 * the rest of its span: its words still slice the page, less finely.
 *
 * HTML5 tree construction looks down the stack of open elements at each start tag, so
 * a page that nests n elements costs n * n steps (a crafted page of nested divs would
 * never end). Before parsing, a pass over the tags keeps the stack of elements left
 * open, as the parser would in the main (void elements open none; "<div/>" opens one;
 * an end tag closes its innermost open element and those inside, a stray one nothing;
 * comments, raw text and RCDATA are skipped as the tokenizer skips them) and blanks the
 * start tags that would open one past ND_HTML_MAX_DEPTH with spaces: the parser then
 * sees their place as space between words, the page's length and offsets are unchanged,
 * and it costs at most that depth per tag. Text the parser joins into one node is
 * quadratic too (MyHTML copies the node at each append): past ND_HTML_MAX_JOINS stray end
 * tags and table texts outside cells, those end tags and the table tags are blanked.
 *
 * With main_only, nav, aside and form are dropped, header and footer outside article
 * and main, and every block outside those two whose text is mostly links (more than
 * half its letters inside <a>): menus, link lists, "read more" blocks.
 */
#define _GNU_SOURCE /* memmem */
#include "decode/html_text.h"

#include <myhtml/api.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct nd_html_parser {
    myhtml_t *myhtml;
    myhtml_tree_t *tree;
    struct text_piece *pieces;
    size_t n_pieces, pieces_cap;
    struct element_frame *frames;
    size_t n_frames, frames_cap;
    unsigned char *flat; /* a page whose deepest start tags are blanked */
    size_t flat_cap;
    struct open_elements *open; /* for blank_deep_tags */
};

/* A text node kept: its text, and the span of the page it was read from. */
typedef struct text_piece {
    const char *text;
    size_t text_len;
    size_t begin, len; /* NO_PLACE: a text the parser joined, placed later (place_joined) */
    size_t order;      /* in the tree */
    size_t lead;       /* bytes of its text before its span (spaces of a joined text) */
    bool break_before;
} text_piece;

#define NO_PLACE SIZE_MAX

/* An element being walked: what was kept before it, and its letters so far. */
typedef struct element_frame {
    myhtml_tag_id_t tag;
    size_t first_piece;
    size_t letters, link_letters;
} element_frame;

int nd_html_parser_new(nd_html_parser **out)
{
    nd_html_parser *p = calloc(1, sizeof(*p));
    if (!p)
        return ND_ENOMEM;
    p->myhtml = myhtml_create();
    if (!p->myhtml ||
        myhtml_init(p->myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0) != MyHTML_STATUS_OK ||
        !(p->tree = myhtml_tree_create()) ||
        myhtml_tree_init(p->tree, p->myhtml) != MyHTML_STATUS_OK) {
        nd_html_parser_free(p);
        return ND_ENOMEM;
    }
    *out = p;
    return 0;
}

void nd_html_parser_free(nd_html_parser *p)
{
    if (!p)
        return;
    if (p->tree)
        myhtml_tree_destroy(p->tree);
    if (p->myhtml)
        myhtml_destroy(p->myhtml);
    free(p->pieces);
    free(p->frames);
    free(p->flat);
    free(p->open);
    free(p);
}

/* ---------------------------------------------------------------- sniffing */

static size_t skip_space(const unsigned char *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n' || b[i] == '\f'))
        i++;
    return i;
}

bool nd_html_sniff(const unsigned char *b, size_t len)
{
    size_t i = len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0;
    const size_t limit = len < 1024 ? len : 1024;
    for (i = skip_space(b, limit, i); i + 4 < limit; i = skip_space(b, limit, i)) {
        if (!memcmp(b + i, "<!--", 4)) {
            const unsigned char *end = memmem(b + i + 4, limit - i - 4, "-->", 3);
            if (!end)
                return false;
            i = (size_t)(end - b) + 3;
            continue;
        }
        if (!strncasecmp((const char *)b + i, "<?xml", 5)) {
            const unsigned char *end = memchr(b + i, '>', limit - i);
            if (!end)
                return false;
            i = (size_t)(end - b) + 1;
            continue;
        }
        return (limit - i >= 9 && !strncasecmp((const char *)b + i, "<!doctype", 9)) ||
               (limit - i >= 5 && !strncasecmp((const char *)b + i, "<html", 5) &&
                (limit - i == 5 || strchr(" \t\r\n>", b[i + 5])));
    }
    return false;
}

/* ---------------------------------------------------------------- deep nesting */

#define ND_HTML_MAX_DEPTH 1024

/* Whether the tag name name[0..n) is one of words (n_words of them), in any case. */
static bool name_is_one_of(const unsigned char *name, size_t n, const char *const *words,
                           size_t n_words)
{
    for (size_t i = 0; i < n_words; i++)
        if (strlen(words[i]) == n && !strncasecmp((const char *)name, words[i], n))
            return true;
    return false;
}
#define NAME_IS_ONE_OF(name, n, words)                                                             \
    name_is_one_of(name, n, words, sizeof(words) / sizeof(*words))

static const char *const table_sections[] = {"table", "tbody", "thead", "tfoot", "tr"};

static bool is_void_element(const unsigned char *name, size_t n)
{
    static const char *const voids[] = {"area",  "base", "br",   "col",   "embed",  "hr",    "img",
                                        "input", "link", "meta", "param", "source", "track", "wbr"};
    return NAME_IS_ONE_OF(name, n, voids);
}

static bool is_alpha(unsigned char c)
{
    return (c | 32) >= 'a' && (c | 32) <= 'z';
}

/* Where the text of a raw-text or RCDATA element (script, style, title ...) that starts
 * at p ends: its end tag's '<', or the end. */
static const unsigned char *raw_text_end(const unsigned char *p, const unsigned char *end,
                                         const unsigned char *name, size_t n)
{
    for (const unsigned char *q = p; (q = memchr(q, '<', (size_t)(end - q))) != NULL; q++)
        if ((size_t)(end - q) > n + 2 && q[1] == '/' &&
            !strncasecmp((const char *)q + 2, (const char *)name, n) && !is_alpha(q[2 + n]))
            return q;
    return end;
}

static bool is_raw_text_element(const unsigned char *name, size_t n)
{
    static const char *const raw[] = {"script", "style",   "title",    "textarea", "xmp",
                                      "iframe", "noembed", "noframes", "noscript"};
    return NAME_IS_ONE_OF(name, n, raw);
}

static uint32_t name_hash(const unsigned char *name, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint32_t)(name[i] | 32)) * 16777619u;
    return h;
}

/* The elements left open as the tags are read, by their names' hashes. */
typedef struct open_elements {
    uint32_t names[ND_HTML_MAX_DEPTH];
    size_t depth;
    uint16_t open_by_name[256]; /* how many of the open ones have a hash of each low byte */
} open_elements;

/* An end tag closes the innermost open element of its name, and those inside it (as
 * the parser mostly does); one of no open element (a stray </x>) closes nothing: false. */
static bool close_element(open_elements *s, uint32_t name)
{
    if (s->open_by_name[name & 255] == 0)
        return false;
    for (size_t k = s->depth; k-- > 0;) {
        if (s->names[k] != name)
            continue;
        while (s->depth > k)
            s->open_by_name[s->names[--s->depth] & 255]--;
        return true;
    }
    return false;
}

static bool is_table_section(const unsigned char *name, size_t n)
{
    return NAME_IS_ONE_OF(name, n, table_sections);
}

/* Whether an open element's name hash is that of a table section. */
static bool is_table_hash(uint32_t h)
{
    for (size_t i = 0; i < sizeof(table_sections) / sizeof(*table_sections); i++)
        if (h == name_hash((const unsigned char *)table_sections[i], strlen(table_sections[i])))
            return true;
    return false;
}

/* Whether b[from..to) holds a byte other than ASCII white space. */
static bool has_text(const unsigned char *b, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (!strchr(" \t\r\n\f", b[i]))
            return true;
    return false;
}

/* The end of the markup declaration, comment or processing instruction at p. */
static const unsigned char *declaration_end(const unsigned char *p, const unsigned char *end)
{
    if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
        if (end - p >= 5 && p[4] == '>')
            return p + 5; /* <!--> */
        if (end - p >= 6 && p[4] == '-' && p[5] == '>')
            return p + 6; /* <!---> */
        const unsigned char *close = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
        return close ? close + 3 : end;
    }
    const unsigned char *gt = memchr(p, '>', (size_t)(end - p));
    return gt ? gt + 1 : end;
}

/* Tags the parser would join the text around into one node, one append at a time
 * (MyHTML copies the node's text at each): a stray end tag, and text in a table outside
 * its cells, which goes before the table. Past this many, they are blanked. */
#define ND_HTML_MAX_JOINS 256

/* Blanks the tag b[at..gt] in copy (when there is one); true. */
static bool blank(unsigned char *copy, size_t at, const unsigned char *gt, const unsigned char *b)
{
    if (copy)
        memset(copy + at, ' ', (size_t)(gt - b) + 1 - at);
    return true;
}

/* Walks the tags of b[0..len); with copy, blanks there the start tags that would open
 * an element past the depth bound, and the tags past ND_HTML_MAX_JOINS that would join
 * texts. Returns whether there were any. */
static bool blank_deep_tags(const unsigned char *b, size_t len, unsigned char *copy,
                            open_elements *s)
{
    const unsigned char *end = b + len;
    bool over = false, in_table = false;
    size_t joins = 0, text_from = 0;
    s->depth = 0;
    memset(s->open_by_name, 0, sizeof(s->open_by_name));
    for (const unsigned char *p = memchr(b, '<', len); p && p + 1 < end;
         p = p < end ? memchr(p, '<', (size_t)(end - p)) : NULL) {
        const size_t at = (size_t)(p - b);
        /* text straight inside a table section is moved before the table, joined */
        joins += in_table && has_text(b, text_from, at);
        if (p[1] == '!' || p[1] == '?') {
            p = declaration_end(p, end);
            continue;
        }
        const bool closing = p[1] == '/';
        const unsigned char *name = p + 1 + closing;
        if (name >= end || !is_alpha(*name)) {
            p++;
            continue;
        }
        size_t n = 1;
        while (name + n < end && (is_alpha(name[n]) || (name[n] >= '0' && name[n] <= '9')))
            n++;
        const unsigned char *gt = memchr(name, '>', (size_t)(end - name));
        if (!gt)
            break;
        p = gt + 1;
        text_from = (size_t)(p - b);
        if (closing) {
            if (!close_element(s, name_hash(name, n)) && ++joins > ND_HTML_MAX_JOINS)
                over = blank(copy, at, gt, b);
        } else if (n == 9 && !strncasecmp((const char *)name, "plaintext", 9)) {
            break; /* the rest of the page is its text */
        } else if (is_raw_text_element(name, n)) {
            p = raw_text_end(p, end, name, n);
        } else if (is_table_section(name, n) && joins > ND_HTML_MAX_JOINS) {
            over = blank(copy, at, gt, b);
        } else if (!is_void_element(name, n)) { /* "<div/>" opens a div all the same */
            if (s->depth < ND_HTML_MAX_DEPTH) {
                const uint32_t h = name_hash(name, n);
                s->names[s->depth++] = h;
                s->open_by_name[h & 255]++;
            } else {
                over = blank(copy, at, gt, b);
            }
        }
        in_table = s->depth > 0 && is_table_hash(s->names[s->depth - 1]);
    }
    return over;
}

/* ---------------------------------------------------------------- elements */

static bool is_dropped(myhtml_tag_id_t tag)
{
    switch (tag) {
    case MyHTML_TAG__COMMENT:
    case MyHTML_TAG__DOCTYPE:
    case MyHTML_TAG_SCRIPT:
    case MyHTML_TAG_STYLE:
    case MyHTML_TAG_TEMPLATE:
    case MyHTML_TAG_NOSCRIPT:
    case MyHTML_TAG_HEAD:
    case MyHTML_TAG_IFRAME:
    case MyHTML_TAG_NOEMBED:
    case MyHTML_TAG_NOFRAMES:
    case MyHTML_TAG_SVG:
    case MyHTML_TAG_MATH:
    case MyHTML_TAG_OBJECT: return true;
    default: return false;
    }
}

/* Elements that flow inside a line; every other (and <br>) breaks it. */
static bool is_inline(myhtml_tag_id_t tag)
{
    switch (tag) {
    case MyHTML_TAG_A:
    case MyHTML_TAG_ABBR:
    case MyHTML_TAG_ACRONYM:
    case MyHTML_TAG_B:
    case MyHTML_TAG_BDI:
    case MyHTML_TAG_BDO:
    case MyHTML_TAG_BIG:
    case MyHTML_TAG_CITE:
    case MyHTML_TAG_CODE:
    case MyHTML_TAG_DFN:
    case MyHTML_TAG_EM:
    case MyHTML_TAG_FONT:
    case MyHTML_TAG_I:
    case MyHTML_TAG_IMG:
    case MyHTML_TAG_INS:
    case MyHTML_TAG_DEL:
    case MyHTML_TAG_KBD:
    case MyHTML_TAG_LABEL:
    case MyHTML_TAG_MARK:
    case MyHTML_TAG_NOBR:
    case MyHTML_TAG_Q:
    case MyHTML_TAG_RB:
    case MyHTML_TAG_RP:
    case MyHTML_TAG_RT:
    case MyHTML_TAG_RTC:
    case MyHTML_TAG_RUBY:
    case MyHTML_TAG_S:
    case MyHTML_TAG_SAMP:
    case MyHTML_TAG_SMALL:
    case MyHTML_TAG_SPAN:
    case MyHTML_TAG_STRIKE:
    case MyHTML_TAG_STRONG:
    case MyHTML_TAG_SUB:
    case MyHTML_TAG_SUP:
    case MyHTML_TAG_TIME:
    case MyHTML_TAG_TT:
    case MyHTML_TAG_U:
    case MyHTML_TAG_VAR:
    case MyHTML_TAG_WBR: return true;
    default: return tag > MyHTML_TAG_LAST_ENTRY; /* a custom element: inline, as in a browser */
    }
}

static bool is_main(myhtml_tag_id_t tag)
{
    return tag == MyHTML_TAG_ARTICLE || tag == MyHTML_TAG_MAIN;
}

/* ---------------------------------------------------------------- the walk */

typedef struct walk {
    nd_html_parser *p;
    bool main_only;
    bool pending_break;
    int in_main; /* article or main elements open */
} walk;

static size_t letters_of(const char *s, size_t n)
{
    size_t letters = 0;
    for (size_t i = 0; i < n; i++)
        letters += !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f');
    return letters;
}

static bool skipped_in_main_only(const walk *w, myhtml_tag_id_t tag)
{
    if (tag == MyHTML_TAG_NAV || tag == MyHTML_TAG_ASIDE || tag == MyHTML_TAG_FORM)
        return true;
    return (tag == MyHTML_TAG_HEADER || tag == MyHTML_TAG_FOOTER) && w->in_main == 0;
}

static int add_text(walk *w, myhtml_tree_node_t *node)
{
    nd_html_parser *p = w->p;
    size_t len;
    const char *text = myhtml_node_text(node, &len);
    const myhtml_position_t at = myhtml_node_raw_position(node);
    if (!text || len == 0)
        return 0;
    if (ND_GROW(p->pieces, p->pieces_cap, p->n_pieces + 1) < 0)
        return ND_ENOMEM;
    /* MyHTML gives a text it added to (after a stray end tag, or past </body>) no span */
    const size_t begin = at.length > 0 ? at.begin : NO_PLACE;
    p->pieces[p->n_pieces] =
        (text_piece){text, len, begin, at.length, p->n_pieces, 0, w->pending_break};
    p->n_pieces++;
    w->pending_break = false;
    if (p->n_frames > 0)
        p->frames[p->n_frames - 1].letters += letters_of(text, len);
    return 0;
}

/* Enters node: false when its children are not to be walked. */
static int enter(walk *w, myhtml_tree_node_t *node, bool *descend)
{
    nd_html_parser *p = w->p;
    const myhtml_tag_id_t tag = myhtml_node_tag_id(node);
    *descend = false;
    if (tag == MyHTML_TAG__TEXT)
        return add_text(w, node);
    if (is_dropped(tag) || (w->main_only && skipped_in_main_only(w, tag)))
        return 0;
    if (!is_inline(tag))
        w->pending_break = true;
    if (ND_GROW(p->frames, p->frames_cap, p->n_frames + 1) < 0)
        return ND_ENOMEM;
    p->frames[p->n_frames++] = (element_frame){tag, p->n_pieces, 0, 0};
    w->in_main += is_main(tag);
    *descend = true;
    return 0;
}

static void leave(walk *w)
{
    nd_html_parser *p = w->p;
    const element_frame f = p->frames[--p->n_frames];
    w->in_main -= is_main(f.tag);
    if (!is_inline(f.tag))
        w->pending_break = true;
    const bool mostly_links = f.link_letters * 2 > f.letters;
    if (w->main_only && w->in_main == 0 && !is_inline(f.tag) && !is_main(f.tag) &&
        f.tag != MyHTML_TAG_BODY && f.tag != MyHTML_TAG_HTML && mostly_links) {
        p->n_pieces = f.first_piece; /* a menu or a list of links */
        return;
    }
    if (p->n_frames > 0) {
        element_frame *parent = &p->frames[p->n_frames - 1];
        parent->letters += f.letters;
        parent->link_letters += f.tag == MyHTML_TAG_A ? f.letters : f.link_letters;
    }
}

static int walk_tree(walk *w, myhtml_tree_node_t *root)
{
    myhtml_tree_node_t *n = myhtml_node_child(root);
    while (n) {
        bool descend;
        const int rc = enter(w, n, &descend);
        if (rc < 0)
            return rc;
        myhtml_tree_node_t *child = descend ? myhtml_node_child(n) : NULL;
        if (child) {
            n = child;
            continue;
        }
        if (descend)
            leave(w);
        while (n && !myhtml_node_next(n)) {
            n = myhtml_node_parent(n);
            if (!n || n == root)
                return 0;
            leave(w);
        }
        n = n ? myhtml_node_next(n) : NULL;
    }
    return 0;
}

/* ---------------------------------------------------------------- page order */

static int by_place(const void *a, const void *b)
{
    const text_piece *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Puts the pieces in page order, and drops any that overlaps the one before. */
static void order_pieces(nd_html_parser *p)
{
    bool sorted = true;
    for (size_t i = 1; i < p->n_pieces && sorted; i++)
        sorted = p->pieces[i - 1].begin <= p->pieces[i].begin;
    if (!sorted) {
        qsort(p->pieces, p->n_pieces, sizeof(*p->pieces), by_place);
        for (size_t i = 1; i < p->n_pieces; i++)
            if (p->pieces[i].order != p->pieces[i - 1].order + 1)
                p->pieces[i].break_before = true;
    }
    size_t kept = 0, end = 0;
    for (size_t i = 0; i < p->n_pieces; i++) {
        if (p->pieces[i].begin < end)
            continue;
        end = p->pieces[i].begin + p->pieces[i].len;
        p->pieces[kept++] = p->pieces[i];
    }
    p->n_pieces = kept;
}

/* ---------------------------------------------------------------- alignment */

typedef struct text_out {
    unsigned char **bytes;
    size_t *cap, len;
    nd_offset_map *map;
} text_out;

/* Appends n bytes of text made from page bytes [orig, orig + orig_len): a copy of them
 * when copy, else one atom (with o NULL, an alignment only measures how far it goes). */
static int put_text(text_out *o, const char *s, size_t n, size_t orig, size_t orig_len, bool copy)
{
    if (!o)
        return 0;
    if (ND_GROW(*o->bytes, *o->cap, o->len + n + 1) < 0)
        return ND_ENOMEM;
    memcpy(*o->bytes + o->len, s, n);
    o->len += n;
    return copy ? nd_map_copy(o->map, (uint32_t)orig, (uint32_t)n, 0)
                : nd_map_atom(o->map, (uint32_t)orig, (uint32_t)orig_len, (uint32_t)n, 0);
}

static int put_copy(text_out *o, const char *s, size_t n, size_t orig)
{
    return put_text(o, s, n, orig, n, true);
}

static int put_atom(text_out *o, const char *s, size_t n, size_t orig, size_t orig_len)
{
    return put_text(o, s, n, orig, orig_len, false);
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static size_t utf8_char_len(const char *s, size_t n)
{
    const unsigned char c = (unsigned char)s[0];
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return len < n ? len : n;
}

/* How far raw and dec agree from their starts: the bytes equal before the next byte
 * the parser may have changed ('&', CR, NUL, '<') or 16 of them, AGREE_ALL when both end
 * there, or -1 when they differ. */
#define AGREE_ALL 1000
static int agreement(const char *raw, size_t raw_len, const char *dec, size_t dec_len)
{
    for (size_t i = 0; i < 16; i++) {
        if (i == raw_len || i == dec_len)
            return i == raw_len && i == dec_len ? AGREE_ALL : i == dec_len ? (int)i : -1;
        if (raw[i] == '&' || raw[i] == '\r' || raw[i] == '\0' || raw[i] == '<')
            return (int)i;
        if (raw[i] != dec[i])
            return -1;
    }
    return 16;
}

/* At a '&' of raw: how many bytes of raw a character reference takes and how many of
 * dec it became; false when it is a '&' as it is. Of the names the reference may end
 * at (legacy ones need no ';': "&copy2024" is the copyright sign then 2024), the one
 * after which raw and dec agree the longest; of equals, the longer name. */
static bool reference_at(const char *raw, size_t raw_len, const char *dec, size_t dec_len,
                         size_t *raw_used, size_t *dec_used)
{
    size_t name = 1;
    while (name < raw_len &&
           (is_name_char((unsigned char)raw[name]) || (name == 1 && raw[name] == '#')))
        name++;
    const bool semicolon = name < raw_len && raw[name] == ';';
    if (dec[0] == '&' && agreement(raw + 1, raw_len - 1, dec + 1, dec_len - 1) > 0)
        return false; /* not a reference */
    const size_t one = utf8_char_len(dec, dec_len);
    const size_t two = one < dec_len ? one + utf8_char_len(dec + one, dec_len - one) : one;
    int best = -1;
    for (size_t end = name + semicolon; end >= 2; end--) {
        for (size_t made = one; made <= two; made += two > one ? two - one : 1) {
            const int a = agreement(raw + end, raw_len - end, dec + made, dec_len - made);
            if (a > best) {
                best = a;
                *raw_used = end, *dec_used = made;
            }
        }
    }
    return best >= 0;
}

/* A tag the parser read and dropped inside a text it joined (a stray end tag): its
 * length from the '<' at raw, or 0 when there is none. */
static size_t swallowed_tag(const char *raw, size_t raw_len)
{
    if (raw_len < 3 || raw[0] != '<' || !(raw[1] == '/' || is_alpha((unsigned char)raw[1])))
        return 0;
    const char *gt = memchr(raw, '>', raw_len);
    return gt ? (size_t)(gt - raw) + 1 : 0;
}

/* The text of a piece, aligned with its span of the page. */
static int align_piece(text_out *o, const unsigned char *page, const text_piece *t,
                       size_t *raw_used_all)
{
    const char *raw = (const char *)page + t->begin, *dec = t->text;
    const size_t raw_len = t->len, dec_len = t->text_len;
    size_t i = 0, j = t->lead;
    int rc = j > 0 ? put_atom(o, dec, j, t->begin, 0) : 0;
    while (j < dec_len && rc == 0) {
        size_t run = 0;
        while (i + run < raw_len && j + run < dec_len && raw[i + run] == dec[j + run] &&
               raw[i + run] != '&' && raw[i + run] != '\r')
            run++;
        if (run > 0) {
            rc = put_copy(o, dec + j, run, t->begin + i);
            i += run, j += run;
            continue;
        }
        size_t raw_used = 0, dec_used = 0;
        const size_t tag = i < raw_len && dec[j] != '<' ? swallowed_tag(raw + i, raw_len - i) : 0;
        if (tag > 0) {
            i += tag; /* bytes of no text */
            continue;
        }
        if (i < raw_len && raw[i] == '\r' && dec[j] == '\n')
            raw_used = i + 1 < raw_len && raw[i + 1] == '\n' ? 2 : 1, dec_used = 1;
        else if (i < raw_len && raw[i] == '&' &&
                 !reference_at(raw + i, raw_len - i, dec + j, dec_len - j, &raw_used, &dec_used))
            raw_used = dec_used = 1; /* '&' as it is */
        else if (i < raw_len && raw[i] == '\0')
            raw_used = 1, dec_used = utf8_char_len(dec + j, dec_len - j);
        if (raw_used == 0) { /* lost: the rest of the text is one atom of the rest */
            rc = put_atom(o, dec + j, dec_len - j, t->begin + i, raw_len - i);
            i = raw_len;
            break;
        }
        rc = raw_used == dec_used && raw[i] == dec[j]
                 ? put_copy(o, dec + j, dec_used, t->begin + i)
                 : put_atom(o, dec + j, dec_used, t->begin + i, raw_used);
        i += raw_used, j += dec_used;
    }
    *raw_used_all = i;
    return rc;
}

/* Whether offset at of the page is in text: the nearest '<' or '>' before it is a '>'. */
static bool in_text(const unsigned char *page, size_t at, size_t from)
{
    while (at > from && page[at - 1] != '<' && page[at - 1] != '>')
        at--;
    return at == from || page[at - 1] == '>';
}

/* The next place from `from` on where the n bytes of key stand in text, or NULL. */
static const unsigned char *find_in_text(const unsigned char *page, size_t len, size_t from,
                                         const char *key, size_t n)
{
    for (size_t at = from; at + n <= len;) {
        const unsigned char *hit = memmem(page + at, len - at, key, n);
        if (!hit || in_text(page, (size_t)(hit - page), from))
            return hit;
        at = (size_t)(hit - page) + 1;
    }
    return NULL;
}

/* The first word of text (at most 16 bytes of it) that holds no byte the parser may
 * have changed: its length, and at *at where it starts (0 and the end when none). */
static size_t first_plain_word(const char *text, size_t len, size_t *at)
{
    for (size_t i = 0; i < len;) {
        while (i < len && strchr(" \t\r\n\f", text[i]))
            i++;
        size_t n = 0;
        bool plain = true;
        for (; i + n < len && !strchr(" \t\r\n\f", text[i + n]); n++)
            plain &= text[i + n] != '&' && text[i + n] != '<' && text[i + n] != '\0';
        if (plain && n > 0) {
            *at = i;
            return n < 16 ? n : 16;
        }
        i += n;
    }
    *at = len;
    return 0;
}

/* Finds the span of each joined text: from where its first plain word (a tag the parser
 * dropped may follow it; what comes before it is text of no bytes there) is next in the
 * page's text after the text before it, as far as its text aligns (before the next text
 * placed). Not found, it is all text of no bytes there. */
static void place_joined(nd_html_parser *p, const unsigned char *page, size_t page_len)
{
    size_t after = 0;
    for (size_t i = 0; i < p->n_pieces; i++) {
        text_piece *t = &p->pieces[i];
        if (t->begin != NO_PLACE) {
            after = t->begin + t->len > after ? t->begin + t->len : after;
            continue;
        }
        size_t key = first_plain_word(t->text, t->text_len, &t->lead);
        const unsigned char *at =
            key ? find_in_text(page, page_len, after, t->text + t->lead, key) : NULL;
        size_t end = page_len;
        for (size_t k = i + 1; k < p->n_pieces && at; k++)
            if (p->pieces[k].begin != NO_PLACE && p->pieces[k].begin > (size_t)(at - page)) {
                end = p->pieces[k].begin;
                break;
            }
        t->begin = at ? (size_t)(at - page) : after;
        t->len = at ? end - t->begin : 0;
        size_t used = 0;
        if (t->len > 0) /* the span: as far as its text goes */
            align_piece(NULL, page, t, &used);
        t->len = used;
        after = t->begin + t->len;
    }
}

int nd_html_to_text(nd_html_parser *p, const unsigned char *html, size_t len, bool main_only,
                    unsigned char **out, size_t *cap, size_t *out_len, nd_offset_map *map)
{
    nd_map_clear(map);
    *out_len = 0;
    p->n_pieces = p->n_frames = 0;
    if (!p->open && !(p->open = malloc(sizeof(*p->open))))
        return ND_ENOMEM;
    if (blank_deep_tags(html, len, NULL, p->open)) {
        if (ND_GROW(p->flat, p->flat_cap, len + 1) < 0)
            return ND_ENOMEM;
        memcpy(p->flat, html, len);
        blank_deep_tags(html, len, p->flat, p->open);
        html = p->flat;
    }
    if (myhtml_parse(p->tree, MyENCODING_UTF_8, (const char *)html, len) != MyHTML_STATUS_OK)
        return ND_EFORMAT;
    walk w = {p, main_only, false, 0};
    int rc = walk_tree(&w, myhtml_tree_get_document(p->tree));
    if (rc < 0)
        return rc;
    place_joined(p, html, len);
    order_pieces(p);
    text_out o = {out, cap, 0, map};
    size_t used;
    for (size_t i = 0; i < p->n_pieces && rc == 0; i++) {
        if (p->pieces[i].break_before && o.len > 0)
            rc = put_atom(&o, "\n", 1, p->pieces[i].begin, 0);
        if (rc == 0)
            rc = align_piece(&o, html, &p->pieces[i], &used);
    }
    if (rc == 0 && ND_GROW(*out, *cap, o.len + 1) < 0)
        rc = ND_ENOMEM;
    *out_len = o.len;
    return rc;
}
