#!/bin/sh
# Text the one-pass splitter does not model, side by side with text it does: 16,000
# articles of `gen_corpus --lang arabic` (JSONL, 100 MB), and the same articles with one
# emoji, one ZWJ sequence (a family), or one supplementary ideograph (U+20000) inserted
# in the middle of each. Runs each corpus R times (default 7) in rounds, one and two
# threads, and prints a Markdown table of the medians and their ratio to the plain
# corpus (issue 21's target: within 10%). An emoji and a ZWJ sequence are no words, so
# those variants must give the plain corpus's pairs byte for byte (checked); an
# ideograph is a word, which moves the Jaccard values a little.
#
#   bench/run_untuned.sh [--runs R] [--dir DIR]
set -eu
cd "$(dirname "$0")/.."
runs=7
dir=/tmp/neardup-untuned
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,10p "$0"; exit 2 ;;
    esac
done
bench/build.sh
bin=build-bench/neardup
mkdir -p "$dir"
[ -e "$dir/plain.jsonl" ] ||
    build-bench/bench/gen_corpus --docs 16000 --lang arabic --seed 1 --vocab demo --format jsonl \
        --out "$dir/plain.jsonl" >/dev/null
/usr/bin/python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
variants = {"emoji": " \U0001F600 ", "zwj": " \U0001F468\u200D\U0001F469\u200D\U0001F467 ",
            "ideograph": " \U00020000 "}
for name, insert in variants.items():
    path = os.path.join(d, name + ".jsonl")
    if os.path.exists(path):
        continue
    with open(os.path.join(d, "plain.jsonl"), encoding="utf-8") as f, \
            open(path, "w", encoding="utf-8") as out:
        for line in f:
            doc = json.loads(line)
            text = doc["text"]
            at = text.find(" ", len(text) // 2)
            doc["text"] = text[:at] + insert + text[at + 1:] if at > 0 else text + insert
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
PY

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
corpora="plain emoji zwj ideograph"
for threads in 1 2; do
    for c in $corpora; do : > "$dir/$c.t$threads"; done
    i=0
    while [ $i -lt "$runs" ]; do
        for c in $corpora; do
            t0=$(date +%s.%N)
            "$bin" -q --threads "$threads" --pairs "$dir/$c.pairs" "$dir/$c.jsonl"
            t1=$(date +%s.%N)
            awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >> "$dir/$c.t$threads"
        done
        i=$((i + 1))
    done
done
for c in emoji zwj; do
    cmp -s "$dir/plain.pairs" "$dir/$c.pairs" || { echo "run_untuned.sh: $c: pairs differ" >&2; exit 1; }
done
echo "| corpus | MB | 1 thread, s | ratio | 2 threads, s | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
p1=$(median < "$dir/plain.t1")
p2=$(median < "$dir/plain.t2")
for c in $corpora; do
    t1=$(median < "$dir/$c.t1")
    t2=$(median < "$dir/$c.t2")
    mb=$(du -b "$dir/$c.jsonl" | awk '{ printf "%.0f", $1 / 1e6 }')
    echo "| $c | $mb | $t1 | $(awk -v a="$t1" -v b="$p1" 'BEGIN { printf "%.2f", a / b }') | $t2 | $(awk -v a="$t2" -v b="$p2" 'BEGIN { printf "%.2f", a / b }') |"
done
