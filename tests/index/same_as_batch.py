#!/usr/bin/python3
"""Guarantee 1 of the feed index: a corpus fed in order into an empty index, in k batches
with `index add --query`, reports exactly the pairs of one batch run (--all-pairs) over
the whole corpus: each pair once, as later/earlier, with the same Jaccard. And streamed:
one JSONL line at a time into `index add --query -`, each verdict read before the next
line, a commit every 3 documents (so that most lines meet documents whose commit the
background writer has not finished).

usage: same_as_batch.py NEARDUP DOCS_DIR THRESHOLD [K...]
The documents are the files of DOCS_DIR (and its folders), in the batch tool's order.
"""
import csv
import io
import json
import os
import select
import subprocess
import sys
import tempfile


def files_in_order(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort(key=os.fsencode)
        for name in filenames:
            out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(out, key=os.fsencode)


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def batch_pairs(neardup, root, threshold, threads):
    out = subprocess.run([neardup, "-q", "--all-pairs", "--threshold", threshold, "--threads",
                          threads, "--pairs", "-", "."], cwd=root, check=True,
                         capture_output=True, text=True).stdout
    order = {name: i for i, name in enumerate(files_in_order(root))}
    pairs = set()
    for r in rows(out):
        a, b = sorted((r["doc_a"], r["doc_b"]), key=order.get)
        pairs.add((b, a, r["jaccard"]))
    return pairs


def index_pairs(neardup, root, threshold, k, threads, db):
    names = files_in_order(root)
    subprocess.run([neardup, "index", "create", db, "--threshold", threshold], check=True)
    pairs = set()
    size = -(-len(names) // k)
    for start in range(0, len(names), size):
        out = subprocess.run([neardup, "index", "add", "--query", "-q", db, "--threads", threads,
                              "--pairs", "-"] + names[start:start + size], cwd=root, check=True,
                             capture_output=True, text=True).stdout
        for r in rows(out):
            key = (r["doc_a"], r["doc_b"], r["jaccard"])
            if key in pairs:
                sys.exit(f"pair reported twice: {key}")
            pairs.add(key)
    check = subprocess.run([neardup, "index", "check", "-q", db])
    if check.returncode:
        sys.exit(f"index check failed after k={k}")
    return pairs


def stream_pairs(neardup, root, threshold, threads, tmp):
    db, pairs_file = os.path.join(tmp, "db"), os.path.join(tmp, "pairs.csv")
    subprocess.run([neardup, "index", "create", db, "--threshold", threshold], check=True)
    p = subprocess.Popen([neardup, "index", "add", "--query", "-q", db, "--threads", threads,
                          "--commit-every", "3", "--verdicts", "-", "--pairs", pairs_file, "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    for name in files_in_order(root):
        with open(os.path.join(root, name), encoding="utf-8") as f:
            p.stdin.write(json.dumps({"id": name, "text": f.read()}, ensure_ascii=False) + "\n")
        p.stdin.flush()
        if not select.select([p.stdout], [], [], 30)[0]:
            sys.exit(f"stream: no verdict for {name}")
        p.stdout.readline()
    p.stdin.close()
    if p.wait(timeout=60):
        sys.exit(f"stream: exit status {p.returncode}")
    if subprocess.run([neardup, "index", "check", "-q", db]).returncode:
        sys.exit("index check failed after the stream")
    with open(pairs_file, encoding="utf-8") as f:
        got = [(r["doc_a"], r["doc_b"], r["jaccard"]) for r in rows(f.read())]
    if len(set(got)) != len(got):
        sys.exit("stream: a pair reported twice")
    return set(got)


def compare(label, got, want):
    status = "same" if got == want else "DIFFERENT"
    print(f"{label}: {len(got)} pairs, batch {len(want)}: {status}")
    for p in sorted(want - got)[:5]:
        print("  missing", p)
    for p in sorted(got - want)[:5]:
        print("  extra  ", p)
    return got != want


def main():
    neardup, root, threshold = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    ks = [int(k) for k in sys.argv[4:]] or [1, 3, 7]
    failed = False
    for threads in ("1", "2"):
        want = batch_pairs(neardup, root, threshold, threads)
        for k in ks:
            with tempfile.TemporaryDirectory() as tmp:
                got = index_pairs(neardup, root, threshold, k, threads, os.path.join(tmp, "db"))
            failed |= compare(f"{root}: threshold {threshold}, {threads} thread(s), k={k}",
                              got, want)
        with tempfile.TemporaryDirectory() as tmp:
            got = stream_pairs(neardup, root, threshold, threads, tmp)
        failed |= compare(f"{root}: threshold {threshold}, {threads} thread(s), streamed",
                          got, want)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
