#!/bin/sh
# The feed index against its targets (issue 18), one core, warm cache:
#   bench/run_index_bench.sh [--docs N] [--peer-docs M] [--no-peer]
# Archive: N generated ~6 KB Arabic articles with dates (default 1,000,000; 6 GB of JSONL
# and the index beside it in $NEARDUP_BENCH_DIR, default /tmp/neardup-index-bench).
#   batch    neardup --threads 1 over the archive: the batch tool's MB/s
#   add      index add --threads 1 of the archive into an empty index: MB/s, and its ratio
#            to the batch's (target >= 0.5)
#   size     the pages of the index's tables per article, and the file's high-water mark
#            (copy-on-write leaves free pages until index compact) (target <= 3 KB)
#   query    bench/index_query: 1,000 new articles and 1,000 edited copies of archived ones,
#            one query each through the library, run twice, the second (warm) run's p50
#            and p99 (targets 1 ms, 5 ms) and the process's own resident memory
#   stream   index add --query DB -, one line every 10 ms (100 articles/s) for 10 s: from a
#            line's write to its verdict read back, p50 and p99 (target p99 <= 10 ms)
#   expire   index expire of the oldest 10% (target <= 10 s), then index compact: the
#            file's bytes per article left
#   peer     datasketch's MinHashLSH (../shared/peers) inserting and querying M files
#            (default 20,000) against index add --query of the same files (target 50x)
set -eu
cd "$(dirname "$0")/.."
docs=1000000
peer_docs=20000
peer=1
while [ $# -gt 0 ]; do
    case $1 in
    --docs) docs=$2; shift 2 ;;
    --peer-docs) peer_docs=$2; shift 2 ;;
    --no-peer) peer=0; shift ;;
    *) echo "usage: bench/run_index_bench.sh [--docs N] [--peer-docs M] [--no-peer]" >&2; exit 2 ;;
    esac
done
bench/build.sh
bin=$(pwd)/build-bench/neardup
gen=build-bench/bench/gen_corpus
work=${NEARDUP_BENCH_DIR:-/tmp/neardup-index-bench}
mkdir -p "$work"
archive=$work/archive-$docs.jsonl
db=$work/index-$docs.ndx
[ -e "$archive" ] || $gen --docs "$docs" --lang arabic --seed 1 --dates --vocab demo --out "$archive"
bytes=$(stat -c %s "$archive")
seconds() { # the wall seconds of a command, its output dropped
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    echo "$(date +%s.%N) - $s" | bc -l
}
mbps() { echo "scale=1; $bytes / 1048576 / $1" | bc -l; }

batch=$(seconds "$bin" --threads 1 -q --pairs /dev/null "$archive")
rm -f "$db" "$db-lock"
"$bin" index create "$db"
add=$(seconds "$bin" index add -q --threads 1 --date-key date --commit-every 10000 "$db" "$archive")
per_doc=$("$bin" index stats "$db" | awk '/^file/ { print $(NF - 2) }')
used=$("$bin" index stats "$db" | awk '/^file/ { gsub(/[(]/, "", $4); print int($4 / '"$docs"') }')

# queries: new articles, and archived ones with a few words changed
queries=$work/queries-$docs.jsonl
if [ ! -e "$queries" ]; then
    $gen --docs 1000 --lang arabic --seed 2 --id-prefix new --vocab demo --out "$work/new.jsonl"
    /usr/bin/python3 - "$archive" "$docs" "$work/copies.jsonl" <<'EOF'
