#!/bin/sh
# The folders of src/ in the pipeline's order: a file may include headers of its own
# folder and of the folders before it, never of one after it. Also: every file name is
# unique in the tree, and the command line includes only the public header and its own.
set -eu
src=$(cd "$(dirname "$0")/../src" && pwd)
order="common text input scan pairs passages output pipeline cli"
rank() {
    i=0
    for d in $order; do
        [ "$d" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo "layering: unknown folder src/$1" >&2
    exit 1
}
bad=0
for dir in "$src"/*/; do
    dir=$(basename "$dir")
    mine=$(rank "$dir")
    for f in "$src/$dir"/*.[ch]; do
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[^"]*"/\1/p' "$f"); do
            if [ "$(rank "$inc")" -gt "$mine" ]; then
                echo "layering: src/$dir/$(basename "$f") includes a header of src/$inc/"
                bad=1
            fi
        done
    done
done
if grep -h '^#include "' "$src"/cli/*.[ch] | grep -v '"neardup.h"\|"cli.h"'; then
    echo "layering: src/cli/ includes more than neardup.h and cli.h"
    bad=1
fi
dups=$(find "$src" -type f -name '*.[ch]' -exec basename {} \; | sort | uniq -d)
if [ -n "$dups" ]; then
    echo "layering: file names used twice in src/: $dups"
    bad=1
fi
[ $bad -eq 0 ] && echo "layering: $order: every include points down, every name unique"
exit $bad
