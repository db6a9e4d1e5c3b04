#!/usr/bin/env python3
"""llama.cpp golden vectors for a nomic_bert model folder (transformers needs the model repository's own
code for this family, so llama.cpp — which supports nomic-bert — is the reference).

  nomic_golden.py MODEL_DIR TEXTS.json OUT.json.gz [--gguf OUT.gguf] [--node-dir DIR]

1. Converts the folder to an F32 GGUF as llama.cpp's convert_hf_to_gguf.py does for NomicBertModel: tensor
   names from the `gguf` package's own name map (llama.cpp's gguf-py), the WordPiece vocabulary in the
   "phantom space" form llama.cpp's BERT tokenizer expects (padded with unused tokens to the word table's
   height), pooling from 1_Pooling/config.json, rotary base from rotary_emb_base, non-causal attention.
2. Tokenizes each text with the Hugging Face tokenizers library (special tokens on, truncated to
   sentence_bert_config.json's max_seq_length, as sentence-transformers does).
3. Embeds the ids with llama.cpp through node-llama-cpp (embed_ids.mjs beside this file; flash attention
   off, F32 K/V cache, one sequence per call), L2-normalizes, and writes the golden in the schema of
   scripts/reference/st_embed.py (model_files sha256, cases with id, ids, embedding).

Needs: pip install gguf numpy safetensors tokenizers; npm i -E node-llama-cpp@3.21.1 in --node-dir
(default $LLAMACPP_DIR or /work/scratch/llamacpp).
"""

import argparse
import datetime
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_files(d):
    out = {}
    for base, dirs, files in os.walk(d):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                p = os.path.join(base, name)
                out[os.path.relpath(p, d).replace(os.sep, "/")] = sha256_file(p)
    return out


