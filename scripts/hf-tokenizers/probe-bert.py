"""probe-bert.py asks the real Hugging Face tokenizers library (PyPI `tokenizers`, the Rust
library's Python bindings) how BertNormalizer and BertPreTokenizer treat every Unicode code
point, one option at a time and all together (and StripAccents, NFD, and the character
classes of Whitespace, WhitespaceSplit, Punctuation and Digits). The Go tests compare package tokenizer
against this table for all code points.

Usage: python probe-bert.py OUT.json.gz
"""
import gzip
import json
import sys

import tokenizers
from tokenizers import normalizers, pre_tokenizers

configs = {
    "clean": normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False),
    "chinese": normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False),
    "strip": normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False),
    "lower": normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True),
    "all": normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=True),
    # strip_accents null follows lowercase
    "default-cased": normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False),
    "strip-accents": normalizers.StripAccents(),
    "nfd": normalizers.NFD(),
}
pre = pre_tokenizers.BertPreTokenizer()
# Other pre-tokenizers' character classes, on "a" + c + "b" as well.
other_pre = {
    "whitespace": pre_tokenizers.Whitespace(),  # \w+|[^\w\s]+ (Oniguruma classes)
    "whitespace_split": pre_tokenizers.WhitespaceSplit(),
    "punctuation": pre_tokenizers.Punctuation(),
    "digits": pre_tokenizers.Digits(individual_digits=True),
}
# Changes are stored as runs [first, last, kind] (kind "drop": removed, "space": became a
# space, "spaced": became " c ") or single entries [cp, cp, "str", result].
out = {"generator": f"tokenizers {tokenizers.__version__} (PyPI)", "changed": {k: [] for k in configs}, "pre": [],
       "other_pre": {k: [] for k in other_pre}}


def record(runs, cp, c, r):
    kind = "drop" if r == "" else "space" if r == " " else "spaced" if r == " " + c + " " else "str"
    if kind != "str" and runs and runs[-1][2] == kind and runs[-1][1] == cp - 1:
        runs[-1][1] = cp
    elif kind == "str":
        runs.append([cp, cp, kind, r])
    else:
        runs.append([cp, cp, kind])


for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    c = chr(cp)
    for name, n in configs.items():
        r = n.normalize_str(c)
        if r != c:
            record(out["changed"][name], cp, c, r)
    # BertPreTokenizer on "a" + c + "b": whitespace (removed) or punctuation (isolated) or neither.
    pieces = [p for p, _ in pre.pre_tokenize_str("a" + c + "b")]
    if pieces != ["a" + c + "b"]:
        out["pre"].append([cp, pieces])
    for name, p in other_pre.items():
        # Runs [first, last, number of pieces] of code points that split "a" + c + "b".
        n = len(p.pre_tokenize_str("a" + c + "b"))
        runs = out["other_pre"][name]
        if n != 1:
            if runs and runs[-1][1] == cp - 1 and runs[-1][2] == n:
                runs[-1][1] = cp
            else:
                runs.append([cp, cp, n])
with gzip.open(sys.argv[1], "wt", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False)
print({k: len(v) for k, v in out["changed"].items()}, "pre", len(out["pre"]), {k: len(v) for k, v in out["other_pre"].items()})
