#!/bin/sh
# The benchmark: one command, one run, medians.
#
#   bench/run_bench.sh [--docs N] [--runs R] [--scaling] [--scaling-1m] [--dir DIR]
#
# Builds neardup (Release, -march=native) into build-bench, generates corpora with
# bench/gen_corpus (Arabic and English, ~6 KB documents, 10% near-duplicates and 10%
# shared passages) into DIR (default /tmp/neardup-bench, out of git), measures this
# machine's read() and XXH3 speed on the same bytes, then runs neardup R times (default 3)
# per configuration and prints the medians as a Markdown table: MB/s and documents/s end to
# end, seconds per stage, peak RSS, and the ratios to read(), to XXH3, to one thread and to
# the plain-ICU engine. --scaling adds 10k and 100k documents (--scaling-1m: also 1M).
set -eu
cd "$(dirname "$0")/.."
docs=16000
runs=3
scaling=""
dir=/tmp/neardup-bench
while [ $# -gt 0 ]; do
    case $1 in
        --docs) docs=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --scaling) scaling="10000 100000"; shift ;;
        --scaling-1m) scaling="10000 100000 1000000"; shift ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,13p "$0"; exit 2 ;;
    esac
done
scripts/deps
command -v /usr/bin/time >/dev/null || { echo "bench: installing time" >&2; apt-get install -y -qq time >/dev/null; }
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DNEARDUP_NATIVE=ON -DNEARDUP_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bin=build-bench/neardup
mkdir -p "$dir"

corpus() {  # corpus LANG N -> path of the JSONL file (generated once)
    f=$dir/$1-$2.jsonl
    [ -f "$f" ] || build-bench/bench/gen_corpus --docs "$2" --lang "$1" --seed 1 --vocab demo --out "$f"
    echo "$f"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run FILE ARGS... -> "total scan lsh verify cluster passages rss_kib" (medians over runs)
run() {
    f=$1; shift
    : > "$dir/times"
    i=0
    while [ $i -lt "$runs" ]; do
        /usr/bin/time -f "%M" -o "$dir/rss" "$bin" -q --run-info "$dir/info.json" --pairs /dev/null "$@" "$f"
        python3 - "$dir/info.json" "$(cat "$dir/rss")" >> "$dir/times" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["seconds"]
t = [s[k] for k in ("scan", "lsh", "verify", "cluster", "passages")]
print(" ".join("%.4f" % x for x in [sum(t)] + t), sys.argv[2])
PY
        i=$((i + 1))
    done
    for col in 1 2 3 4 5 6 7; do
        cut -d' ' -f$col "$dir/times" | median
    done | tr '\n' ' '
}

echo "## Machine"
echo
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "- memory: $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
echo "- neardup $(git rev-parse --short HEAD 2>/dev/null || echo '?'), Release, -march=native; medians of $runs runs"
echo
for lang in arabic english; do
    f=$(corpus $lang "$docs")
    bytes=$(stat -c %s "$f")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
    base=$(build-bench/bench/baseline "$f")
    read_mbs=$(echo "$base" | sed 's/.*read_mb_s=\([0-9]*\).*/\1/')
    xxh_mbs=$(echo "$base" | sed 's/.*xxh3_mb_s=\([0-9]*\).*/\1/')
    echo "## $lang: $docs documents, $mb MB of JSONL (read() $read_mbs MB/s, XXH3 $xxh_mbs MB/s)"
    echo
    echo "| configuration | total s | MB/s | docs/s | scan | lsh | verify | cluster | passages | peak RSS MiB | vs read() | vs XXH3 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for conf in "--threads 1" "--threads 2" "--threads 1 --engine icu" "--threads 1 --passages /dev/null" "--threads 2 --passages /dev/null"; do
        # shellcheck disable=SC2086
        set -- $(run "$f" $conf)
        total=$1
        mbs=$(awk -v b="$bytes" -v t="$total" 'BEGIN { printf "%.0f", b / 1e6 / t }')
        dps=$(awk -v n="$docs" -v t="$total" 'BEGIN { printf "%.0f", n / t }')
        printf '| `%s` | %.3f | %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f | %s | %s |\n' \
            "$conf" "$total" "$mbs" "$dps" "$2" "$3" "$4" "$5" "$6" "$(($7 / 1024))" \
            "$(awk -v a="$mbs" -v b="$read_mbs" 'BEGIN { printf "%.3f", a / b }')" \
            "$(awk -v a="$mbs" -v b="$xxh_mbs" 'BEGIN { printf "%.3f", a / b }')"
        echo "$conf $total" >> "$dir/summary-$lang"
    done
    echo
done
if [ -n "$scaling" ]; then
    echo "## Scaling (Arabic, --threads 2, documents only)"
    echo
    echo "| documents | MB | seconds | docs/s | peak RSS MiB | RSS bytes per document | time ratio to 10k |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    first=""
    for n in $scaling; do
        f=$(corpus arabic "$n")
        # shellcheck disable=SC2046
        set -- $(run "$f" --threads 2)
        [ -n "$first" ] || first=$1
        printf '| %s | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f |\n' "$n" \
            "$(awk -v b="$(stat -c %s "$f")" 'BEGIN { print b / 1e6 }')" "$1" \
            "$(awk -v n="$n" -v t="$1" 'BEGIN { print n / t }')" "$(($7 / 1024))" \
            "$(awk -v r="$7" -v n="$n" 'BEGIN { print r * 1024 / n }')" \
            "$(awk -v t="$1" -v f="$first" 'BEGIN { print t / f }')"
    done
fi