def convert(model_dir, out):
    import gguf
    from safetensors.numpy import load_file

    hp = json.load(open(os.path.join(model_dir, "config.json")))
    # What llama.cpp's converter asserts for this family.
    assert hp["activation_function"] == "swiglu" and hp["causal"] is False and hp["prenorm"] is False
    assert not hp["qkv_proj_bias"] and not hp["mlp_fc1_bias"] and not hp["mlp_fc2_bias"]
    assert hp["rotary_emb_fraction"] == 1.0 and hp["rotary_emb_interleaved"] is False
    assert hp.get("rotary_emb_scale_base") is None and hp.get("rotary_scaling_factor") is None

    tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    n_layer = hp["n_layer"]
    arch = gguf.MODEL_ARCH.NOMIC_BERT
    w = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[arch])
    w.add_context_length(2048)  # what the converter sets: n_positions is only reachable with scaling
    w.add_embedding_length(hp["n_embd"])
    w.add_block_count(n_layer)
    w.add_feed_forward_length(hp["n_inner"])
    w.add_head_count(hp["n_head"])
    w.add_layer_norm_eps(hp["layer_norm_epsilon"])
    w.add_causal_attention(False)
    w.add_rope_freq_base(hp["rotary_emb_base"])
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    modules = json.load(open(os.path.join(model_dir, "modules.json")))
    pool_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
    pool = json.load(open(os.path.join(model_dir, pool_dir, "config.json")))
    if pool["pooling_mode_mean_tokens"]:
        w.add_pooling_type(gguf.PoolingType.MEAN)
    elif pool["pooling_mode_cls_token"]:
        w.add_pooling_type(gguf.PoolingType.CLS)
    else:
        sys.exit("only mean and cls pooling exist in llama.cpp's BERT family")

    tok = json.load(open(os.path.join(model_dir, "tokenizer.json")))
    vocab = tok["model"]["vocab"]
    rows = tensors["embeddings.word_embeddings.weight"].shape[0]
    tokens = [None] * rows
    for t, i in vocab.items():
        tokens[i] = t
    types = []
    for i, t in enumerate(tokens):
        if t is None:
            tokens[i] = f"[PAD{i}]"
            types.append(gguf.TokenType.UNUSED)
        elif t.startswith("[") and t.endswith("]"):
            types.append(gguf.TokenType.CONTROL)
        else:
            types.append(gguf.TokenType.NORMAL)

    def phantom(t):
        if t.startswith("[") and t.endswith("]"):
            return t
        return t[2:] if t.startswith("##") else "\u2581" + t

    w.add_tokenizer_model("bert")
    w.add_token_list([phantom(t) for t in tokens])
    w.add_token_types(types)
    w.add_token_type_count(hp.get("type_vocab_size", 2))
    for name, fn in [("[CLS]", w.add_bos_token_id), ("[SEP]", w.add_eos_token_id), ("[UNK]", w.add_unk_token_id),
                     ("[PAD]", w.add_pad_token_id), ("[SEP]", w.add_sep_token_id), ("[MASK]", w.add_mask_token_id)]:
        fn(vocab[name])
    w.add_add_bos_token(False)
    w.add_add_eos_token(False)

    names = gguf.get_tensor_name_map(arch, n_layer)
    for name in sorted(tensors):
        new = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if new is None:
            sys.exit(f"tensor {name}: no GGUF name")
        w.add_tensor(new, tensors[name].astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir")
    p.add_argument("texts")
    p.add_argument("out")
    p.add_argument("--gguf", help="where to write the GGUF (default: a temporary file)")
    p.add_argument("--node-dir", default=os.environ.get("LLAMACPP_DIR", "/work/scratch/llamacpp"))
    p.add_argument("--model-id")
    a = p.parse_args()
    from tokenizers import Tokenizer
    import tokenizers
    import gguf

    doc = json.load(open(a.texts, encoding="utf-8"))
    texts = [t if isinstance(t, dict) else {"id": str(i), "text": t} for i, t in enumerate(doc["texts"] if isinstance(doc, dict) else doc)]
    max_len = json.load(open(os.path.join(a.model_dir, "sentence_bert_config.json")))["max_seq_length"]
    tk = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
    tk.no_padding()
    tk.enable_truncation(max_len)
    ids = [tk.encode(t["text"], add_special_tokens=True).ids for t in texts]

    with tempfile.TemporaryDirectory() as tmp:
        gg = a.gguf or os.path.join(tmp, "model.gguf")
        convert(a.model_dir, gg)
        req = os.path.join(tmp, "ids.json")
        json.dump({"model": gg, "ids": ids}, open(req, "w"))
        here = os.path.dirname(os.path.abspath(__file__))
        res = subprocess.run(["node", os.path.join(here, "embed_ids.mjs"), req],
                             env={**os.environ, "LLAMACPP_DIR": a.node_dir}, check=True, capture_output=True, text=True)
        got = json.loads(res.stdout)

    vecs = np.asarray(got["vectors"], dtype=np.float64)
    if not np.all(np.isfinite(vecs)):
        sys.exit("llama.cpp returned NaN or Inf")
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    cases = [{"id": t["id"], "text": t["text"], "ids": i, "embedding": [float(f"{x:.9g}") for x in v]}
             for t, i, v in zip(texts, ids, vecs)]
    out = {
        "schema": "gembed-reference/1",
        "model": a.model_id or os.path.basename(os.path.normpath(a.model_dir)),
        "model_files": model_files(a.model_dir),
        "generator": f"llama.cpp via node-llama-cpp@{got['version']} ({got['llamacpp']}, CPU, flash attention off, F32 K/V); "
                     f"GGUF by scripts/llamacpp/nomic_golden.py with gguf {gguf.__version__ if hasattr(gguf, '__version__') else '?'}; "
                     f"ids from tokenizers {tokenizers.__version__}",
        "command": "scripts/llamacpp/nomic_golden.py " + " ".join(sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "settings": {"normalized": True, "max_seq_length": max_len},
        "checks": got["checks"],
        "cases": cases,
    }
    data = (json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    with open(a.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    print(f"{a.out}: {len(cases)} cases; checks {got['checks']}", file=sys.stderr)


if __name__ == "__main__":
    main()
