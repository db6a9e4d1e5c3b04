#!/usr/bin/env python3
"""Reference outputs from sentence-transformers / transformers for a local Hugging Face model folder.

Three modes, one JSON (gzip'd when OUT ends in .gz) per run; the schema is in README.md beside this file:

  st_embed.py MODEL_DIR TEXTS.json OUT.json.gz [--prompt-name NAME | --prompt TEXT] [--normalize]
      SentenceTransformer(MODEL_DIR, device="cpu").encode(...) float32 vectors, with the token ids each
      text became, a batch-versus-one-at-a-time check, and sha256 of every file in the folder.
  st_embed.py --cross-encoder MODEL_DIR PAIRS.json OUT.json.gz
      CrossEncoder(MODEL_DIR).predict(pairs): scores with the model's own activation and raw logits.
  st_embed.py --hidden-states MODEL_DIR TEXTS.json OUT.json.gz [--max-texts N] [--layers 0,1,-1]
      transformers AutoModel(output_hidden_states=True): every layer's hidden states, for
      finding the first layer where another implementation departs.

TEXTS.json: a list of strings, or {"texts": [string | {"id", "text"}]}. PAIRS.json: a list of
[query, text] or {"pairs": [{"query", "text"}]}. Nothing is downloaded: MODEL_DIR must be a folder.
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import platform
import shlex
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--cross-encoder", action="store_true", help="CrossEncoder.predict on (query, text) pairs")
    mode.add_argument("--hidden-states", action="store_true", help="transformers AutoModel hidden states per layer")
    p.add_argument("model_dir")
    p.add_argument("inputs", help="TEXTS.json (or PAIRS.json with --cross-encoder)")
    p.add_argument("out", help="output .json or .json.gz")
    p.add_argument("--prompt-name", help="a key of the model's prompts (config_sentence_transformers.json)")
    p.add_argument("--prompt", help="free-form prompt prepended to every text (sentence-transformers' prompt=)")
    p.add_argument("--normalize", action="store_true", help="encode(normalize_embeddings=True)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    p.add_argument("--model-id", help="Hugging Face id recorded in the output (default: from the folder name org--name)")
    p.add_argument("--ids", default="", help="only the texts with these comma-separated corpus ids, in that order")
    p.add_argument("--max-texts", type=int, default=0, help="--hidden-states: only the first N texts (0 = all)")
    p.add_argument("--layers", default="", help="--hidden-states: comma-separated layer indexes (default all; -1 = last)")
    p.add_argument("--max-length", type=int, default=0,
                   help="--hidden-states: truncate to this many tokens (default: sentence_bert_config's max_seq_length)")
    a = p.parse_args(argv)
    if a.prompt is not None and a.prompt_name is not None:
        p.error("give --prompt or --prompt-name, not both")
    if (a.cross_encoder or a.hidden_states) and (a.prompt or a.prompt_name or a.normalize):
        p.error("--prompt, --prompt-name and --normalize apply to the embedding mode only")
    if not os.path.isdir(a.model_dir):
        p.error(f"{a.model_dir}: not a folder")
    return a


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_files(model_dir):
    """sha256 of every file of the folder (dot-files, such as the fetch marker, excepted)."""
    out = {}
    for base, dirs, files in os.walk(model_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(base, name)
            out[os.path.relpath(path, model_dir).replace(os.sep, "/")] = sha256_file(path)
    return out


def source_packages(model_dir):
    """The PyPI packages real-models.lock says the folder was assembled from, if it is one of them."""
    lock = os.path.join(os.path.dirname(os.path.abspath(__file__)), "real-models.lock")
    folder = os.path.basename(os.path.normpath(model_dir))
    pkgs = []
    if os.path.exists(lock):
        for line in open(lock, encoding="utf-8"):
            f = line.rstrip("\n").split("\t")
            if f[0] == "wheel" and f[1] == folder:
                pkgs.append(f"{f[2]}=={f[3]}")
    return pkgs


def command_line(args, argv):
    """The command as a reader can rerun it: a lock-built folder is named under $GEMBED_REAL_MODELS."""
    folder = os.path.basename(os.path.normpath(args.model_dir))
    shown = [f"$GEMBED_REAL_MODELS/{folder}" if a == args.model_dir and source_packages(args.model_dir) else a
             for a in argv]
    return " ".join(["scripts/reference/st_embed.py"] + [shlex.quote(a) if not a.startswith("$") else a
                                                         for a in shown])


def model_id(args):
    if args.model_id:
        return args.model_id
    name = os.path.basename(os.path.normpath(args.model_dir))
    return name.replace("--", "/", 1) if "--" in name else name


def select(texts, ids, path):
    if not ids:
        return texts
    by_id = {t["id"]: t for t in texts}
    want = [i.strip() for i in ids.split(",") if i.strip()]
    missing = [i for i in want if i not in by_id]
    if missing:
        sys.exit(f"{path}: no text with id {missing}")
    return [by_id[i] for i in want]


def load_texts(path):
    doc = json.load(open(path, encoding="utf-8"))
    items = doc["texts"] if isinstance(doc, dict) else doc
    out = []
    for i, t in enumerate(items):
        if isinstance(t, str):
            out.append({"id": str(i), "text": t})
        elif isinstance(t, dict) and isinstance(t.get("text"), str):
            out.append({"id": str(t.get("id", i)), "text": t["text"]})
        else:
            sys.exit(f"{path}: text {i} is neither a string nor an object with a \"text\" string")
    return out


def load_pairs(path):
    doc = json.load(open(path, encoding="utf-8"))
    items = doc["pairs"] if isinstance(doc, dict) else doc
    out = []
    for i, p in enumerate(items):
        if isinstance(p, dict) and isinstance(p.get("query"), str) and isinstance(p.get("text"), str):
            out.append((p["query"], p["text"]))
        elif isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(s, str) for s in p):
            out.append((p[0], p[1]))
        else:
            sys.exit(f"{path}: pair {i} is neither [query, text] nor {{\"query\", \"text\"}}")
    return out


def f32(x):
    """A float32 as the shortest decimal that reads back to the same float32 (9 significant digits)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x} in the reference output")
    return float(f"{x:.9g}")


