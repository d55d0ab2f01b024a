#!/bin/sh
# bench/run_untuned.sh refuses a folder that another run holds, and says so, before it
# builds or times anything (two runs at once built into each other and timed each other).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if out=$(flock "$dir/.lock" sh "$repo/bench/run_untuned.sh" --dir "$dir" 2>&1); then
    echo "bench_one_at_a_time: a second run on $dir went on: $out" >&2
    exit 1
fi
echo "$out" | grep -q "another run is using $dir" || {
    echo "bench_one_at_a_time: not the expected message: $out" >&2
    exit 1
}
[ -z "$(ls "$dir")" ] || { echo "bench_one_at_a_time: the refused run left files in $dir" >&2; exit 1; }
