#!/usr/bin/python3
"""neardup-mpi on N = 1, 2, 3, 4 ranks writes the bytes neardup writes on the same inputs:
pairs, clusters, the remove list, passages, passage clusters, the kept lines
(--dedup-out), the stats and the report; its messages about bad input are neardup's, and
so is its exit status. Inputs: the demo's articles, the planted corpora when scripts/eval
has built them, and a JSONL file of the demo's paragraphs with lines the scan refuses
(bad JSON, no text, a NUL byte, invalid UTF-8), beside an input that does not exist. And
the pairs of two documents of one rank are verified by that rank.

usage: same_as_one_process.py NEARDUP NEARDUP_MPI DEMO_DIR CORPORA_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

from mpi_run import mpirun

OUTPUTS = ["--pairs", "--clusters", "--remove", "--passages", "--passage-clusters",
           "--dedup-out", "--stats", "--report"]
# documents only (the report, like passages, reads every document's words, which then
# all go to rank 0 first): a rank verifies the pairs of its own documents, and rank 0 asks
# for the sets of the pairs across ranks
DOCUMENT_OUTPUTS = ["--pairs", "--clusters", "--remove", "--dedup-out", "--stats"]


def write_jsonl(demo, path):
    """The demo's paragraphs as lines, in a few orders, with lines the scan refuses."""
    paragraphs = []
    for name in sorted(os.listdir(demo)):
        with open(os.path.join(demo, name), encoding="utf-8") as f:
            paragraphs += [p for p in f.read().split("\n") if p.strip()]
    with open(path, "wb") as f:
        for i in range(120):
            text = "\n".join(paragraphs[(i * 7) % len(paragraphs):][:3 + i % 5])
            f.write(json.dumps({"id": f"line-{i}", "text": text}, ensure_ascii=False)
                    .encode() + b"\n")
            if i % 3 == 0:  # 40 near copies: buckets of more than 32 documents
                variant = paragraphs[:3] + [f"variant {i}"]
                f.write(json.dumps({"id": f"near-{i}", "text": "\n".join(variant)},
                                   ensure_ascii=False).encode() + b"\n")
            if i % 29 == 3:
                f.write(b'{"id": "bad", "text": \n{"id": "none"}\n'
                        b'{"id": "nul", "text": "a\\u0000b"}\n'
                        b'{"id": "latin", "text": "caf\xe9 cr\xe8me"}\n')


def without_mpirun_notes(text):
    """neardup's messages: mpirun's own, between lines of dashes, go (it tells that a
    rank's exit status was not 0, as neardup-mpi's is 3 when an input is bad)."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("-" * 20):
            inside = not inside
        elif not inside:
            kept.append(line)
    return "".join(kept)


def outputs_of(cmd, tmp, tag, extra, outputs):
    """Each output of a run, its exit status and its messages (the outputs have the same
    names in each run's folder: messages name them)."""
    os.makedirs(os.path.join(tmp, tag), exist_ok=True)
    os.chdir(os.path.join(tmp, tag))
    args = [a for o in outputs for a in (o, "out" + o)]
    run = subprocess.run(cmd + ["-q"] + args + extra, capture_output=True, timeout=300)
    got = {"status": run.returncode,
           "messages": without_mpirun_notes(run.stderr.decode(errors="replace"))}
    paths = {o: "out" + o for o in outputs}
    for o, p in paths.items():
        with open(p, "rb") as f:
            got[o] = f.read()
    return got


def compare(label, got, want):
    bad = [k for k in want if got[k] != want[k]]
    print(f"{label}: {'same' if not bad else 'DIFFERENT: ' + ', '.join(bad)}")
    for k in bad:
        if k in ("status", "messages"):
            print(f"  {k}: neardup {want[k]!r}\n  {k}: neardup-mpi {got[k]!r}")
    return bool(bad)


def write_near_copies(demo, path, n=10000):
    """n texts of the demo's paragraphs, each followed by a copy with one word changed: a
    scanned part holds both documents of most pairs."""
    paragraphs = []
    for name in sorted(os.listdir(demo)):
        with open(os.path.join(demo, name), encoding="utf-8") as f:
            paragraphs += [p for p in f.read().split("\n") if p.strip()]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            text = "\n".join(paragraphs[(i * 11) % len(paragraphs):][:2 + i % 4] + [f"text {i}"])
            for k, copy in enumerate((text, text + " changed")):
                f.write(json.dumps({"id": f"t{i}-{k}", "text": copy}, ensure_ascii=False) + "\n")


def check_pairs_verified_where_their_sets_are(neardup, neardup_mpi, demo, tmp):
    """Documents only, on 2 and 3 ranks, texts each followed by a near copy (clusters of
    more than 32 documents among them): the bytes of neardup, and the pairs of two
    documents of one rank verified by that rank (rank 0 receives their values, not their
    sets)."""
    copies, info = os.path.join(tmp, "copies.jsonl"), os.path.join(tmp, "info.json")
    write_near_copies(demo, copies)
    extra = ["--threshold", "0.5", copies]
    want = outputs_of([neardup, "--threads", "2"], tmp, "one", extra, DOCUMENT_OUTPUTS)
    failed = False
    for n in (2, 3):
        got = outputs_of(mpirun(n) + [neardup_mpi, "--threads", "1"], tmp, f"n{n}",
                         extra + ["--run-info", info], DOCUMENT_OUTPUTS)
        failed |= compare(f"near copies --threshold 0.5 (documents only), {n} ranks", got, want)
        with open(info, encoding="utf-8") as f:
            got = json.load(f)
        ranks, candidates = got["ranks"], got["counts"]["candidate_pairs"]
        there = ranks["pairs_verified_where_their_sets_are"]
        print(f"  {there} of {candidates} candidate pairs verified where their sets are, the "
              f"sets of {ranks['shingle_sets_sent']} documents sent")
        failed |= there == 0
    return failed


def main():
    neardup, neardup_mpi, demo, corpora = sys.argv[1:5]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = os.path.join(tmp, "lines.jsonl")
        write_jsonl(demo, jsonl)
        inputs = [("demo", [demo], "0.3"),
                  ("jsonl", [jsonl, os.path.join(tmp, "missing.jsonl"), demo], "0.5")]
        for name in ("planted-arabic", "planted-mixed"):
            docs = os.path.join(corpora, name, "docs")
            if os.path.isdir(docs):
                inputs.append((name, [docs], "0.5"))
            else:
                print(f"{docs} not built (scripts/eval builds it): skipped")
        for name, paths, threshold in inputs:
            for options, outputs in (
                    (["--threshold", threshold], OUTPUTS),
                    # the least --memory: the band records cross in many small pieces
                    (["--threshold", threshold, "--memory", "64K"], DOCUMENT_OUTPUTS),
                    (["--threshold", threshold, "--shingle-unit", "char", "--all-pairs"],
                     OUTPUTS)):
                extra = options + paths
                want = outputs_of([neardup, "--threads", "2"], tmp, "one", extra, outputs)
                if name == "demo" and b"," not in want.get("--passages", b","):
                    sys.exit("the demo has passages: this test sees none")
                if outputs is DOCUMENT_OUTPUTS:
                    options = options + ["(documents only)"]
                for n in (1, 2, 3, 4):
                    got = outputs_of(mpirun(n) + [neardup_mpi, "--threads", "1"], tmp, f"n{n}",
                                     extra, outputs)
                    failed |= compare(f"{name} {' '.join(options)}, {n} rank(s)", got, want)
        failed |= check_pairs_verified_where_their_sets_are(neardup, neardup_mpi, demo, tmp)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