def versions():
    import numpy
    import tokenizers
    import torch
    import transformers
    v = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
         "tokenizers": tokenizers.__version__, "numpy": numpy.__version__}
    try:
        import sentence_transformers
        v["sentence_transformers"] = sentence_transformers.__version__
    except ImportError:
        pass
    return v


def write(out, doc):
    data = (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    if out.endswith(".gz"):
        # mtime 0 and no file name: the same vectors give the same bytes.
        with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(data)
    else:
        with open(out, "wb") as f:
            f.write(data)


def compare(a, b):
    """(max abs diff, min cosine) between two row sets of vectors."""
    import numpy as np
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    cos = np.sum(a * b, axis=1) / np.maximum(na * nb, 1e-30)
    return diff, float(np.min(cos)) if len(cos) else 1.0


def embed_mode(args, base):
    import numpy as np
    from sentence_transformers import SentenceTransformer

    texts = select(load_texts(args.inputs), args.ids, args.inputs)
    model = SentenceTransformer(args.model_dir, device="cpu", local_files_only=True)
    model.eval()
    prompt = model._resolve_prompt(args.prompt, args.prompt_name)
    kw = dict(prompt=prompt, batch_size=args.batch_size, normalize_embeddings=args.normalize,
              convert_to_numpy=True, show_progress_bar=False)
    strings = [t["text"] for t in texts]
    t0 = time.time()
    batch = model.encode(strings, **kw)
    seconds = time.time() - t0
    one = np.stack([model.encode([s], **kw)[0] for s in strings])
    if batch.dtype != np.float32:
        sys.exit(f"encode returned {batch.dtype}, expected float32")
    if not np.all(np.isfinite(batch)) or not np.all(np.isfinite(one)):
        sys.exit("reference vectors hold NaN or Inf")
    diff, cos = compare(batch, one)

    max_len = model.max_seq_length
    cases = []
    for t, vec in zip(texts, batch):
        feats = model.preprocess([t["text"]], prompt=prompt)
        ids = feats["input_ids"][0].tolist()
        # Untruncated length: does the reference cut this text?
        full = model.tokenizer(((prompt or "") + t["text"]), add_special_tokens=True, truncation=False)["input_ids"]
        case = {"id": t["id"], "text": t["text"], "ids": ids, "tokens_untruncated": len(full),
                "truncated": len(full) > len(ids), "embedding": [f32(x) for x in vec]}
        if "prompt_length" in feats:
            case["prompt_length"] = int(feats["prompt_length"][0]) if hasattr(feats["prompt_length"], "__len__") \
                else int(feats["prompt_length"])
        cases.append(case)

    pooling = [m for m in model if type(m).__name__ == "Pooling"]
    base.update({
        "mode": "embed",
        "settings": {"device": "cpu", "dtype": "float32", "prompt_name": args.prompt_name, "prompt": prompt,
                     "normalize_embeddings": args.normalize, "batch_size": args.batch_size,
                     "max_seq_length": max_len, "torch_threads": args.threads,
                     "include_prompt": pooling[0].include_prompt if pooling else None,
                     "modules": [type(m).__name__ for m in model]},
        "dim": int(batch.shape[1]),
        "checks": {"batch_vs_single_max_abs": diff, "batch_vs_single_min_cos": cos,
                   "encode_seconds": round(seconds, 3)},
        "cases": cases,
    })
    return diff, cos


def cross_encoder_mode(args, base):
    import numpy as np
    import torch
    from sentence_transformers import CrossEncoder

    pairs = load_pairs(args.inputs)
    model = CrossEncoder(args.model_dir, device="cpu", local_files_only=True)
    model.eval()
    kw = dict(batch_size=args.batch_size, convert_to_numpy=True, show_progress_bar=False)
    scores = np.asarray(model.predict(pairs, **kw))
    raw = np.asarray(model.predict(pairs, activation_fn=torch.nn.Identity(), **kw))
    one = np.stack([np.asarray(model.predict([p], **kw))[0] for p in pairs])
    if not (np.all(np.isfinite(scores)) and np.all(np.isfinite(raw)) and np.all(np.isfinite(one))):
        sys.exit("reference scores hold NaN or Inf")
    diff, _ = compare(scores, one)
    # sentence-transformers 6 renamed max_length to max_seq_length.
    max_len = model.max_seq_length if hasattr(type(model), "max_seq_length") else model.max_length
    cases = []
    for (q, d), s, r in zip(pairs, scores, raw):
        feats = model.tokenizer(q, d, truncation=True, max_length=max_len)
        full = model.tokenizer(q, d, truncation=False)["input_ids"]
        cases.append({"query": q, "text": d, "ids": feats["input_ids"],
                      "type_ids": feats.get("token_type_ids"), "tokens_untruncated": len(full),
                      "truncated": len(full) > len(feats["input_ids"]),
                      "score": [f32(x) for x in np.atleast_1d(s)] if np.ndim(s) else f32(s),
                      "raw_score": [f32(x) for x in np.atleast_1d(r)] if np.ndim(r) else f32(r)})
    act = model.activation_fn
    base.update({
        "mode": "cross-encoder",
        "settings": {"device": "cpu", "dtype": "float32", "batch_size": args.batch_size,
                     "max_length": max_len, "num_labels": model.num_labels,
                     "activation": type(act).__name__ if act is not None else None, "torch_threads": args.threads},
        "checks": {"batch_vs_single_max_abs": diff},
        "cases": cases,
    })
    return diff, 1.0


def hidden_states_mode(args, base):
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = select(load_texts(args.inputs), args.ids, args.inputs)
    if args.max_texts:
        texts = texts[: args.max_texts]
    max_len = args.max_length
    sbc = os.path.join(args.model_dir, "sentence_bert_config.json")
    if not max_len and os.path.exists(sbc):
        max_len = json.load(open(sbc)).get("max_seq_length") or 0
    tok = AutoTokenizer.from_pretrained(args.model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(args.model_dir, local_files_only=True, dtype=torch.float32)
    model.eval()
    cases = []
    layers_wanted = None
    for t in texts:
        enc = tok(t["text"], return_tensors="pt", truncation=bool(max_len), max_length=max_len or None)
        with torch.no_grad():
            out = model(**enc, output_hidden_states=True)
        hs = out.hidden_states
        n = len(hs)
        # Whether the last entry is the model's output (final norm applied) differs between versions.
        last_is_output = bool(torch.equal(hs[-1], out.last_hidden_state))
        if layers_wanted is None:
            layers_wanted = sorted({(int(x) % n) for x in args.layers.split(",") if x.strip()}) if args.layers \
                else list(range(n))
        layers = []
        for i in layers_wanted:
            h = hs[i][0].float()
            if not torch.all(torch.isfinite(h)):
                sys.exit(f"text {t['id']}: layer {i} holds NaN or Inf")
            layers.append({"index": i, "hidden": [[f32(x) for x in row] for row in h.tolist()]})
        cases.append({"id": t["id"], "text": t["text"], "ids": enc["input_ids"][0].tolist(), "layers": layers})
    base.update({
        "mode": "hidden-states",
        "settings": {"device": "cpu", "dtype": "float32", "max_length": max_len or None,
                     "architecture": type(model).__name__, "num_hidden_states": n if texts else 0,
                     "last_is_last_hidden_state": last_is_output if texts else None,
                     "torch_threads": args.threads,
                     "note": "index 0 is the embedding output; index i the output of layer i; "
                             "last_is_last_hidden_state tells whether the last entry has the final norm"},
        "cases": cases,
    })
    return 0.0, 1.0


def main(argv):
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    base = {
        "schema": "gembed-reference/1",
        "model": model_id(args),
        "source_packages": source_packages(args.model_dir),
        "model_files": model_files(args.model_dir),
        "versions": versions(),
        "command": command_line(args, argv),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    if args.cross_encoder:
        diff, cos = cross_encoder_mode(args, base)
    elif args.hidden_states:
        diff, cos = hidden_states_mode(args, base)
    else:
        diff, cos = embed_mode(args, base)
    write(args.out, base)
    check = "" if args.hidden_states else f"; batch vs single max abs {diff:.3g}, min cos {cos:.9f}"
    print(f"{args.out}: {len(base['cases'])} cases{check}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
