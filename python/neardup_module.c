/*
 * neardup_module.c: the Python module, `import neardup`, over the library's public API.
 *
 *   neardup.find(docs, threshold=0.8, passages=False, ...) -> dict
 *
 * docs is an iterable of (id, text) pairs, text a str or bytes. The pipeline runs with
 * the GIL released; what comes back is plain Python objects: lists of dicts. Offsets
 * are given in bytes of the text's UTF-8 (as in the CSV) and in code points, so that
 * text[a_char_start:a_char_end] is the passage when text is a str. Warnings about
 * documents become Python warnings (RuntimeWarning) once the run is over; a bad option
 * raises ValueError, a bad document TypeError, a failed run RuntimeError or MemoryError.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "neardup.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- options */

typedef enum { FIELD_INT, FIELD_REAL, FIELD_U64, FIELD_FLAG, FIELD_WORD } field_kind;

typedef struct word_value {
    const char *word;
    int value;
} word_value;

/* A keyword argument of find(): its name, the field of nd_options it sets and, for the
 * numeric ones, the name in the library's option table that gives its range. */
typedef struct option_field {
    const char *name;
    field_kind kind;
    size_t offset;
    const char *table_name;
    const word_value *words; /* FIELD_WORD: the words and their values, ended by NULL */
} option_field;

static const word_value normalize_words[] = {{"full", ND_NORMALIZE_FULL},
                                             {"basic", ND_NORMALIZE_BASIC},
                                             {"none", ND_NORMALIZE_NONE},
                                             {NULL, 0}};
static const word_value engine_words[] = {
    {"fast", ND_ENGINE_FAST}, {"icu", ND_ENGINE_ICU}, {NULL, 0}};
static const word_value unit_words[] = {{"word", ND_UNIT_WORD}, {"char", ND_UNIT_CHAR}, {NULL, 0}};
static const word_value verify_words[] = {
    {"exact", ND_VERIFY_EXACT}, {"estimate", ND_VERIFY_ESTIMATE}, {NULL, 0}};
static const word_value keep_words[] = {
    {"first", ND_KEEP_FIRST}, {"longest", ND_KEEP_LONGEST}, {NULL, 0}};
static const word_value html_words[] = {
    {"auto", ND_HTML_AUTO}, {"text", ND_HTML_TEXT}, {"off", ND_HTML_OFF}, {NULL, 0}};

#define FIELD(name, kind, field, table)                                                            \
    {                                                                                              \
        name, kind, offsetof(nd_options, field), table, NULL                                       \
    }
