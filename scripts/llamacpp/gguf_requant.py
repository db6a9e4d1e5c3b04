#!/usr/bin/env python3
"""Requantizes a GGUF (F32, F16 or BF16, as gguf-writer.mjs writes) to Q8_0 with
llama.cpp's own Python package (`gguf`), so the Q8_0 blocks are the reference
quantizer's, not ours.

    python3 -m venv VENV && VENV/bin/pip install gguf numpy
    VENV/bin/python scripts/llamacpp/gguf_requant.py IN.gguf OUT.gguf [--type q8_0]

Which tensors are quantized follows llama.cpp's converter for `--outtype q8_0`:
every 2-D weight matrix (the token embedding, which llama.cpp also uses as the
tied output matrix, and the attention/MLP projections) becomes Q8_0; 1-D tensors
(RMSNorm weights, q/k norms, biases) stay F32. Metadata is copied unchanged
except `general.file_type`, which becomes llama.cpp's MOSTLY_Q8_0.
"""

import argparse
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf import GGUFValueType as VT

# llama_ftype values of the target types (llama.h)
FILE_TYPE = {"q8_0": 7}
QTYPE = {"q8_0": QT.Q8_0}


def as_float32(t):
    """The tensor's values as float32 in numpy order (rows, cols)."""
    shape = tuple(int(d) for d in reversed(t.shape))
    if t.tensor_type == QT.F32:
        return np.asarray(t.data, dtype=np.float32).reshape(shape)
    if t.tensor_type == QT.F16:
        return np.asarray(t.data).view(np.float16).astype(np.float32).reshape(shape)
    if t.tensor_type == QT.BF16:
        raw = np.asarray(t.data).view(np.uint16).astype(np.uint32) << 16
        return raw.view(np.float32).reshape(shape)
    raise SystemExit(f"{t.name}: tensor type {t.tensor_type.name} is not F32/F16/BF16")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--type", default="q8_0", choices=sorted(QTYPE))
    a = ap.parse_args()
    qtype = QTYPE[a.type]
    block = gguf.GGML_QUANT_SIZES[qtype][0]

    r = gguf.GGUFReader(a.src)
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(a.dst, arch)
    for name, f in r.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue  # written by GGUFWriter itself
        if name == "general.file_type":
            w.add_uint32(name, FILE_TYPE[a.type])
            continue
        main_type = f.types[0]
        sub = f.types[-1] if main_type == VT.ARRAY else None
        w.add_key_value(name, f.contents(), main_type, sub_type=sub)

    nq = 0
    for t in r.tensors:
        x = as_float32(t)
        if x.ndim == 2 and x.shape[-1] % block == 0:
            q = gguf.quants.quantize(x, qtype)
            w.add_tensor(t.name, q, raw_dtype=qtype)
            nq += 1
        else:
            if x.ndim >= 2:
                raise SystemExit(f"{t.name}: shape {x.shape} has rows not a multiple of {block}")
            w.add_tensor(t.name, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {a.dst}: {len(r.tensors)} tensors, {nq} as {qtype.name}, the rest F32", file=sys.stderr)


if __name__ == "__main__":
    main()
