#!/bin/sh
# Guarantee 1 of the feed index (same_as_batch.py) on the seeds at threshold 0.3 (their one
# pair) and on the planted corpora at 0.8 and 0.5 when they are built (scripts/eval).
# usage: same_as_batch.sh NEARDUP DEMO_DIR CORPORA_DIR
set -eu
here=$(dirname "$0")
/usr/bin/python3 "$here/same_as_batch.py" "$1" "$2" 0.3
for name in planted-arabic planted-mixed; do
    docs="$3/$name/docs"
    if [ -d "$docs" ]; then
        /usr/bin/python3 "$here/same_as_batch.py" "$1" "$docs" 0.8
        /usr/bin/python3 "$here/same_as_batch.py" "$1" "$docs" 0.5 3
    else
        echo "index_same_as_batch: $docs not built (scripts/eval builds it): skipped"
    fi
done