static const option_field fields[] = {
    FIELD("threshold", FIELD_REAL, threshold, "threshold"),
    FIELD("shingle", FIELD_INT, shingle_k, "shingle"),
    FIELD("char_ngram", FIELD_INT, char_ngram, "char-ngram"),
    FIELD("num_perm", FIELD_INT, num_perm, "num-perm"),
    FIELD("seed", FIELD_U64, seed, "seed"),
    FIELD("bands", FIELD_INT, bands, "bands"),
    FIELD("rows", FIELD_INT, rows, "rows"),
    FIELD("max_gap", FIELD_INT, max_gap, "max-gap"),
    FIELD("min_passage", FIELD_INT, min_passage, "min-passage"),
    FIELD("max_df", FIELD_INT, max_df, "max-df"),
    FIELD("threads", FIELD_INT, threads, "threads"),
    FIELD("memory", FIELD_U64, memory, "memory"),
    FIELD("passages", FIELD_FLAG, passages, NULL),
    FIELD("all_pairs", FIELD_FLAG, all_pairs, NULL),
    FIELD("strict", FIELD_FLAG, strict, NULL),
    FIELD("html_main", FIELD_FLAG, html_main, NULL),
    {"normalize", FIELD_WORD, offsetof(nd_options, normalize), NULL, normalize_words},
    {"engine", FIELD_WORD, offsetof(nd_options, engine), NULL, engine_words},
    {"shingle_unit", FIELD_WORD, offsetof(nd_options, shingle_unit), NULL, unit_words},
    {"verify", FIELD_WORD, offsetof(nd_options, verify), NULL, verify_words},
    {"keep", FIELD_WORD, offsetof(nd_options, keep), NULL, keep_words},
    {"html", FIELD_WORD, offsetof(nd_options, html), NULL, html_words},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const option_field *find_field(const char *name)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* Raises ValueError saying what a numeric option must be. */
static int range_error(const option_field *f)
{
    const nd_option_info *info = nd_option_find(f->table_name);
    char range[128] = "in its range";
    if (info && isinf(info->max))
        snprintf(range, sizeof(range), "from %.10g%s", info->min,
                 info->min_excluded ? " (excluded)" : "");
    else if (info)
        snprintf(range, sizeof(range), "from %.10g%s to %.10g", info->min,
                 info->min_excluded ? " (excluded)" : "", info->max);
    PyErr_Format(PyExc_ValueError, "%s must be %s %s", f->name,
                 f->kind == FIELD_REAL ? "a number" : "a whole number", range);
    return -1;
}

static int set_word(nd_options *o, const option_field *f, PyObject *value)
{
    const char *word = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;
    for (const word_value *w = f->words; word && w->word; w++) {
        if (strcmp(w->word, word) == 0) {
            memcpy((char *)o + f->offset, &w->value, sizeof(int));
            return 0;
        }
    }
    PyErr_Clear();
    PyObject *choices = PyUnicode_FromString("");
    for (const word_value *w = f->words; choices && w->word; w++)
        Py_SETREF(choices,
                  PyUnicode_FromFormat("%U%s'%s'", choices, w == f->words ? "" : ", ", w->word));
    if (choices)
        PyErr_Format(PyExc_ValueError, "%s must be one of %U", f->name, choices);
    Py_XDECREF(choices);
    return -1;
}

static int set_number(nd_options *o, const option_field *f, PyObject *value)
{
    char *at = (char *)o + f->offset;
    if (f->kind == FIELD_FLAG) {
        const int flag = PyObject_IsTrue(value);
        if (flag < 0)
            return -1;
        memcpy(at, &flag, sizeof(flag));
        return 0;
    }
    const nd_option_info *info = nd_option_find(f->table_name);
    if (f->kind == FIELD_REAL) {
        const double number = PyFloat_AsDouble(value);
        if (number == -1.0 && PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "%s must be a number", f->name);
            return -1;
        }
        if (info && !nd_option_in_range(info, number))
            return range_error(f);
        memcpy(at, &number, sizeof(number));
        return 0;
    }
    if (!PyLong_Check(value) || PyBool_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be a whole number", f->name);
        return -1;
    }
    const unsigned long long whole = PyLong_AsUnsignedLongLong(value);
    if (whole == (unsigned long long)-1 && PyErr_Occurred()) { /* negative or too large */
        PyErr_Clear();
        return range_error(f);
    }
    if (info && !nd_option_in_range(info, (double)whole))
        return range_error(f);
    if (f->kind == FIELD_U64) {
        const uint64_t u = whole;
        memcpy(at, &u, sizeof(u));
    } else {
        const int i = (int)whole; /* the option table's ranges fit an int */
        memcpy(at, &i, sizeof(i));
    }
    return 0;
}

