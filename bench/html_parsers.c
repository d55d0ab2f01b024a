/*
 * html_parsers.c: the two HTML5 parsers Debian offers, side by side on the same pages
 * (bench/run_crawl_bench.sh): each parses every page and walks its tree to the text
 * nodes, in R rounds; prints the median round's MB/s of HTML for MyHTML (libmodest, the
 * one neardup uses) and Gumbo (libgumbo).
 *
 *   html_parsers ROUNDS PAGE...
 */
#define _POSIX_C_SOURCE 200809L
#include <gumbo.h>
#include <myhtml/api.h>
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>

/* Text bytes under a Gumbo node, without recursion. */
static size_t gumbo_text(GumboNode *root)
{
    size_t text = 0, n = 1, cap = 1024;
    GumboNode **stack = malloc(cap * sizeof(*stack));
    stack[0] = root;
    while (n > 0) {
        GumboNode *node = stack[--n];
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
            text += node->v.text.original_text.length;
            continue;
        }
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT)
            continue;
        const GumboVector *kids = node->type == GUMBO_NODE_ELEMENT ? &node->v.element.children
                                                                   : &node->v.document.children;
        for (unsigned i = kids->length; i-- > 0;) {
            if (n == cap)
                stack = realloc(stack, (cap *= 2) * sizeof(*stack));
            stack[n++] = kids->data[i];
        }
    }
    free(stack);
    return text;
}

/* Text bytes under a MyHTML node, without recursion. */
static size_t myhtml_text(myhtml_tree_node_t *root)
{
    size_t text = 0;
    for (myhtml_tree_node_t *node = myhtml_node_child(root); node;) {
        if (myhtml_node_tag_id(node) == MyHTML_TAG__TEXT)
            text += myhtml_node_raw_position(node).length;
        myhtml_tree_node_t *next = myhtml_node_child(node);
        while (!next && node && node != root) {
            next = myhtml_node_next(node);
            node = myhtml_node_parent(node);
        }
        node = next;
    }
    return text;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: html_parsers ROUNDS PAGE...\n", stderr);
        return 2;
    }
    const int rounds = atoi(argv[1]), n = argc - 2;
    char **pages = calloc((size_t)n, sizeof(*pages));
    size_t *lens = calloc((size_t)n, sizeof(*lens));
    const size_t total = bench_load(argv + 2, n, pages, lens);
    if (total == 0)
        return 1;
    myhtml_t *myhtml = myhtml_create();
    myhtml_init(myhtml, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0);
    myhtml_tree_t *tree = myhtml_tree_create();
    myhtml_tree_init(tree, myhtml);
    double *my = calloc((size_t)rounds, sizeof(double)),
           *gb = calloc((size_t)rounds, sizeof(double));
    size_t my_text = 0, gb_text = 0;
    for (int r = 0; r < rounds; r++) { /* the two in turn, round by round */
        double t0 = bench_now();
        my_text = 0;
        for (int i = 0; i < n; i++) {
            myhtml_parse(tree, MyENCODING_UTF_8, pages[i], lens[i]);
            my_text += myhtml_text(myhtml_tree_get_document(tree));
        }
        my[r] = bench_now() - t0;
        t0 = bench_now();
        gb_text = 0;
        for (int i = 0; i < n; i++) {
            GumboOutput *out = gumbo_parse_with_options(&kGumboDefaultOptions, pages[i], lens[i]);
            gb_text += gumbo_text(out->document);
            gumbo_destroy_output(&kGumboDefaultOptions, out);
        }
        gb[r] = bench_now() - t0;
    }
    const double my_median = bench_median(my, (size_t)rounds);
    const double gb_median = bench_median(gb, (size_t)rounds);
    printf("parse and walk, median of %d rounds: MyHTML %.1f MB/s, Gumbo %.1f MB/s of HTML "
           "(text nodes: %zu and %zu bytes)\n",
           rounds, (double)total / my_median / 1e6, (double)total / gb_median / 1e6, my_text,
           gb_text);
    myhtml_tree_destroy(tree);
    myhtml_destroy(myhtml);
    return 0;
}
