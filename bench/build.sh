#!/bin/sh
# What every benchmark does first: install what it needs (scripts/deps --bench) and build
# neardup for speed (Release, -march=native, no tests) into build-bench. Run from the
# repository's root.
set -eu
# two benchmarks started at once build one after the other, not into each other
mkdir -p build-bench
exec 8>build-bench/.build.lock
flock 8
scripts/deps --bench
mpi=""
command -v mpicc >/dev/null 2>&1 && mpi="-DNEARDUP_MPI=ON" # neardup-mpi, for bench/run_mpi_bench.sh
# shellcheck disable=SC2086
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DNEARDUP_NATIVE=ON -DNEARDUP_BUILD_TESTS=OFF $mpi >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
