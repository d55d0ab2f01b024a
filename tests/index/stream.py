#!/usr/bin/python3
"""The feed index's streaming path: `index add --query DB -` handles each JSONL line as it
arrives and writes its verdict at once (each verdict is read back before the next line is
sent), and SIGTERM commits what was handled: the index then holds every document whose
verdict came out, and passes `index check`.

usage: stream.py NEARDUP DEMO_DIR [LINES]
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feed_corpus import make_feed  # noqa: E402


def main():
    neardup, demo = os.path.abspath(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    lines = make_feed(demo, n, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        subprocess.run([neardup, "index", "create", db], check=True)
        p = subprocess.Popen([neardup, "index", "add", "--query", "-q", db, "--date-key", "date",
                              "--verdicts", "-", "--commit-every", "1000", "--threads", "1", "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        waits, verdicts = [], []
        for line in lines:
            t0 = time.monotonic()
            p.stdin.write(line)
            p.stdin.flush()
            ready, _, _ = select.select([p.stdout], [], [], 10)
            if not ready:
                sys.exit(f"no verdict within 10 s of line {len(verdicts) + 1}")
            verdicts.append(json.loads(p.stdout.readline()))
            waits.append(time.monotonic() - t0)
        p.send_signal(signal.SIGTERM)  # before any --commit-every: the signal commits
        p.wait(timeout=30)
        if p.returncode != 0:
            sys.exit(f"SIGTERM: exit status {p.returncode}")
        want = [json.loads(line)["id"] for line in lines]
        if [v["id"] for v in verdicts] != want:
            sys.exit("verdicts out of order or missing")
        stats = subprocess.run([neardup, "index", "stats", db], check=True, capture_output=True,
                               text=True).stdout
        held = int(stats.split()[1])
        if held != n:
            sys.exit(f"after SIGTERM the index holds {held} documents, not {n}")
        if subprocess.run([neardup, "index", "check", "-q", db]).returncode:
            sys.exit("index check failed after SIGTERM")
        waits.sort()
        dups = sum(v["verdict"] == "duplicate" for v in verdicts)
        print(f"stream: {n} lines, each verdict back before the next line "
              f"(median {1000 * waits[len(waits) // 2]:.1f} ms, this machine, not a benchmark); "
              f"{dups} duplicates; SIGTERM committed all {held}")


if __name__ == "__main__":
    main()
