#!/bin/sh
# The benchmark: one command, one run, medians.
#
#   bench/run_bench.sh [--docs N] [--runs R] [--scaling] [--scaling-1m] [--profile] [--peer]
#                      [--no-untuned] [--dir DIR]
#
# Builds neardup (Release, -march=native) into build-bench, generates corpora with
# bench/gen_corpus (Arabic and English, ~6 KB documents, 10% near-duplicates and 10%
# shared passages; JSONL, and one file per document) into DIR (default
# /tmp/neardup-bench, out of git), measures this machine's read() and XXH3 speed on the
# same bytes and what fresh memory costs it, then runs neardup R times (default 5) per
# configuration, in rounds of one run of each, and prints the medians as Markdown
# tables: end to end and per stage, MB/s, documents/s, peak RSS, system time, and the
# ratios to read(), to XXH3, to one thread and to the plain-ICU engine; and one-thread
# runs pinned to each CPU (the CPUs of a virtual machine need not be equally fast).
# --scaling adds Arabic corpora of 10k and 100k documents (--scaling-1m: also 1M, 6 GB),
# a run of the largest under --memory 32M, checked to write the same pairs, and one
# thread against two on 100k documents of each language. --profile adds where the time
# of one-thread runs goes (perf record: the functions with 1.5% of the samples or more).
# --peer adds datasketch and neardup side by side on the peer's corpus (bench/run_peer.sh).
# Last comes the table of text nobody tuned for (bench/run_untuned.sh: planted, Markov,
# real and emoji corpora; about 10 minutes), unless --no-untuned.
set -eu
cd "$(dirname "$0")/.."
docs=16000
runs=5
scaling=""
profile=""
peer=""
untuned=yes
dir=/tmp/neardup-bench
while [ $# -gt 0 ]; do
    case $1 in
        --docs) docs=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --scaling) scaling="10000 100000"; shift ;;
        --scaling-1m) scaling="10000 100000 1000000"; shift ;;
        --profile) profile=yes; shift ;;
        --peer) peer=yes; shift ;;
        --no-untuned) untuned=""; shift ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,23p "$0"; exit 2 ;;
    esac
done
scripts/deps --bench
# perf may be refused to users (Debian's kernels default to perf_event_paranoid=3): say so
# now, not after the rest of the benchmark
if [ -n "$profile" ] && ! perf record -q -o /dev/null true 2>/dev/null; then
    echo "run_bench.sh: --profile needs perf record: run as root, or lower /proc/sys/kernel/perf_event_paranoid" >&2
    exit 1
fi
bench/build.sh
bin=build-bench/neardup
mkdir -p "$dir"