/* The options of find()'s keyword arguments, checked by the library. */
static int options_from(PyObject *kwargs, nd_options *o)
{
    *o = (nd_options)ND_OPTIONS_INIT;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (kwargs && PyDict_Next(kwargs, &pos, &key, &value)) {
        const char *name = PyUnicode_AsUTF8(key);
        const option_field *f = name ? find_field(name) : NULL;
        if (!f) {
            PyErr_Format(PyExc_TypeError, "find() got an unexpected keyword argument '%U'", key);
            return -1;
        }
        if ((f->kind == FIELD_WORD ? set_word(o, f, value) : set_number(o, f, value)) < 0)
            return -1;
    }
    const char *why = NULL;
    if (nd_options_check(o, &why) != 0) {
        PyErr_Format(PyExc_ValueError, "invalid options: %s", why ? why : "?");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- documents */

/* The documents' UTF-8 bytes, kept to count code points for the offsets, and for the
 * documents that passages name, the code points before every CP_STEP-th byte. */
#define CP_STEP 256

typedef struct doc_texts {
    PyObject **bytes;      /* a bytes object per document */
    Py_ssize_t **cp_index; /* per document, made when first asked (NULL until then) */
    size_t n, cap;
} doc_texts;

static void texts_dispose(doc_texts *t)
{
    for (size_t i = 0; i < t->n; i++) {
        Py_DECREF(t->bytes[i]);
        if (t->cp_index)
            PyMem_Free(t->cp_index[i]);
    }
    PyMem_Free(t->bytes);
    PyMem_Free(t->cp_index);
}

/* The UTF-8 bytes of a str, or the bytes object itself (a new reference), or NULL with
 * TypeError. */
static PyObject *text_bytes(PyObject *text, Py_ssize_t i)
{
    if (PyBytes_Check(text)) {
        Py_INCREF(text);
        return text;
    }
    if (PyUnicode_Check(text))
        return PyUnicode_AsUTF8String(text);
    PyErr_Format(PyExc_TypeError, "document %zd: the text must be str or bytes, not %.100s", i,
                 Py_TYPE(text)->tp_name);
    return NULL;
}

static int add_document(nd_corpus *c, doc_texts *t, PyObject *item, Py_ssize_t i)
{
    PyObject *id_obj = NULL, *text_obj = NULL;
    if (!PyTuple_Check(item) && !PyList_Check(item)) {
        PyErr_Format(PyExc_TypeError, "document %zd: expected an (id, text) pair, not %.100s", i,
                     Py_TYPE(item)->tp_name);
        return -1;
    }
    if (PySequence_Size(item) != 2) {
        PyErr_Format(PyExc_TypeError, "document %zd: expected an (id, text) pair", i);
        return -1;
    }
    id_obj = PySequence_GetItem(item, 0);
    text_obj = PySequence_GetItem(item, 1);
    PyObject *id_str = id_obj ? PyObject_Str(id_obj) : NULL;
    const char *id = id_str ? PyUnicode_AsUTF8(id_str) : NULL;
    PyObject *bytes = id && text_obj ? text_bytes(text_obj, i) : NULL;
    int rc = bytes ? 0 : -1;
    if (rc == 0 && t->n == t->cap) {
        const size_t cap = t->cap ? 2 * t->cap : 64;
        PyObject **grown = PyMem_Realloc(t->bytes, cap * sizeof(*grown));
        if (!grown) {
            PyErr_NoMemory();
            rc = -1;
        } else {
            t->bytes = grown;
            t->cap = cap;
        }
    }
    if (rc == 0 && nd_corpus_add_memory(c, id, PyBytes_AS_STRING(bytes),
                                        (size_t)PyBytes_GET_SIZE(bytes)) != 0) {
        PyErr_NoMemory();
        rc = -1;
    }
    if (rc == 0)
        t->bytes[t->n++] = bytes;
    else
        Py_XDECREF(bytes);
    Py_XDECREF(id_str);
    Py_XDECREF(id_obj);
    Py_XDECREF(text_obj);
    return rc;
}

static int add_documents(nd_corpus *c, doc_texts *t, PyObject *docs)
{
    PyObject *it = PyObject_GetIter(docs);
    if (!it)
        return -1;
    PyObject *item;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && (item = PyIter_Next(it)) != NULL; i++) {
        rc = add_document(c, t, item, i);
        Py_DECREF(item);
    }
    Py_DECREF(it);
    return rc == 0 && PyErr_Occurred() ? -1 : rc;
}

/* ---------------------------------------------------------------- diagnostics */

/* The warnings and errors of a run, gathered while the GIL is released. */
typedef struct diag_list {
    char **lines;
    size_t n, cap;
} diag_list;

static void gather_diag(const nd_diag *d, void *payload)
{
    diag_list *l = payload;
    if (d->level == ND_DIAG_NOTE)
        return; /* what the run decided, not a fault */
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 16;
        char **grown = realloc(l->lines, cap * sizeof(*grown));
        if (!grown)
            return;
        l->lines = grown;
        l->cap = cap;
    }
    const size_t len = strlen(d->path) + strlen(d->message) + 48;
    char *line = malloc(len);
    if (!line)
        return;
    if (d->offset >= 0)
        snprintf(line, len, "%s:%lld: %s", d->path, (long long)d->offset, d->message);
    else
        snprintf(line, len, "%s: %s", d->path, d->message);
    l->lines[l->n++] = line;
}

