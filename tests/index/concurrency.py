#!/usr/bin/python3
"""Guarantee 3 of the feed index: queries run while an add runs and see only committed
batches (a prefix of the feed, whole batches, never shrinking); a second writer fails with
a clear error after --lock-timeout, or says it waits and goes on when the first is done.

usage: concurrency.py NEARDUP DEMO_DIR
"""
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feed_corpus import make_feed  # noqa: E402

BATCH = 50


def archived_ids(neardup, db, path):
    out = subprocess.run([neardup, "index", "query", "-q", db, "--pairs", "-", "--format",
                          "jsonl", "--threads", "1", path], check=True, capture_output=True,
                         text=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    return {r["doc_a"] for r in rows if r["doc_a"] == r["doc_b"] and r["b_archived"]}


def more_path(tmp):
    return os.path.join(tmp, "more.jsonl")


def writer_lock_held(db):
    """Whether a writer holds the index (its lock is an flock of the file)."""
    with open(db, "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def main():
    neardup, demo = os.path.abspath(sys.argv[1]), sys.argv[2]
    lines = make_feed(demo, 3000)
    ids = [json.loads(line)["id"] for line in lines]
    with tempfile.TemporaryDirectory() as tmp:
        feed, probe, db = (os.path.join(tmp, n) for n in ("feed.jsonl", "probe.jsonl", "db"))
        with open(feed, "w", encoding="utf-8") as f:
            f.writelines(lines)
        with open(probe, "w", encoding="utf-8") as f:
            f.writelines(lines[::10])
        probe_ids = ids[::10]
        subprocess.run([neardup, "index", "create", db], check=True)
        # a reader open before the add trains the texts' dictionary reads texts after it
        reader = subprocess.Popen([neardup, "index", "query", "-q", db, "--verdicts", "-", "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  bufsize=1)
        writer = subprocess.Popen([neardup, "index", "add", "-q", db, "--threads", "1",
                                   "--commit-every", str(BATCH), feed])
        seen, queries, last = [], 0, -1
        while writer.poll() is None:
            held = archived_ids(neardup, db, probe)
            n = sum(1 for i in probe_ids if i in held)
            prefix = set(probe_ids[:n])
            if held != prefix:
                sys.exit(f"a query saw documents that are not a prefix of the feed: {sorted(held)[:5]}")
            if n < last:
                sys.exit(f"a query saw fewer documents ({n}) than one before it ({last})")
            last = n
            seen.append(n)
            queries += 1
        if writer.returncode:
            sys.exit(f"the writer failed ({writer.returncode})")
        reader.stdin.write(lines[5].replace('"id": "doc', '"id": "probe'))
        reader.stdin.close()
        verdict = reader.stdout.readline()
        if reader.wait(timeout=30) or '"verdict":"duplicate"' not in verdict:
            sys.exit(f"a reader opened before the dictionary was trained: {verdict!r}, "
                     f"exit {reader.returncode}")
        # a writer that holds the lock for as long as the test wants: a stream waiting for
        # its input (the add above may be over before a query sees its first batch)
        holder = subprocess.Popen([neardup, "index", "add", "-q", db, "-"],
                                  stdin=subprocess.PIPE, text=True)
        while not writer_lock_held(db):
            time.sleep(0.05)
        second = subprocess.run([neardup, "index", "add", "-q", db, "--lock-timeout", "0.1",
                                 feed], capture_output=True, text=True)
        holder.stdin.close()
        holder.wait()
        if second.returncode != 3 or "another process is writing to the index" not in second.stderr:
            sys.exit(f"a second writer with --lock-timeout did not fail clearly: {second}")
        print(f"{queries} queries during the add saw {sorted(set(seen))[:8]}... probe documents, "
              f"each a committed prefix; the second writer: {second.stderr.strip()}")
        # a waiting writer: starts while the first holds the lock, says so, then adds
        more = more_path(tmp)
        with open(more, "w", encoding="utf-8") as f:
            f.writelines(line.replace('"id": "doc', '"id": "more') for line in lines[:100])
        first = subprocess.Popen([neardup, "index", "add", "-q", db, "--commit-every", "10",
                                  "--replace", feed])
        time.sleep(0.3)
        waiter = subprocess.run([neardup, "index", "add", db, more], capture_output=True,
                                text=True)
        first.wait()
        if waiter.returncode or (first.poll() is None):
            sys.exit(f"the waiting writer failed: {waiter.stderr}")
        print("the waiting writer: " + waiter.stderr.strip().replace("\n", " | "))
        check = subprocess.run([neardup, "index", "check", db], capture_output=True, text=True)
        if check.returncode:
            sys.exit(check.stderr)
        print("concurrency: " + check.stderr.strip())


if __name__ == "__main__":
    main()
