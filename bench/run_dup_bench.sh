#!/bin/sh
# The duplicate-structure benchmark: corpora made of copies, syndicated stories and
# boilerplate (bench/dup_corpora.py), each beside a corpus of the same document count and
# about the same size without such duplicates, at one and two threads, with and without
# passages. Prints a Markdown table: the median seconds and peak RSS of each, and the
# ratio of the two times (the target is at most 2).
#
#   bench/run_dup_bench.sh [--runs R] [--scale S] [--dir DIR] [--no-passages]
#
# --scale S divides the three largest corpora (1,000,000 lines or documents; 100,000
# files) by S; --runs R runs each configuration R times (default 3), in rounds.
set -eu
cd "$(dirname "$0")/.."
runs=3
scale=1
dir=/tmp/neardup-dup
passages="no yes"
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --scale) scale=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --no-passages) passages=no; shift ;;
        *) sed -n 2,11p "$0"; exit 2 ;;
    esac
done
bench/build.sh
bin=build-bench/neardup
python3 bench/dup_corpora.py "$dir" --scale "$scale"
syndicated_docs=$(wc -l < "$dir/syndicated.jsonl")
[ -e "$dir/syndicated-unique.jsonl" ] ||
    build-bench/bench/gen_corpus --docs "$syndicated_docs" --lang arabic --seed 7 --dup-rate 0 \
        --passage-rate 0 --vocab demo --format jsonl --out "$dir/syndicated-unique.jsonl" >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure PATH THREADS PASSAGES -> "seconds peak_rss_mib" (medians of $runs runs)
measure() {
    extra=""
    [ "$3" = yes ] && extra="--passages /dev/null --passage-clusters /dev/null"
    : > "$dir/times"
    i=0
    while [ $i -lt "$runs" ]; do
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        /usr/bin/time -f "%M" -o "$dir/rss" "$bin" -q --threads "$2" --pairs /dev/null $extra "$1"
        t1=$(date +%s.%N)
        echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(tail -n1 "$dir/rss")" \
            >> "$dir/times"
        i=$((i + 1))
    done
    echo "$(cut -d' ' -f1 "$dir/times" | median) $(cut -d' ' -f2 "$dir/times" | median)"
}

size_mb() { du -sm "$1" | cut -f1; }
docs_of() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else wc -l < "$1"; fi; }

echo "| corpus | documents | MB | threads | passages | seconds | without duplicates | ratio | peak RSS MiB | without |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
for name in syndicated.jsonl groups100.jsonl identical20k.jsonl groups1000.jsonl files100k \
        crawl1m.jsonl licences; do
    dup=$dir/$name
    case $name in
        *.jsonl) unique=$dir/${name%.jsonl}-unique.jsonl ;;
        *) unique=$dir/$name-unique ;;
    esac
    for p in $passages; do
        for threads in 1 2; do
            set -- $(measure "$dup" "$threads" "$p")
            t_dup=$1 rss_dup=$2
            set -- $(measure "$unique" "$threads" "$p")
            t_uni=$1 rss_uni=$2
            echo "| ${name%.jsonl} | $(docs_of "$dup") | $(size_mb "$dup") | $threads | $p | $t_dup | $t_uni" \
                "| $(awk -v a="$t_dup" -v b="$t_uni" 'BEGIN { printf "%.2f", a / b }')" \
                "| $((rss_dup / 1024)) | $((rss_uni / 1024)) |"
        done
    done
done