static void diags_dispose(diag_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    free(l->lines);
    *l = (diag_list){0};
}

/* Issues the gathered lines as RuntimeWarnings; -1 when a warning filter raised. */
static int issue_warnings(diag_list *l)
{
    int rc = 0;
    for (size_t i = 0; i < l->n && rc == 0; i++)
        rc = PyErr_WarnEx(PyExc_RuntimeWarning, l->lines[i], 1) < 0 ? -1 : 0;
    diags_dispose(l);
    return rc;
}

/* ---------------------------------------------------------------- results */

/* The bytes of [from, to) that do not continue a UTF-8 sequence: its code points for a
 * str's UTF-8 (always valid). Bytes given with invalid UTF-8 have no str to index; a
 * stray continuation byte there is not counted (the CSV counts it as one). */
static Py_ssize_t starts_in(const unsigned char *s, size_t from, size_t to)
{
    Py_ssize_t n = 0;
    for (size_t i = from; i < to; i++)
        n += (s[i] & 0xC0) != 0x80;
    return n;
}

/* Code points in the first `at` bytes of doc's text: from its index, made on first use
 * (a document with many passages is walked once, not once per passage). */
static Py_ssize_t code_points(doc_texts *t, uint32_t doc, uint64_t at)
{
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(t->bytes[doc]);
    const size_t len = (size_t)PyBytes_GET_SIZE(t->bytes[doc]);
    if (!t->cp_index)
        t->cp_index = PyMem_Calloc(t->n ? t->n : 1, sizeof(*t->cp_index));
    Py_ssize_t *index = t->cp_index ? t->cp_index[doc] : NULL;
    if (t->cp_index && !index && (index = PyMem_Malloc((len / CP_STEP + 1) * sizeof(*index)))) {
        index[0] = 0;
        for (size_t k = 1; k <= len / CP_STEP; k++)
            index[k] = index[k - 1] + starts_in(s, (k - 1) * CP_STEP, k * CP_STEP);
        t->cp_index[doc] = index;
    }
    if (!index) /* (no memory for the index: counted from the start) */
        return starts_in(s, 0, at);
    return index[at / CP_STEP] + starts_in(s, at / CP_STEP * CP_STEP, at);
}

/* Appends a new dict made by Py_BuildValue(format, ...) to list; -1 on failure. */
static int append_built(PyObject *list, PyObject *dict)
{
    if (!dict)
        return -1;
    const int rc = PyList_Append(list, dict);
    Py_DECREF(dict);
    return rc;
}

static PyObject *pairs_list(const nd_result *r, const nd_corpus *c)
{
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < nd_result_n_pairs(r); i++) {
        const nd_pair *p = nd_result_pair(r, i);
        if (append_built(list, Py_BuildValue("{s:s,s:s,s:d,s:d,s:I,s:I}", "doc_a",
                                             nd_corpus_doc_id(c, p->doc_a), "doc_b",
                                             nd_corpus_doc_id(c, p->doc_b), "jaccard", p->jaccard,
                                             "jaccard_est", p->jaccard_est, "shared", p->shared,
                                             "cluster", p->cluster)) < 0)
            Py_CLEAR(list);
    }
    return list;
}

