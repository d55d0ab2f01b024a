/*
 * jsonl.c: JSON lines, by a strict one-pass reader with jansson behind it.
 *
 * jansson validates the whole line: strict JSON, valid UTF-8, and no lone
 * surrogate escapes (\ud800), so what it hands back is well-formed UTF-8.
 * But it builds every object and string of the line, and on news dumps that
 * costs more than all of neardup's own stages. So a line is
 * first read by a small reader that validates as strictly, decodes only the
 * two values on the id and text paths and skips the rest without building
 * anything. Whatever it does not model exactly as jansson does (an
 * escape in a key, a key repeated on a path, a long or fractional number as
 * id, deep nesting) and every error go to jansson, which also words the
 * messages. The fuzz target checks that whenever the fast reader answers,
 * jansson gives the same answer.
 */
#define _POSIX_C_SOURCE 200809L
#include "input/jsonl.h"

#include "input/corpus.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value at a dotted path ("meta.id") inside obj, or NULL. */
static json_t *lookup(json_t *obj, const char *path)
{
    char key[256];
    while (obj && json_is_object(obj)) {
        const char *dot = strchr(path, '.');
        const size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        if (!dot)
            return obj;
        path = dot + 1;
    }
    return NULL;
}

/* A string id, whole: a NUL character in it (\u0000 in the line) is written \u0000,
 * where a C string would end. */
static char *string_id(json_t *v)
{
    const char *s = json_string_value(v);
    const size_t n = json_string_length(v);
    size_t nuls = 0;
    for (size_t i = 0; i < n; i++)
        nuls += s[i] == '\0';
    char *id = malloc(n + 5 * nuls + 1), *to = id;
    for (size_t i = 0; id && i < n; i++) {
        if (s[i]) {
            *to++ = s[i];
        } else {
            memcpy(to, "\\u0000", 6);
            to += 6;
        }
    }
    if (id)
        *to = '\0';
    return id;
}

/* The keys of obj, quoted and comma-separated, into buf ("..." past its room): what a
 * user who named the wrong --text-key needs to see. */
static void list_keys(json_t *obj, char *buf, size_t len)
{
    const char *key;
    json_t *value;
    size_t at = 0;
    buf[0] = '\0';
    json_object_foreach(obj, key, value)
    {
        (void)value;
        const int n = snprintf(buf + at, len - at, "%s\"%s\"", at ? ", " : "", key);
        if (n < 0 || (size_t)n >= len - at) {
            snprintf(buf + (at < len - 4 ? at : len - 4), 4, "...");
            return;
        }
        at += (size_t)n;
    }
}

static char *id_text(json_t *v)
{
    if (json_is_string(v))
        return string_id(v);
    if (json_is_integer(v) || json_is_real(v))
        return json_dumps(v, JSON_ENCODE_ANY);
    return NULL;
}

int nd_jsonl_parse_jansson(const unsigned char *line, size_t len, const char *id_key,
                           const char *text_key, unsigned char **text, size_t *text_cap,
                           size_t *text_len, char **id, char *why, size_t why_len)
{
    json_error_t err;
    json_t *root = json_loadb((const char *)line, len, JSON_ALLOW_NUL, &err);
    int rc = 0;
    if (!root) {
        snprintf(why, why_len, "not JSON: %s (column %d)", err.text, err.column);
        return ND_EFORMAT;
    }
    json_t *t = json_is_object(root) ? lookup(root, text_key) : NULL;
    if (!json_is_object(root)) {
        snprintf(why, why_len, "not a JSON object");
        rc = ND_EFORMAT;
    } else if (!t) {
        char keys[128];
        list_keys(root, keys, sizeof(keys));
        snprintf(why, why_len, "no \"%s\" key (its keys: %s)", text_key, *keys ? keys : "none");
        rc = ND_EFORMAT;
    } else if (!json_is_string(t)) {
        snprintf(why, why_len, "\"%s\" is not a string", text_key);
        rc = ND_EFORMAT;
    } else {
        const size_t n = json_string_length(t);
        if (nd_grow((void **)text, text_cap, n + 1, 1) < 0) {
            rc = ND_ENOMEM;
        } else {
            memcpy(*text, json_string_value(t), n);
            *text_len = n;
            if (id)
                *id = id_text(lookup(root, id_key));
        }
    }
    json_decref(root);
    return rc;
}

int nd_jsonl_parse(const unsigned char *line, size_t len, const char *id_key, const char *text_key,
                   unsigned char **text, size_t *text_cap, size_t *text_len, char **id, char *why,
                   size_t why_len)
{
    const int rc = nd_jsonl_parse_fast(line, len, id_key, text_key, text, text_cap, text_len, id);
    if (rc != ND_JSONL_DEFER)
        return rc;
    return nd_jsonl_parse_jansson(line, len, id_key, text_key, text, text_cap, text_len, id, why,
                                  why_len);
}

bool nd_jsonl_is_object(const unsigned char *line, size_t len)
{
    if (nd_jsonl_object_fast(line, len) == 0)
        return true;
    json_error_t err;
    json_t *root = json_loadb((const char *)line, len, JSON_ALLOW_NUL, &err);
    const bool is_object = root && json_is_object(root);
    json_decref(root);
    return is_object;
}
