#!/usr/bin/env python3
"""Reranker goldens for the tiny generated models (testdata/genmodel), from libraries we did not write.

  rerank_goldens.py MODELS_DIR PAIRS.json OUT_DIR [VARIANT ...]

MODELS_DIR holds the variants written by `go run ./testdata/genmodel -out MODELS_DIR -variant NAME`.
For each variant one OUT_DIR/<variant>.json.gz:

  cross-encoders (bert-cross-encoder, bert-cross-encoder-identity, xlmr-cross-encoder, modernbert-cross-encoder):
    sentence-transformers CrossEncoder(dir).predict(pairs) — the activation the model's config names
    (sigmoid by default for one label) — and predict(..., activation_fn=Identity()) for the raw logits;
    once with the model's default max length and once with max_length=24 (pairs truncated
    longest_first); the token ids and type ids the tokenizer made.
  Qwen3 rerankers (qwen3-reranker, qwen3-reranker-lmhead):
    transformers AutoModelForCausalLM, float32, the Qwen3-Reranker model card's procedure: prefix +
    tokenizer("<Instruct>: …\\n<Query>: …\\n<Document>: …", truncation to max_length − prefix − suffix) +
    suffix; logits at the last position; score = softmax([logit(no), logit(yes)])[1]. The tiny models
    carry the Qwen3-Embedding tokenizer.json, whose template appends <|endoftext|>; the real
    Qwen3-Reranker tokenizer adds nothing, so the body is tokenized with add_special_tokens=False.
    Runs: default instruction, a custom instruction, and max_length=96 (documents cut).

Every output records the sha256 of each model file and of PAIRS.json, and the library versions.
"""

import gzip
import hashlib
import json
import os
import sys

import torch

DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
PREFIX = ('<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the '
          'Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n')
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_hashes(d):
    out = {}
    for root, _, files in os.walk(d):
        for name in files:
            p = os.path.join(root, name)
            out[os.path.relpath(p, d)] = sha256(p)
    return dict(sorted(out.items()))


def load_pairs(path):
    with open(path) as f:
        d = json.load(f)
    pairs = [[p["query"], p["text"]] for p in d["pairs"]]
    # One long document, so that truncation happens at the default length too.
    pairs.append(["what does the long report say?", " ".join(["The quarterly report lists revenue, costs and risks."] * 80)])
    return pairs


def cross_encoder(d, pairs):
    from sentence_transformers import CrossEncoder

    runs = []
    for max_length in (None, 24):
        kw = {} if max_length is None else {"max_length": max_length}
        ce = CrossEncoder(d, device="cpu", **kw)
        scores = ce.predict(pairs, batch_size=4, convert_to_numpy=True)
        raw = ce.predict(pairs, batch_size=4, convert_to_numpy=True, activation_fn=torch.nn.Identity())
        single = [float(ce.predict([p], convert_to_numpy=True)[0]) for p in pairs]
        feats = ce.tokenizer([p[0] for p in pairs], [p[1] for p in pairs], truncation="longest_first",
                             max_length=ce.max_length)
        runs.append({
            "max_length": max_length or 0,
            "model_max_length": ce.max_length,
            "activation": type(ce.activation_fn).__name__,
            "scores": [float(x) for x in scores],
            "raw_scores": [float(x) for x in raw],
            "max_abs_batch_vs_single": max(abs(a - float(b)) for a, b in zip(single, scores)),
            "ids": feats["input_ids"],
            "type_ids": feats.get("token_type_ids"),
        })
    return {"kind": "cross-encoder", "runs": runs}


def qwen_reranker(d, pairs):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(d, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    yes, no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
    prefix = tok.encode(PREFIX, add_special_tokens=False)
    suffix = tok.encode(SUFFIX, add_special_tokens=False)
    runs = []
    for instruction, max_length in ((None, 8192), ("Find passages in German", 8192), (None, 96)):
        texts = [f"<Instruct>: {instruction or DEFAULT_INSTRUCTION}\n<Query>: {q}\n<Document>: {t}" for q, t in pairs]
        enc = tok(texts, padding=False, truncation="longest_first", return_attention_mask=False,
                  add_special_tokens=False, max_length=max_length - len(prefix) - len(suffix))
        ids = [prefix + e + suffix for e in enc["input_ids"]]
        full = tok(texts, add_special_tokens=False)["input_ids"]
        scores, raw, logits = [], [], []
        with torch.inference_mode():
            for seq in ids:  # one at a time: no padding in the reference
                last = model(input_ids=torch.tensor([seq]), logits_to_keep=1).logits[0, -1, :]
                pair = torch.stack([last[no], last[yes]])
                scores.append(float(torch.nn.functional.log_softmax(pair, dim=0)[1].exp()))
                raw.append(float(last[yes] - last[no]))
                logits.append([float(last[no]), float(last[yes])])
            batch = tok.pad({"input_ids": ids}, padding=True, return_tensors="pt")
            bl = model(**batch, logits_to_keep=1).logits[:, -1, :]
            bscores = torch.nn.functional.log_softmax(torch.stack([bl[:, no], bl[:, yes]], dim=1), dim=1)[:, 1].exp()
        runs.append({
            "instruction": instruction or "",
            "max_length": max_length,
            "scores": scores,
            "raw_scores": raw,
            "logits_no_yes": logits,
            "max_abs_batch_vs_single": max(abs(a - float(b)) for a, b in zip(scores, bscores)),
            "ids": ids,
            "truncated": [len(f) > len(e) for f, e in zip(full, enc["input_ids"])],
        })
    return {"kind": "qwen3-reranker", "yes_id": yes, "no_id": no, "prefix_ids": prefix, "suffix_ids": suffix, "runs": runs}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    models, pairs_path, out_dir = argv[:3]
    only = set(argv[3:])
    import sentence_transformers
    import transformers

    torch.set_num_threads(2)
    pairs = load_pairs(pairs_path)
    os.makedirs(out_dir, exist_ok=True)
    for variant in ("bert-cross-encoder", "bert-cross-encoder-identity", "xlmr-cross-encoder", "modernbert-cross-encoder",
                    "qwen3-reranker", "qwen3-reranker-lmhead"):
        if only and variant not in only:
            continue
        d = os.path.join(models, variant)
        res = cross_encoder(d, pairs) if "cross-encoder" in variant else qwen_reranker(d, pairs)
        res.update({
            "variant": variant,
            "pairs": pairs,
            "pairs_sha256": sha256(pairs_path),
            "files_sha256": folder_hashes(d),
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                         "sentence_transformers": sentence_transformers.__version__},
            "made_by": "scripts/reference/rerank_goldens.py",
        })
        out = os.path.join(out_dir, variant + ".json.gz")
        with gzip.GzipFile(out, "wb", mtime=0) as f:
            f.write(json.dumps(res, ensure_ascii=False).encode())
        print(out, [r.get("max_abs_batch_vs_single") for r in res["runs"]])


if __name__ == "__main__":
    main(sys.argv[1:])
