#!/usr/bin/python3
"""neardup-mpi on N = 1, 2, 3, 4 ranks writes the bytes neardup writes on the same inputs:
pairs, clusters, the remove list, passages, passage clusters, the kept lines
(--dedup-out), the stats and the report; its messages about bad input are neardup's, and
so is its exit status. Inputs: the demo's articles, the planted corpora when scripts/eval
has built them, and a JSONL file of the demo's paragraphs with lines the scan refuses
(bad JSON, no text, a NUL byte, invalid UTF-8), beside an input that does not exist. And
the pairs whose first document a rank scanned are verified by that rank, and the passages
of shingles common enough for --max-df to ignore are neardup's, sorted within --memory or
not.

usage: same_as_one_process.py NEARDUP NEARDUP_MPI DEMO_DIR CORPORA_DIR
"""
import json
import os
import random
import subprocess
import sys
import tempfile

from mpi_run import mpirun

OUTPUTS = ["--pairs", "--clusters", "--remove", "--passages", "--passage-clusters",
           "--dedup-out", "--stats", "--report"]
# documents only: a rank verifies the pairs of its own documents, and rank 0 asks for the
# sets of the pairs across ranks
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


def check_pairs_verified_by_other_ranks(neardup, neardup_mpi, demo, tmp):
    """Documents only, on 2 and 3 ranks, texts each followed by a near copy (clusters of
    more than 32 documents among them): the bytes of neardup, and the pairs whose first
    document a rank other than 0 scanned verified by that rank (rank 0 receives their
    values, not their sets), with the set of a second document a third rank scanned sent
    by that rank (on 3 ranks)."""
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
        there, swapped = ranks["pairs_verified_by_other_ranks"], ranks["set_bytes_between_ranks"]
        print(f"  {there} of {candidates} candidate pairs verified by another rank than 0, "
              f"{swapped} bytes of sets sent between ranks, the sets of "
              f"{ranks['shingle_sets_sent']} documents sent to rank 0")
        failed |= there == 0 or (n == 3 and swapped == 0)
    return failed


def write_footers(path, n=600):
    """n articles of words drawn at random, each with one footer, a few quoting the next,
    and 12 near copies of one: a cluster of more documents than --max-df 4, and a footer
    common enough for a rank to find it so."""
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
                  for _ in range(5000)]
    footer = "published by the demo press agency all rights reserved do not copy"
    articles = [[rng.choice(vocabulary) for _ in range(80)] for _ in range(n)]
    for i in range(0, n - 1, 20):  # a quote of 30 words in the next article
        articles[i + 1][10:10] = articles[i][40:70]
    with open(path, "w", encoding="utf-8") as f:
        for i, words in enumerate(articles):
            copies = 12 if i == 5 else 0
            for k in range(1 + copies):
                text = words[:k] + ["changed"] + words[k + 1:] if k else words
                f.write(json.dumps({"id": f"a{i}-{k}", "text": " ".join(text) + ". " + footer})
                        + "\n")


def check_common_shingles(neardup, neardup_mpi, tmp):
    """Passages on 2 and 3 ranks when a cluster holds more documents than --max-df: a rank
    leaves out the records of the shingles it finds common and tells the rank of their
    hash, which ignores them (as many shingles ignored as neardup's). With the least
    --memory, every sorter of the stage spills."""
    info, jsonl = os.path.join(tmp, "info.json"), os.path.join(tmp, "footers.jsonl")
    write_footers(jsonl)
    failed = False
    for memory in ([], ["--memory", "64K"]):
        extra = ["--threshold", "0.5", "--max-df", "4"] + memory + [jsonl]
        want = outputs_of([neardup, "--threads", "2"], tmp, "one", extra + ["--run-info", info],
                          OUTPUTS)
        with open(info, encoding="utf-8") as f:
            capped = json.load(f)["counts"]["capped_shingles"]
        failed |= capped == 0 or want["--passages"].count(b"\n") < 10
        for n in (2, 3):
            got = outputs_of(mpirun(n) + [neardup_mpi, "--threads", "1"], tmp, f"n{n}",
                             extra + ["--run-info", info], OUTPUTS)
            label = f"lines --max-df 4 {' '.join(memory)}, {n} ranks"
            failed |= compare(label, got, want)
            with open(info, encoding="utf-8") as f:
                got_capped = json.load(f)["counts"]["capped_shingles"]
            print(f"  shingles ignored for --max-df: {got_capped}, neardup's {capped}")
            failed |= got_capped != capped
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
        failed |= check_pairs_verified_by_other_ranks(neardup, neardup_mpi, demo, tmp)
        failed |= check_common_shingles(neardup, neardup_mpi, tmp)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