corpus() {  # corpus LANG N [files] -> path of the corpus (generated once)
    format=${3:-jsonl}
    f=$dir/$1-$2.$format
    [ -e "$f" ] || build-bench/bench/gen_corpus --docs "$2" --lang "$1" --seed 1 --vocab demo \
        --format "$format" --out "$f"
    echo "$f"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per_second() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
now() { date +%s.%N; }
# timed ARGS... -> writes "seconds peak_rss_kib system_seconds" of one neardup run to
# $dir/time; the seconds from the clock to the microsecond (time(1)'s own are in
# hundredths), the system time (the kernel's, mostly giving the process fresh pages and
# copying reads and writes) from time(1)
timed() {
    t0=$(now)
    /usr/bin/time -f "%M %S" -o "$dir/rss" "$bin" "$@"
    t1=$(now)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $(tail -n1 "$dir/rss")" > "$dir/time"
}

# one_run TIMES PATH ARGS...: one run, its "wall list scan lsh verify cluster passages
# rss_kib system" appended to the file TIMES
one_run() {
    out=$1 f=$2
    shift 2
    timed -q --run-info "$dir/info.json" --pairs /dev/null "$@" "$f"
    python3 - "$dir/info.json" "$dir/time" >> "$out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["seconds"]
wall, rss, system = open(sys.argv[2]).read().split()[-3:]
t = [s[k] for k in ("list", "scan", "lsh", "verify", "cluster", "passages")]
print(wall, " ".join("%.4f" % x for x in t), rss, system)
PY
}

# medians TIMES -> the median of each column
medians() {
    for col in 1 2 3 4 5 6 7 8 9; do
        cut -d' ' -f$col "$1" | median
    done | tr '\n' ' '
}

# run PATH ARGS... -> medians over runs, after one run not counted, which brings the
# corpus and the binary into the page cache
run() {
    f=$1; shift
    "$bin" -q --pairs /dev/null "$@" "$f"
    : > "$dir/times"
    i=0
    while [ $i -lt "$runs" ]; do
        one_run "$dir/times" "$f" "$@"
        i=$((i + 1))
    done
    medians "$dir/times"
}

# interleaved PATH [N] -> "median_1_thread median_2_threads": N runs of each (default 11),
# alternating, so that the shared machine's slow and fast moments fall on both (the
# ratio's measure)
interleaved() {
    : > "$dir/t1"
    : > "$dir/t2"
    for i in $(seq "${2:-11}"); do
        for t in 1 2; do
            timed -q --threads $t --pairs /dev/null "$1"
            cut -d' ' -f1 "$dir/time" >> "$dir/t$t"
        done
    done
    echo "$(median < "$dir/t1") $(median < "$dir/t2")"
}

# pinned PATH -> "cpu:median ..." of one-thread runs pinned to each CPU (taskset), 5 rounds
# of one run on each: the CPUs of a virtual machine need not be equally fast, and a
# speed-up on all of them is bounded by the slower ones
pinned() {
    command -v taskset >/dev/null || return 0
    n=$(nproc)
    c=0
    while [ $c -lt "$n" ]; do : > "$dir/cpu$c"; c=$((c + 1)); done
    for i in 1 2 3 4 5; do
        c=0
        while [ $c -lt "$n" ]; do
            t0=$(now)
            taskset -c $c "$bin" -q --threads 1 --pairs /dev/null "$1"
            awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.4f\n", b - a }' >> "$dir/cpu$c"
            c=$((c + 1))
        done
    done
    c=0
    while [ $c -lt "$n" ]; do printf '%s:%s ' $c "$(median < "$dir/cpu$c")"; c=$((c + 1)); done
}

# the peak RSS of a run on a handful of documents: what neardup needs before any corpus
startup_rss() {
    f=$(corpus arabic 10)
    timed -q --threads 2 --pairs /dev/null "$f"
    cut -d' ' -f2 "$dir/time"
}

echo "## Machine"
echo
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "- memory: $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
echo "- neardup $(git rev-parse --short HEAD 2>/dev/null || echo '?'), Release, -march=native; medians of $runs runs, in rounds of one run of each configuration"
echo "- times are wall-clock seconds of the whole process (start-up, reading, every stage, writing)"
echo
confs='jsonl --threads 1
jsonl --threads 2
jsonl --threads 1 --engine icu
files --threads 1
files --threads 2
jsonl --threads 1 --passages /dev/null
jsonl --threads 2 --passages /dev/null'
n_confs=$(echo "$confs" | wc -l)
conf_at() { echo "$confs" | sed -n "$1p"; }
input_of() { if [ "${1%% *}" = files ]; then echo "$files"; else echo "$f"; fi; }
for lang in arabic english; do
    f=$(corpus $lang "$docs")
    files=$(corpus $lang "$docs" files)
    bytes=$(stat -c %s "$f")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
    base=$(build-bench/bench/baseline "$f")
    read_mbs=$(echo "$base" | sed 's/.*read_mb_s=\([0-9]*\).*/\1/')
    xxh_mbs=$(echo "$base" | sed 's/.*xxh3_mb_s=\([0-9]*\).*/\1/')
    fresh_small=$(echo "$base" | sed 's/.*fresh_4k_mb_s=\([0-9]*\).*/\1/')
    fresh_huge=$(echo "$base" | sed 's/.*fresh_2m_first_mb_s=\([0-9]*\).*/\1/')
    fresh_again=$(echo "$base" | sed 's/.*fresh_2m_again_mb_s=\([0-9]*\).*/\1/')
    echo "## $lang: $docs documents, $mb MB of JSONL (read() $read_mbs MB/s, XXH3 $xxh_mbs MB/s here)"
    echo
    echo "Fresh memory, first touch of 64 MB here: $fresh_small MB/s in 4 KiB pages; in 2 MiB pages $fresh_huge MB/s the first time in a process, $fresh_again MB/s for pages it just gave back."
    echo
    echo "The \"system s\" column is the kernel's time (time(1)): reads, the scratch file's writes, and the fresh pages the process touches."
    echo
    echo "| configuration | seconds | MB/s | docs/s | list | scan | lsh | verify | cluster | passages | peak RSS MiB | system s | vs read() | vs XXH3 |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    : > "$dir/summary"
    # rounds of one run of each configuration, after one run of each not counted: a slow
    # spell of the shared machine then falls on every configuration, not on one
    i=1
    while [ $i -le "$n_confs" ]; do
        conf=$(conf_at $i)
        # shellcheck disable=SC2086
        "$bin" -q --pairs /dev/null ${conf#* } "$(input_of "$conf")"
        : > "$dir/times.$i"
        i=$((i + 1))
    done
    round=0
    while [ $round -lt "$runs" ]; do
        i=1
        while [ $i -le "$n_confs" ]; do
            conf=$(conf_at $i)
            # shellcheck disable=SC2086
            one_run "$dir/times.$i" "$(input_of "$conf")" ${conf#* }
            i=$((i + 1))
        done
        round=$((round + 1))
    done
    i=1
    while [ $i -le "$n_confs" ]; do
        conf=$(conf_at $i)
        # shellcheck disable=SC2046
        set -- $(medians "$dir/times.$i")
        mbs=$(per_second "$bytes" "$(awk -v t="$1" 'BEGIN { print t * 1e6 }')")
        printf '| `%s` | %.3f | %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f | %.2f | %s | %s |\n' \
            "$conf" "$1" "$mbs" "$(per_second "$docs" "$1")" "$2" "$3" "$4" "$5" "$6" "$7" \
            "$(($8 / 1024))" "$9" "$(ratio "$mbs" "$read_mbs")" "$(ratio "$mbs" "$xxh_mbs")"
        echo "$conf|$*" >> "$dir/summary"
        i=$((i + 1))
    done
    wall() { grep "^$1|" "$dir/summary" | cut -d'|' -f2 | cut -d' ' -f1; }
    stage() { grep "^jsonl --threads 1|" "$dir/summary" | cut -d'|' -f2 | cut -d' ' -f"$1"; }
    echo
    echo "- fast engine over the plain-ICU engine: $(ratio "$(wall 'jsonl --threads 1 --engine icu')" "$(wall 'jsonl --threads 1')")x"
    echo "- two threads over one: JSONL $(ratio "$(wall 'jsonl --threads 1')" "$(wall 'jsonl --threads 2')")x, files $(ratio "$(wall 'files --threads 1')" "$(wall 'files --threads 2')")x (rows above)"
    # shellcheck disable=SC2046
    set -- $(interleaved "$f")
    echo "- two threads over one, JSONL, 11 interleaved runs each: $1 s and $2 s (medians), $(ratio "$1" "$2")x"
    per_cpu=$(pinned "$f")
    [ -z "$per_cpu" ] || echo "- one thread pinned to each CPU, JSONL, 5 interleaved runs each (CPU:median seconds): $per_cpu"
    echo "- passages on top of the document level: $(ratio "$(awk -v a="$(wall 'jsonl --threads 1 --passages /dev/null')" -v b="$(wall 'jsonl --threads 1')" 'BEGIN { print a - b }')" "$(wall 'jsonl --threads 1')")x the document-level time (one thread)"
    echo
    echo "| stage (\`jsonl --threads 1\`) | seconds | MB/s | docs/s |"
    echo "|---|---:|---:|---:|"
    col=2
    for name in "list the input (cut JSONL into lines)" "read + normalize + words + shingles + MinHash (scan)" "LSH" "verify" "cluster"; do
        t=$(stage $col)
        printf '| %s | %.3f | %s | %s |\n' "$name" "$t" \
            "$(awk -v b="$bytes" -v t="$t" 'BEGIN { if (t > 0) printf "%.0f", b / 1e6 / t; else print "-" }')" \
            "$(awk -v n="$docs" -v t="$t" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "-" }')"
        col=$((col + 1))
    done
    w1=$(wall 'jsonl --threads 1')
    outside=$(awk -v w="$w1" -v a="$(stage 2)" -v b="$(stage 3)" -v c="$(stage 4)" -v d="$(stage 5)" \
        -v e="$(stage 6)" 'BEGIN { x = w - (a + b + c + d + e); printf "%.3f", (x > 0 ? x : 0) }')
    printf '| outside the stages: start-up (process, libraries, ICU), writing, exit (freeing the scratch file) | %s | | |\n' "$outside"
    echo
    echo "- the stages alone, one thread: $(awk -v b="$bytes" -v w="$w1" -v o="$outside" \
        'BEGIN { printf "%.0f", b / 1e6 / (w - o) }') MB/s; the time outside them is $(awk -v w="$w1" \
        -v o="$outside" 'BEGIN { printf "%.0f", 100 * o / w }')% of the run"
    # Amdahl's law on the row above: the part outside the stages does not shrink with threads
    echo "- two threads can reach at most $(awk -v w="$w1" -v o="$outside" \
        'BEGIN { printf "%.2f", w / (o + (w - o) / 2) }')x here: the stages in half their one-thread time, the $outside s outside them unchanged (Amdahl's law on the table above)"
    echo
done
if [ -n "$scaling" ]; then
    base_rss=$(startup_rss)
    echo "## Scaling (Arabic JSONL, --threads 2, document level)"
    echo
    echo "Start-up peak RSS (10 documents): $((base_rss / 1024)) MiB."
    echo
    echo "| documents | MB | seconds | docs/s | peak RSS MiB | RSS beyond start-up, bytes per document | time ratio to 10k | size ratio |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    first=""
    for n in $scaling; do
        f=$(corpus arabic "$n")
        # shellcheck disable=SC2046
        set -- $(run "$f" --threads 2)
        [ -n "$first" ] || first=$1
        printf '| %s | %.0f | %.2f | %s | %.0f | %.0f | %.1f | %s |\n' "$n" \
            "$(awk -v b="$(stat -c %s "$f")" 'BEGIN { print b / 1e6 }')" "$1" \
            "$(per_second "$n" "$1")" "$(($8 / 1024))" \
            "$(awk -v r="$8" -v b="$base_rss" -v n="$n" 'BEGIN { print (r - b) * 1024 / n }')" \
            "$(ratio "$1" "$first")" "$((n / 10000))"
        last=$f
    done
    echo
    "$bin" -q --threads 2 --pairs "$dir/pairs-default.csv" "$last"
    timed --threads 2 --memory 32M --pairs "$dir/pairs-capped.csv" -v "$last" 2> "$dir/capped.log"
    same=different
    cmp -s "$dir/pairs-default.csv" "$dir/pairs-capped.csv" && same=identical
    echo "With \`--memory 32M\` on the largest corpus: $(grep -o '[0-9]* sorted runs spilled' "$dir/capped.log"), peak RSS $(($(cut -d' ' -f2 "$dir/time") / 1024)) MiB, $(cut -d' ' -f1 "$dir/time") s; pairs $same to the default run's."
    echo
    # at 16,000 documents a run's fixed costs (starting the process and ICU, freeing the
    # scratch files, writing) are a tenth of one thread's time and do not shrink with two
    echo "One thread and two on 100,000 documents (JSONL, 5 interleaved runs each, medians):"
    echo
    for lang in arabic english; do
        f=$(corpus $lang 100000)
        "$bin" -q --pairs /dev/null "$f"
        # shellcheck disable=SC2046
        set -- $(interleaved "$f" 5)
        echo "- $lang, $(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.0f", b / 1e6 }') MB: $1 s ($(per_second "$(stat -c %s "$f")" "$(awk -v t="$1" 'BEGIN { print t * 1e6 }')") MB/s) and $2 s, $(ratio "$1" "$2")x"
    done
fi
if [ -n "$profile" ]; then
    echo
    echo "## Where the time goes (perf record, one thread, $docs documents of JSONL)"
    for lang in arabic english; do
        f=$(corpus $lang "$docs")
        for conf in "--threads 1" "--threads 1 --passages /dev/null"; do
            # shellcheck disable=SC2086
            perf record -q -F 2000 -o "$dir/perf.data" "$bin" -q --pairs /dev/null $conf "$f" 2>/dev/null
            kernel=$(perf report -i "$dir/perf.data" --no-children --stdio --sort dso -q 2>/dev/null |
                awk '/kernel/ { printf "%s", $1 }')
            echo
            echo "\`$lang $conf\`: $kernel of the samples in the kernel."
            echo
            echo "| function | share of samples |"
            echo "|---|---:|"
            perf report -i "$dir/perf.data" --no-children --stdio --sort symbol --percent-limit 1.5 -q 2>/dev/null |
                awk 'NF >= 3 { printf "| `%s`%s | %s |\n", $3, ($2 == "[k]" ? " (kernel)" : ""), $1 }'
        done
    done
fi

if [ -n "$peer" ]; then
    echo
    echo "### The peer, side by side (bench/run_peer.sh)"
    echo
    bench/run_peer.sh --runs "$runs"
fi
if [ -n "$untuned" ]; then
    echo
    echo "### Text nobody tuned for (bench/run_untuned.sh)"
    echo
    bench/run_untuned.sh --runs "$runs"
fi
