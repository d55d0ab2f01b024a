"""test_python.py: the Python module (import neardup) against the command line.

Run by CTest with Debian's python3, PYTHONPATH at the built module, NEARDUP_CLI the
command line and NEARDUP_DEMO the demo articles.
"""
import csv
import io
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings

import neardup

DEMO = os.environ["NEARDUP_DEMO"]
CLI = os.environ["NEARDUP_CLI"]


def demo_docs():
    names = sorted(os.listdir(DEMO))
    docs = []
    for name in names:
        with open(os.path.join(DEMO, name), encoding="utf-8") as f:
            docs.append((name, f.read()))
    return docs


def cli_rows(*args):
    out = subprocess.run([CLI, "-q", *args, DEMO], check=True, capture_output=True).stdout
    return list(csv.DictReader(io.StringIO(out.decode("utf-8"))))


class Find(unittest.TestCase):
    def test_pairs_and_clusters_are_the_command_lines(self):
        got = neardup.find(demo_docs(), threshold=0.3)
        want = cli_rows("--threshold", "0.3", "--pairs", "-")
        self.assertEqual(len(got["pairs"]), 1)
        self.assertEqual(len(got["pairs"]), len(want))
        for p, row in zip(got["pairs"], want):
            self.assertEqual(p["doc_a"], row["doc_a"])
            self.assertEqual(p["doc_b"], row["doc_b"])
            self.assertAlmostEqual(p["jaccard"], float(row["jaccard"]), places=4)
            self.assertEqual(p["shared"], int(row["shared_shingles"]))
        [cluster] = got["clusters"]
        self.assertEqual(cluster["kept"], "000_0890706d309c6b14.txt")
        self.assertEqual(cluster["size"], 2)
        self.assertEqual([m[0] for m in cluster["members"]],
                         ["000_0890706d309c6b14.txt", "001_6b51f63e2d89280f.txt"])
        self.assertEqual(cluster["members"][0][1], 1.0)
        self.assertEqual(got["stats"]["documents"], 5)

    def test_passages_slice_the_str_and_its_bytes(self):
        docs = demo_docs()
        texts = dict(docs)
        got = neardup.find(docs, passages=True)["passages"]
        want = cli_rows("--passages", "-", "--pairs", "/dev/null")
        self.assertEqual(len(got), 5)
        for p, row in zip(got, want):
            for key in ("a_start", "a_end", "b_start", "b_end", "a_char_start", "a_char_end",
                        "b_char_start", "b_char_end", "words_a", "words_b"):
                self.assertEqual(p[key], int(row[key]), key)
            a = texts[p["doc_a"]]
            self.assertEqual(a[p["a_char_start"]:p["a_char_end"]], row["text_a"])
            self.assertEqual(a.encode()[p["a_start"]:p["a_end"]].decode(), row["text_a"])

    def test_bytes_and_any_iterable(self):
        docs = ((name, text.encode()) for name, text in demo_docs())
        got = neardup.find(docs, threshold=0.3)
        self.assertEqual(len(got["pairs"]), 1)

    def test_a_copy_of_a_list_of_dicts(self):
        items = [{"id": "a", "text": "the same story told twice, word for word, here"},
                 {"id": "b", "text": "The same story, told twice: word for word here."},
                 {"id": "c", "text": "something else entirely, about the weather today"}]
        got = neardup.find((d["id"], d["text"]) for d in items)
        self.assertEqual([(p["doc_a"], p["doc_b"], p["jaccard"]) for p in got["pairs"]],
                         [("a", "b", 1.0)])

    def test_invalid_utf8_is_a_warning_naming_the_document(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # UTF-8 (two good sequences) with one bad byte: read as UTF-8, the byte as U+FFFD
            got = neardup.find([("bad", b"caf\xc3\xa9 cr\xc3\xa8me \xe9 au lait and more words")])
        self.assertEqual(got["stats"]["documents"], 1)
        self.assertTrue(any("bad" in str(w.message) for w in caught), caught)

    def test_html_pages_are_read_as_their_text(self):
        story = " ".join(f"word{i}" for i in range(40))
        page = ("<!DOCTYPE html><html><head><script>var a = 1;</script></head><body>"
                "<nav><a href='/'>Home</a> <a href='/b'>World</a></nav>"
                f"<article><p>{story}</p></article></body></html>")
        got = neardup.find([("page", page), ("text", story)], html_main=True)
        self.assertEqual([(p["doc_a"], p["doc_b"], p["jaccard"]) for p in got["pairs"]],
                         [("page", "text", 1.0)])
        got = neardup.find([("page", page), ("text", story)], html="off")
        self.assertEqual(got["pairs"], [])

    def test_bytes_in_a_legacy_charset_are_converted(self):
        text = "Le caf\u00e9 cr\u00e8me du march\u00e9, d\u00e9j\u00e0 c\u00e9l\u00e8bre \u00e0 Orl\u00e9ans"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = neardup.find([("utf8", text.encode("utf-8")), ("latin", text.encode("cp1252"))])
        self.assertEqual([(p["doc_a"], p["doc_b"], p["jaccard"]) for p in got["pairs"]],
                         [("utf8", "latin", 1.0)])
        self.assertEqual(caught, [])

    def test_the_gil_is_released_while_the_stages_run(self):
        docs = [(str(i), " ".join(f"w{(i * 7 + k) % 5000}" for k in range(400)))
                for i in range(3000)]
        done = threading.Event()
        worker = threading.Thread(target=lambda: (neardup.find(docs, threads=1), done.set()))
        ticks = 0
        worker.start()
        while not done.is_set():
            ticks += 1
        worker.join()
        self.assertGreater(ticks, 1000, "the main thread ran while find() did")


class Readme(unittest.TestCase):
    def test_the_readme_example_runs_as_written(self):
        with open(os.path.join(DEMO, "..", "README.md"), encoding="utf-8") as f:
            readme = f.read()
        code = readme.split("```python\n", 1)[1].split("```", 1)[0]
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             env=os.environ).stdout.decode()
        self.assertEqual(out, "['a', 'c']\n")


