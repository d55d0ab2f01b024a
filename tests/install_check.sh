#!/bin/sh
# Installs the build into a scratch prefix, then proves a program can link the library:
#   1. cmake --install: header, libraries, neardup.pc, CMake package, man page; bin/neardup runs;
#      the Python module (when built) imports from lib/python3/dist-packages and finds a pair
#   2. `cc app.c $(pkg-config --cflags --libs neardup)` links libneardup.so.0 and runs
#   3. `pkg-config --static` links libneardup.a (no libneardup.so in the binary) and runs
#   4. a CMake project with find_package(neardup) links neardup::neardup (and the static one)
#   5. `nm -D --defined-only` of libneardup.so lists exactly the functions of neardup.h
# The app is the README's kind of example, run on demo/: it must find the seed pair.
# usage: tests/install_check.sh BUILD_DIR
set -eu
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/neardup-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() {
    echo "install_check: FAIL: $*" >&2
    exit 1
}
# run_app COMMAND...: runs the example on demo/ and checks that it printed the seed pair.
run_app() {
    "$@" "$src/demo" >"$work/out.csv" || fail "$* exited with $?"
    grep -q '"000_0890706d309c6b14.txt","001_6b51f63e2d89280f.txt"' "$work/out.csv" ||
        fail "$* did not find the seed pair"
}
# needs_libneardup BINARY: whether the dynamic section names libneardup.so.0.
needs_libneardup() {
    readelf -d "$1" | grep -q 'NEEDED.*\[libneardup\.so\.0\]'
}

# ---------------------------------------------------------------- 1. install
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name neardup.pc)
[ -n "$pc" ] || fail "no neardup.pc installed"
libdir=$(dirname "$(dirname "$pc")")
test -f "$prefix/include/neardup.h" || fail "no include/neardup.h"
test -f "$libdir/cmake/neardup/neardupConfig.cmake" || fail "no lib/cmake/neardup/neardupConfig.cmake"
test -f "$prefix/share/man/man1/neardup.1" || fail "no man page (scdoc missing?)"
shared=no
static=no
[ -e "$libdir/libneardup.so" ] && shared=yes
[ -e "$libdir/libneardup.a" ] && static=yes
[ $shared = yes ] || [ $static = yes ] || fail "neither libneardup.so nor libneardup.a installed"
"$prefix/bin/neardup" --version >/dev/null || fail "the installed bin/neardup does not run"
echo "install_check: 1 installed (shared: $shared, static: $static); bin/neardup runs"
module=$(find "$prefix" -name 'neardup.cpython-*.so')
if [ -n "$module" ]; then # the Python module, where Debian's python3 looks under the prefix
    PYTHONPATH=$(dirname "$module") /usr/bin/python3 -c 'import neardup, sys
