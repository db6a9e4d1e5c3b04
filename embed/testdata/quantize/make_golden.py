"""Writes quantize_golden.json: sentence-transformers' quantize_embeddings on
fixed vectors, the reference for embed.Quantize.

Run with a Python that has numpy, torch and scipy:
    python make_golden.py [SENTENCE_TRANSFORMERS_SRC] > quantize_golden.json
SENTENCE_TRANSFORMERS_SRC is an unpacked sentence-transformers wheel (its
util/quantization.py is loaded alone, without the package's heavy imports);
without it, the installed package is used.
"""
import importlib.util
import json
import sys
import types

import numpy as np


def load_quantize():
    if len(sys.argv) < 2:
        from sentence_transformers.util.quantization import quantize_embeddings
        import sentence_transformers
        return quantize_embeddings, sentence_transformers.__version__
    root = sys.argv[1] + "/sentence_transformers"
    pkg = types.ModuleType("st_util")
    pkg.__path__ = [root + "/util"]
    sys.modules["st_util"] = pkg
    for name in ("tensor", "quantization"):
        spec = importlib.util.spec_from_file_location("st_util." + name, f"{root}/util/{name}.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["st_util." + name] = mod
        spec.loader.exec_module(mod)
    version = "unknown"
    for line in open(root + "/__init__.py"):
        if line.startswith("__version__"):
            version = line.split("=")[1].strip().strip("\"'")
    return sys.modules["st_util.quantization"].quantize_embeddings, version


def main():
    quantize, version = load_quantize()
    rng = np.random.default_rng(20261126)
    # 7 vectors of 13 dimensions (not a multiple of 8: packbits pads), one
    # dimension zero everywhere (a zero step), normalized like model output.
    v = rng.standard_normal((7, 13)).astype(np.float32)
    v[:, 4] = 0.0
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v = v.astype(np.float32)
    out = {"sentence_transformers": version, "embeddings": v.tolist()}
    for p in ("int8", "uint8", "binary", "ubinary"):
        out[p] = quantize(v, precision=p).astype(int).tolist()
    json.dump(out, sys.stdout, indent=None)
    sys.stdout.write("\n")


main()
