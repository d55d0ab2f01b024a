#!/bin/sh
# neardup-mpi on one rank against two, on this machine (issue 19's targets: 2 ranks at
# least 1.7 times as fast as 1, and within 15% of `neardup --threads 2`), side by side
# with neardup on one and two threads, every rank on one thread (--threads 1).
#
#   bench/run_mpi_bench.sh [--runs R] [--docs N] [--dir DIR]
#
# Corpora: gen_corpus's Arabic and English articles (N each, default 100,000: 600 MB;
# JSONL), and ../shared/peers/make_corpus.py's 20,000 files (text nobody tuned for).
# Each corpus twice: documents only (--pairs), and with passages (--passages). R rounds
# (default 5) of one run of each command, interleaved so that the shared machine's slow
# moments fall on all of them; prints the medians (seconds), the ratios, and the bytes
# each exchange sent per document (--run-info "ranks") as Markdown tables.
set -eu
cd "$(dirname "$0")/.."
runs=5
docs=100000
dir=/tmp/neardup-mpi-bench
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --docs) docs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,13p "$0"; exit 2 ;;
    esac
done
bench/build.sh
bin=build-bench/neardup
mpi_bin=build-bench/neardup-mpi
[ -x "$mpi_bin" ] || { echo "run_mpi_bench.sh: Open MPI is not installed (scripts/deps --bench)" >&2; exit 1; }
mkdir -p "$dir"
# one node: shared memory between the ranks (without the btl and pml options, Open MPI
# also starts its TCP and InfiniBand transports, which costs each run 0.2 s here)
mpirun="mpirun --bind-to none --mca btl self,vader --mca pml ob1"
[ "$(id -u)" -eq 0 ] && mpirun="$mpirun --allow-run-as-root"
for lang in arabic english; do
    f=$dir/$lang-$docs.jsonl
    [ -e "$f" ] || build-bench/bench/gen_corpus --docs "$docs" --lang "$lang" --seed 1 \
        --vocab demo --format jsonl --out "$f" >/dev/null
done
peer=$dir/peer-20000
[ -d "$peer" ] || /usr/bin/python3 ../shared/peers/make_corpus.py ../shared/seeds "$peer" \
    --n 20000 --no-debian >/dev/null

seconds() { # seconds COMMAND... -> the wall seconds of one run
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

printf '| corpus | outputs | neardup 1 thread | neardup 2 threads | 1 rank | 2 ranks | 1 rank / 2 ranks (target >= 1.7) | 2 ranks / neardup 2 threads (target <= 1.15) |\n'
printf '|---|---|---|---|---|---|---|---|\n'
: > "$dir/bytes.md"
for corpus in "$dir/arabic-$docs.jsonl" "$dir/english-$docs.jsonl" "$peer"; do
    name=$(basename "$corpus")
    for outputs in "--pairs /dev/null" "--passages /dev/null"; do
        label=${outputs%% *}
        : > "$dir/t1"; : > "$dir/t2"; : > "$dir/n1"; : > "$dir/n2"
        # shellcheck disable=SC2086
        "$bin" -q $outputs "$corpus" # the corpus into the page cache, not counted
        for i in $(seq "$runs"); do
            # shellcheck disable=SC2086
            {
                seconds "$bin" -q --threads 1 --threshold 0.5 $outputs "$corpus" >> "$dir/t1"
                seconds "$bin" -q --threads 2 --threshold 0.5 $outputs "$corpus" >> "$dir/t2"
                seconds $mpirun -np 1 "$mpi_bin" -q --threads 1 --threshold 0.5 $outputs \
                    "$corpus" >> "$dir/n1"
                seconds $mpirun -np 2 "$mpi_bin" -q --threads 1 --threshold 0.5 $outputs \
                    --run-info "$dir/info.json" "$corpus" >> "$dir/n2"
            }
        done
        t1=$(median < "$dir/t1"); t2=$(median < "$dir/t2")
        n1=$(median < "$dir/n1"); n2=$(median < "$dir/n2")
        printf '| %s | %s | %s s | %s s | %s s | %s s | %s | %s |\n' "$name" "$label" "$t1" "$t2" \
            "$n1" "$n2" "$(ratio "$n1" "$n2")" "$(ratio "$n2" "$t2")"
        /usr/bin/python3 - "$dir/info.json" "$name" "$label" >> "$dir/bytes.md" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
r, docs = info["ranks"], info["counts"]["documents"]
per = r["bytes_per_document"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {docs:,} | {per['scan']:,.0f} | {per['bands']:,.0f} | "
      f"{per['candidates']:,.1f} | {per['shingle_sets']:,.0f} ({r['shingle_sets_sent']:,} documents) | "
      f"{per['pairs']:,.1f} ({r['pairs_verified_by_other_ranks']:,} of "
      f"{info['counts']['candidate_pairs']:,} candidates) | {per['passages']:,.0f} | "
      f"{info['counts']['bytes'] / docs:,.0f} |")
PY
    done
done
printf '\nBytes sent per document of the corpus (2 ranks; --run-info "ranks"): to rank 0, but the band records and the passage stage, which go both ways, and the pairs, asked and answered:\n\n'
printf '| corpus | outputs | documents | first round (heads) | band records | candidates | signatures and shingle sets asked for | pairs verified by the rank of their first document | passage stage | input bytes per document |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
cat "$dir/bytes.md"
