#!/usr/bin/env python3
"""Speed and memory of the engines a user would pick instead of gembed, on one model folder.

  bench_peers.py MODEL_DIR [--threads 2] [--engines st,ort] [--reps 10] [--short-reps 50] [--out FILE.json]

Engines, each in its own process (so each peak RSS is that engine's alone), with the same thread count:
  st   sentence-transformers, torch float32 on the CPU: model.encode(texts, batch_size=64)
  ort  ONNX Runtime float32: the whole sentence-transformers pipeline (transformer, pooling, Dense,
       Normalize) exported once with torch.onnx to a cache folder, tokenized with the model's
       tokenizer.json through the `tokenizers` library, the same padding and truncation.
Workloads: 64 distinct texts of exactly 64 tokens each (special tokens included), one batch; and one
text of exactly 16 tokens. Times are end to end (tokenization included), median of --reps after
2 warm-up runs. The JSON also reports how far the engines' vectors are apart (they should agree to
~1e-6), and the peak RSS of each engine's process (ru_maxrss).
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

WORDS = (
    "the of and to in is was for on that with as by at from his an were are which this be has had not "
    "first one their its new after who they have her she two been other when there all also into more "
    "only time may over years most some out would city world during can about such many school under "
    "part these three state then made national where about later used year between both well team "
    "film known while including became each called same before group season music second through "
    "area game work life series family member history since several early name high long great"
).split()


def here():
    return os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- texts of exact token counts

def exact_texts(tokenize, n_texts, n_tokens):
    """n_texts different texts, each tokenizing to exactly n_tokens ids (special tokens included)."""
    single = [w for w in dict.fromkeys(WORDS) if len(tokenize("x " + w)) - len(tokenize("x")) == 1]
    if len(single) < 8:
        sys.exit("bench_peers: too few single-token words for this tokenizer")
    specials = len(tokenize(""))
    out = []
    for i in range(n_texts):
        words = [single[(i * 7 + k * (1 + i % 5)) % len(single)] for k in range(n_tokens * 2)]
        n = max(1, n_tokens - specials)
        for _ in range(4 * n_tokens):
            got = len(tokenize(" ".join(words[:n])))
            if got == n_tokens:
                break
            n += 1 if got < n_tokens else -1
        else:
            sys.exit(f"bench_peers: cannot make a text of exactly {n_tokens} tokens")
        out.append(" ".join(words[:n]))
    return out


# ---------------------------------------------------------------- workers

def cpu_s():
    """This process's user+system CPU time, all threads (getrusage)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def timed(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    times, cpus = [], []
    for _ in range(reps):
        c0, t0 = cpu_s(), time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_s() - c0)
    # CPU time per run survives a loaded machine better than wall time (spinning idle threads count
    # too: use --no-spin when comparing it).
    return {"median_ms": statistics.median(times) * 1e3, "min_ms": min(times) * 1e3,
            "max_ms": max(times) * 1e3, "cpu_median_ms": statistics.median(cpus) * 1e3, "reps": reps}


def rss_now_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def worker_st(args, batch, short):
    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    from sentence_transformers import SentenceTransformer
    t0 = time.perf_counter()
    model = SentenceTransformer(args.model_dir, device="cpu", local_files_only=True)
    model.eval()
    load_s = time.perf_counter() - t0
    rss_loaded = rss_now_kb()
    with torch.inference_mode():
        vecs = model.encode(batch, batch_size=len(batch), convert_to_numpy=True, show_progress_bar=False)
        b = timed(lambda: model.encode(batch, batch_size=len(batch), show_progress_bar=False), args.reps)
        s = timed(lambda: model.encode([short], show_progress_bar=False), args.short_reps)
    return {"engine": "sentence-transformers", "torch": torch.__version__, "load_s": load_s,
            "rss_after_load_mb": rss_loaded / 1024, "batch": b, "short": s, "vectors": vecs.tolist()}


def onnx_path(args):
    import hashlib
    h = hashlib.sha256()
    for name in sorted(os.listdir(args.model_dir)):
        p = os.path.join(args.model_dir, name)
        if os.path.isfile(p) and not name.startswith("."):
            h.update(name.encode())
            h.update(str(os.path.getsize(p)).encode())
            h.update(str(int(os.path.getmtime(p))).encode())
    folder = os.path.basename(os.path.normpath(args.model_dir))
    return os.path.join(args.onnx_cache, f"{folder}-{h.hexdigest()[:12]}.onnx")


def export_onnx(args, path):
    """The whole sentence-transformers module chain as one ONNX graph (float32, dynamic batch and length)."""
    import torch
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(args.model_dir, device="cpu", local_files_only=True)
    model.eval()
    feats = model.preprocess(["an example sentence to trace", "a second, longer example sentence to trace"])
    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in feats]
    if names[:2] != ["input_ids", "attention_mask"]:
        sys.exit(f"bench_peers: the tokenizer gives {sorted(feats)}, expected input_ids and attention_mask")

    class Pipeline(torch.nn.Module):
        def __init__(self, st):
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            f = {"input_ids": input_ids, "attention_mask": attention_mask, "modality": "text"}
            if token_type_ids is not None:
                f["token_type_ids"] = token_type_ids
            return self.st(f)["sentence_embedding"]

    inputs = tuple(feats[k] for k in names)
    # Exported under its final name in a scratch folder: the graph refers to its weights file by name.
    tmpdir = path + ".partial"
    shutil.rmtree(tmpdir, ignore_errors=True)
    os.makedirs(tmpdir)
    tmp = os.path.join(tmpdir, os.path.basename(path))
    batch_dim, seq_dim = torch.export.Dim("batch"), torch.export.Dim("seq")
    torch.onnx.export(Pipeline(model).eval(), inputs, tmp, input_names=names,
                      output_names=["sentence_embedding"],
                      dynamic_shapes={k: {0: batch_dim, 1: seq_dim} for k in names}, dynamo=True,
                      external_data=True, optimize=True)
    for name in os.listdir(tmpdir):
        os.replace(os.path.join(tmpdir, name), os.path.join(os.path.dirname(path), name))
    os.rmdir(tmpdir)
    return names


