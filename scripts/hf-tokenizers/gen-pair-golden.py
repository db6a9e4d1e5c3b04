"""gen-pair-golden.py runs the real Hugging Face tokenizers library (PyPI `tokenizers`, the
Rust library's Python bindings) over corpus.js plus corpus-bert.json with each given
tokenizer.json, and writes what it answers as gzipped JSON: for single texts and pairs,
with and without special tokens, the ids, type ids, tokens, byte offsets, special-tokens
masks and decodes; and truncation of singles and pairs for every strategy and direction.
A tokenizer.json's own truncation and padding sections are switched off (the Go package
reports them, it does not apply them).

Usage: python gen-pair-golden.py OUTDIR name=path/to/tokenizer.json [name=...]
(node must be on PATH: corpus.js is read through it.)
"""
import gzip
import json
import os
import subprocess
import sys

import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus():
    js = subprocess.run(["node", "-e", 'process.stdout.write(JSON.stringify(require(process.argv[1]).cases))',
                         os.path.join(HERE, "corpus.js")], check=True, capture_output=True, text=True).stdout
    cases = [(c["name"], c["text"]) for c in json.loads(js)]
    with open(os.path.join(HERE, "corpus-bert.json"), encoding="utf-8") as f:
        extra = json.load(f)
    grow = {"long-word-101": 10.1, "long-word-100": 10, "long-word-multibyte": 100, "long-word-cjk-adjacent": 0}
    for name, text in extra:
        if name == "long-word-101":
            text = "abcdefghij" * 10 + "k"
        elif name == "long-word-100":
            text = "abcdefghij" * 10 + " " + "abcdefghij" * 10 + "!"
        elif name == "long-word-multibyte":
            text = "\u00e9" * 100 + " " + "\u00e9" * 101 + " " + "e\u0301" * 60
        elif name == "long-word-cjk-adjacent":
            text = "x" * 99 + "\u4e2d" + "y" * 120
        cases.append(("bert-" + name, text))
    out = []
    for name, text in cases:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            continue  # lone surrogates: not a Python/Go string
        out.append((name, text))
    return out


def byte_offsets(text, offs):
    at = [0]
    for ch in text:
        at.append(at[-1] + len(ch.encode("utf-8")))
    return [[at[s], at[e]] for s, e in offs]


def enc_json(e, text, pair_text=None):
    offs = e.offsets
    seq = e.sequence_ids
    out = []
    for k, (s, t) in enumerate(offs):
        src = pair_text if (seq[k] == 1 and pair_text is not None) else text
        out.append(byte_offsets(src, [(s, t)])[0])
    return {"ids": e.ids, "type_ids": e.type_ids, "tokens": e.tokens, "offsets": out,
            "special_tokens_mask": e.special_tokens_mask}


def main():
    outdir, specs = sys.argv[1], sys.argv[2:]
    cases = corpus()
    for spec in specs:
        name, path = spec.split("=", 1)
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        res = {"generator": f"tokenizers {tokenizers.__version__} (PyPI)", "tokenizer": name,
               "cases": [], "pairs": [], "truncation": []}
        for cname, text in cases:
            r = {"name": cname, "text": text}
            e = tok.encode(text, add_special_tokens=True)
            r.update(enc_json(e, text))
            n = tok.encode(text, add_special_tokens=False)
            r["ids_no_special"] = n.ids
            r["type_ids_no_special"] = n.type_ids
            r["special_tokens_mask_no_special"] = n.special_tokens_mask
            r["decoded"] = tok.decode(e.ids, skip_special_tokens=False)
            r["decoded_skip_special"] = tok.decode(e.ids, skip_special_tokens=True)
            r["pretokens"] = [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text) if tok.normalizer else text)] if tok.pre_tokenizer else None
            res["cases"].append(r)
        # Pairs: a fixed spread of the corpus against itself.
        names = [c[0] for c in cases]
        idx = list(range(0, len(cases), 9)) + [i for i, c in enumerate(cases) if c[0].startswith("bert-") or c[0] in ("empty", "space", "long-word")]
        pairs = []
        for k, i in enumerate(idx):
            j = idx[(k * 7 + 3) % len(idx)]
            pairs.append((i, j))
        pairs += [(names.index("empty"), names.index("empty")), (names.index("hello"), names.index("empty"))]
        for i, j in pairs:
            a, b = cases[i][1], cases[j][1]
            r = {"a": cases[i][0], "b": cases[j][0]}
            e = tok.encode(a, b, add_special_tokens=True)
            r.update(enc_json(e, a, b))
            n = tok.encode(a, b, add_special_tokens=False)
            r["no_special"] = enc_json(n, a, b)
            res["pairs"].append(r)
        # Truncation, single and pair, every strategy and direction.
        sub = [i for i in range(len(cases)) if i % 11 == 0 or cases[i][0] in ("hello", "empty", "bert-long-word-100", "bert-special-in-text")]
        for max_len in (1, 2, 3, 4, 5, 7, 8, 16):
            for strategy in ("longest_first", "only_first", "only_second"):
                for direction in ("right", "left"):
                    for special in (True, False):
                        t2 = Tokenizer.from_file(path)
                        t2.no_padding()
                        err = None
                        try:
                            t2.enable_truncation(max_len, stride=0, strategy=strategy, direction=direction)
                        except Exception as ex:  # noqa: BLE001 - the library's refusal is the expected value
                            err = str(ex)
                        for k, i in enumerate(sub):
                            j = sub[(k * 5 + 1) % len(sub)]
                            for pair in (False, True):
                                r = {"a": cases[i][0], "b": cases[j][0] if pair else None, "max_length": max_len,
                                     "strategy": strategy, "direction": direction, "special": special}
                                if err is not None:
                                    r["error"] = err
                                else:
                                    try:
                                        e = t2.encode(cases[i][1], cases[j][1] if pair else None, add_special_tokens=special)
                                        r["ids"], r["type_ids"] = e.ids, e.type_ids
                                    except Exception as ex:  # noqa: BLE001
                                        r["error"] = str(ex)
                                res["truncation"].append(r)
        data = json.dumps(res, ensure_ascii=False).encode("utf-8")
        with gzip.open(os.path.join(outdir, f"{name}.json.gz"), "wb", compresslevel=9) as f:
            f.write(data)
        print(f"{name}: {len(res['cases'])} cases, {len(res['pairs'])} pairs, {len(res['truncation'])} truncation cases, {len(data)} bytes JSON")


main()
