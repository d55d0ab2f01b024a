"""A JSONL feed for the index tests, made from the demo articles: documents of sentences
drawn from them, a third of them near copies (a few words changed) of an earlier one, each
with an id and a date a day apart."""
import datetime
import json
import os
import random


def sentences(demo):
    out = []
    for name in sorted(os.listdir(demo)):
        with open(os.path.join(demo, name), encoding="utf-8") as f:
            out += [s.strip() for s in f.read().replace("\n", " ").split(".") if len(s.split()) > 4]
    return out


def make_feed(demo, n, seed=1):
    rng = random.Random(seed)
    pool = sentences(demo)
    docs = []
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for i in range(n):
        if docs and rng.random() < 0.33:
            words = rng.choice(docs)["text"].split()
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = f"w{rng.randrange(10**6)}"
            text = " ".join(words)
        else:
            text = ". ".join(rng.choice(pool) for _ in range(rng.randint(8, 20))) + "."
        date = (start + datetime.timedelta(days=i % 365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        docs.append({"id": f"doc{i:05d}", "date": date, "text": text})
    return [json.dumps(d, ensure_ascii=False) + "\n" for d in docs]
