#!/usr/bin/env python3
"""gembed against sentence-transformers and ONNX Runtime on one encoder, interleaved in one sitting.

  bench_encoders.py [--model all-MiniLM-L6-v2|bge-base-random] [--model-dir DIR] [--rounds 3]
                    [--threads 2] [--go-reps 5] [--reps 5] [--short-reps 30] [--spin]
                    [--gembed-dtypes float32,bfloat16]

Each round runs, one after the other: gembed's Go benchmark (graph.BenchmarkEncoder, token ids given
directly, 2 threads, batch and short workloads in two processes), then bench_peers.py (tokenization
included) for sentence-transformers (torch fp32) and ONNX Runtime (fp32), same thread count, same
workloads: 64 texts x 64 tokens in one batch, and one 16-token text. --gembed-dtypes runs gembed once
per dtype (GEMBED_BENCH_DTYPE; engine "gembed" is float32, "gembed-bf16" bfloat16). Interleaving spreads the
neighbours' load over every engine alike. Printed: per engine and workload, the median over rounds of
the per-round median wall ms and median CPU ms (getrusage, all threads) per forward, and the peak RSS
of the process that ran the batch. By default peers' idle threads sleep (--no-spin) so their CPU time
is work, not spinning; --spin keeps the engines' default.

Run from the repository root with the reference venv's python (torch, sentence-transformers,
onnxruntime). bge-base-random is the random bge-base-shaped BERT the Go benchmark writes into the
test-model cache (run the Go benchmark once first); --model-dir must then name that folder.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile


def run_rss(cmd, env=None):
    """Runs cmd; returns (stdout, peak RSS MB of that process)."""
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if p.returncode != 0:
        sys.exit(f"bench_encoders: {' '.join(cmd)} failed (exit {p.returncode}):\n{text}")
    return text, ru.ru_maxrss / 1024


def gembed_round(binary, model, workload, reps, threads, dtype):
    pattern = f"^BenchmarkEncoder$/^model={re.escape(model)}$/^{workload}$"
    env = dict(os.environ, GOMAXPROCS=str(threads), GEMBED_BENCH_DTYPE=dtype)
    text, rss = run_rss([binary, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", f"{reps}x"], env)
    m = re.search(r"([\d.]+) cpu-ms/forward\s+([\d.]+) ms/forward", text)
    if not m:
        if "SKIP" in text or "skip" in text:
            sys.exit(f"bench_encoders: gembed benchmark skipped:\n{text}")
        sys.exit(f"bench_encoders: no result in:\n{text}")
    return {"cpu_ms": float(m.group(1)), "wall_ms": float(m.group(2)), "rss_mb": rss}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--model-dir", default=os.path.join(
        os.environ.get("GEMBED_REAL_MODELS", "/root/.cache/gembed-real-models"),
        "sentence-transformers--all-MiniLM-L6-v2"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--go-reps", type=int, default=5, help="timed gembed batch runs per round (short: 10x)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--short-reps", type=int, default=30)
    ap.add_argument("--spin", action="store_true")
    ap.add_argument("--engines", default="st,ort")
    ap.add_argument("--gembed-dtypes", default="float32")
    args = ap.parse_args()
    dtypes = args.gembed_dtypes.split(",")
    for dt in dtypes:
        if dt not in ("float32", "bfloat16"):
            sys.exit(f"bench_encoders: --gembed-dtypes: unknown dtype {dt!r} (float32, bfloat16)")

    here = os.path.dirname(os.path.abspath(__file__))
    binary = os.path.join(tempfile.mkdtemp(prefix="gembed-bench-"), "graph.test")
    subprocess.run(["go", "test", "-c", "-o", binary, "./graph"], check=True)
    peers = os.path.join(here, "bench_peers.py")
    res = {}  # (engine, workload) -> list of per-round dicts
    loads = []
    for r in range(args.rounds):
        loads.append(os.getloadavg()[0])
        for dt in dtypes:
            engine = "gembed" if dt == "float32" else "gembed-bf16"
            for wl, reps in (("batch=64x64", args.go_reps), ("short=16", 10 * args.go_reps)):
                key = (engine, "batch" if wl.startswith("batch") else "short")
                res.setdefault(key, []).append(gembed_round(binary, args.model, wl, reps, args.threads, dt))
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            out = f.name
        cmd = [sys.executable, peers, args.model_dir, "--threads", str(args.threads), "--engines", args.engines,
               "--reps", str(args.reps), "--short-reps", str(args.short_reps), "--out", out]
        if not args.spin:
            cmd.append("--no-spin")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        rep = json.load(open(out))
        os.unlink(out)
        for e, v in rep["engines"].items():
            for wl in ("batch", "short"):
                res.setdefault((e, wl), []).append({"cpu_ms": v[wl]["cpu_median_ms"], "wall_ms": v[wl]["median_ms"],
                                                    "rss_mb": v["peak_rss_mb"]})
        print(f"round {r + 1}/{args.rounds} done (load average {loads[-1]:.1f})", file=sys.stderr)

    med = lambda xs: statistics.median(xs)  # noqa: E731
    print(f"model {args.model}, {args.threads} threads, {args.rounds} rounds, "
          f"load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs, peers spin={args.spin}")
    print(f"{'engine':<8} {'workload':<8} {'wall ms':>9} {'cpu ms':>9} {'peak RSS MB':>12}")
    summary = {}
    for (e, wl), rows in sorted(res.items()):
        s = {k: med([row[k] for row in rows]) for k in ("wall_ms", "cpu_ms", "rss_mb")}
        summary[f"{e}/{wl}"] = s
        print(f"{e:<8} {wl:<8} {s['wall_ms']:9.1f} {s['cpu_ms']:9.1f} {s['rss_mb']:12.0f}")
    for engine in ("gembed", "gembed-bf16"):
        for peer in ("st", "ort"):
            if f"{peer}/batch" in summary and f"{engine}/batch" in summary:
                for wl in ("batch", "short"):
                    g, o = summary[f"{engine}/{wl}"], summary[f"{peer}/{wl}"]
                    print(f"{engine} vs {peer} {wl}: {o['cpu_ms'] / g['cpu_ms']:.2f}x by CPU time, "
                          f"{o['wall_ms'] / g['wall_ms']:.2f}x by wall clock")
    print(json.dumps({"model": args.model, "threads": args.threads, "load_averages": loads, "summary": summary}))


if __name__ == "__main__":
    main()