/* One dict per cluster: its number, the kept document, and its members in input order,
 * each with its Jaccard to the kept one. */
static PyObject *clusters_list(const nd_result *r, const nd_corpus *c)
{
    PyObject *list = PyList_New(0), *members = NULL;
    for (size_t i = 0; list && i < nd_result_n_members(r); i++) {
        const nd_member *m = nd_result_member(r, i);
        if (i == 0 || nd_result_member(r, i - 1)->cluster != m->cluster) {
            members = PyList_New(0);
            if (append_built(list, Py_BuildValue("{s:I,s:s,s:I,s:N}", "cluster", m->cluster, "kept",
                                                 nd_corpus_doc_id(c, m->kept_doc), "size", m->size,
                                                 "members", members)) < 0) {
                Py_CLEAR(list);
                break;
            }
        }
        if (append_built(members, Py_BuildValue("(sd)", nd_corpus_doc_id(c, m->doc),
                                                nd_result_member_jaccard(r, i))) < 0)
            Py_CLEAR(list);
    }
    return list;
}

static PyObject *passage_dict(const nd_passage *p, const nd_corpus *c, doc_texts *t)
{
    return Py_BuildValue(
        "{s:s,s:K,s:K,s:s,s:K,s:K,s:n,s:n,s:n,s:n,s:I,s:I,s:d}", "doc_a",
        nd_corpus_doc_id(c, p->doc_a), "a_start", (unsigned long long)p->a_start, "a_end",
        (unsigned long long)p->a_end, "doc_b", nd_corpus_doc_id(c, p->doc_b), "b_start",
        (unsigned long long)p->b_start, "b_end", (unsigned long long)p->b_end, "a_char_start",
        code_points(t, p->doc_a, p->a_start), "a_char_end", code_points(t, p->doc_a, p->a_end),
        "b_char_start", code_points(t, p->doc_b, p->b_start), "b_char_end",
        code_points(t, p->doc_b, p->b_end), "words_a", p->words_a, "words_b", p->words_b, "score",
        p->score);
}

static PyObject *passages_list(const nd_result *r, const nd_corpus *c, doc_texts *t)
{
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < nd_result_n_passages(r); i++)
        if (append_built(list, passage_dict(nd_result_passage(r, i), c, t)) < 0)
            Py_CLEAR(list);
    return list;
}

static PyObject *stats_dict(const nd_result *r)
{
    const nd_stats *s = nd_result_stats(r);
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K}", "documents", (unsigned long long)s->n_docs,
        "bytes", (unsigned long long)s->n_bytes, "words", (unsigned long long)s->n_tokens, "empty",
        (unsigned long long)s->n_empty, "skipped", (unsigned long long)s->n_skipped,
        "candidate_pairs", (unsigned long long)s->n_candidates, "pairs",
        (unsigned long long)s->n_pairs, "clusters", (unsigned long long)s->n_clusters, "duplicates",
        (unsigned long long)s->n_duplicates, "passages", (unsigned long long)s->n_passages);
}

static PyObject *result_dict(const nd_result *r, const nd_corpus *c, doc_texts *t)
{
    PyObject *pairs = pairs_list(r, c);
    PyObject *clusters = pairs ? clusters_list(r, c) : NULL;
    PyObject *passages = clusters ? passages_list(r, c, t) : NULL;
    PyObject *stats = passages ? stats_dict(r) : NULL;
    if (!stats) {
        Py_XDECREF(pairs);
        Py_XDECREF(clusters);
        Py_XDECREF(passages);
        return NULL;
    }
    return Py_BuildValue("{s:N,s:N,s:N,s:N}", "pairs", pairs, "clusters", clusters, "passages",
                         passages, "stats", stats);
}

