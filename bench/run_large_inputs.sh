#!/bin/sh
# Inputs past the sizes a test can afford, each with its peak memory (GNU time):
#  - a gzip file of 4.3 GiB (stored blocks: compressed size past 4 GiB) holding a JSONL
#    line, 4.3 GB of spaces (one blank line) and a last line, which must be found;
#  - a plain one-line document of 200 MB, scanned with --max-doc-size 256M, alone and
#    with --passages.
# Usage: bench/run_large_inputs.sh BUILD_DIR [WORK_DIR]   (needs ~9 GB of disk)
set -eu
bin="$1/neardup"
work="${2:-/tmp/neardup-large}"
mkdir -p "$work"
trap 'rm -f "$work/big.jsonl.gz" "$work/one200.txt" "$work/out.csv"' EXIT
measure() { /usr/bin/time -f "%e s, peak %M KB" "$bin" "$@" 2>&1 >"$work/out.csv" | tail -1; }

python3 - "$work/big.jsonl.gz" <<'PY'
import sys, zlib
c = zlib.compressobj(0, zlib.DEFLATED, 31)
line = b'{"id":"%s","text":"one two three four five six seven eight"}\n'
with open(sys.argv[1], "wb") as f:
    f.write(c.compress(line % b"first"))
    spaces = b" " * (16 << 20)
    for _ in range(4400 // 16):
        f.write(c.compress(spaces))
    f.write(c.compress(b"\n" + line % b"last"))
    f.write(c.flush())
PY
echo "gzip of $(stat -c %s "$work/big.jsonl.gz") bytes: $(measure --tmpdir "$work" --pairs - "$work/big.jsonl.gz")"
grep -q '"first","last"' "$work/out.csv" || { echo "the line after 4 GiB was not read"; exit 1; }
rm -f "$work/big.jsonl.gz"

python3 - "$work/one200.txt" <<'PY'
import random, sys
random.seed(1)
words = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(2, 9)))
         for _ in range(50000)]
with open(sys.argv[1], "w") as f:
    n = 0
    while n < 200_000_000:
        s = " ".join(random.choice(words) for _ in range(10000)) + " "
        f.write(s)
        n += len(s)
PY
for extra in "" "--passages $work/passages.csv"; do
    # shellcheck disable=SC2086
    echo "200 MB one-line document${extra:+ with passages}: $(measure --max-doc-size 256M --memory 64K $extra "$work/one200.txt" "$(dirname "$0")/../demo")"
done
rm -f "$work/passages.csv"
