"""gen-components-golden.py checks normalizers, pre-tokenizers and decoders one by one: each
configuration replaces the normalizer / pre_tokenizer / decoder of all-MiniLM-L6-v2's
tokenizer.json (WordPiece model kept), and the real library (PyPI `tokenizers`) encodes
the corpus with it. Written per case: the normalized text, the pre-tokenizer's pieces of
it, ids, tokens, byte offsets and decodes.

Usage: python gen-components-golden.py OUT.json.gz minilm-tokenizer.json.gz
"""
import gzip
import json
import os
import subprocess
import sys

import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))

S, R = (lambda s: {"String": s}), (lambda r: {"Regex": r})
WS, WSS = {"type": "Whitespace"}, {"type": "WhitespaceSplit"}
WP = {"type": "WordPiece", "prefix": "##", "cleanup": True}


def seq_n(*n):
    return {"type": "Sequence", "normalizers": list(n)}


def seq_p(*p):
    return {"type": "Sequence", "pretokenizers": list(p)}


CONFIGS = {
    "replace-string": (seq_n({"type": "Replace", "pattern": S("  "), "content": " "},
                             {"type": "Replace", "pattern": S("é"), "content": "E\u0301"},
                             {"type": "Replace", "pattern": S("th"), "content": ""}), WS, WP),
    "replace-regex": (seq_n({"type": "Replace", "pattern": R("\\s+"), "content": " "},
                            {"type": "Replace", "pattern": R("[0-9]+"), "content": "#"},
                            {"type": "Lowercase"}), WSS, WP),
    "prepend-strip": (seq_n({"type": "Strip", "strip_left": True, "strip_right": True},
                            {"type": "Prepend", "prepend": "xy "}), WS, WP),
    "strip-left": ({"type": "Strip", "strip_left": True, "strip_right": False}, WSS, WP),
    "nfd-stripaccents-lower": (seq_n({"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}), WS, WP),
    "nfkd-lower": (seq_n({"type": "NFKD"}, {"type": "Lowercase"}), WS, WP),
    "punct-isolated": (None, seq_p(WSS, {"type": "Punctuation", "behavior": "Isolated"}), WP),
    "punct-removed": (None, seq_p(WSS, {"type": "Punctuation", "behavior": "Removed"}), WP),
    "punct-prev": (None, seq_p(WSS, {"type": "Punctuation", "behavior": "MergedWithPrevious"}), WP),
    "punct-next": (None, seq_p(WSS, {"type": "Punctuation", "behavior": "MergedWithNext"}), WP),
    "punct-contiguous": (None, seq_p(WSS, {"type": "Punctuation", "behavior": "Contiguous"}), WP),
    "digits-individual": (None, seq_p(WS, {"type": "Digits", "individual_digits": True}), WP),
    "digits-runs": (None, seq_p(WSS, {"type": "Digits", "individual_digits": False}), WP),
    "char-delimiter": (None, {"type": "CharDelimiterSplit", "delimiter": "e"}, WP),
    "split-regex": (None, seq_p(WSS, {"type": "Split", "pattern": R("[a-z]+|[0-9]+"), "behavior": "Isolated", "invert": False}), WP),
    "bpe-decoder": (None, WS, {"type": "BPEDecoder", "suffix": "##"}),
    "bpe-decoder-default": (None, WS, {"type": "BPEDecoder", "suffix": "</w>"}),
    "decoder-sequence": (None, WS, {"type": "Sequence", "decoders": [{"type": "BPEDecoder", "suffix": "a"}, WP]}),
    "no-decoder": (None, WS, None),
}


def corpus():
    js = subprocess.run(["node", "-e", 'process.stdout.write(JSON.stringify(require(process.argv[1]).cases))',
                         os.path.join(HERE, "corpus.js")], check=True, capture_output=True, text=True).stdout
    cases = [(c["name"], c["text"]) for c in json.loads(js)]
    with open(os.path.join(HERE, "corpus-bert.json"), encoding="utf-8") as f:
        extra = json.load(f)
    # The long words as gen-pair-golden.py builds them.
    long_words = {"long-word-101": "abcdefghij" * 10 + "k",
                  "long-word-100": "abcdefghij" * 10 + " " + "abcdefghij" * 10 + "!",
                  "long-word-multibyte": "\u00e9" * 100 + " " + "\u00e9" * 101 + " " + "e\u0301" * 60,
                  "long-word-cjk-adjacent": "x" * 99 + "\u4e2d" + "y" * 120}
    cases += [("bert-" + n, long_words.get(n, t)) for n, t in extra]
    out = []
    for i, (name, text) in enumerate(cases):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            continue
        if i % 5 == 0 or name.startswith("bert-"):
            out.append((name, text))
    return out


def byte_offsets(text, offs):
    at = [0]
    for ch in text:
        at.append(at[-1] + len(ch.encode("utf-8")))
    return [[at[s], at[e]] for s, e in offs]


def main():
    out_path, minilm_path = sys.argv[1:3]
    with gzip.open(minilm_path, "rt", encoding="utf-8") as f:
        base = json.load(f)
    cases = corpus()
    res = {"generator": f"tokenizers {tokenizers.__version__} (PyPI)", "configs": []}
    for name, (norm, pre, dec) in CONFIGS.items():
        doc = dict(base, normalizer=norm, pre_tokenizer=pre, decoder=dec, truncation=None, padding=None)
        tok = Tokenizer.from_str(json.dumps(doc))
        cfg = {"name": name, "normalizer": norm, "pre_tokenizer": pre, "decoder": dec, "cases": []}
        for cname, text in cases:
            e = tok.encode(text, add_special_tokens=True)
            normalized = tok.normalizer.normalize_str(text) if tok.normalizer else text
            cfg["cases"].append({
                "name": cname, "normalized": normalized,
                "pretokens": [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(normalized)],
                "ids": e.ids, "tokens": e.tokens, "offsets": byte_offsets(text, e.offsets),
                "decoded": tok.decode(e.ids, skip_special_tokens=False),
                "decoded_skip_special": tok.decode(e.ids, skip_special_tokens=True),
            })
        res["configs"].append(cfg)
        print(name, len(cfg["cases"]))
    with gzip.open(out_path, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(res, f, ensure_ascii=False)


main()