/* A corpus of docs, its messages gathered in diags; NULL with an exception set. */
static nd_corpus *corpus_of(PyObject *docs, const nd_options *o, diag_list *diags, doc_texts *texts)
{
    nd_corpus *c = NULL;
    if (nd_corpus_new(&c, o) != 0) {
        PyErr_NoMemory();
        return NULL;
    }
    nd_corpus_set_diag(c, gather_diag, diags);
    if (add_documents(c, texts, docs) == 0)
        return c;
    nd_corpus_free(c);
    return NULL;
}

/* ---------------------------------------------------------------- find */

static PyObject *raise_for(int rc)
{
    if (rc == ND_ENOMEM)
        return PyErr_NoMemory();
    PyErr_Format(PyExc_RuntimeError, "neardup: %s", nd_strerror(rc));
    return NULL;
}

static PyObject *find(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    PyObject *docs;
    if (!PyArg_ParseTuple(args, "O:find", &docs))
        return NULL;
    nd_options o;
    if (options_from(kwargs, &o) < 0)
        return NULL;
    diag_list diags = {0};
    doc_texts texts = {0};
    nd_corpus *c = corpus_of(docs, &o, &diags, &texts);
    PyObject *out = NULL;
    if (c) {
        nd_result *r = NULL;
        int rc;
        Py_BEGIN_ALLOW_THREADS rc = nd_corpus_run(c, &r);
        Py_END_ALLOW_THREADS const int warned = issue_warnings(&diags);
        if (warned == 0 && rc != 0)
            raise_for(rc);
        else if (warned == 0)
            out = result_dict(r, c, &texts);
        nd_result_free(r);
    }
    diags_dispose(&diags);
    texts_dispose(&texts);
    nd_corpus_free(c);
    return out;
}

PyDoc_STRVAR(find_doc,
             "find(docs, /, threshold=0.8, passages=False, **options) -> dict\n\n"
             "Finds the near-duplicate documents of docs, an iterable of (id, text) pairs\n"
             "(text: str or bytes), and with passages=True the passages they share.\n"
             "Returns {'pairs': [...], 'clusters': [...], 'passages': [...], 'stats': {...}}:\n"
             "pairs as dicts (doc_a, doc_b, jaccard, jaccard_est, shared, cluster); clusters\n"
             "as dicts (cluster, kept, size, members: [(id, jaccard to kept), ...]);\n"
             "passages as dicts with byte offsets (a_start, a_end, ...) and code-point\n"
             "offsets (a_char_start, ...: text[a_char_start:a_char_end] for a str).\n"
             "Options, as on the command line with '_' for '-': threshold, shingle,\n"
             "num_perm, seed, bands, rows, normalize ('full', 'basic', 'none'), engine,\n"
             "shingle_unit ('word', 'char'), char_ngram, verify, keep ('first',\n"
             "'longest'), all_pairs, max_gap, min_passage, max_df, strict, threads, memory.");

/* ---------------------------------------------------------------- Index */

typedef struct index_object {
    PyObject_HEAD nd_index *index;
    int writable;
} index_object;

static int index_init(index_object *self, PyObject *args, PyObject *kwargs)
{
    const char *path;
    int create = 0, write = 0;
    PyObject *rest = PyDict_New(), *key, *value;
    Py_ssize_t at = 0;
    if (!rest || !PyArg_ParseTuple(args, "s:Index", &path)) {
        Py_XDECREF(rest);
        return -1;
    }
    /* create and write are the Index's own; the others are options of find */
    while (kwargs && PyDict_Next(kwargs, &at, &key, &value)) {
        const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : "";
        if (!strcmp(name, "create"))
            create = PyObject_IsTrue(value);
        else if (!strcmp(name, "write"))
            write = PyObject_IsTrue(value);
        else if (PyDict_SetItem(rest, key, value) < 0)
            create = -1;
    }
    nd_options o;
    const int ok = create >= 0 && write >= 0 && options_from(rest, &o) == 0;
    Py_DECREF(rest);
    if (!ok)
        return -1;
    char why[512] = "";
    int rc = create ? nd_index_create(path, &o) : 0;
    if (rc == ND_EEXIST) {
        PyErr_Format(PyExc_FileExistsError, "%s exists already", path);
        return -1;
    }
    self->writable = create || write;
    if (rc == 0)
        rc = nd_index_open(&self->index, path, self->writable ? ND_INDEX_WRITE : ND_INDEX_READ, -1,
                           NULL, NULL, why, sizeof(why));
    if (rc < 0) {
        PyErr_Format(PyExc_RuntimeError, "neardup: %s", why[0] ? why : nd_strerror(rc));
        return -1;
    }
    return 0;
}

