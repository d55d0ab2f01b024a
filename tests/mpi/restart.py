#!/usr/bin/python3
"""neardup-mpi --work-dir: a run whose rank 0 is killed (SIGKILL) as verification starts
stops, writes no output, and leaves each rank's scanned part; the rerun takes the parts
as they are (the same files) and writes the bytes of an uninterrupted run. A damaged
part is scanned again, with a warning; parts of another cut go; other options or a
changed input (other bytes, its size and times kept) make every part anew; a compressed
input is kept as a file is; parts of the same batches are taken whatever rank scanned them (another number of
ranks cuts the same parts when they are one batch each, as here, or 64 MB each).

usage: restart.py NEARDUP NEARDUP_MPI DEMO_DIR CORPORA_DIR (the planted Arabic corpus when
scripts/eval has built it, else 300 articles of the demo's paragraphs)
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

from mpi_run import documents, mpirun

OUTPUTS = ["--pairs", "--clusters", "--passages", "--report"]


def run(cmd, cwd, extra, env=None):
    args = [a for o in OUTPUTS for a in (o, "out" + o)]
    return subprocess.run(cmd + ["-q"] + args + extra, cwd=cwd, capture_output=True,
                          timeout=300, env=env)


def outputs(cwd):
    got = {}
    for o in OUTPUTS:
        with open(os.path.join(cwd, "out" + o), "rb") as f:
            got[o] = f.read()
    return got


def parts(work):
    """Each part file's identity: a file written anew is another inode."""
    return {n: (os.stat(os.path.join(work, n)).st_ino, os.stat(os.path.join(work, n)).st_mtime_ns)
            for n in sorted(os.listdir(work)) if n.endswith(".part")}


def check(what, ok, failures):
    print(f"{what}: {'yes' if ok else 'NO'}")
    if not ok:
        failures.append(what)


def main():
    neardup, neardup_mpi = sys.argv[1:3]
    docs = documents(*sys.argv[3:5])
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "docs")
        shutil.copytree(docs, corpus)
        # a compressed input too: spooled to a temporary file, it is kept by the key of
        # its own file
        with gzip.open(os.path.join(corpus, "zz.jsonl.gz"), "wt", encoding="utf-8") as f:
            for i, name in enumerate(sorted(os.listdir(docs))[:3]):
                path = os.path.join(docs, name)
                if os.path.isfile(path):
                    with open(path, encoding="utf-8") as d:
                        f.write(json.dumps({"id": f"gz-{i}", "text": d.read()}) + "\n")
        mpi = mpirun(2) + [neardup_mpi, "--threads", "1"]
        one, kept, work = (os.path.join(tmp, d) for d in ("one", "kept", "work"))
        for d in (one, kept):
            os.mkdir(d)
        extra = ["--threshold", "0.3", corpus]
        if run([neardup], one, extra).returncode:
            sys.exit("neardup failed")
        want = outputs(one)

        env = dict(os.environ, NEARDUP_MPI_TEST_KILL_AT="verify")
        killed = run(mpi + ["--work-dir", work], kept, extra, env)
        check("the killed run fails", killed.returncode != 0, failures)
        check("it writes no output", not os.path.exists(os.path.join(kept, "out--pairs")),
              failures)
        before = parts(work)
        check("the ranks kept their parts", len(before) >= 2, failures)
        stale = os.path.join(work, "scan.3-of-999.part")
        with open(stale, "wb") as f:
            f.write(b"a part of another cut")

        again = run(mpi + ["--work-dir", work], kept, extra)
        check("the rerun succeeds", again.returncode == 0, failures)
        check("the rerun takes the parts as they are", parts(work) == before, failures)
        check("its outputs are those of one process", outputs(kept) == want, failures)
        check("the parts of another cut are gone", not os.path.exists(stale), failures)

        name = sorted(before)[1]
        with open(os.path.join(work, name), "r+b") as f:
            f.seek(-3, os.SEEK_END)
            last = f.read(1)
            f.seek(-3, os.SEEK_END)
            f.write(bytes([last[0] ^ 0x20]))
        damaged = run(mpi + ["--work-dir", work], kept, extra)
        check("a damaged part is told", b"damaged" in damaged.stderr, failures)
        check("and scanned again", parts(work)[name] != before[name] and
              parts(work)[sorted(before)[0]] == before[sorted(before)[0]], failures)
        check("the outputs stay those of one process", damaged.returncode == 0 and
              outputs(kept) == want, failures)

        before = parts(work)
        other = run(mpi + ["--work-dir", work, "--shingle", "4"], kept, extra)
        check("other options make the parts anew", other.returncode == 0 and
              all(parts(work)[n] != before[n] for n in before), failures)
        run([neardup, "--shingle", "4"], one, extra)
        check("with the outputs of those options", outputs(kept) == outputs(one), failures)

        before = parts(work)
        first = min(os.path.join(d, n) for d, _, names in os.walk(corpus) for n in names
                    if n.endswith(".txt"))
        times = os.stat(first)
        with open(first, "r+b") as f:  # other words, the same size and times
            text = f.read()
            f.seek(0)
            f.write(text[::-1])
        os.utime(first, ns=(times.st_atime_ns, times.st_mtime_ns))
        changed = run(mpi + ["--work-dir", work, "--shingle", "4"], kept, extra)
        check("a changed input makes the parts anew", changed.returncode == 0 and
              all(parts(work)[n] != before[n] for n in before), failures)
        run([neardup, "--shingle", "4"], one, extra)

        before = parts(work)
        three = run(mpirun(3) + [neardup_mpi, "--threads", "1", "--work-dir", work,
                                 "--run-info", "info.json", "--shingle", "4"], kept, extra)
        with open(os.path.join(kept, "info.json"), encoding="utf-8") as f:
            ranks = json.load(f)["ranks"]
        same_cut = set(parts(work)) == set(before)
        check("three ranks write the same bytes", three.returncode == 0 and
              outputs(kept) == outputs(one), failures)
        check("and take the parts of the same batches as they are, whoever scanned them",
              ranks["parts_from_work_dir"] == (ranks["parts"] if same_cut else 0) and
              (same_cut or len(set(parts(work)) - set(before)) == ranks["parts"]), failures)
        # two jobs at once on one --work-dir: each keeps its parts under a name of its own
        # until it renames them, so both end well, and a third run takes every part
        shared = os.path.join(tmp, "shared")
        jobs, dirs = [], []
        for j in range(2):
            out = os.path.join(tmp, f"job{j}")
            os.mkdir(out)
            dirs.append(out)
            args = [a for o in OUTPUTS for a in (o, "out" + o)]
            jobs.append(subprocess.Popen(mpi + ["-q", "--work-dir", shared] + args + extra,
                                         cwd=out, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE))
        ends = [job.wait(timeout=300) for job in jobs]
        run([neardup, "--shingle", "4"], one, extra)  # (the corpus changed above)
        run([neardup], one, extra)
        want = outputs(one)
        check("two jobs at once on one --work-dir both succeed, with neardup's outputs",
              ends == [0, 0] and all(outputs(d) == want for d in dirs), failures)
        third = run(mpi + ["--work-dir", shared, "--run-info", "info.json"], kept, extra)
        with open(os.path.join(kept, "info.json"), encoding="utf-8") as f:
            ranks = json.load(f)["ranks"]
        check("and a third run takes every part they kept", third.returncode == 0 and
              ranks["parts_from_work_dir"] == ranks["parts"] and outputs(kept) == want, failures)
        check("no temporary part is left", not [n for n in os.listdir(shared)
                                                 if n.endswith(".tmp")], failures)
    if failures:
        sys.exit("failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
