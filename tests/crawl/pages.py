#!/usr/bin/python3
"""HTML pages, WARC response records and legacy charsets give the plain articles' answers.

usage: pages.py NEARDUP DEMO_DIR

1. The demo articles 000, 001, 002 wrapped in an ordinary news page (a script, a style, a
   nav bar, an ad block, a footer, character references), as .html files and as a
   .warc.gz of response records (chunked, gzip, chunked and gzip): with --html-main, the
   same pairs and Jaccard as the plain articles, and passages of the same words; each
   page sliced at a passage's offsets, its tags dropped and its references decoded, is
   the plain passage's text; the feed index made with --html-main gives the same pair.
   Pages of markup with no text of their own give the plain pairs without --html-main;
   the pages as the text key of JSONL lines, with --html, give them too.
   A corrupt gzip body is an error naming the file and offset; the other records count.
   Without --html-main the template alone makes no pair of two pages that share nothing
   else.
2. Article 000 in windows-1256 and ISO-8859-6 (no label: ICU's detector), a Chinese page
   in GB18030 (<meta charset>) and a Japanese text in Shift_JIS pair with their UTF-8
   versions at Jaccard 1.0; passage offsets slice the legacy bytes.
3. Hostile pages (unclosed tags, 100,000 nested divs, 80,000 "<div/>", stray end tags,
   texts in a table outside its cells, a 50 MB attribute, an unterminated comment, bad
   character references, an unknown <meta charset>): exit 0, the unknown charset named.
"""
import csv, glob, gzip, html, io, json, os, re, subprocess, sys, tempfile

NEARDUP, DEMO = sys.argv[1], sys.argv[2]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    command = [NEARDUP, *args[:2], "-q", *args[2:]] if args[0] == "index" else [NEARDUP, "-q", *args]
    p = subprocess.run(command, capture_output=True)
    if p.returncode != expect:
        sys.exit(f"neardup {' '.join(args)}: exit {p.returncode}\n{p.stderr.decode()}")
    return p


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def article(name):
    return open(glob.glob(os.path.join(DEMO, name + "_*.txt"))[0], encoding="utf-8").read()


NAV = "".join(f'<li><a href="/s/{i}">Section {i} news</a></li>' for i in range(20))


def page(text, charset="utf-8"):
    paras = "\n".join(f'<p class="para">{html.escape(p, quote=True)}</p>'
                      for p in text.split("\n") if p.strip())
    return (f'<!DOCTYPE html>\n<html lang="ar"><head><meta charset="{charset}">'
            f'<title>news &amp; views</title>\n<script>var cfg={{"a":1}};'
            f'function f(x){{return x<3&&x>1}}</script>\n<style>p{{margin:0}}</style></head>\n'
            f'<body><header><nav><ul>{NAV}</ul></nav></header>\n'
            f'<div class="ad"><a href="https://ads.example/x">Buy the best phone today</a></div>\n'
            f'<main><article>\n{paras}\n</article></main>\n'
            f'<footer><p>&copy; 2026 The News Site. All rights reserved.</p>'
            f'<a href="/privacy">Privacy policy and terms</a></footer>\n'
            f'<!-- generated --><script src="/app.js"></script></body></html>\n')


def words_of_page_slice(body, start, end, encoding):
    piece = body[start:end].decode(encoding)
    piece = re.sub(r"<[^>]*>", " ", piece)
    return html.unescape(piece).split()


def bare_page(text):
    """The article as a page with markup but no visible text of its own."""
    paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in text.split("\n") if p.strip())
    return (f"<!DOCTYPE html><html><head><title>t</title><style>p{{}}</style></head><body>"
            f"<script>var a = '<p>not text</p>';</script><!-- a comment -->\n{paras}"
            f"</body></html>")


