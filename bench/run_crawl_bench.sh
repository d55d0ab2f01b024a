#!/bin/sh
# Crawls as crawlers write them (issue 22's speed targets), on text the code was not tuned
# on: the articles of ../shared/eval's planted-arabic and planted-mixed corpora (1,000
# documents, built by make_corpora.py when missing) and the demo articles,
#   - each wrapped in a news page whose text is about 30% of its bytes (a head with a
#     style sheet and a script, a nav bar of 30 links, an ad block, a related-links list,
#     a footer, scripts at the end): HTML to text alone (bench/crawl_text.c) and the
#     whole pipeline on the pages (--html-main), beside the plain articles, MB/s of HTML
#     per core (one thread);
#   - each saved in windows-1256 (what of it windows-1256 can hold) beside its UTF-8
#     original: the whole pipeline with --charset windows-1256 (conversion) and without
#     (ICU's detector first), the ratios of their times to UTF-8's.
# Each article is there four times, its paragraphs shuffled in three.
# Medians of R runs (default 7), the commands side by side in rounds.
#
#   bench/run_crawl_bench.sh [--runs R] [--dir DIR]
set -eu
cd "$(dirname "$0")/.."
runs=7
dir=/tmp/neardup-crawl
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,16p "$0"; exit 2 ;;
    esac
done
bench/build.sh
bin=build-bench/neardup
mkdir -p "$dir"
bench/eval_corpora.sh "$dir"
/usr/bin/python3 - "$dir" demo <<'PY'
import glob, html, os, random, sys
d, demo = sys.argv[1], sys.argv[2]
random.seed(7)
sources = sorted(glob.glob(os.path.join(d, "corpora/planted-*/docs/*/*.txt")))
sources += sorted(glob.glob(os.path.join(demo, "*.txt")))
for sub in ("plain", "pages", "utf8", "cp1256"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
words = "news world sport business culture opinion video weather markets science".split()
def link(i):
    return f'<li class="menu-item"><a href="/section/{words[i % 10]}/{i}" ' \
           f'class="menu-link" data-track="nav-{i}">{words[i % 10].title()}</a></li>'
script = "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}" * 12
style = "body{margin:0;font:16px/1.5 sans-serif}.menu-link{color:#222;padding:4px 8px}" * 10
texts = []
for src in sources:  # each article, and three more with its paragraphs shuffled
    text = open(src, encoding="utf-8").read()
    paras = [p for p in text.split("\n") if p.strip()]
    texts.append(text)
    for _ in range(3):
        random.shuffle(paras)
        texts.append("\n".join(paras) + "\n")
for i, text in enumerate(texts):
    name = f"{i:05d}"
    open(os.path.join(d, "plain", name), "w", encoding="utf-8").write(text)
    paras = "\n".join(f'<p class="article__paragraph">{html.escape(p)}</p>'
                      for p in text.split("\n") if p.strip())
    related = "".join(f'<li><a href="/story/{random.randrange(10**6)}" class="related">'
                      f'{words[j % 10]} {words[(j * 3) % 10]}</a></li>' for j in range(8))
    page = (f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>Story {i}</title>'
            f'<link rel="stylesheet" href="/main.css"><style>{style}</style>'
            f'<script>{script}</script></head><body class="article-page">'
            f'<header class="site-header"><nav class="menu"><ul>'
            + "".join(link(j) for j in range(30)) +
            f'</ul></nav></header><div class="ad-slot" id="ad-top"><a href="https://ads.example/'
            f'{i}"><img src="/ads/{i}.png" alt="advertisement" width="728" height="90"></a></div>'
            f'<main class="content"><article class="article"><div class="article__body">\n'
            f'{paras}\n</div></article></main><aside class="related"><ul>{related}</ul></aside>'
            f'<footer class="site-footer"><p>&copy; 2026 The News Site</p></footer>'
            f'<script src="/app.js" async></script><script>{script[:400]}</script></body></html>')
    open(os.path.join(d, "pages", name + ".html"), "w", encoding="utf-8").write(page)
    # what windows-1256 can say of the text (the Quran's marks it lacks are left out), in
    # both charsets
    legacy = text.encode("cp1256", errors="ignore")
    open(os.path.join(d, "utf8", name), "w", encoding="utf-8").write(legacy.decode("cp1256"))
    open(os.path.join(d, "cp1256", name), "wb").write(legacy)
PY

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mb() { du -sb "$dir/$1" | awk '{ printf "%.1f", $1 / 1e6 }'; }
echo "HTML to text alone (bench/crawl_text.c, one thread):"
build-bench/bench/crawl_text "$runs" "$dir"/pages/*.html
echo "The two HTML5 parsers of Debian (bench/html_parsers.c, one thread):"
build-bench/bench/html_parsers "$runs" "$dir"/pages/*.html
# the pipeline: pages (--html-main) and their plain text; UTF-8 and windows-1256
runs_of="plain pages utf8 cp1256 detect"
for c in $runs_of; do : > "$dir/$c.t"; done
i=0
while [ $i -lt "$runs" ]; do
    for c in $runs_of; do
        extra="" input=$c
        [ "$c" = pages ] && extra=--html-main
        [ "$c" = cp1256 ] && extra="--charset windows-1256"
        [ "$c" = detect ] && input=cp1256
        t0=$(date +%s.%N)
        "$bin" -q --threads 1 $extra --pairs "$dir/$c.pairs" "$dir/$input"
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >> "$dir/$c.t"
    done
    i=$((i + 1))
done
echo
echo "| corpus (one thread, median of $runs) | MB | seconds | MB/s |"
echo "|---|---:|---:|---:|"
for c in $runs_of; do
    s=$(median < "$dir/$c.t")
    input=$c
    [ "$c" = detect ] && input=cp1256
    m=$(mb "$input")
    echo "| $c | $m | $s | $(awk -v m="$m" -v s="$s" 'BEGIN { printf "%.1f", m / s }') |"
done
echo
for c in cp1256 detect; do
    ratio=$(awk -v a="$(median < "$dir/$c.t")" -v b="$(median < "$dir/utf8.t")" \
        'BEGIN { printf "%.2f", a / b }')
    same="identical to"
    cmp -s "$dir/utf8.pairs" "$dir/$c.pairs" || same="DIFFER from"
    echo "$c / utf8 time: $ratio (conversion's target: at most 1.20); pairs $same UTF-8's"
done
