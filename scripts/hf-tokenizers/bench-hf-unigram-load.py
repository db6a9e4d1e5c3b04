"""bench-hf-unigram-load.py times the Hugging Face tokenizers library loading a Unigram
tokenizer.json the size of XLM-RoBERTa's, built as BenchmarkUnigramLoadLarge builds it:
Gemma 3's 262k tokens as pieces with made-up scores, and the normalizer, pre-tokenizer and
decoder of the XLM-R-style test file, written compact and indented (as the library saves
it). Prints the median wall and process CPU time of Tokenizer.from_file over the rounds;
compare with `go test ./tokenizer -run '^$' -bench UnigramLoadLarge -benchtime 5x` run in
the same sitting.

Usage: python bench-hf-unigram-load.py [rounds]
"""
import gzip
import json
import os
import statistics
import sys
import tempfile
import time

from tokenizers import Tokenizer

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "tokenizer-golden")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with gzip.open(os.path.join(GOLDEN, "gemma3-tokenizer.json.gz"), "rt", encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    with gzip.open(os.path.join(GOLDEN, "xlmr-unigram-tokenizer.json.gz"), "rt", encoding="utf-8") as f:
        small = json.load(f)
    pieces = [None] * len(vocab)
    for tok, i in vocab.items():
        pieces[i] = [tok, -(i % 5000) / 397.0 - 1]
    small["model"] = {"type": "Unigram", "unk_id": 3, "vocab": pieces, "byte_fallback": False}
    for name, kw in (("compact", {"separators": (",", ":")}), ("indented", {"indent": 2})):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
            json.dump(small, f, ensure_ascii=False, **kw)
            path = f.name
        try:
            res = []
            for _ in range(rounds):
                c0, t0 = time.process_time(), time.perf_counter()
                Tokenizer.from_file(path)
                res.append((time.perf_counter() - t0, time.process_time() - c0))
            print(f"HF load {name} ({os.path.getsize(path) / 1e6:.1f} MB, {len(pieces)} pieces): "
                  f"{statistics.median(r[0] for r in res) * 1e3:.1f} ms "
                  f"({statistics.median(r[1] for r in res) * 1e3:.1f} cpu-ms)")
        finally:
            os.unlink(path)

if __name__ == "__main__":
    main()