class Errors(unittest.TestCase):
    def test_options_out_of_range_say_what_they_must_be(self):
        with self.assertRaisesRegex(ValueError, "threshold must be a number from 0"):
            neardup.find([], threshold=80)
        with self.assertRaisesRegex(ValueError, "num_perm must be a whole number from 16"):
            neardup.find([], num_perm=8)
        with self.assertRaisesRegex(ValueError, "normalize must be one of 'full', 'basic', 'none'"):
            neardup.find([], normalize="nfkc")
        with self.assertRaises(TypeError):
            neardup.find([], shingle=2.5)
        with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'treshold'"):
            neardup.find([], treshold=0.5)

    def test_bad_documents(self):
        with self.assertRaisesRegex(TypeError, "document 1: expected an .id, text. pair"):
            neardup.find([("a", "text"), "just text"])
        with self.assertRaisesRegex(TypeError, "document 0: the text must be str or bytes, not int"):
            neardup.find([("a", 5)])
        with self.assertRaises(TypeError):
            neardup.find(5)

    def test_nothing_in_nothing_out(self):
        got = neardup.find([])
        self.assertEqual(got["pairs"], [])
        self.assertEqual(got["clusters"], [])
        self.assertEqual(got["passages"], [])


class Index(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "feed.ndx")

    def tearDown(self):
        self.dir.cleanup()

    def test_a_feed_as_the_command_line_sees_it(self):
        docs = demo_docs()
        ix = neardup.Index(self.path, create=True, threshold=0.3)
        verdicts = ix.add(docs[:1])
        self.assertEqual(verdicts, [{"id": docs[0][0], "verdict": "new", "added": True,
                                     "matches": []}])
        verdicts = ix.add(docs[1:])
        self.assertEqual(verdicts[0]["verdict"], "duplicate")
        batch = neardup.find(docs, threshold=0.3)["pairs"][0]["jaccard"]
        self.assertEqual(verdicts[0]["matches"],
                         [{"id": docs[0][0], "jaccard": batch, "archived": True}])
        self.assertEqual([v["verdict"] for v in verdicts[1:]], ["new"] * 3)
        self.assertEqual(ix.stats()["documents"], 5)
        ix.close()
        # the command line reads what the module wrote
        out = subprocess.run([CLI, "index", "query", "-q", self.path, "--pairs", "-",
                              os.path.join(DEMO, docs[1][0])], check=True,
                             capture_output=True, text=True).stdout
        self.assertIn(f'"{docs[0][0]}",0.3217', out)

    def test_query_adds_nothing_and_remove_removes(self):
        ix = neardup.Index(self.path, create=True, threshold=0.5)
        ix.add([("a", "rain is expected in cairo on monday the agency said")])
        got = ix.query([("b", "rain is expected in cairo on monday the agency said")])
        self.assertEqual(got[0]["matches"][0]["id"], "a")
        self.assertEqual(got[0]["added"], False)
        self.assertEqual(ix.remove(["a", "nobody"]), 1)
        self.assertEqual(ix.stats()["documents"], 0)

    def test_mistakes_raise(self):
        with self.assertRaisesRegex(RuntimeError, "not a neardup index|No such file"):
            neardup.Index(os.path.join(self.dir.name, "missing.ndx"))
        neardup.Index(self.path, create=True).close()
        with self.assertRaises(FileExistsError):
            neardup.Index(self.path, create=True)
        ix = neardup.Index(self.path)
        with self.assertRaisesRegex(ValueError, "write=True"):
            ix.add([("a", "text")])
        ix.close()
        with self.assertRaisesRegex(ValueError, "closed"):
            ix.query([("a", "text")])


if __name__ == "__main__":
    unittest.main()