def worker_ort(args, batch, short):
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer
    meta = json.load(open(args.onnx + ".json"))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if args.no_spin:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    t0 = time.perf_counter()
    sess = ort.InferenceSession(args.onnx, opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    tok.enable_truncation(meta["max_seq_length"])
    tok.enable_padding(pad_id=meta["pad_id"], pad_token=meta["pad_token"], direction=meta["padding_side"])
    load_s = time.perf_counter() - t0
    rss_loaded = rss_now_kb()
    names = meta["inputs"]

    def run(texts):
        enc = tok.encode_batch(texts)
        arrays = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                  "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                  "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}
        return sess.run(None, {k: arrays[k] for k in names})[0]

    vecs = run(batch)
    b = timed(lambda: run(batch), args.reps)
    s = timed(lambda: run([short]), args.short_reps)
    return {"engine": "onnxruntime", "onnxruntime": ort.__version__, "load_s": load_s,
            "rss_after_load_mb": rss_loaded / 1024, "batch": b, "short": s, "vectors": vecs.tolist()}


# ---------------------------------------------------------------- driver

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--engines", default="st,ort")
    p.add_argument("--reps", type=int, default=10, help="timed runs of the 64-text batch")
    p.add_argument("--short-reps", type=int, default=50, help="timed runs of the 16-token text")
    p.add_argument("--batch-texts", type=int, default=64)
    p.add_argument("--batch-tokens", type=int, default=64)
    p.add_argument("--short-tokens", type=int, default=16)
    p.add_argument("--no-spin", action="store_true",
                   help="threads sleep instead of spinning while idle (OMP_WAIT_POLICY=PASSIVE, ORT "
                        "allow_spinning=0): fairer on a shared, busy machine; not the engines' defaults")
    p.add_argument("--onnx-cache", default=os.path.join(os.path.expanduser("~"), ".cache", "gembed-bench-onnx"))
    p.add_argument("--out", help="write the JSON here (default: stdout)")
    p.add_argument("--worker", choices=["st", "ort", "export"], help=argparse.SUPPRESS)
    p.add_argument("--texts", help=argparse.SUPPRESS)
    p.add_argument("--onnx", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def child(args, mode, extra):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[k] = str(args.threads)
    if args.no_spin:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    cmd = [sys.executable, os.path.abspath(__file__), args.model_dir, "--worker", mode,
           "--threads", str(args.threads), "--reps", str(args.reps), "--short-reps", str(args.short_reps)] + \
        (["--no-spin"] if args.no_spin else []) + extra
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    if res.returncode != 0:
        sys.exit(f"bench_peers: the {mode} worker failed (exit {res.returncode})")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv):
    args = parse_args(argv)
    if args.worker:
        texts = json.load(open(args.texts)) if args.texts else None
        if args.worker == "export":
            names = export_onnx(args, args.onnx)
            from sentence_transformers import SentenceTransformer
            m = SentenceTransformer(args.model_dir, device="cpu", local_files_only=True)
            tok = m.tokenizer
            meta = {"inputs": names, "max_seq_length": m.max_seq_length, "pad_id": tok.pad_token_id,
                    "pad_token": tok.pad_token, "padding_side": tok.padding_side}
            json.dump(meta, open(args.onnx + ".json", "w"))
            print(json.dumps({"ok": True}))
            return
        fn = {"st": worker_st, "ort": worker_ort}[args.worker]
        out = fn(args, texts["batch"], texts["short"])
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return

    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(args.model_dir, local_files_only=True)
    count = lambda s: tok(s)["input_ids"]  # noqa: E731
    batch = exact_texts(count, args.batch_texts, args.batch_tokens)
    short = exact_texts(count, 1, args.short_tokens)[0]
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"batch": batch, "short": short}, f)
        texts_file = f.name
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    report = {"model_dir": os.path.basename(os.path.normpath(args.model_dir)), "threads": args.threads,
              "no_spin": args.no_spin, "load_average": os.getloadavg()[0],
              "workload": {"batch": f"{args.batch_texts} texts x {args.batch_tokens} tokens, one batch",
                           "short": f"1 text x {args.short_tokens} tokens"},
              "cpu": platform_cpu(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "engines": {}}
    try:
        extra = ["--texts", texts_file]
        if "ort" in engines:
            path = onnx_path(args)
            if not os.path.exists(path + ".json"):
                t0 = time.perf_counter()
                child(args, "export", ["--onnx", path])
                report["onnx_export_s"] = round(time.perf_counter() - t0, 1)
            report["onnx_file"] = os.path.basename(path)
        vectors = {}
        for e in engines:
            extra_e = extra + (["--onnx", onnx_path(args)] if e == "ort" else [])
            r = child(args, e, extra_e)
            vectors[e] = r.pop("vectors")
            r["batch"]["texts_per_s"] = args.batch_texts / (r["batch"]["median_ms"] / 1e3)
            report["engines"][e] = r
        if "st" in vectors and "ort" in vectors:
            import numpy as np
            a, b = np.array(vectors["st"]), np.array(vectors["ort"])
            report["st_vs_ort_max_abs"] = float(np.max(np.abs(a - b)))
    finally:
        os.unlink(texts_file)
    text = json.dumps(report, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


def platform_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    main(sys.argv[1:])
