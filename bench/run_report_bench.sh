#!/bin/sh
# The report for a feed (issue 20's bound: at most 10 MB for a 42,000-document feed): a
# JSONL feed of 42,000 articles made from the 1,000 of ../shared/eval's planted-arabic and
# planted-mixed corpora (make_corpora.py --scale small), the first 1,000 as they are, the
# others republished with their paragraphs shuffled and maybe one dropped (seeded), then
# `neardup --report` over it, twice (1 and 2 threads): the report's size, its seconds,
# and whether the two reports are byte for byte the same.
#
#   bench/run_report_bench.sh [--docs N] [--dir DIR]
set -eu
cd "$(dirname "$0")/.."
docs=42000
dir=/tmp/neardup-report
while [ $# -gt 0 ]; do
    case $1 in
        --docs) docs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,9p "$0"; exit 2 ;;
    esac
done
bench/build.sh
bin=build-bench/neardup
mkdir -p "$dir"
bench/eval_corpora.sh "$dir"
/usr/bin/python3 - "$dir" "$docs" <<'PY'
import glob, json, os, random, sys
d, n_docs = sys.argv[1], int(sys.argv[2])
random.seed(3)
sources = sorted(glob.glob(os.path.join(d, "corpora/planted-*/docs/*/*.txt")))
with open(os.path.join(d, "feed.jsonl"), "w", encoding="utf-8") as out:
    for n in range(n_docs):
        text = open(sources[n % len(sources)], encoding="utf-8").read()
        paras = [p for p in text.split("\n") if p.strip()]
        if n >= len(sources):  # a republication, edited
            random.shuffle(paras)
            paras = paras[:max(1, len(paras) - random.randrange(2))]
        out.write(json.dumps({"id": f"a{n}", "text": "\n".join(paras)}, ensure_ascii=False) + "\n")
PY
mb=$(du -sb "$dir/feed.jsonl" | awk '{ printf "%.1f", $1 / 1e6 }')
for threads in 1 2; do
    t0=$(date +%s.%N)
    "$bin" -q --threads "$threads" --report "$dir/report$threads.html" --pairs /dev/null \
        "$dir/feed.jsonl"
    t1=$(date +%s.%N)
    size=$(du -sb "$dir/report$threads.html" | awk '{ printf "%.2f", $1 / 1e6 }')
    echo "$docs documents ($mb MB), --threads $threads: report $size MB in" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s (target: at most 10 MB)"
done
cmp -s "$dir/report1.html" "$dir/report2.html" && echo "the two reports are byte for byte the same" ||
    echo "the two reports DIFFER"