import json, random, sys
archive, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(5)
step = max(1, n // 1000)
with open(archive, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
    for i, line in enumerate(f):
        if i % step == 0:
            d = json.loads(line)
            words = d["text"].split()
            for _ in range(3):
                words[rng.randrange(len(words))] = "كلمة"
            o.write(json.dumps({"id": "copy-" + d["id"], "text": " ".join(words)},
                               ensure_ascii=False) + "\n")
EOF
    cat "$work/new.jsonl" "$work/copies.jsonl" >"$queries"
fi
build-bench/bench/index_query "$db" "$queries" >/dev/null
query=$(build-bench/bench/index_query "$db" "$queries")
query_default=$(build-bench/bench/index_query "$db" "$queries" --default-malloc)

# the stream: 1,000 of the queries at 100 a second
stream=$(/usr/bin/python3 - "$bin" "$db" "$queries" <<'EOF'
import select, subprocess, sys, time
neardup, db, queries = sys.argv[1:4]
lines = open(queries, encoding="utf-8").readlines()[::2][:1000]
p = subprocess.Popen([neardup, "index", "add", "--query", "-q", db, "--verdicts", "-",
                      "--threads", "1", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     text=True, bufsize=1)
waits = []
start = time.monotonic()
for i, line in enumerate(lines):
    time.sleep(max(0, start + i * 0.01 - time.monotonic()))
    t0 = time.monotonic()
    p.stdin.write(line)
    p.stdin.flush()
    select.select([p.stdout], [], [], 10)
    p.stdout.readline()
    waits.append(time.monotonic() - t0)
p.stdin.close()
p.wait()
waits.sort()
print(f"p50 {1000 * waits[len(waits) // 2]:.2f} ms p99 {1000 * waits[int(len(waits) * 0.99)]:.2f} ms")
EOF
)

tenth=$(sed -n "$((docs / 10 + 1))p" "$archive" | sed 's/.*"date":"\([^"]*\)".*/\1/')
expire=$(seconds "$bin" index expire -q "$db" --before "$tenth")
compact=$(seconds "$bin" index compact -q "$db")
compacted=$("$bin" index stats "$db" | awk '/^documents/ { n = $2 } /^file/ { print int($2 / n) }')
"$bin" index check -q "$db"

printf '\n| measure (%s archived articles, %s MB) | figure | target |\n|---|---|---|\n' "$docs" "$((bytes / 1048576))"
printf '| batch tool, 1 thread | %s MB/s | |\n' "$(mbps "$batch")"
printf '| index add, 1 thread | %s MB/s (%s of the batch) | >= 0.5 |\n' "$(mbps "$add")" \
    "$(echo "scale=2; $batch / $add" | bc -l)"
printf '| size on disk per article: the tables (the file, before index compact) | %s bytes (%s) | <= 3072 |\n' "$per_doc" "$used"
printf '| query (warm): %s | | p50 <= 1 ms, p99 <= 5 ms |\n' "$query"
printf '| the same, glibc malloc as it comes: %s | | |\n' "$query_default"
printf '| stream at 100 articles/s, line to verdict: %s | | p99 <= 10 ms |\n' "$stream"
printf '| expire of the oldest 10%% | %.2f s | <= 10 s |\n' "$expire"
printf '| then index compact: %.2f s; the file per article | %s bytes | <= 3072 |\n' "$compact" "$compacted"

if [ "$peer" = 1 ]; then
    files=$work/peer-$peer_docs
    [ -d "$files" ] || $gen --docs "$peer_docs" --lang arabic --seed 3 --format files --vocab demo --out "$files"
    ds=$(/usr/bin/python3 ../shared/peers/datasketch_run.py --threshold 0.8 "$files" "$work/ds.csv" 2>&1 |
        awk '/seconds total:/ { print $NF }')
    rm -f "$work/peer.ndx" "$work/peer.ndx-lock"
    "$bin" index create "$work/peer.ndx"
    nd=$(seconds "$bin" index add --query -q --threads 1 "$work/peer.ndx" "$files")
    printf '| datasketch MinHashLSH insert+query, %s files | %.2f s | |\n' "$peer_docs" "$ds"
    printf '| neardup index add --query, 1 thread | %.2f s (%.0fx) | >= 50x |\n' "$nd" \
        "$(echo "$ds / $nd" | bc -l)"
fi
