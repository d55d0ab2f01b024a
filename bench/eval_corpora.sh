#!/bin/sh
# The planted-arabic and planted-mixed corpora of ../shared/eval (make_corpora.py --scale
# small: 1,000 documents in all), built into DIR/corpora unless they are there: text the
# code was not tuned on, for the crawl and report benchmarks. Run from the repository's root.
#
#   bench/eval_corpora.sh DIR
set -eu
[ -d "$1/corpora/planted-mixed/docs" ] ||
    /usr/bin/python3 ../shared/eval/make_corpora.py "$1/corpora" --seeds-dir demo \
        --scale small --only planted-arabic,planted-mixed >/dev/null 2>&1
