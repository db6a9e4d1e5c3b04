"""Writes the pytorch_model.bin goldens of weights/ with real torch.save.

Run from the repository root with a Python that has torch (CPU is enough):

    python scripts/torchbin/make_golden.py testdata/golden/torchbin

Every file is written by torch itself, and the expected values are torch's
own float32 view of each tensor (`t.float()`), so the Go reader is checked
against PyTorch, not against itself. expected.json records, per file, the
sha256 of the file and each tensor's dtype, shape and float32 bits.
"""

import collections
import hashlib
import json
import os
import sys

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else "testdata/golden/torchbin"


def special_values():
    # Values whose conversion is easy to get wrong: ±0, ±inf, NaN, the
    # largest half, half subnormals, bf16's rounding of 1/3.
    return torch.tensor(
        [0.0, -0.0, float("inf"), -float("inf"), float("nan"), 65504.0, 2.0**-24, 3 * 2.0**-24, 1 / 3, -1.5],
        dtype=torch.float32,
    )


def main_state_dict():
    g = torch.Generator().manual_seed(12)
    base = torch.randn(3, 4, generator=g)
    big = torch.randn(6, 8, generator=g)
    shared = torch.randn(5, 4, generator=g)
    sd = collections.OrderedDict()
    sd["encoder.f32.weight"] = base
    sd["encoder.f16.weight"] = torch.randn(2, 3, generator=g).half()
    sd["encoder.bf16.weight"] = torch.randn(5, generator=g).bfloat16()
    sd["encoder.special.f32"] = special_values()
    sd["encoder.special.f16"] = special_values().half()
    sd["encoder.special.bf16"] = special_values().bfloat16()
    # Views: a transpose (strides (1, 4)), a slice with a storage offset and
    # a step, and a row-major slice with an offset, all of one storage.
    sd["views.transposed"] = big.t()
    sd["views.sliced"] = big[1:5, 1::3]
    sd["views.rows"] = big[2:4]
    sd["views.column_f16"] = big.half()[:, 5]
    # Shared storages: tied weights (the same tensor twice) and a row view.
    sd["tied.embed.weight"] = shared
    sd["tied.lm.weight"] = shared
    sd["tied.row"] = shared[3]
    sd["scalar"] = torch.tensor(0.75)
    sd["empty"] = torch.zeros(0, 4)
    sd["position_ids"] = torch.arange(7).unsqueeze(0)
    # A Parameter pickles through torch._utils._rebuild_parameter.
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2, generator=g))
    return sd


def module_state_dict():
    # What a real model's state_dict() looks like: an OrderedDict carrying
    # _metadata (pickled with BUILD), from nn modules.
    torch.manual_seed(7)
    m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3), torch.nn.Embedding(5, 4))
    return m.state_dict()


def describe(sd):
    out = {}
    for name, t in sd.items():
        t = t.detach()
        entry = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape)}
        if t.is_floating_point():
            entry["f32_bits"] = [v & 0xFFFFFFFF for v in t.float().contiguous().view(torch.int32).flatten().tolist()]
        out[name] = entry
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Hostile:
    """Pickles as os.system("echo hostile-pickle-ran"): a reader that
    resolves arbitrary globals would run it."""

    def __reduce__(self):
        return (os.system, ("echo hostile-pickle-ran",))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {"torch": torch.__version__, "files": {}}

    def save(rel, sd, **kw):
        path = os.path.join(OUT, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.save(sd, path, **kw)
        # torch reads back what we expect. (weights_only=False: torch's
        # restricted loader does not know protocol 4's FRAME opcode; these
        # files are our own.)
        loaded = torch.load(path, weights_only=False)
        assert list(loaded) == list(sd), rel
        expected["files"][rel] = {"sha256": sha256(path), "tensors": describe(loaded)}

    sd = main_state_dict()
    save("single/pytorch_model.bin", sd)
    save("protocol4/pytorch_model.bin", sd, pickle_protocol=4)
    save("module/pytorch_model.bin", module_state_dict())

    # Sharded the way transformers writes it: shards plus an index whose
    # weight_map names each tensor's shard.
    names = list(sd)
    halves = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    for i, part in enumerate(halves):
        shard = f"pytorch_model-{i + 1:05d}-of-{len(halves):05d}.bin"
        save("sharded/" + shard, collections.OrderedDict((n, sd[n]) for n in part))
        weight_map.update({n: shard for n in part})
    with open(os.path.join(OUT, "sharded/pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)

    # An old sentence-transformers Dense module: 2_Dense/pytorch_model.bin.
    dense_path = os.path.join(OUT, "dense/2_Dense")
    try:
        try:
            from sentence_transformers.sentence_transformer.modules import Dense
        except ImportError:  # sentence-transformers before 6
            from sentence_transformers.models import Dense

        torch.manual_seed(3)
        dense = Dense(in_features=4, out_features=3, bias=True, activation_function=torch.nn.Tanh())
        os.makedirs(dense_path, exist_ok=True)
        dense.save(dense_path, safe_serialization=False)
        assert os.path.exists(os.path.join(dense_path, "pytorch_model.bin")), os.listdir(dense_path)
        reloaded = Dense.load(dense_path)
        assert torch.equal(reloaded.linear.weight, dense.linear.weight)
        producer = "sentence_transformers " + __import__("sentence_transformers").__version__
    except ImportError:
        sys.exit("sentence-transformers is needed for the Dense golden")
    rel = "dense/2_Dense/pytorch_model.bin"
    expected["files"][rel] = {
        "sha256": sha256(os.path.join(OUT, rel)),
        "producer": producer,
        "tensors": describe(torch.load(os.path.join(OUT, rel), weights_only=False)),
    }

    # Files that must be refused: the pre-1.6 format, and a pickle that
    # would run os.system if its globals were resolved.
    legacy = os.path.join(OUT, "legacy/pytorch_model.bin")
    os.makedirs(os.path.dirname(legacy), exist_ok=True)
    torch.save(collections.OrderedDict(w=torch.ones(2)), legacy, _use_new_zipfile_serialization=False)
    hostile = os.path.join(OUT, "hostile/pytorch_model.bin")
    os.makedirs(os.path.dirname(hostile), exist_ok=True)
    torch.save(collections.OrderedDict(w=torch.ones(2), evil=Hostile()), hostile)
    for rel in ("legacy/pytorch_model.bin", "hostile/pytorch_model.bin"):
        expected["files"][rel] = {"sha256": sha256(os.path.join(OUT, rel)), "refused": True}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
