#!/usr/bin/env python3
"""sentence-transformers golden vectors for the families whose published checkpoints need the model
repository's own code — GTE v1.5 (model_type "new") and NomicBERT ("nomic_bert") — without running that
code: transformers' own GteModel / NomicBertModel read the same checkpoints (their weight conversions rename
the published tensors and split the fused projections), and the published config is translated field by
field into theirs:

  new -> gte: the sizes, hidden_act, layer_norm_eps, type_vocab_size, pad_token_id as they are; rope_theta
    and rope_scaling {"type": "ntk", "factor": f}: NewModel's fixed NTK frequencies are
    (θ·f)^(-2i/D) / f^(2/D), which is transformers' "linear" RoPE (frequencies divided by its factor) with
    rope_theta θ·f and factor f^(2/D); without rope_scaling, "default" with rope_theta θ.
  nomic_bert -> nomic_bert: n_embd, n_head, n_layer, n_inner, n_positions, layer_norm_epsilon, the word
    table padded to pad_vocab_size_multiple, rotary_emb_base as rope_theta, swiglu as silu; only the
    options transformers implements (full rotary, no biases, post-norm, no scaling) are accepted.

  native_golden.py MODEL_DIR TEXTS.json OUT.json.gz [--model-id ID]

The folder is copied to a temporary one with that config.json, loaded with SentenceTransformer (its modules,
pooling and Normalize unchanged) and run by scripts/reference/st_embed.py; the golden records the sha256 of
the ORIGINAL folder's files and the translated config.
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))


def nomic_config(hub):
    for k, want in [("activation_function", "swiglu"), ("prenorm", False), ("causal", False), ("qkv_proj_bias", False),
                    ("mlp_fc1_bias", False), ("mlp_fc2_bias", False), ("rotary_emb_fraction", 1.0),
                    ("rotary_emb_interleaved", False), ("rotary_emb_scale_base", None), ("rotary_scaling_factor", None)]:
        if hub.get(k, want) != want:
            sys.exit(f"{k} = {hub[k]!r}: transformers' NomicBertModel has no such variant")
    vocab, mult = hub["vocab_size"], hub.get("pad_vocab_size_multiple", 1)
    if vocab % mult:
        vocab += mult - vocab % mult
    return {"architectures": ["NomicBertModel"], "model_type": "nomic_bert", "vocab_size": vocab,
            "hidden_size": hub["n_embd"], "num_attention_heads": hub["n_head"], "num_hidden_layers": hub["n_layer"],
            "intermediate_size": hub.get("n_inner") or 4 * hub["n_embd"], "hidden_act": "silu",
            "max_position_embeddings": hub.get("n_positions", 2048), "type_vocab_size": hub.get("type_vocab_size", 2),
            "layer_norm_eps": hub.get("layer_norm_epsilon", 1e-12), "pad_token_id": hub.get("pad_token_id", 0),
            "rope_parameters": {"rope_type": "default", "rope_theta": float(hub.get("rotary_emb_base", 10000))},
            "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


def gte_config(hub):
    for k, want in [("position_embedding_type", "rope"), ("layer_norm_type", "layer_norm"),
                    ("logn_attention_scale", False), ("pack_qkv", True)]:
        if hub.get(k, want) != want:
            sys.exit(f"{k} = {hub[k]!r}: GteModel has no such variant")
    d = hub["hidden_size"] // hub["num_attention_heads"]
    theta = float(hub.get("rope_theta", 10000.0))
    rs = hub.get("rope_scaling")
    if rs is None:
        rope = {"rope_type": "default", "rope_theta": theta}
    else:
        if (rs.get("type") or rs.get("rope_type")) != "ntk" or rs.get("mixed_b") is not None:
            sys.exit(f"rope_scaling {rs}: only fixed NTK is translated")
        f = float(rs["factor"])
        rope = {"rope_type": "linear", "factor": f ** (2 / d), "rope_theta": theta * f}
    cfg = {"architectures": ["GteModel"], "model_type": "gte", "rope_parameters": rope}
    for k in ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
              "hidden_act", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "pad_token_id"]:
        if k in hub:
            cfg[k] = hub[k]
    cfg["hidden_dropout_prob"] = 0.0
    cfg["attention_probs_dropout_prob"] = 0.0
    return cfg


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir")
    p.add_argument("texts")
    p.add_argument("out")
    p.add_argument("--model-id")
    a = p.parse_args()
    hub = json.load(open(os.path.join(a.model_dir, "config.json")))
    translate = {"new": gte_config, "nomic_bert": nomic_config}.get(hub.get("model_type"))
    if translate is None:
        sys.exit(f"model_type {hub.get('model_type')!r}: only new and nomic_bert are translated")
    cfg = translate(hub)
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, os.path.basename(os.path.normpath(a.model_dir)))
        shutil.copytree(a.model_dir, folder)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        raw = os.path.join(tmp, "out.json.gz")
        subprocess.run([sys.executable, os.path.join(here, "st_embed.py"), folder, a.texts, raw,
                        "--model-id", a.model_id or os.path.basename(os.path.normpath(a.model_dir))], check=True)
        doc = json.loads(gzip.open(raw).read())
    from st_embed import model_files, write  # same hashing and byte-stable gzip
    doc["model_files"] = model_files(a.model_dir)
    doc["translated_config"] = cfg
    doc["command"] = "scripts/reference/native_golden.py " + " ".join(sys.argv[1:])
    doc["oracle"] = f"transformers {cfg['architectures'][0]} (its own code) through sentence-transformers, the published config translated"
    write(a.out, doc)
    print(f"{a.out}: {len(doc['cases'])} cases", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, here)
    main()
