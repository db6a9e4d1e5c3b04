"""gen-folder-golden.py: how transformers (AutoTokenizer, which converts the slow files
with its own converters) tokenizes model folders that have no tokenizer.json, and folders
whose tokenizer_config.json overrides tokenizer.json's BertNormalizer. The folders are built
from tokenizer files already in testdata (the Go test builds the same ones):
  - vocab.txt = all-MiniLM-L6-v2's vocabulary in id order, with several tokenizer_config.json;
  - vocab.json + merges.txt = the Qwen3 tokenizer.json's model, as GPT2Tokenizer.

Usage: python gen-folder-golden.py OUT.json.gz minilm-tokenizer.json.gz qwen3-tokenizer.json.gz
(run with a Python that has transformers; node must be on PATH for corpus.js)
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import transformers
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def read_gz_json(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def vocab_txt(tok_json):
    vocab = tok_json["model"]["vocab"]
    return "".join(t + "\n" for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]))


def vocab_merges(tok_json):
    m = tok_json["model"]
    merges = [x if isinstance(x, str) else " ".join(x) for x in m["merges"]]
    return json.dumps(m["vocab"], ensure_ascii=False), "#version: 0.2\n" + "\n".join(merges) + "\n"


def folders(minilm, qwen3):
    vt = vocab_txt(minilm)
    vj, mt = vocab_merges(qwen3)
    bert = {"tokenizer_class": "BertTokenizer", "model_max_length": 512}
    return {
        "vocab-uncased": {"vocab.txt": vt, "tokenizer_config.json": json.dumps({**bert, "do_lower_case": True})},
        "vocab-cased": {"vocab.txt": vt, "tokenizer_config.json": json.dumps({**bert, "do_lower_case": False})},
        "vocab-lower-keep-accents-no-cjk": {"vocab.txt": vt, "tokenizer_config.json": json.dumps(
            {**bert, "do_lower_case": True, "strip_accents": False, "tokenize_chinese_chars": False})},
        "json-config-cased": {"tokenizer.json": json.dumps(minilm), "tokenizer_config.json": json.dumps(
            {**bert, "do_lower_case": False, "padding_side": "left", "truncation_side": "left"})},
        "gpt2-vocab-merges": {"vocab.json": vj, "merges.txt": mt, "tokenizer_config.json": json.dumps(
            {"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024})},
    }


def corpus():
    js = subprocess.run(["node", "-e", 'process.stdout.write(JSON.stringify(require(process.argv[1]).cases))',
                         os.path.join(HERE, "corpus.js")], check=True, capture_output=True, text=True).stdout
    cases = [(c["name"], c["text"]) for c in json.loads(js)]
    with open(os.path.join(HERE, "corpus-bert.json"), encoding="utf-8") as f:
        cases += [("bert-" + n, t) for n, t in json.load(f)]
    out = []
    for i, (name, text) in enumerate(cases):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            continue
        if i % 3 == 0 or name.startswith("bert-") or name.startswith("special"):
            out.append((name, text))
    return out


def main():
    out_path, minilm_path, qwen3_path = sys.argv[1:4]
    minilm, qwen3 = read_gz_json(minilm_path), read_gz_json(qwen3_path)
    cases = corpus()
    res = {"generator": f"transformers {transformers.__version__} AutoTokenizer", "folders": {}}
    for name, files in folders(minilm, qwen3).items():
        with tempfile.TemporaryDirectory() as d:
            for fn, content in files.items():
                with open(os.path.join(d, fn), "w", encoding="utf-8") as f:
                    f.write(content)
            tok = AutoTokenizer.from_pretrained(d)
            r = {"padding_side": tok.padding_side, "truncation_side": tok.truncation_side, "cases": [], "pairs": []}
            for cname, text in cases:
                e = tok(text, add_special_tokens=True)
                r["cases"].append({"name": cname, "ids": e["input_ids"],
                                   "type_ids": e.get("token_type_ids"),
                                   "ids_no_special": tok(text, add_special_tokens=False)["input_ids"],
                                   "decoded": tok.decode(e["input_ids"])})
            for k in range(0, len(cases), 5):
                a, b = cases[k], cases[(k * 3 + 1) % len(cases)]
                e = tok(a[1], b[1], add_special_tokens=True)
                r["pairs"].append({"a": a[0], "b": b[0], "ids": e["input_ids"], "type_ids": e.get("token_type_ids")})
            res["folders"][name] = r
            print(name, type(tok).__name__, len(r["cases"]), "cases", len(r["pairs"]), "pairs")
    with gzip.open(out_path, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(res, f, ensure_ascii=False)


main()
