#!/usr/bin/env python3
"""Golden vectors for the decoder-family test models (gemma3_text, mistral,
llama) from sentence-transformers and transformers, in float32.

    go run ./testdata/genmodel -out DIR -variant gemma3-f32
    python scripts/reference/decoder_goldens.py DIR/gemma3-f32 gemma3-f32 \
        testdata/golden/st/gemma3-f32.json.gz
    python scripts/reference/decoder_goldens.py $GEMBED_REAL_MODELS/google--embeddinggemma-300m \
        embeddinggemma-300m testdata/golden/st/embeddinggemma-300m-decoder.json.gz \
        --corpus testdata/corpus/real-models.json --ids sentence-en,query-en,accents-fr,japanese,emoji,long-en

For every case the golden holds the token ids sentence-transformers fed the
model (prompt included, EOS appended by the tokenizer), "pooled": the output
of the folder's Pooling module (transformers' hidden states pooled by
sentence-transformers, before any Dense or Normalize), and "embedding": what
SentenceTransformer.encode returns with the folder's whole module pipeline
(Dense, Normalize). Every vector is computed one text at a time (no padding);
a batched encode is compared with them and its largest difference recorded.
The sha256 of every weight and config file is recorded, so a test can refuse
a golden made from other bytes.
"""
import argparse
import gzip
import hashlib
import json
import os

import numpy as np
import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer

# Texts long enough to cross the test models' sliding windows (8) several
# times, short ones, non-ASCII, and a repeated word.
TEXTS = [
    "Hello",
    "What is the capital of China?",
    "Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects "
    "and is responsible for the movement of planets around the sun.",
    "Le cœur a ses raisons que la raison ne connaît point.",
    "数学是研究数量、结构、变化以及空间等概念的一门学科。",
    "the the the the the the the the the the the the the the the the the the the the",
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("variant")
    ap.add_argument("out")
    ap.add_argument("--corpus", help="a corpus JSON ({texts: [{id, text}]}) instead of the built-in texts")
    ap.add_argument("--ids", help="comma-separated corpus ids to use (default: all)")
    args = ap.parse_args()
    folder, variant, out = args.folder, args.variant, args.out
    texts = TEXTS
    if args.corpus:
        with open(args.corpus) as f:
            items = json.load(f)["texts"]
        wanted = args.ids.split(",") if args.ids else [it["id"] for it in items]
        by_id = {it["id"]: it["text"] for it in items}
        texts = [by_id[i] for i in wanted]
    torch.manual_seed(0)
    model = SentenceTransformer(
        folder,
        device="cpu",
        local_files_only=True,
        model_kwargs={"dtype": torch.float32, "attn_implementation": "eager"},
    )
    model.eval()
    prompts = model.prompts
    # Every text without a prompt, two texts under each prompt (only query
    # and document for a model with many).
    names = sorted(n for n in prompts if prompts[n])
    if {"query", "document"} <= set(names):
        names = ["document", "query"]
    cases = [(t, None) for t in texts] + [(t, name) for name in names for t in texts[1:3]]

    hashed = {}
    for root, _, files in os.walk(folder):
        for f in files:
            if f.endswith(".safetensors") or f.endswith(".json") and "tokenizer" not in f:
                p = os.path.join(root, f)
                hashed[os.path.relpath(p, folder)] = sha256(p)

    records = []
    for text, prompt_name in cases:
        full = (prompts[prompt_name] if prompt_name else "") + text
        features = model.tokenize([full])
        ids = features["input_ids"][0].tolist()
        with torch.no_grad():
            feats = dict(features)
            feats = model[0](feats)
            feats = model[1](feats)
            pooled = feats["sentence_embedding"][0].float().numpy()
        emb = model.encode([text], prompt_name=prompt_name, convert_to_numpy=True)[0]
        records.append({
            "text": text,
            "prompt_name": prompt_name or "",
            "prompt": prompts[prompt_name] if prompt_name else "",
            "ids": ids,
            "pooled": [float(x) for x in pooled],
            "embedding": [float(x) for x in emb],
        })

    # The same texts in one padded batch must give the same vectors.
    batch_diff = 0.0
    for name in sorted({c[1] for c in cases}, key=lambda x: x or ""):
        idx = [i for i, c in enumerate(cases) if c[1] == name]
        got = model.encode([cases[i][0] for i in idx], prompt_name=name, batch_size=len(idx), convert_to_numpy=True)
        for row, i in zip(got, idx):
            batch_diff = max(batch_diff, float(np.abs(row - np.array(records[i]["embedding"])).max()))

    golden = {
        "variant": variant,
        "generator": f"sentence-transformers {sentence_transformers.__version__}, transformers {transformers.__version__}, "
        f"torch {torch.__version__}, CPU float32, eager attention, one text per call",
        "script": "scripts/reference/decoder_goldens.py",
        "files_sha256": hashed,
        "modules": [type(m).__name__ for m in model],
        "padding_side": model.tokenizer.padding_side,
        "checks": {"batched_vs_single_max_abs_diff": batch_diff},
        "cases": records,
    }
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with gzip.GzipFile(out, "wb", mtime=0) as f:
        f.write(json.dumps(golden, indent=1, ensure_ascii=False).encode())
    print(f"{out}: {len(records)} cases, modules {golden['modules']}, batched vs single {batch_diff:.2e}")


if __name__ == "__main__":
    main()
