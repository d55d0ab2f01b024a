#!/usr/bin/python3
"""neardup-mpi when things go wrong: a --tmpdir that fills up (a 256 KiB tmpfs, where one
can be mounted) or does not exist stops the run with exit status 4 and a message naming
the rank and the directory, and no output is written; a usage error, the index command
and standard input on 2 ranks (rank 0 alone reads it: the ranks' listings differ) are
told once, with status 2, and so is a --work-dir inside an input folder (the next run
would read its part files as documents); --help is printed once.

usage: failures.py NEARDUP_MPI DEMO_DIR CORPORA_DIR (the planted Arabic corpus when
scripts/eval has built it, else 300 articles of the demo's paragraphs)
"""
import os
import shutil
import subprocess
import sys
import tempfile

from mpi_run import documents, mpirun


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def check(what, ok, failures, detail=""):
    print(f"{what}: {'yes' if ok else 'NO'}")
    if not ok:
        failures.append(what)
        print(detail)


def scratch_fails(mpi, docs, tmpdir, cwd, failures):
    r = run(mpi + ["-q", "--threshold", "0.5", "--tmpdir", tmpdir, "--pairs", "out.csv",
                   "--passages", "passages.csv", docs], cwd)
    named = [line for line in r.stderr.splitlines()
             if line.startswith("neardup") and tmpdir in line]
    check(f"--tmpdir {tmpdir}: exit status 4", r.returncode == 4, failures, r.stderr)
    check("  a message names the directory", bool(named), failures, r.stderr)
    check("  and the rank that stopped", "neardup-mpi: rank " in r.stderr, failures, r.stderr)
    check("  no output is written", not os.path.exists(os.path.join(cwd, "out.csv")), failures)


def main():
    neardup_mpi = sys.argv[1]
    docs = documents(*sys.argv[2:4])
    mpi = mpirun(2) + [neardup_mpi, "--threads", "1"]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch_fails(mpi, docs, os.path.join(tmp, "missing"), tmp, failures)
        tiny = os.path.join(tmp, "tiny")
        os.mkdir(tiny)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", tiny],
                          capture_output=True).returncode == 0:
            try:
                scratch_fails(mpi, docs, tiny, tmp, failures)
            finally:
                subprocess.run(["umount", tiny])
        else:
            print("cannot mount a small tmpfs here (not root?): a full --tmpdir not tried")
        r = run(mpi + ["--no-such-option", docs], tmp)
        check("a usage error: status 2, told once", r.returncode == 2 and
              r.stderr.count("unknown option") == 1, failures, r.stderr)
        r = run(mpirun(2) + [neardup_mpi, "index", "create", "db"], tmp)
        check("the index command: status 2, told once", r.returncode == 2 and
              r.stderr.count("neardup index") == 1, failures, r.stderr)
        for stdin_input, given in ((["-"], "one two three four five six\n"),
                                   (["--files-from", "-"], docs + "\n")):
            r = subprocess.run(mpi + stdin_input, cwd=tmp, capture_output=True, text=True,
                               timeout=120, input=given)
            check(f"{' '.join(stdin_input)} on 2 ranks: status 2, told once", r.returncode == 2
                  and r.stderr.count("do not list the same documents") == 1, failures, r.stderr)
        # a usage error that rank 0 alone sees (the paths it alone reads name an output,
        # or hold the --work-dir): told once, status 2, and the other ranks stop too
        alone = os.path.join(tmp, "alone")
        shutil.copytree(docs, alone)
        first = min(os.path.join(d, n) for d, _, names in os.walk(alone) for n in names)
        for extra, given, told in ((["--pairs", first], first, "it would be overwritten"),
                                   (["--work-dir", os.path.join(alone, "parts")], alone,
                                    "is inside the input")):
            r = subprocess.run(mpi + extra + ["--files-from", "-"], cwd=tmp, capture_output=True,
                               text=True, timeout=120, input=given + "\n")
            check(f"{told}, rank 0 alone sees it: status 2, told once",
                  r.returncode == 2 and r.stderr.count(told) == 1, failures, r.stderr)
        r = run(mpi + [docs, "--work-dir"], tmp)
        check("--work-dir with no directory: status 2", r.returncode == 2 and
              r.stderr.count("needs a directory") == 1, failures, r.stderr)
        inputs = os.path.join(tmp, "inputs")
        shutil.copytree(docs, inputs)
        r = run(mpi + ["--work-dir", os.path.join(inputs, "parts"), inputs], tmp)
        kept = [n for _, _, names in os.walk(os.path.join(inputs, "parts")) for n in names]
        check("--work-dir inside an input: status 2, told once, no part written",
              r.returncode == 2 and r.stderr.count("is inside the input") == 1 and not kept,
              failures, r.stderr)
        r = run(mpi + ["--help"], tmp)
        check("--help, once, with --work-dir", r.returncode == 0 and
              r.stdout.count("neardup-mpi [--work-dir=DIR]") == 1, failures, r.stdout)
    if failures:
        sys.exit("failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
