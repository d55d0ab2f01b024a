/*
 * test_report.c: the HTML report, checked as text and as Chromium renders it.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hostile[] =
    "<script>document.documentElement.setAttribute('data-pwned','1')</script> "
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\"> "
    "and then the shared text goes on with many more words after the markup & entities";

static char *dir;

static void setup(void)
{
    dir = make_temp_dir();
    char path[600];
    snprintf(path, sizeof(path), "%s/docs", dir);
    cr_assert_eq(mkdir_p(path), 0);
    snprintf(path, sizeof(path), "%s/docs/x1.txt", dir);
    write_file(path, hostile, sizeof(hostile) - 1);
    snprintf(path, sizeof(path), "%s/docs/x2.txt", dir);
    write_file(path, hostile, sizeof(hostile) - 1);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cp '%s'/*.txt '%s/docs/'", SEEDS_DIR, dir);
    cr_assert_eq(system(cmd), 0);
}

static void teardown(void)
{
    remove_tree(dir);
    free(dir);
}

TestSuite(report, .init = setup, .fini = teardown);

static char *make_report(void)
{
    cli_result r = run_cli("-q --threshold 0.3 --report '%s/report.html' '%s/docs'", dir, dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    char path[600];
    snprintf(path, sizeof(path), "%s/report.html", dir);
    char *html = read_file(path, NULL);
    cr_assert_not_null(html);
    return html;
}

/* The report says what a deduplication would remove, and the clusters by size. */
Test(report, says_what_deduplicating_removes)
{
    char *html = make_report();
    /* the seeds' pair and the two copies of the hostile document: 2 of 7 */
    cr_assert(strstr(html, "Deduplicating would remove 2 of 7 documents (28.6%)"), "%s", html);
    /* the charts: which pairs are compared, and the clusters by size (two of two) */
    cr_assert(strstr(html, "<title>Which pairs are compared</title>"), "%s", html);
    cr_assert(strstr(html, "<title>2 documents: 2 clusters</title>"), "%s", html);
    /* and how similar the compared pairs are: the seeds' pair, 0.30-0.35 by its estimate */
    cr_assert(strstr(html, "<title>How similar the compared pairs are</title>"), "%s", html);
    free(html);
}

/* One section per group, largest first, listed in the contents: each distinct text by
 * its first line and id, the kept one marked, identical copies on one line, the share of
 * wording in common with the kept one, and the passages of the group with the words
 * that differ marked. */
Test(report, groups_with_titles_copies_and_differences)
{
    char *html = make_report();
    cr_assert(strstr(html, "<a href=\"#cluster-1\">group 1</a>: 2 documents"), "%s", html);
    cr_assert(strstr(html, "<section class=\"cluster\" id=\"cluster-1\">"), "%s", html);
    cr_assert(strstr(html, "1 identical copy: <bdi>x2.txt</bdi>"), "%s", html);
    cr_assert(strstr(html, "<td>the kept one</td>"), "%s", html);
    cr_assert(strstr(html, "<td class=\"num\">32%</td>"), "the seeds' pair, at 0.32: %s", html);
    /* the title of 000 is its first line */
    cr_assert(
        strstr(html,
               "<span class=\"title\" dir=\"auto\">\xd8\xa7\xd9\x84\xd9\x88\xd9\x82\xd8\xaa-"),
        "%s", html);
    /* 000 and 001 tell one story in other words: some are marked on each side */
    cr_assert(strstr(html, "<del>"), "%s", html);
    cr_assert(strstr(html, "<ins>"), "%s", html);
    /* each row links to the passages of its document shown below */
    cr_assert(strstr(html, "shares <a href=\"#passage-"), "%s", html);
    cr_assert(strstr(html, "Passages shared by documents that are not near-duplicates"));
}

