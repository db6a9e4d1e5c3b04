#!/usr/bin/env python3
"""Writes testdata/golden/transformers/mpnet-buckets.json.gz: the relative-position bucket transformers'
MPNet gives every relative position k - q in [-1100, 1100] (MPNetEncoder.relative_position_bucket with the
defaults compute_position_bias uses: 32 buckets, max distance 128).

    /path/to/venv/bin/python scripts/reference/mpnet_buckets.py
"""
import gzip
import json
import os
import sys

import torch
import transformers
from transformers.models.mpnet.modeling_mpnet import MPNetEncoder

LIMIT = 1100
out = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "golden", "transformers", "mpnet-buckets.json.gz")
rel = torch.arange(-LIMIT, LIMIT + 1, dtype=torch.long)
buckets = MPNetEncoder.relative_position_bucket(rel).tolist()
doc = {
    "schema": "gembed-reference/1",
    "mode": "mpnet-buckets",
    "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__},
    "command": "python scripts/reference/mpnet_buckets.py",
    "num_buckets": 32,
    "max_distance": 128,
    "first_relative_position": -LIMIT,
    "buckets": buckets,
}
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "wb") as f:
    with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as z:
        z.write(json.dumps(doc, separators=(",", ":")).encode())
print(f"{out}: {len(buckets)} relative positions")