static void index_dealloc(index_object *self)
{
    nd_index_close(self->index);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int index_open(const index_object *self)
{
    if (self->index)
        return 0;
    PyErr_SetString(PyExc_ValueError, "the index is closed");
    return -1;
}

/* A verdict as a dict: id, verdict, added, and its matches (id, jaccard, archived). */
static PyObject *verdict_dict(const nd_index_result *r, const nd_corpus *c, size_t i, size_t *m)
{
    const nd_index_verdict *v = nd_index_result_verdict(r, i);
    static const char *const kinds[] = {"new", "duplicate", "error", "empty"};
    PyObject *matches = PyList_New(0);
    for (const nd_index_match *x; matches && (x = nd_index_result_match(r, *m)) && x->doc == i;
         ++*m) {
        PyObject *d = Py_BuildValue("{s:s,s:d,s:O}", "id", x->earlier_id, "jaccard", x->jaccard,
                                    "archived", x->archived ? Py_True : Py_False);
        if (append_built(matches, d) < 0)
            Py_CLEAR(matches);
    }
    if (!matches)
        return NULL;
    return Py_BuildValue("{s:s,s:s,s:O,s:N}", "id", nd_corpus_doc_id(c, (uint32_t)i), "verdict",
                         kinds[v->kind], "added", v->added ? Py_True : Py_False, "matches",
                         matches);
}

/* Feeds docs through the index: the verdicts as a list of dicts. */
static PyObject *index_feed(index_object *self, PyObject *docs, const nd_index_feed_options *fo)
{
    if (index_open(self) < 0)
        return NULL;
    diag_list diags = {0};
    doc_texts texts = {0};
    nd_corpus *c = corpus_of(docs, nd_index_options(self->index), &diags, &texts);
    PyObject *out = NULL;
    if (c) {
        nd_index_result *r = NULL;
        int rc;
        Py_BEGIN_ALLOW_THREADS rc = nd_index_feed(self->index, c, fo, &r);
        if (rc == 0 && fo->add != ND_INDEX_ADD_NONE)
            rc = nd_index_commit(self->index);
        Py_END_ALLOW_THREADS const int warned = issue_warnings(&diags);
        if (warned == 0 && rc != 0)
            raise_for(rc);
        else if (warned == 0)
            out = PyList_New(0);
        for (size_t i = 0, m = 0; out && i < nd_index_result_n_verdicts(r); i++)
            if (append_built(out, verdict_dict(r, c, i, &m)) < 0)
                Py_CLEAR(out);
        nd_index_result_free(r);
    }
    diags_dispose(&diags);
    texts_dispose(&texts);
    nd_corpus_free(c);
    return out;
}

static PyObject *index_add(index_object *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"docs", "query", "unique", "replace", NULL};
    PyObject *docs;
    int query = 1, unique = 0, replace = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|ppp:add", keywords, &docs, &query, &unique,
                                     &replace))
        return NULL;
    if (!self->writable) {
        PyErr_SetString(PyExc_ValueError, "open the index with write=True to add to it");
        return NULL;
    }
    const nd_index_feed_options fo = {
        .query = query, .add = unique ? ND_INDEX_ADD_UNIQUE : ND_INDEX_ADD_ALL, .replace = replace};
    return index_feed(self, docs, &fo);
}