def warc_record(url, body, codings):
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    if "gzip" in codings:
        body = gzip.compress(body)
        headers += b"Content-Encoding: gzip\r\n"
    if "corrupt" in codings:
        body = body[:len(body) // 2]
    if "chunked" in codings:
        chunks = [body[i:i + 1000] for i in range(0, len(body), 1000)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        headers += b"Transfer-Encoding: chunked\r\n"
    block = headers + b"\r\n" + body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{url[-3:]}>\r\n"
            f"WARC-Target-URI: {url}\r\nWARC-Date: 2026-12-05T00:00:00Z\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(block)}\r\n\r\n").encode()
    return gzip.compress(head + block + b"\r\n\r\n")


def pair_set(path):
    return {(r["doc_a"], r["doc_b"]): r["jaccard"] for r in rows(path)}


def html_pages(tmp):
    names = ["000", "001", "002"]
    plain_dir, page_dir = os.path.join(tmp, "plain"), os.path.join(tmp, "pages")
    os.makedirs(plain_dir)
    os.makedirs(page_dir)
    for n in names:
        open(os.path.join(plain_dir, n), "w", encoding="utf-8").write(article(n))
        open(os.path.join(page_dir, n), "w", encoding="utf-8").write(page(article(n)))
    warc = os.path.join(tmp, "crawl.warc.gz")
    with open(warc, "wb") as f:
        for n, codings in zip(names, [("chunked",), ("gzip",), ("chunked", "gzip")]):
            f.write(warc_record(f"https://news.example/{n}",
                                page(article(n)).encode(), codings))
    bare_dir = os.path.join(tmp, "bare")
    os.makedirs(bare_dir)
    for n in names:
        open(os.path.join(bare_dir, n), "w", encoding="utf-8").write(bare_page(article(n)))
    with open(os.path.join(tmp, "broken.warc.gz"), "wb") as f:
        f.write(warc_record("https://news.example/bad", page(article("003")).encode(),
                            ("gzip", "corrupt")))
        for n in names:
            f.write(warc_record(f"https://news.example/{n}", page(article(n)).encode(), ("gzip",)))
    common = ["--threshold", "0.1", "--format", "csv"]
    run(*common, "--pairs", f"{tmp}/plain.csv", "--passages", f"{tmp}/plain_p.csv", plain_dir)
    run(*common, "--html-main", "--pairs", f"{tmp}/pages.csv", "--passages",
        f"{tmp}/pages_p.csv", page_dir)
    run(*common, "--html-main", "--pairs", f"{tmp}/warc.csv", warc)
    plain = pair_set(f"{tmp}/plain.csv")
    check(len(plain) >= 1, f"plain articles: {len(plain)} pair(s) at 0.1")
    check(pair_set(f"{tmp}/pages.csv") == plain,
          f"pages with --html-main: the plain pairs and Jaccard {plain}")
    warc_pairs = {(a.strip("<>").rsplit(":", 1)[-1], b.strip("<>").rsplit(":", 1)[-1]): j
                  for (a, b), j in pair_set(f"{tmp}/warc.csv").items()}
    check(warc_pairs == plain, f"chunked/gzip WARC responses: the plain pairs {warc_pairs}")
    run(*common, "--html-main", "--report", f"{tmp}/warc.html", "--pairs", "/dev/null", warc)
    report = open(f"{tmp}/warc.html", encoding="utf-8").read()
    check("<title>Duplicates by host</title>" in report and "news.example" in report
          and "&lt;p" not in report,
          "the report of the WARC: duplicates by host, the pages' text (no markup)")
    run(*common, "--pairs", f"{tmp}/bare.csv", bare_dir)
    check(pair_set(f"{tmp}/bare.csv") == plain,
          "pages of markup without text of their own: the plain pairs, without --html-main")
    p = subprocess.run([NEARDUP, *common, "--html-main", "--pairs", f"{tmp}/broken.csv",
                        os.path.join(tmp, "broken.warc.gz")], capture_output=True)
    named = re.search(rb"broken\.warc\.gz:\d+: error: the gzip HTTP body is corrupt", p.stderr)
    broken = {(a.strip("<>").rsplit(":", 1)[-1], b.strip("<>").rsplit(":", 1)[-1]): j
              for (a, b), j in pair_set(f"{tmp}/broken.csv").items()}
    check(p.returncode == 3 and named is not None and broken == plain,
          f"a corrupt gzip body: exit {p.returncode}, an error naming the file and offset, "
          f"the other records' pairs {broken}")
    plain_p, page_p = rows(f"{tmp}/plain_p.csv"), rows(f"{tmp}/pages_p.csv")
    check(len(plain_p) == len(page_p) and len(plain_p) > 0,
          f"as many passages: {len(plain_p)} plain, {len(page_p)} pages")
    same_words = sliced_ok = True
    for p, q in zip(plain_p, page_p):
        for side in "ab":
            plain_words = p["text_" + side].split()
            same_words &= q["text_" + side].split() == plain_words
            body = open(os.path.join(page_dir, q["doc_" + side]), "rb").read()
            got = words_of_page_slice(body, int(q[side + "_start"]), int(q[side + "_end"]), "utf-8")
            sliced_ok &= got == plain_words
            chars = len(body[:int(q[side + "_start"])].decode("utf-8"))
            sliced_ok &= chars == int(q[side + "_char_start"])
    check(same_words, "page passages have the plain passages' words")
    check(sliced_ok, "each page sliced at its passage's offsets, tags dropped: the plain text")
    # the feed index, made with --html-main, gives the batch's pair and Jaccard
    db = os.path.join(tmp, "pages.ndx")
    run("index", "create", db, "--html-main", "--threshold", "0.1")
    run("index", "add", db, os.path.join(page_dir, "000"), os.path.join(page_dir, "002"))
    run("index", "query", db, os.path.join(page_dir, "001"), "--pairs", f"{tmp}/index.csv")
    got = {(os.path.basename(r["doc_b"]), os.path.basename(r["doc_a"])): r["jaccard"]
           for r in rows(f"{tmp}/index.csv")}
    check(got == plain, f"index of pages (--html-main): the plain pairs {got}")
    refused = subprocess.run([NEARDUP, "index", "query", db, "--html=off", os.path.join(page_dir, "001")],
                             capture_output=True)
    check(refused.returncode == 2 and b"--html" in refused.stderr,
          "an index made with --html-main refuses another --html")
    # JSONL whose text key holds HTML, with --html: the page's text, offsets into the string
    with open(os.path.join(tmp, "pages.jsonl"), "w", encoding="utf-8") as f:
        for n in names:
            f.write(json.dumps({"id": n, "text": page(article(n))}, ensure_ascii=False) + "\n")
    run(*common, "--html", "--html-main", "--pairs", f"{tmp}/jsonl.csv", f"{tmp}/pages.jsonl")
    check(pair_set(f"{tmp}/jsonl.csv") == plain, "JSONL of pages with --html: the plain pairs")
    # the template alone: two pages with unrelated text make no pair, with or without main
    other = os.path.join(tmp, "template")
    os.makedirs(other)
    open(os.path.join(other, "a"), "w").write(page(article("000")))
    open(os.path.join(other, "b"), "w").write(page(article("004")))
    run("--threshold", "0.1", "--pairs", f"{tmp}/template.csv", other)
    check(rows(f"{tmp}/template.csv") == [], "the site template alone makes no pair at 0.1")


CHINESE = ("北京的秋天是一年中最美好的季节，天空晴朗，空气清新。许多游客在这个时候来到长城和故宫参观。"
           "公园里的树叶变成了金黄色和红色，老人们在湖边散步、下棋、唱歌。"
           "市政府宣布将在明年扩建地铁线路，以缓解城市交通的压力。"
           "专家认为，新的线路将连接机场和市中心，使出行时间缩短一半。")
JAPANESE = ("東京の秋はとても美しい季節です。空は晴れて、空気は澄んでいます。多くの観光客が浅草や上野公園を訪れます。"
            "公園の木々は黄色や赤に色づき、人々はベンチに座って景色を楽しんでいます。"
            "市は来年、新しい地下鉄の路線を建設すると発表しました。"
            "専門家によると、新しい路線は空港と都心を結び、移動時間が半分になるということです。")


def charsets(tmp):
    d = os.path.join(tmp, "charsets")
    os.makedirs(d)
    text = article("000")
    files = {"000.utf8.txt": text.encode("utf-8"), "000.cp1256.txt": text.encode("cp1256"),
             "000.iso88596.txt": text.encode("iso-8859-6"),
             "zh.utf8.html": page(CHINESE).encode("utf-8"),
             "zh.gb18030.html": page(CHINESE, "gb18030").encode("gb18030"),
             "ja.utf8.txt": (JAPANESE * 2).encode("utf-8"),
             "ja.sjis.txt": (JAPANESE * 2).encode("shift_jis")}
    for name, data in files.items():
        open(os.path.join(d, name), "wb").write(data)
    run("--threshold", "0.9", "--pairs", f"{tmp}/cs.csv", "--passages", f"{tmp}/cs_p.csv", d)
    got = pair_set(f"{tmp}/cs.csv")
    for a, b in [("000.cp1256.txt", "000.utf8.txt"), ("000.iso88596.txt", "000.utf8.txt"),
                 ("zh.gb18030.html", "zh.utf8.html"), ("ja.sjis.txt", "ja.utf8.txt")]:
        j = got.get((a, b), got.get((b, a)))
        check(j is not None and float(j) == 1.0, f"{a} ~ {b}: Jaccard {j}")
    encodings = {"cp1256": "cp1256", "iso88596": "iso-8859-6", "gb18030": "gb18030",
                 "sjis": "shift_jis", "utf8": "utf-8"}
    ok = True
    for p in rows(f"{tmp}/cs_p.csv"):
        for side in "ab":
            name = p["doc_" + side]
            enc = encodings[name.split(".")[1]]
            body = open(os.path.join(d, name), "rb").read()
            words = words_of_page_slice(body, int(p[side + "_start"]), int(p[side + "_end"]), enc)
            ok &= words == p["text_" + side].split()
    check(ok, "passage offsets slice the legacy bytes to the passage's text")


def hostile(tmp):
    d = os.path.join(tmp, "hostile")
    os.makedirs(d)
    pages = {
        "unclosed.html": "<!DOCTYPE html><html><body><div><p>one two <b>three <i>four five six",
        "nested.html": "<!DOCTYPE html><html><body>" + "<div>" * 100000 + "deep words here",
        "attribute.html": '<!DOCTYPE html><html><body><p title="' + "x" * (50 << 20) + '">text',
        "comment.html": "<!DOCTYPE html><html><body><p>before words<!-- never closed",
        "references.html": "<!DOCTYPE html><p>&#0; &#x110000; &#xD800; &bogus; &amp &lt;&#65;"
                           "&#x41&notit; &notin; &#99999999999; &",
        "charset.html": '<!DOCTYPE html><meta charset="no-such-charset"><p>some words here',
        # HTML5 tree construction costs n * n for these, bounded before parsing
        "selfclosing.html": "<!DOCTYPE html><body>" + "<div/>x " * 80000,
        "stray.html": "<!DOCTYPE html><body><p>" + "y </x> " * 80000,
        "table.html": "<!DOCTYPE html><body><table>" + "y <tr></tr>" * 80000,
        "emptycomment.html": "<!DOCTYPE html><body><!-->" + "<div>y " * 80000,
    }
    for name, text in pages.items():
        open(os.path.join(d, name), "w").write(text)
    p = subprocess.run([NEARDUP, "--threshold", "0.5", d], capture_output=True, timeout=300)
    check(p.returncode == 0, f"hostile pages: exit {p.returncode}")
    check(b"no-such-charset" in p.stderr, "the unknown <meta charset> is named")


with tempfile.TemporaryDirectory() as tmp:
    html_pages(tmp)
    charsets(tmp)
    hostile(tmp)
if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("crawl_pages: all checks passed")
