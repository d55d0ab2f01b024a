#!/bin/sh
# Text the code was not tuned on, side by side with the text it was: one command, one
# table of MB/s per core for every corpus (issue 21).
#
#   bench/run_untuned.sh [--runs R] [--dir DIR]
#
# The corpora, built once into DIR (default /tmp/neardup-untuned), all JSONL but one:
#   arabic, english     bench/gen_corpus, 16,000 articles (the text the fast paths were
#                       tuned on: the reference rows)
#   emoji, zwj,         the Arabic articles with one emoji, one ZWJ sequence (a family)
#   ideograph           or one supplementary ideograph (U+20000) in the middle of each
#   planted-arabic,     ../shared/eval/make_corpora.py --scale large (100,000 documents
#   planted-mixed       each: sentences of the seed articles with their words replaced,
#                       Quran verses with full diacritics; the mixed one 55% English
#                       e-mail sentences, 20% bilingual)
#   markov, markov-files  ../shared/peers/make_corpus.py's 20,000 articles (order-1
#                       Markov chains over the seeds, short lines, harakat, tatweel,
#                       CRLF; edge cases), as JSONL and as the files the peer reads
#   real-arabic         17,000 articles of 8-32 sentences of the demo articles drawn at
#                       random: real news text, which shares sentences but not
#                       documents, so clusters stay small (none at the default threshold)
# Each corpus runs R times (default 5) in rounds of one run of each configuration: one
# thread, two threads, and one thread with --passages. The table gives the medians of the
# whole process's wall clock, MB/s per core, the share of the fastest corpus of the same
# language (target: 80% or more), the speed-up of two threads (target 1.8) and the
# passages' time on top of the document level's (target 1x). An emoji and a ZWJ sequence
# are no words, so those corpora must give the Arabic corpus's pairs byte for byte
# (checked); an ideograph is a word, which moves some Jaccard values. Last, one thread
# pinned to each CPU and two threads on the Arabic corpus, side by side: what two
# threads reach of both CPUs' speed together (a virtual machine's CPUs differ).
set -eu
cd "$(dirname "$0")/.."
runs=5
dir=/tmp/neardup-untuned
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        *) sed -n 2,30p "$0"; exit 2 ;;
    esac
done
mkdir -p "$dir"
# one run at a time on a folder: a second would build its corpora under the first one's
# feet, and time itself against it
exec 9>"$dir/.lock"
flock -n 9 || { echo "run_untuned.sh: another run is using $dir" >&2; exit 1; }
for script in ../shared/eval/make_corpora.py ../shared/peers/make_corpus.py; do
    [ -f "$script" ] || { echo "run_untuned.sh: no $script (the shared folder beside the repository)" >&2; exit 1; }
done
bench/build.sh
bin=build-bench/neardup
py=/usr/bin/python3

# Each corpus is built under a name of its own and renamed once complete: a run killed
# while building leaves nothing that a later run would take for a corpus.
for lang in arabic english; do
    if [ ! -e "$dir/$lang.jsonl" ]; then
        build-bench/bench/gen_corpus --docs 16000 --lang $lang --seed 1 --vocab demo --format jsonl \
            --out "$dir/$lang.part" >/dev/null
        mv "$dir/$lang.part.truth.csv" "$dir/$lang.jsonl.truth.csv"
        mv "$dir/$lang.part" "$dir/$lang.jsonl"
    fi
done
if [ ! -d "$dir/eval" ]; then
    rm -rf "$dir/eval.part"
    "$py" ../shared/eval/make_corpora.py "$dir/eval.part" --seeds-dir demo --scale large \
        --only planted-arabic,planted-mixed --exact-threshold 0 >/dev/null 2>&1
    mv "$dir/eval.part" "$dir/eval"
fi
if [ ! -d "$dir/markov-files" ]; then
    rm -rf "$dir/markov-files.part"
    "$py" ../shared/peers/make_corpus.py ../shared/seeds "$dir/markov-files.part" --n 20000 \
        --no-debian --manifest "$dir/markov.manifest.csv" >/dev/null
    mv "$dir/markov-files.part" "$dir/markov-files"
fi
"$py" - "$dir" <<'PY'
import json, os, random, re, sys
d = sys.argv[1]

def write_jsonl(name, docs):  # docs: (id, text) in order
    path = os.path.join(d, name + ".jsonl")
    if os.path.exists(path):
        return
    with open(path + ".part", "w", encoding="utf-8") as out:
        for key, text in docs:
            out.write(json.dumps({"id": key, "text": text}, ensure_ascii=False) + "\n")
    os.rename(path + ".part", path)

def files_under(root):
    for top, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(top, name)
            with open(path, "rb") as f:  # one edge-case file is invalid UTF-8 on purpose
                yield os.path.relpath(path, root), f.read().decode("utf-8", "replace")

def arabic_docs():
    with open(os.path.join(d, "arabic.jsonl"), encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            yield doc["id"], doc["text"]

def with_insertion(insert):
    for key, text in arabic_docs():
        at = text.find(" ", len(text) // 2)
        yield key, (text[:at] + insert + text[at + 1:] if at > 0 else text + insert)

def real_arabic():
    text = "".join(open(os.path.join("demo", n), encoding="utf-8").read()
                   for n in sorted(os.listdir("demo")))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?\u061F])\s+|\n+", text) if s.strip()]
    rng = random.Random(1)
    for i in range(17000):
        yield "r%d" % i, "\n".join(rng.sample(sentences, rng.randint(8, 32)))

