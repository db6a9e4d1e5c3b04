"""bench-hf.py times the golden corpus (corpus.js) through the real Hugging Face tokenizers
library from Python (PyPI `tokenizers`, no Node overhead): one text at a time on one
thread, the 20k-character text, ordinary prose (built as BenchmarkProse builds it), pairs,
and the load of tokenizer.json. Prints medians of wall time and process CPU time; compare
with `go test ./tokenizer -bench . -cpu 1` run in the same sitting.

Usage: RAYON_NUM_THREADS=1 python bench-hf.py path/to/tokenizer.json [rounds]
"""
import json
import os
import statistics
import subprocess
import sys
import time

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    js = subprocess.run(["node", "-e", 'process.stdout.write(JSON.stringify(require(process.argv[1]).cases))',
                         os.path.join(HERE, "corpus.js")], check=True, capture_output=True, text=True).stdout
    cases = [(c["name"], c["text"]) for c in json.loads(js)]
    cases = [(n, t) for n, t in cases if not any(0xD800 <= ord(ch) <= 0xDFFF for ch in t)]
    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    texts = [t for _, t in cases]
    nbytes = sum(len(t.encode()) for t in texts)
    long = next(t for n, t in cases if n == "long-20k")
    prose = "".join(t + "\n" for n, t in cases if n.startswith("card") or n.startswith("english") or n.startswith("code")
                    or n in ("chinese", "contractions")) * 20
    pairs = [(texts[i], texts[(i * 7 + 1) % len(texts)]) for i in range(len(texts))]
    pair_bytes = sum(len(a.encode()) + len(b.encode()) for a, b in pairs)
    for t in texts:
        tok.encode(t)

    def run(name, fn, n, k):
        res = [timed(fn) for _ in range(k)]
        wall, cpu = statistics.median(r[0] for r in res), statistics.median(r[1] for r in res)
        print(f"HF {name:9s} {n / 1e6 / wall:6.2f} MB/s ({wall * 1e3:8.2f} ms), {n / 1e6 / cpu:6.2f} MB/cpu-s")

    print(f"HF corpus {len(texts)} texts, {nbytes / 1e6:.4f} MB")
    run("single", lambda: [tok.encode(t) for t in texts], nbytes, rounds)
    run("long-20k", lambda: tok.encode(long), len(long.encode()), rounds * 4)
    run("prose", lambda: tok.encode(prose), len(prose.encode()), rounds * 4)
    run("pairs", lambda: [tok.encode(a, b) for a, b in pairs], pair_bytes, rounds)
    loads = [timed(lambda: Tokenizer.from_file(path)) for _ in range(5)]
    print(f"HF load     {statistics.median(x[0] for x in loads) * 1e3:.1f} ms ({statistics.median(x[1] for x in loads) * 1e3:.1f} cpu-ms)")


main()