docs = [("a", "one two three four five six seven"), ("b", "one two three four five six seven")]
sys.exit(0 if len(neardup.find(docs)["pairs"]) == 1 else 1)' ||
        fail "the installed Python module $module does not find a pair"
    case $module in
    */lib/python3/dist-packages/*) ;;
    *) fail "the Python module is installed as $module, not in lib/python3/dist-packages" ;;
    esac
    echo "install_check: 1 the installed Python module imports and finds a pair"
fi

cat >"$work/app.c" <<'C'
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
PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
cc=${CC:-cc}

# ---------------------------------------------------------------- 2. plain pkg-config
libs=$(pkg-config --libs neardup)
# shellcheck disable=SC2046,SC2086
$cc -std=c11 "$work/app.c" -o "$work/app_pc" $(pkg-config --cflags neardup) $libs ||
    fail "cc app.c \$(pkg-config --cflags --libs neardup) failed"
libs=$(echo "$libs" | sed -e "s|$libdir/pkgconfig/\.\./*|PREFIX/lib|" -e 's/ *$//')
if [ $shared = yes ]; then
    needs_libneardup "$work/app_pc" || fail "app_pc does not link libneardup.so.0"
    run_app env LD_LIBRARY_PATH="$libdir" "$work/app_pc"
    echo "install_check: 2 pkg-config --libs ($libs) links libneardup.so.0; the app found the seed pair"
else
    run_app "$work/app_pc"
    echo "install_check: 2 pkg-config --libs ($libs) links the static-only libneardup.a; the app found the seed pair"
fi

# ---------------------------------------------------------------- 3. pkg-config --static
if [ $static = yes ]; then
    # Beside libneardup.so the linker would take the shared library for -lneardup: ask for the
    # archive by name, keeping everything else pkg-config --static gives.
    libs=
    for f in $(pkg-config --libs --static neardup); do
        [ "$f" = -lneardup ] && f="-Wl,-Bstatic -lneardup -Wl,-Bdynamic"
        libs="$libs $f"
    done
    # shellcheck disable=SC2046,SC2086
    $cc -std=c11 "$work/app.c" -o "$work/app_static" $(pkg-config --cflags neardup) $libs ||
        fail "linking with pkg-config --static failed"
    ! needs_libneardup "$work/app_static" || fail "app_static still needs libneardup.so.0"
    nm "$work/app_static" | grep -q ' T nd_corpus_run$' || fail "app_static does not contain nd_corpus_run"
    run_app "$work/app_static"
    echo "install_check: 3 pkg-config --static links libneardup.a (no libneardup.so.0 in the binary); the app found the seed pair"
else
    echo "install_check: 3 skipped: no libneardup.a installed (NEARDUP_INSTALL_STATIC=OFF)"
fi

# ---------------------------------------------------------------- 4. find_package
mkdir "$work/cmake-app"
{
    echo 'cmake_minimum_required(VERSION 3.16)'
    echo 'project(app C)'
    if [ $shared = yes ] && [ $static = yes ]; then
        echo 'find_package(neardup 0.1 REQUIRED COMPONENTS shared static)'
        echo 'add_executable(app_static ../app.c)'
        echo 'target_link_libraries(app_static PRIVATE neardup::neardup_static)'
    else
        echo 'find_package(neardup 0.1 REQUIRED)'
    fi
    echo 'add_executable(app ../app.c)'
    echo 'target_link_libraries(app PRIVATE neardup::neardup)'
} >"$work/cmake-app/CMakeLists.txt"
cmake -S "$work/cmake-app" -B "$work/cmake-app/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "find_package(neardup) failed"; }
cmake --build "$work/cmake-app/build" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "the find_package project does not build"; }
run_app "$work/cmake-app/build/app" # the build tree's RUNPATH finds libneardup.so.0
if [ $shared = yes ]; then
    needs_libneardup "$work/cmake-app/build/app" || fail "neardup::neardup is not libneardup.so.0"
fi
msg="neardup::neardup"
if [ -e "$work/cmake-app/build/app_static" ]; then
    ! needs_libneardup "$work/cmake-app/build/app_static" || fail "neardup::neardup_static needs libneardup.so.0"
    run_app "$work/cmake-app/build/app_static"
    msg="neardup::neardup (shared) and neardup::neardup_static"
fi
echo "install_check: 4 find_package(neardup) builds with $msg; the apps found the seed pair"

# ---------------------------------------------------------------- 5. exported symbols
if [ $shared = yes ]; then
    # The names of the functions declared in the header, comments removed.
    awk '{ s = s $0 "\n" }
         END { while ((i = index(s, "/*")) > 0) {
                   j = index(substr(s, i + 2), "*/")
                   s = substr(s, 1, i - 1) " " substr(s, i + j + 3)
               }
               printf "%s", s }' "$prefix/include/neardup.h" |
        grep -o 'nd_[a-z0-9_]*[[:space:]]*(' | sed 's/[[:space:](]*$//' | sort -u >"$work/declared"
    nm -D --defined-only "$libdir/libneardup.so" | awk '{ print $NF }' | sort -u >"$work/exported"
    extra=$(comm -13 "$work/declared" "$work/exported" | tr '\n' ' ')
    missing=$(comm -23 "$work/declared" "$work/exported" | tr '\n' ' ')
    [ -z "$extra" ] || fail "libneardup.so exports what neardup.h does not declare: $extra"
    [ -z "$missing" ] || fail "neardup.h declares what libneardup.so does not export (ND_API missing?): $missing"
    echo "install_check: 5 libneardup.so exports $(wc -l <"$work/exported") symbols, exactly the $(wc -l <"$work/declared") functions of neardup.h"
else
    echo "install_check: 5 skipped: no shared library (BUILD_SHARED_LIBS=OFF)"
fi