/* Document text is escaped; ids are isolated; text blocks carry dir="auto". */
Test(report, escaped_and_bidi_markup)
{
    char *html = make_report();
    cr_assert_null(strstr(html, "<script"), "a document's <script> must not be markup");
    cr_assert_null(strstr(html, "<img"), "a document's <img> must not be markup");
    cr_assert(strstr(html, "&lt;<mark>script&gt;document.documentElement"), "%s", html);
    cr_assert(strstr(html, "&amp; entities"));
    cr_assert(strstr(html, "<bdi>000_0890706d309c6b14.txt</bdi>"));
    cr_assert(strstr(html, "<div class=\"text\" dir=\"auto\">"));
    cr_assert(strstr(html, "unicode-bidi:plaintext"));
    cr_assert(strstr(html, "<mark>"));
    cr_assert_null(strstr(html, "http://"), "the page loads nothing from outside");
    cr_assert_null(strstr(html, "https://"), "the page loads nothing from outside");
    free(html);
}

static const char *find_chromium(void)
{
    static const char *const names[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser",
                                        "/usr/bin/google-chrome", NULL};
    for (int i = 0; names[i]; i++)
        if (access(names[i], X_OK) == 0)
            return names[i];
    return NULL;
}

/* The check script appended to a copy of the report: it runs after the page has loaded
 * and writes what it found on the root element, where --dump-dom shows it. */
static const char probe[] =
    "<script>\n"
    "const root = document.documentElement;\n"
    "const blocks = [...document.querySelectorAll('.text')];\n"
    "const arabic = blocks.filter(b => /[\\u0600-\\u06FF]/.test(b.textContent.slice(0, 40)));\n"
    "root.setAttribute('data-marks', document.querySelectorAll('mark').length);\n"
    "root.setAttribute('data-arabic-blocks', arabic.length);\n"
    "root.setAttribute('data-arabic-rtl', arabic.filter(b => b.matches(':dir(rtl)') &&\n"
    "    getComputedStyle(b).unicodeBidi === 'plaintext').length);\n"
    "root.setAttribute('data-mark-bg', getComputedStyle(document.querySelector('mark'))\n"
    "    .backgroundColor);\n"
    "root.setAttribute('data-mark-weight', getComputedStyle(document.querySelector('mark'))\n"
    "    .fontWeight);\n"
    "const ins = document.querySelector('ins');\n"
    "root.setAttribute('data-ins-weight', ins ? getComputedStyle(ins).fontWeight : 'none');\n"
    "root.setAttribute('data-ins-bg', ins ? getComputedStyle(ins).backgroundColor : 'none');\n"
    "root.setAttribute('data-charts', [...document.querySelectorAll('svg')]\n"
    "    .filter(c => c.getBoundingClientRect().width > 100).length);\n"
    "root.setAttribute('data-probe', 'ran');\n"
    "</script>\n";

static char *attribute(const char *dom, const char *name)
{
    static char value[128];
    char key[64];
    snprintf(key, sizeof(key), "%s=\"", name);
    const char *p = strstr(dom, key);
    if (!p)
        return NULL;
    p += strlen(key);
    const size_t n = strcspn(p, "\"");
    snprintf(value, sizeof(value), "%.*s", (int)n, p);
    return value;
}