static PyObject *index_query(index_object *self, PyObject *docs)
{
    const nd_index_feed_options fo = {.query = 1};
    return index_feed(self, docs, &fo);
}

static PyObject *index_stats(index_object *self, PyObject *unused)
{
    (void)unused;
    nd_index_info info;
    if (index_open(self) < 0)
        return NULL;
    const int rc = nd_index_get_info(self->index, &info);
    if (rc < 0)
        return raise_for(rc);
    return Py_BuildValue("{s:K,s:K,s:K,s:K}", "documents", (unsigned long long)info.n_docs, "bytes",
                         (unsigned long long)info.n_bytes, "file_bytes",
                         (unsigned long long)info.file_bytes, "band_keys",
                         (unsigned long long)info.n_band_keys);
}

static PyObject *index_remove(index_object *self, PyObject *ids_obj)
{
    PyObject *seq = index_open(self) == 0 ? PySequence_Fast(ids_obj, "ids: a sequence") : NULL;
    if (!seq)
        return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **ids = PyMem_Calloc((size_t)n + 1, sizeof(*ids));
    int ok = ids != NULL;
    for (Py_ssize_t i = 0; ok && i < n; i++)
        ok = (ids[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i))) != NULL;
    uint64_t removed = 0, unknown = 0;
    const int rc = ok ? nd_index_remove(self->index, ids, (size_t)n, &removed, &unknown) : 0;
    PyMem_Free(ids);
    Py_DECREF(seq);
    if (!ok)
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    return rc < 0 ? raise_for(rc) : PyLong_FromUnsignedLongLong(removed);
}

static PyObject *index_close(index_object *self, PyObject *unused)
{
    (void)unused;
    nd_index_close(self->index);
    self->index = NULL;
    Py_RETURN_NONE;
}

static PyMethodDef index_methods[] = {
    {"add", (PyCFunction)(void (*)(void))index_add, METH_VARARGS | METH_KEYWORDS,
     "add(docs, query=True, unique=False, replace=False) -> list of verdicts\n\n"
     "Compares each (id, text) of docs with the archive and the documents before it\n"
     "(query), adds it (unique: only those that match nothing; replace: an id already\n"
     "there is replaced, else it is an error), and commits. A verdict is a dict: id,\n"
     "verdict ('new', 'duplicate', 'empty', 'error'), added, matches [{id, jaccard,\n"
     "archived}]."},
    {"query", (PyCFunction)index_query, METH_O,
     "query(docs) -> list of verdicts: as add, without adding."},
    {"remove", (PyCFunction)index_remove, METH_O,
     "remove(ids) -> the number of documents removed."},
    {"stats", (PyCFunction)index_stats, METH_NOARGS,
     "stats() -> dict: documents, bytes, file_bytes, band_keys."},
    {"close", (PyCFunction)index_close, METH_NOARGS, "close(): what was not committed is dropped."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject index_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "neardup.Index",
    .tp_doc = "Index(path, create=False, write=False, **options)\n\n"
              "The feed index (one LMDB file). create=True makes it with the options of find\n"
              "(threshold, shingle, ...); write=True opens it to add (one writer at a time).",
    .tp_basicsize = sizeof(index_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)index_init,
    .tp_dealloc = (destructor)index_dealloc,
    .tp_methods = index_methods,
};

static PyMethodDef methods[] = {
    {"find", (PyCFunction)(void (*)(void))find, METH_VARARGS | METH_KEYWORDS, find_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "neardup",
    "Near-duplicate documents and the passages they share (libneardup).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit_neardup(void); /* (for -Wmissing-prototypes) */

PyMODINIT_FUNC PyInit_neardup(void)
{
    if (PyType_Ready(&index_type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddStringConstant(m, "__version__", nd_version()) < 0)
        Py_CLEAR(m);
    Py_INCREF(&index_type);
    if (m && PyModule_AddObject(m, "Index", (PyObject *)&index_type) < 0) {
        Py_DECREF(&index_type);
        Py_CLEAR(m);
    }
    return m;
}
