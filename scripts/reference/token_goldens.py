#!/usr/bin/env python3
"""Golden per-token vectors (TEI's /embed_all) for a test model folder, from
sentence-transformers' encode(output_value="token_embeddings"), in float32.

    go run ./testdata/genmodel -out DIR -variant bert-mean
    python scripts/reference/token_goldens.py DIR/bert-mean testdata/golden/st/tokens/bert-mean.json.gz
    go run ./testdata/genmodel -out DIR -variant qwen3-f32
    python scripts/reference/token_goldens.py DIR/qwen3-f32 testdata/golden/st/tokens/qwen3-f32.json.gz

token_embeddings is the Transformer module's output (the last hidden state,
after the final norm where the architecture has one), before pooling, not
normalized, one row per token of the tokenized input: special tokens and the
prompt included. Every case is encoded alone, so no row is padding. Each case
also records "embedding", the same call's sentence_embedding (the folder's
whole module pipeline: Pooling, then Dense and Normalize where listed). The sha256 of every
weight and config file is recorded, so a test can refuse a golden made from
other bytes.
"""
import argparse
import gzip
import hashlib
import json
import math
import os

import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer

TEXTS = [
    "Hello",
    "What is the capital of China?",
    "Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects.",
    "Le cœur a ses raisons que la raison ne connaît point.",
    "数学是研究数量、结构、变化以及空间等概念的一门学科。",
    "",
]

# A free-form prompt for models whose config names none.
FREE_PROMPT = "query: "


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def f32(x):
    """A float32 as 9 significant digits (reads back to the same float32)."""
    x = float(x)
    if not math.isfinite(x):
        raise SystemExit(f"non-finite value {x} in the reference output")
    return float(f"{x:.9g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("out")
    args = ap.parse_args()
    torch.manual_seed(0)
    model = SentenceTransformer(
        args.folder,
        device="cpu",
        local_files_only=True,
        model_kwargs={"dtype": torch.float32, "attn_implementation": "eager"},
    )
    model.eval()
    named = sorted(n for n, p in model.prompts.items() if p)
    # Every text bare, two under a named prompt if the model has one, else
    # under a free-form prompt.
    cases = [(t, "", "") for t in TEXTS]
    if named:
        cases += [(t, named[-1], model.prompts[named[-1]]) for t in TEXTS[1:3]]
    else:
        cases += [(t, "", FREE_PROMPT) for t in TEXTS[1:3]]

    hashed = {}
    for root, _, files in os.walk(args.folder):
        for f in files:
            if f.endswith(".safetensors") or f.endswith(".json") and "tokenizer" not in f:
                p = os.path.join(root, f)
                hashed[os.path.relpath(p, args.folder)] = sha256(p)

    records = []
    for text, prompt_name, prompt in cases:
        kw = {"prompt_name": prompt_name} if prompt_name else {"prompt": prompt} if prompt else {}
        ids = model.tokenize([prompt + text])["input_ids"][0].tolist()
        tokens = model.encode([text], output_value="token_embeddings", convert_to_numpy=False, **kw)[0]
        out = model.encode([text], output_value=None, convert_to_numpy=False, **kw)[0]
        if tokens.shape[0] != len(ids):
            raise SystemExit(f"{text!r}: {tokens.shape[0]} token vectors for {len(ids)} ids")
        records.append({
            "text": text,
            "prompt_name": prompt_name,
            "prompt": prompt,
            "ids": ids,
            "tokens": [[f32(x) for x in row] for row in tokens.float().numpy()],
            "embedding": [f32(x) for x in out["sentence_embedding"].float().numpy()],
        })

    doc = {
        "folder": os.path.basename(os.path.normpath(args.folder)),
        "generator": "sentence-transformers %s, transformers %s, torch %s: encode(output_value='token_embeddings')"
        % (sentence_transformers.__version__, transformers.__version__, torch.__version__),
        "files_sha256": hashed,
        "cases": records,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    # mtime 0: regenerating identical vectors gives identical bytes.
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(json.dumps(doc).encode())


if __name__ == "__main__":
    main()
