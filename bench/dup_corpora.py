#!/usr/bin/env python3
"""Corpora of duplicate structure, for bench/run_dup_bench.sh (issue: syndicated copies and
boilerplate at crawl scale). Each is written once into DIR, beside a corpus of the same size
and document count without duplicates (the same generator, every text distinct).

    bench/dup_corpora.py DIR [--scale S]

  syndicated    17,142 JSONL documents: the five demo articles, paragraphs shuffled
  groups100     100,000 lines in 100 groups of identical text
  identical20k  20,000 identical lines
  groups1000    1,000,000 lines in 1,000 groups of identical text (--scale divides it)
  files100k     100,000 identical small files in a folder (--scale divides it)
  crawl1m       1,000,000 short documents, 10% of them in clusters of 1,000 to 20,000
                near-identical texts (--scale divides it)
  licences      the licence and copyright notices this system carries (real, boilerplate-
                heavy text: /usr/share/doc/*/copyright, /usr/share/common-licenses)
and, for each, NAME-unique: the same number of documents, each text its own (for
syndicated, bench/run_dup_bench.sh makes it with gen_corpus instead: Arabic like it).
"""
import json
import os
import random
import sys

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo")


def words(rng, n):
    return " ".join("w%x" % rng.getrandbits(40) for _ in range(n))


def write_jsonl(path, texts):
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": "d%d" % i, "text": t}, ensure_ascii=False) + "\n")


def syndicated(rng):
    articles = []
    for name in sorted(os.listdir(DEMO)):
        with open(os.path.join(DEMO, name), encoding="utf-8") as f:
            articles.append([p for p in f.read().split("\n") if p.strip()])
    for i in range(17142):
        paras = list(articles[i % 5])
        rng.shuffle(paras)
        yield "\n".join(paras)


def unique_like(rng, n, size):
    for _ in range(n):
        yield words(rng, size)


def crawl(rng, n):
    """10% of n in clusters of 1,000 to 20,000 near-identical texts (one word changed)."""
    clustered, k = n // 10, 0
    bases = []
    while sum(s for _, s in bases) < clustered:
        size = min(rng.randint(1000, 20000), clustered - sum(s for _, s in bases))
        bases.append((words(rng, 60), max(size, 1)))
    texts = [words(rng, 60) for _ in range(n - clustered)]
    for base, size in bases:
        for j in range(size):
            texts.append(base + " v%d" % (j % 7))
    rng.shuffle(texts)
    return texts


def licences(rng, out, unique):
    os.makedirs(out)
    os.makedirs(unique)
    paths = [os.path.join("/usr/share/common-licenses", n)
             for n in sorted(os.listdir("/usr/share/common-licenses"))]
    doc = "/usr/share/doc"
    paths += [os.path.join(doc, n, "copyright") for n in sorted(os.listdir(doc))]
    for i, path in enumerate(p for p in paths if os.path.isfile(p)):
        with open(path, "rb") as f:
            data = f.read()
        with open(os.path.join(out, "%04d.txt" % i), "wb") as f:
            f.write(data)
        with open(os.path.join(unique, "%04d.txt" % i), "w") as f:
            f.write(words(rng, max(1, len(data.split()))))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    scale = int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1
    os.makedirs(out, exist_ok=True)
    rng = random.Random(1)

    def made(name):
        p = os.path.join(out, name)
        if os.path.exists(p):
            return None
        print("dup_corpora: writing", p, file=sys.stderr)
        return p

    p = made("syndicated.jsonl")
    if p:
        write_jsonl(p, syndicated(rng))
    for name, n, groups in (("groups100", 100000, 100), ("identical20k", 20000, 1),
                            ("groups1000", 1000000 // scale, 1000)):
        p = made(name + ".jsonl")
        if p:
            write_jsonl(p, ("w%d x" % (i % groups) for i in range(n)))
            write_jsonl(os.path.join(out, name + "-unique.jsonl"),
                        ("w%d x" % i for i in range(n)))
    p = made("files100k")
    if p:
        n = 100000 // scale
        for kind in ("files100k", "files100k-unique"):
            d = os.path.join(out, kind)
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                with open(os.path.join(d, "%06d.txt" % i), "w") as f:
                    f.write("Page not found. The page you asked for %s.\n"
                            % ("is gone" if kind == "files100k" else "is gone %d" % i))
    p = made("licences")
    if p:
        licences(rng, p, p + "-unique")
    p = made("crawl1m.jsonl")
    if p:
        n = 1000000 // scale
        write_jsonl(p, crawl(rng, n))
        write_jsonl(os.path.join(out, "crawl1m-unique.jsonl"), unique_like(rng, n, 61))


if __name__ == "__main__":
    main()
