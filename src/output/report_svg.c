/*
 * report_svg.c: the report's charts, as inline SVG: nothing loaded, no script, text a
 * screen reader reads (each chart has a title and a description).
 */
#include "output/report_parts.h"

#include <math.h>
#include <string.h>

#define W 420
#define H 220
#define LEFT 44
#define BOTTOM 34
#define TOP 14
#define RIGHT 14

static double x_of(double v)
{
    return LEFT + v * (W - LEFT - RIGHT);
}

static double y_of(double v)
{
    return TOP + (1 - v) * (H - TOP - BOTTOM);
}

static void open_chart(FILE *out, const char *title, const char *description)
{
    fprintf(out,
            "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\"><title>%s</title><desc>%s</desc>"
            "<g font-size=\"11\" fill=\"#333\">",
            W, H, W, H, title, description);
}

static void axes(FILE *out, const char *x_label, const char *y_label)
{
    fprintf(out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>"
            "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s"
            "</text>",
            LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, LEFT, TOP, LEFT, H - BOTTOM,
            (LEFT + W - RIGHT) / 2, H - 4, x_label, (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2,
            y_label);
}

void nd_put_lsh_chart(FILE *out, const nd_stats *s, double threshold)
{
    char description[256];
    snprintf(description, sizeof(description),
             "The chance that two documents of each similarity become a candidate pair, with "
             "%d bands of %d rows; threshold %.2f.",
             s->bands, s->rows, threshold);
    open_chart(out, "Which pairs are compared", description);
    axes(out, "similarity of two documents (Jaccard)", "chance to be compared");
    for (int k = 0; k <= 10; k += 2)
        fprintf(out,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>",
                x_of(k / 10.0), H - BOTTOM + 13, k / 10.0, LEFT - 4, y_of(k / 10.0) + 4, k / 10.0);
    fputs("<path fill=\"none\" stroke=\"#1f6fb2\" stroke-width=\"2\" d=\"", out);
    for (int k = 0; k <= 100; k++) {
        const double sim = k / 100.0;
        const double p = 1 - pow(1 - pow(sim, s->rows), s->bands);
        fprintf(out, "%c%.1f %.1f", k ? 'L' : 'M', x_of(sim), y_of(p));
    }
    fprintf(out,
            "\"/><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c0392b\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"#c0392b\">threshold "
            "%.2f</text>",
            x_of(threshold), TOP, x_of(threshold), H - BOTTOM, x_of(threshold) + 4, TOP + 10,
            threshold);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%d\">%d bands &#215; %d rows</text>"
            "<text x=\"%.1f\" y=\"%d\">%llu candidate %s</text>"
            "<text x=\"%.1f\" y=\"%d\">%llu near-duplicate %s</text>",
            x_of(0.03), (int)y_of(0.95), s->bands, s->rows, x_of(0.03), (int)y_of(0.95) + 14,
            (unsigned long long)s->n_candidates, s->n_candidates == 1 ? "pair" : "pairs",
            x_of(0.03), (int)y_of(0.95) + 28,
            (unsigned long long)(s->n_pairs + s->n_pairs_unlisted),
            s->n_pairs + s->n_pairs_unlisted == 1 ? "pair" : "pairs");
    fputs("</g></svg></figure>\n", out);
}

void nd_put_cluster_chart(FILE *out, const nd_crawl_stats *cs)
{
    unsigned last = 0;
    uint64_t most = 0;
    for (unsigned k = 0; k < ND_SIZE_CLASSES; k++)
        if (cs->clusters[k]) {
            last = k;
            most = cs->clusters[k] > most ? cs->clusters[k] : most;
        }
    if (most == 0)
        return;
    open_chart(out, "Clusters by size",
               "How many clusters there are of each size (documents in a cluster).");
    axes(out, "documents in a cluster", "clusters");
    const double slot = (double)(W - LEFT - RIGHT) / (last + 1);
    for (unsigned k = 0; k <= last; k++) {
        const double h = (double)cs->clusters[k] / (double)most * (H - TOP - BOTTOM);
        const double x = LEFT + k * slot;
        char label[32];
        if (k == 0)
            snprintf(label, sizeof(label), "2");
        else
            snprintf(label, sizeof(label), "%llu-%llu", (1ull << k) + 1, 2ull << k);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#5b8db8\">"
                "<title>%s documents: %llu clusters</title></rect>"
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                x + slot * 0.1, H - BOTTOM - h, slot * 0.8, h, label,
                (unsigned long long)cs->clusters[k], x + slot / 2, H - BOTTOM + 13, label);
        if (cs->clusters[k])
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%llu</text>",
                    x + slot / 2, H - BOTTOM - h - 3, (unsigned long long)cs->clusters[k]);
    }
    fputs("</g></svg></figure>\n", out);
}

