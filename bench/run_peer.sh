#!/bin/sh
# The peer in the same run: datasketch 1.10.0 (../shared/peers/datasketch_run.py, one
# process) and neardup (one thread) on the same corpus, at the same threshold, shingle
# size and permutations, scored against exact Jaccard. Prints a Markdown table: the median
# seconds of R runs each (in rounds of one run of each), MB/s, the ratio of the times, and
# each tool's pair precision, recall and F1.
#
#   bench/run_peer.sh [--runs R] [--threshold J] [--dir DIR]
#
# The corpus is ../shared/peers/make_corpus.py's: 20,000 files made from the seed
# articles (edited variants, Markov-chain articles with short lines, concatenations, edge
# cases), text the fast paths were not tuned on. Exact Jaccard over all 200 million pairs
# is out of reach in Python, so the truth is pooled: every pair either tool made a
# candidate (datasketch's candidates, and neardup's pairs at a threshold 0.2 lower),
# verified exactly on the peer's shingle sets (exact_jaccard.py); a pair that neither
# tool proposes is missed by both and counted by neither. neardup runs with --all-pairs
# (every verified pair listed; by default a cluster of over 32 documents lists each
# member with its kept one). The two tools' normalizations differ slightly (the peer
# splits words on \w, neardup with ICU): both are scored against the peer's shingles.
set -eu
cd "$(dirname "$0")/.."
runs=3
threshold=0.5
dir=/tmp/neardup-peer
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --threshold) threshold=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,19p "$0"; exit 2 ;;
    esac
done
peers=../shared/peers
py=/usr/bin/python3
[ -f "$peers/datasketch_run.py" ] || { echo "run_peer.sh: no $peers (the shared folder)" >&2; exit 1; }
bench/build.sh
bin=build-bench/neardup
corpus=$dir/corpus
mkdir -p "$dir"
[ -d "$corpus" ] || "$py" "$peers/make_corpus.py" ../shared/seeds "$corpus" --n 20000 --no-debian >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: > "$dir/ds.times"
: > "$dir/nd.times"
i=0
while [ $i -lt "$runs" ]; do
    "$py" "$peers/datasketch_run.py" --threshold "$threshold" --num-perm 128 --shingle 5 \
        "$corpus" "$dir/ds.csv" 2>"$dir/ds.err"
    sed -n 's/^seconds total: \([0-9.]*\).*/\1/p' "$dir/ds.err" >> "$dir/ds.times"
    t0=$(date +%s.%N)
    "$bin" -q --threads 1 --threshold "$threshold" --num-perm 128 --shingle 5 --all-pairs \
        --pairs "$dir/nd.csv" "$corpus" 2>/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >> "$dir/nd.times"
    i=$((i + 1))
done
ds=$(median < "$dir/ds.times")
nd=$(median < "$dir/nd.times")

# the pooled truth (see the top of this file)
low=$(awk -v t="$threshold" 'BEGIN { print (t > 0.3 ? t - 0.2 : 0.1) }')
"$bin" -q --threshold "$low" --all-pairs --pairs "$dir/nd-low.csv" "$corpus" 2>/dev/null
"$py" - "$dir/ds.csv" "$dir/nd-low.csv" "$dir/pool.csv" <<'PY'
import csv, sys
pairs = set()
for path in sys.argv[1:3]:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        pairs.update((row["doc_a"], row["doc_b"]) for row in csv.DictReader(f))
with open(sys.argv[3], "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
    out = csv.writer(f)
    out.writerow(["doc_a", "doc_b"])
    out.writerows(sorted(pairs))
PY
"$py" "$peers/exact_jaccard.py" --threshold "$threshold" --shingle 5 --candidates "$dir/pool.csv" \
    "$corpus" "$dir/truth.csv" >/dev/null 2>&1
score() {  # score PRED.csv -> "precision recall F1"
    "$py" "$peers/compare_pairs.py" --threshold "$threshold" "$dir/truth.csv" "$1" 2>&1 |
        sed -n 's/^precision: \([0-9.]*\)  recall: \([0-9.]*\)  F1: \([0-9.]*\).*/\1 \2 \3/p'
}
mb=$(du -sb "$corpus" | awk '{ printf "%.0f", $1 / 1e6 }')
truth=$(($(wc -l < "$dir/truth.csv") - 1))
echo "20,000 files, $mb MB; threshold $threshold, 5-word shingles, 128 permutations; $truth pairs in the pooled truth; medians of $runs runs"
echo
echo "| tool | seconds | MB/s | precision | recall | F1 |"
echo "|---|---:|---:|---:|---:|---:|"
set -- $(score "$dir/ds.csv")
echo "| datasketch 1.10.0, one process | $ds | $(awk -v m="$mb" -v t="$ds" 'BEGIN { printf "%.1f", m / t }') | $1 | $2 | $3 |"
set -- $(score "$dir/nd.csv")
echo "| neardup --threads 1 --all-pairs | $nd | $(awk -v m="$mb" -v t="$nd" 'BEGIN { printf "%.1f", m / t }') | $1 | $2 | $3 |"
echo
echo "neardup is $(awk -v a="$ds" -v b="$nd" 'BEGIN { printf "%.1f", a / b }')x as fast (target: 100x)."
