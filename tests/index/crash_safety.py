#!/usr/bin/python3
"""Guarantee 2 of the feed index: SIGKILL at 20 random moments of an `index add`: every
reopened index passes `index check`, holds exactly the documents of the batches committed
before the kill (a prefix of the feed, a whole number of --commit-every batches), and
answers a query as a fresh index built from those batches does. Then SIGKILL of a stream
(`index add --query DB -`, whose commits run on a writer thread) after a random number
of lines, each verdict read before the next line: the same, of the lines sent.

usage: crash_safety.py NEARDUP DEMO_DIR [KILLS]
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feed_corpus import make_feed  # noqa: E402

BATCH = 50


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw)


def ids_in(neardup, db, feed_path):
    """The feed's ids the index holds: those that a query of the feed finds archived under
    their own id (read-only)."""
    out = run(neardup, "index", "query", "-q", db, "--pairs", "-", "--format", "jsonl",
              "--threads", "1", feed_path).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    return {r["doc_a"] for r in rows if r["doc_a"] == r["doc_b"] and r["b_archived"]}


STREAM_BATCH = 7


def stream_kills(neardup, lines, tmp, feed, rng, kills):
    for k in range(kills):
        db = os.path.join(tmp, f"stream{k}")
        run(neardup, "index", "create", db)
        p = subprocess.Popen([neardup, "index", "add", "--query", "-q", db, "--verdicts", "-",
                              "--commit-every", str(STREAM_BATCH), "--threads", "1", "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        sent = rng.randrange(20, 300)
        for line in lines[:sent]:
            p.stdin.write(line)
            p.stdin.flush()
            p.stdout.readline()
        p.send_signal(signal.SIGKILL)
        p.wait()
        if subprocess.run([neardup, "index", "check", "-q", db]).returncode:
            sys.exit(f"stream kill {k}: index check failed")
        n = int(run(neardup, "index", "stats", db).stdout.split()[1])
        if n % STREAM_BATCH or n > sent:
            sys.exit(f"stream kill {k}: {n} documents after {sent} lines in batches of "
                     f"{STREAM_BATCH}")
        if ids_in(neardup, db, feed) != {json.loads(line)["id"] for line in lines[:n]}:
            sys.exit(f"stream kill {k}: the index does not hold exactly the first {n} lines")
        print(f"stream kill {k} after {sent} lines: check passes, it holds the first {n}")


def main():
    neardup, demo = os.path.abspath(sys.argv[1]), sys.argv[2]
    kills = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    lines = make_feed(demo, 3000)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        feed = os.path.join(tmp, "feed.jsonl")
        queries = os.path.join(tmp, "queries.jsonl")
        with open(feed, "w", encoding="utf-8") as f:
            f.writelines(lines)
        with open(queries, "w", encoding="utf-8") as f:  # near copies of the feed's documents
            f.writelines(line.replace('"id": "doc', '"id": "q') for line in lines[::37])
        db = os.path.join(tmp, "db")
        add = [neardup, "index", "add", "-q", db, "--threads", "1", "--date-key", "date",
               "--commit-every", str(BATCH), feed]
        run(neardup, "index", "create", db)
        t0 = time.monotonic()
        run(*add)
        whole = time.monotonic() - t0
        for k in range(kills):
            for name in os.listdir(tmp):
                if name.startswith("db"):
                    os.unlink(os.path.join(tmp, name))
            run(neardup, "index", "create", db)
            p = subprocess.Popen(add, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, whole))
            p.send_signal(signal.SIGKILL)
            p.wait()
            if subprocess.run([neardup, "index", "check", "-q", db]).returncode:
                sys.exit(f"kill {k}: index check failed")
            stats = run(neardup, "index", "stats", db).stdout
            n = int(stats.split()[1])
            if n % BATCH and n != len(lines):
                sys.exit(f"kill {k}: {n} documents, not a whole number of batches of {BATCH}")
            fresh = os.path.join(tmp, "fresh")
            with open(fresh + ".jsonl", "w", encoding="utf-8") as f:
                f.writelines(lines[:n])
            for name in (fresh,):
                if os.path.exists(name):
                    os.unlink(name)
            run(neardup, "index", "create", fresh)
            run(neardup, "index", "add", "-q", fresh, "--date-key", "date", fresh + ".jsonl")
            q = [neardup, "index", "query", "-q", "--pairs", "-", "--threads", "1"]
            got, want = run(*q, db, queries).stdout, run(*q, fresh, queries).stdout
            if got != want:
                sys.exit(f"kill {k}: queries differ from a fresh index of the {n} documents")
            want_ids = {json.loads(line)["id"] for line in lines[:n]}
            if ids_in(neardup, db, feed) != want_ids:
                sys.exit(f"kill {k}: the index does not hold exactly the first {n} documents")
            print(f"kill {k} after {n} of {len(lines)} documents: check passes, it holds the "
                  f"first {n}, queries as a fresh index")
            os.unlink(fresh)
            os.unlink(fresh + "-lock")
        stream_kills(neardup, lines, tmp, feed, rng, 5)
    print(f"crash safety: {kills} kills of an add and 5 of a stream, every index whole")


if __name__ == "__main__":
    main()