/* Rendered by headless Chromium: highlights, Arabic right to left, no document script ran. */
Test(report, renders_in_chromium)
{
    const char *chromium = find_chromium();
    if (!chromium)
        cr_skip_test("Chromium is not installed (scripts/deps --test installs Debian's "
                     "chromium); the rendered report was not checked");
    char *html = make_report();
    char *end = strstr(html, "</body>");
    cr_assert_not_null(end);
    char path[600], cmd[4096];
    snprintf(path, sizeof(path), "%s/probe.html", dir);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    fwrite(html, 1, (size_t)(end - html), fp);
    fputs(probe, fp);
    fputs(end, fp);
    fclose(fp);
    snprintf(cmd, sizeof(cmd),
             "timeout 120 %s --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--user-data-dir='%s/profile' --dump-dom 'file://%s' > '%s/dom.html' 2>/dev/null",
             chromium, dir, path, dir);
    cr_assert_eq(system(cmd), 0, "chromium failed: %s", cmd);
    snprintf(path, sizeof(path), "%s/dom.html", dir);
    char *dom = read_file(path, NULL);
    cr_assert_not_null(dom);
    cr_assert_str_eq(attribute(dom, "data-probe"), "ran");
    cr_assert_null(attribute(dom, "data-pwned"), "a script from a document ran");
    cr_assert_gt(atoi(attribute(dom, "data-marks")), 10, "every passage side is highlighted");
    const int arabic = atoi(attribute(dom, "data-arabic-blocks"));
    cr_assert_geq(arabic, 10, "the seed passages are Arabic");
    cr_assert_eq(atoi(attribute(dom, "data-arabic-rtl")), arabic, "Arabic blocks render RTL");
    cr_assert_str_eq(attribute(dom, "data-mark-weight"), "400", "highlights keep the weight");
    cr_assert_str_neq(attribute(dom, "data-mark-bg"), "rgba(0, 0, 0, 0)");
    cr_assert_str_eq(attribute(dom, "data-ins-weight"), "400", "changed words keep the weight");
    cr_assert_str_neq(attribute(dom, "data-ins-bg"), "rgba(0, 0, 0, 0)");
    cr_assert_eq(atoi(attribute(dom, "data-charts")), 3, "the three charts are drawn");
    free(dom);
    free(html);
}

/* A JSONL feed's documents are titled by --title-key (a dotted path), else their first
 * line. */
Test(report, titles_from_a_key)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/titled.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 2; i++)
        fprintf(f,
                "{\"id\":\"d%d\",\"meta\":{\"headline\":\"Headline %d\"},\"text\":\"first "
                "line %d\\none two three four five six seven eight nine ten eleven\"}\n",
                i, i, i);
    fclose(f);
    cli_result r =
        run_cli("-q --threshold 0.3 --title-key meta.headline --report '%s/titled.html' --pairs "
                "/dev/null '%s'",
                dir, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    snprintf(path, sizeof(path), "%s/titled.html", dir);
    char *html = read_file(path, NULL);
    cr_assert(strstr(html, "<span class=\"title\" dir=\"auto\">Headline 1</span>"), "%s", html);
    cr_assert_null(strstr(html, "<span class=\"title\" dir=\"auto\">first line"), "%s", html);
    free(html);
    r = run_cli(
        "-q --threshold 0.3 --report '%s/untitled.html' --pairs /dev/null '%s/titled.jsonl'", dir,
        dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    snprintf(path, sizeof(path), "%s/untitled.html", dir);
    html = read_file(path, NULL);
    cr_assert(strstr(html, "<span class=\"title\" dir=\"auto\">first line 1</span>"), "%s", html);
    free(html);
}

/* Past the passages a page shows, the report says how many more there are and how to
 * list them, whether or not a passages file was asked for. */
Test(report, says_how_many_passages_it_shows)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/many.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* 45 paragraphs, each reprinted by 48 outlets (under --max-df): 45 x 47 passages */
    for (int i = 0; i < 45 * 48; i++) {
        const int g = i / 48;
        fprintf(f, "{\"id\":\"d%d\",\"text\":\"w%d x%d", i, i, i);
        for (int w = 0; w < 12; w++)
            fprintf(f, " p%dw%d", g, w);
        fputs("\"}\n", f);
    }
    fclose(f);
    cli_result r = run_cli("-q --report '%s/many.html' --pairs /dev/null '%s'", dir, path);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_dispose(&r);
    snprintf(path, sizeof(path), "%s/many.html", dir);
    char *html = read_file(path, NULL);
    /* 100 passages shown of the 2,115 (none joins near-duplicates): the others counted,
     * and the option that lists them named, no file that may not exist */
    cr_assert(strstr(html, "2015 more shared passages; <code>--passages FILE</code> lists "
                           "them all."),
              "no note");
    cr_assert_null(strstr(html, "passages file"));
    free(html);
}
