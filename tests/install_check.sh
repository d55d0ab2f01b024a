#!/bin/sh
# Installs the build into a scratch prefix and builds the README's library example against it
# with pkg-config: the header, the static library, neardup.pc and the man page are all there.
set -eu
build=$1
prefix=$(mktemp -d /tmp/neardup-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/neardup"
test -f "$prefix/share/man/man1/neardup.1" || { echo "no man page (scdoc missing?)"; exit 1; }
cat > "$prefix/example.c" <<'C'
#include <neardup.h>
int main(int argc, char **argv)
{
    nd_options opts = ND_OPTIONS_INIT;
    nd_corpus *corpus = NULL;
    nd_result *result = NULL;
    int rc = 1;
    opts.threshold = 0.3;
    if (argc > 1 && nd_corpus_new(&corpus, &opts) == 0 && nd_corpus_add_path(corpus, argv[1]) == 0 &&
        nd_corpus_run(corpus, &result) == 0)
        rc = nd_write_pairs(result, stdout, ND_FORMAT_CSV) == 0 && nd_result_n_pairs(result) == 1 ? 0 : 1;
    nd_result_free(result);
    nd_corpus_free(corpus);
    return rc;
}
C
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cc -std=c11 "$prefix/example.c" -o "$prefix/example" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs --static neardup)
"$prefix/example" "$(dirname "$0")/../demo" | grep -q '"000_0890706d309c6b14.txt","001_6b51f63e2d89280f.txt"'
echo "install_check: installed, linked with pkg-config, example found the seed pair"
