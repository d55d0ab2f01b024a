#!/bin/sh
# The folders of src/ in the pipeline's order: a file may include headers of its own
# folder and of the folders before it, never of one after it. Also: every file name is
# unique in the tree, and the command line includes only the public header and its own
# (neardup-mpi, in src/mpi/, runs the command line over the internal stages).
set -eu
src=$(cd "$(dirname "$0")/../src" && pwd)
order="common text decode input scan pairs passages output index pipeline cli mpi"
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
    mine=$(rank "$dir") || exit 1
    for f in "$src/$dir"/*.[ch]; do
        # every quoted include, however spaced; a relative one is a violation of its own
        includes=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
        for inc in $includes; do
            case $inc in
            */*/* | ../* | ./*)
                echo "layering: src/$dir/$(basename "$f") includes \"$inc\": name a folder of src/"
                bad=1
                continue
                ;;
            */*) ;;
            neardup.h | cli.h) continue ;;
            *)
                echo "layering: src/$dir/$(basename "$f") includes \"$inc\" without its folder"
                bad=1
                continue
                ;;
            esac
            theirs=$(rank "${inc%%/*}") || {
                echo "layering: src/$dir/$(basename "$f") includes \"$inc\" of no known folder"
                bad=1
                continue
            }
            if [ "$theirs" -gt "$mine" ]; then
                echo "layering: src/$dir/$(basename "$f") includes a header of src/${inc%%/*}/"
                bad=1
            fi
        done
    done
done
if grep -h '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src"/cli/*.[ch] |
    grep -v '"neardup.h"\|"cli.h"'; then
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