void nd_put_host_chart(FILE *out, const nd_crawl_stats *cs)
{
    enum { HOSTS = 12, ROW = 16 };
    const size_t n = cs->n_hosts < HOSTS ? cs->n_hosts : HOSTS;
    if (n == 0)
        return;
    const int height = TOP + (int)n * ROW + BOTTOM;
    fprintf(out,
            "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
            "role=\"img\"><title>Duplicates by host</title><desc>The share of each host's "
            "documents that a deduplication removes, for the %zu hosts with the most "
            "documents.</desc><g font-size=\"11\" fill=\"#333\">",
            W, height, W, height, n);
    const int bar_left = 150, bar_width = W - bar_left - 90;
    for (size_t i = 0; i < n; i++) {
        const nd_dup_count *c = &cs->hosts[i].count;
        const double rate = c->docs ? (double)c->dup_docs / (double)c->docs : 0;
        const int y = TOP + (int)i * ROW;
        fputs("<text x=\"4\" y=\"", out);
        fprintf(out, "%d\">", y + 11);
        nd_put_escaped(out, (const unsigned char *)cs->hosts[i].host,
                       strlen(cs->hosts[i].host) < 28 ? strlen(cs->hosts[i].host) : 28);
        fprintf(out,
                "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"#c0763b\"/><text x=\"%.1f\" y=\"%d\">%.0f%% of %llu</text>",
                bar_left, y + 2, rate * bar_width, ROW - 4, bar_left + rate * bar_width + 4, y + 11,
                100 * rate, (unsigned long long)c->docs);
    }
    fprintf(out,
            "<text x=\"4\" y=\"%d\">the share of each host's documents that are duplicates</text>",
            height - 10);
    fputs("</g></svg></figure>\n", out);
}

void nd_put_similarity_chart(FILE *out, const nd_stats *s, double threshold)
{
    uint64_t most = 0, total = 0;
    for (int k = 0; k < ND_SIMILARITY_BINS; k++) {
        most = s->compared_similarity[k] > most ? s->compared_similarity[k] : most;
        total += s->compared_similarity[k];
    }
    if (total == 0)
        return;
    char description[200];
    snprintf(description, sizeof(description),
             "How similar the %llu candidate pairs compared are (their MinHash estimate), "
             "with the threshold %.2f: pairs to its right are near-duplicates.",
             (unsigned long long)total, threshold);
    open_chart(out, "How similar the compared pairs are", description);
    axes(out, "similarity (MinHash estimate)", "pairs compared");
    const double slot = (double)(W - LEFT - RIGHT) / ND_SIMILARITY_BINS;
    for (int k = 0; k < ND_SIMILARITY_BINS; k++) {
        const double h = (double)s->compared_similarity[k] / (double)most * (H - TOP - BOTTOM);
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%.2f-%.2f: %llu pairs</title></rect>",
                LEFT + k * slot + 1, H - BOTTOM - h, slot - 2, h,
                (k + 1) * 0.05 > threshold ? "#5b8db8" : "#b9c9d6", k * 0.05, (k + 1) * 0.05,
                (unsigned long long)s->compared_similarity[k]);
    }
    for (int k = 0; k <= 10; k += 2)
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>", x_of(k / 10.0),
                H - BOTTOM + 13, k / 10.0);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c0392b\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"#c0392b\" "
            "text-anchor=\"end\">threshold %.2f</text>",
            x_of(threshold), TOP, x_of(threshold), H - BOTTOM, x_of(threshold) - 4, TOP + 10,
            threshold);
    fprintf(out, "<text x=\"%d\" y=\"%d\">most: %llu</text>", LEFT + 8, TOP + 10,
            (unsigned long long)most);
    fputs("</g></svg></figure>\n", out);
}