write_jsonl("emoji", with_insertion(" \U0001F600 "))
write_jsonl("zwj", with_insertion(" \U0001F468\u200D\U0001F469\u200D\U0001F467 "))
write_jsonl("ideograph", with_insertion(" \U00020000 "))
for name in ("planted-arabic", "planted-mixed"):
    write_jsonl(name, files_under(os.path.join(d, "eval", name, "docs")))
write_jsonl("markov", files_under(os.path.join(d, "markov-files")))
write_jsonl("real-arabic", real_arabic())
PY

# corpus language input
corpora="arabic arabic $dir/arabic.jsonl
emoji arabic $dir/emoji.jsonl
zwj arabic $dir/zwj.jsonl
ideograph arabic $dir/ideograph.jsonl
planted-arabic arabic $dir/planted-arabic.jsonl
markov arabic $dir/markov.jsonl
markov-files arabic $dir/markov-files
real-arabic arabic $dir/real-arabic.jsonl
english english $dir/english.jsonl
planted-mixed mixed $dir/planted-mixed.jsonl"
confs="t1 t2 p1"
args_of() {
    case $1 in
        t1) echo "--threads 1" ;;
        t2) echo "--threads 2" ;;
        p1) echo "--threads 1 --passages /dev/null" ;;
    esac
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "$corpora" | while read -r name lang input; do
    "$bin" -q --pairs "$dir/$name.pairs" "$input" 2>/dev/null # warms the page cache
    for c in $confs; do : > "$dir/$name.$c"; done
done
for name in emoji zwj; do
    cmp -s "$dir/arabic.pairs" "$dir/$name.pairs" || { echo "run_untuned.sh: $name: pairs differ" >&2; exit 1; }
done
round=0
while [ $round -lt "$runs" ]; do
    echo "$corpora" | while read -r name lang input; do
        for c in $confs; do
            t0=$(date +%s.%N)
            # shellcheck disable=SC2046
            "$bin" -q $(args_of "$c") --pairs /dev/null "$input" 2>/dev/null
            t1=$(date +%s.%N)
            awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' >> "$dir/$name.$c"
        done
    done
    round=$((round + 1))
done

# name lang MB docs t1 t2 p1, then the table
echo "$corpora" | while read -r name lang input; do
    bytes=$(find "$input" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
    if [ -d "$input" ]; then docs=$(find "$input" -type f | wc -l); else docs=$(wc -l < "$input"); fi
    echo "$name $lang $mb $docs $(median < "$dir/$name.t1") $(median < "$dir/$name.t2") $(median < "$dir/$name.p1")"
done > "$dir/medians"
echo "$(git rev-parse --short HEAD 2>/dev/null || echo '?'), medians of $runs rounds; wall clock of the whole process, --pairs /dev/null, default options"
echo
echo "| corpus | MB | documents | 1 thread, s | MB/s | of its language's fastest | 2 threads, s | speed-up | with passages, s | passages over the document level |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk '
    { row[NR] = $0; mbs = $3 / $5; if (mbs > best[$2]) best[$2] = mbs }
    END {
        for (i = 1; i <= NR; i++) {
            split(row[i], f, " ")
            mbs = f[3] / f[5]
            printf "| %s (%s) | %.1f | %d | %.3f | %.0f | %.0f%% | %.3f | %.2fx | %.3f | %.2fx |\n",
                f[1], f[2], f[3], f[4], f[5], mbs, 100 * mbs / best[f[2]], f[6], f[5] / f[6], f[7],
                (f[7] - f[5]) / f[5]
        }
    }' "$dir/medians"
echo
echo "Targets: one thread 250 MB/s on Arabic, 400 on English (mixed: judged as Arabic), every corpus 80% of the fastest of its language or more; two threads 1.8x; passages 1x or less."

# The two CPUs of a virtual machine need not be equally fast: one thread pinned to each,
# and two threads, side by side; two threads can at most do what both CPUs do together
if command -v taskset >/dev/null; then
    for c in cpu0 cpu1 both; do : > "$dir/arabic.$c"; done
    i=0
    while [ $i -lt "$runs" ]; do
        for c in cpu0 cpu1 both; do
            case $c in
                cpu0) run="taskset -c 0 $bin -q --threads 1" ;;
                cpu1) run="taskset -c 1 $bin -q --threads 1" ;;
                both) run="$bin -q --threads 2" ;;
            esac
            t0=$(date +%s.%N)
            $run --pairs /dev/null "$dir/arabic.jsonl"
            t1=$(date +%s.%N)
            awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' >> "$dir/arabic.$c"
        done
        i=$((i + 1))
    done
    set -- "$(median < "$dir/arabic.cpu0")" "$(median < "$dir/arabic.cpu1")" "$(median < "$dir/arabic.both")"
    echo
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {
        both = 1 / (1 / a + 1 / b)
        printf "Arabic, one thread pinned to CPU 0: %.3f s, to CPU 1: %.3f s; both CPUs together at best %.3f s (%.2fx the faster one alone); two threads %.3f s: %.0f%% of what both CPUs do together.\n",
            a, b, both, (a < b ? a : b) / both, t, 100 * both / t }'
fi
