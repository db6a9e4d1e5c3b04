#!/usr/bin/env node
// llama.cpp (node-llama-cpp) speed and memory on the full-size random
// Qwen3-Embedding-0.6B-shaped model, as an F32 GGUF, for comparison with gembed.
//
//   go run ./testdata/genmodel -full /work/models/qwen3-0.6b
//   node scripts/llamacpp/gguf-writer.mjs /work/models/qwen3-0.6b /work/scratch/llamacpp/gguf/qwen3-0.6b.gguf
//   node scripts/llamacpp/bench.mjs [--gguf that.gguf] [--threads 2] [--repeats 3] [--long-repeats 1]
//            [--only batch64,single32,long8192,...] [--out testdata/golden/llamacpp/bench.json]
//   node scripts/llamacpp/bench.mjs --compare --llamacpp f32=F32.gguf,bf16=BF16.gguf,q8_0=Q8_0.gguf
//            --gembed-test GRAPH.test --gembed-model MODEL_DIR [--gembed-dtypes float32,bfloat16] [--rounds 3]
//            [--only batch64,single32] [--out testdata/golden/llamacpp/bench-dtypes.json]
//
// --compare runs llama.cpp on several GGUFs of the same weights and gembed's own graph benchmarks
// (GRAPH.test from `go test -c ./graph`) in both dtypes in one sitting, engines alternating within
// every round, and records wall and CPU seconds (getrusage) with the load average before each run.
//
// Every measurement runs in its own child process (so peak RSS, VmHWM from
// /proc/self/status, belongs to that scenario alone); scenarios are interleaved
// round-robin `--repeats` times and the median is reported. Model load time is
// measured but not included in the throughput figures; one warm-up call precedes
// every timed run.
//
// node-llama-cpp embeds one sequence per llama_decode call (LlamaEmbeddingContext
// has no multi-sequence batching), so "64 texts x 64 tokens" is 64 sequential
// decodes of 64 tokens each. In embedding mode llama.cpp marks every token as an
// output and still builds the lm_head (tied token_embd, 151669 x 1024) product for
// all of them: ~0.31 GFLOP per token that a pure embedding engine does not spend.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadNodeLlamaCpp, createEmbeddingContext, embedIds } from "./llamacpp.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };

const EOT = 151643;

// deterministic token ids: n-1 ids from the ordinary BPE range, then <|endoftext|>
function makeIds(n, seed) {
  let s = BigInt(seed) * 6364136223846793005n + 1442695040888963407n;
  const out = [];
  for (let i = 0; i < n - 1; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    out.push(Number((s >> 33n) % 151643n));
  }
  out.push(EOT);
  return out;
}

// which of ggml's CPU backend variants (libggml-cpu-<cpu>.so) llama.cpp picked at run time
function ggmlCpuVariant() {
  const m = /libggml-cpu-([\w-]+)\.so/.exec(fs.readFileSync("/proc/self/maps", "utf8"));
  return m ? m[1] : null;
}

// CPU seconds of this whole process (getrusage RUSAGE_SELF through process.cpuUsage: every
// thread, including llama.cpp's worker threads, which spin-wait between graph nodes)
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function procStatus() {
  const st = fs.readFileSync("/proc/self/status", "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(st)?.[1] ?? NaN);
  return { vm_hwm_mb: kb("VmHWM") / 1024, vm_rss_mb: kb("VmRSS") / 1024 };
}

// ------------------------------------------------------------ child: one measurement

const SCENARIOS = {
  // the comparison figure: flash attention off, F32 K/V, as in the goldens
  batch64: { kind: "batch", texts: 64, tokens: 64, exact: true, contextSize: 512, batchSize: 512 },
  // node-llama-cpp's own defaults (createEmbeddingContext: context size "auto", flash attention and K/V type defaults)
  batch64_defaults: { kind: "batch", texts: 64, tokens: 64, exact: false },
  single32: { kind: "single", tokens: 32, reps: 5, exact: true, contextSize: 512, batchSize: 512 },
  // 8192 tokens fed in 512-token micro-batches (the causal K/V cache carries the prefix; last-token pooling
  // reads the final micro-batch, so the vector is the same as in one shot)
  long8192: { kind: "long", tokens: 8192, exact: true, contextSize: 8192 + 64, batchSize: 512 },
  // 8192 tokens in one micro-batch: the full T x T score matrices of llama.cpp's non-flash attention
  long8192_onebatch: { kind: "long", tokens: 8192, exact: true, contextSize: 8192 + 64, batchSize: 8192 + 64 },
};

async function child(name, gguf, threads) {
  const sc = SCENARIOS[name];
  const nlc = await loadNodeLlamaCpp();
  const llama = await nlc.getLlama({ gpu: false, build: "never", logLevel: nlc.LlamaLogLevel.error });
  let t0 = performance.now();
  const model = await llama.loadModel({ modelPath: gguf });
  const loadSeconds = (performance.now() - t0) / 1000;
  let ec;
  if (sc.exact) ec = await createEmbeddingContext(nlc, model, { contextSize: sc.contextSize, batchSize: sc.batchSize, threads });
  else ec = await model.createEmbeddingContext({ threads });
  const c = ec._llamaContext;
  const res = {
    scenario: name, threads,
    context: { context_size: c.contextSize, batch_size: c.batchSize, flash_attention: c.flashAttention, kv_cache_key_type: c.kvCacheKeyType, kv_cache_value_type: c.kvCacheValueType },
    load_seconds: loadSeconds,
  };
  if (sc.kind === "batch") {
    // --texts N: the first N of the same texts (one decode per text, so the cost per token does not depend on N)
    const n = Number(opt("--texts", String(sc.texts)));
    const texts = Array.from({ length: n }, (_, i) => makeIds(sc.tokens, 1000 + i));
    await embedIds(ec, texts[0]); // warm-up
    const c0 = cpuSeconds();
    t0 = performance.now();
    for (const ids of texts) await embedIds(ec, ids);
    const s = (performance.now() - t0) / 1000;
    Object.assign(res, { seconds: s, cpu_seconds: cpuSeconds() - c0, texts: n, tokens: n * sc.tokens, tokens_per_second: (n * sc.tokens) / s });
  } else if (sc.kind === "single") {
    const ids = makeIds(sc.tokens, 7);
    t0 = performance.now();
    await embedIds(ec, ids);
    res.first_call_seconds = (performance.now() - t0) / 1000;
    const times = [];
    const c0 = cpuSeconds();
    for (let r = 0; r < sc.reps; r++) {
      t0 = performance.now();
      await embedIds(ec, ids);
      times.push((performance.now() - t0) / 1000);
    }
    res.cpu_seconds = (cpuSeconds() - c0) / sc.reps;
    res.seconds = median(times);
    res.all_seconds = times;
  } else {
    const ids = makeIds(sc.tokens, 8192);
    t0 = performance.now();
    const v = await embedIds(ec, ids);
    res.seconds = (performance.now() - t0) / 1000;
    res.tokens_per_second = sc.tokens / res.seconds;
    res.finite = v.every(Number.isFinite);
    res.first_values = Array.from(v.slice(0, 4));
  }
  Object.assign(res, procStatus(), { ggml_cpu_variant: ggmlCpuVariant() });
  await ec.dispose();
  await model.dispose();
  await llama.dispose();
  process.stdout.write(JSON.stringify(res) + "\n");
}

// ------------------------------------------------------------ driver

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function loadavg() { return os.loadavg().map((x) => Number(x.toFixed(2))); }

function runChild(name, gguf, threads, extra = []) {
  const la = loadavg();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", name, "--gguf", gguf, "--threads", String(threads), ...extra],
    { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`scenario ${name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const res = JSON.parse(r.stdout.trim().split("\n").at(-1));
  res.loadavg_before = la;
  res.at = new Date().toISOString();
  console.error(`  ${name}: ${JSON.stringify(res)}`);
  return res;
}

async function driver() {
  const gguf = opt("--gguf", "/work/scratch/llamacpp/gguf/qwen3-0.6b.gguf");
  const threads = Number(opt("--threads", "2"));
  const repeats = Number(opt("--repeats", "3"));
  const longRepeats = Number(opt("--long-repeats", "1"));
  const only = opt("--only", "batch64,batch64_defaults,single32,long8192").split(",");
  const out = opt("--out", path.join(repo, "testdata/golden/llamacpp/bench.json"));
  for (const n of only) if (!SCENARIOS[n]) throw new Error(`unknown scenario ${n} (known: ${Object.keys(SCENARIOS)})`);
  if (!fs.existsSync(gguf)) throw new Error(`${gguf}: not found (convert the model first, see the header of this script)`);

  const runs = Object.fromEntries(only.map((n) => [n, []]));
  for (let r = 0; r < Math.max(repeats, longRepeats); r++) {
    for (const n of only) {
      const want = SCENARIOS[n].kind === "long" ? longRepeats : repeats;
      if (r >= want) continue;
      console.error(`round ${r + 1}, ${n}, load ${loadavg()}`);
      runs[n].push(runChild(n, gguf, threads));
    }
  }

  const nlc = await loadNodeLlamaCpp();
  const prev = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, "utf8")) : {};
  if (args.includes("--append")) { // add earlier runs of the same scenarios (same settings) to the medians
    for (const [n, rs] of Object.entries(runs)) {
      for (const a of prev.scenarios?.[n]?.all ?? []) rs.unshift({ ...a, vm_hwm_mb: a.peak_rss_mb, context: rs[0].context });
    }
  }
  const summary = {};
  for (const [n, rs] of Object.entries(runs)) {
    const s = { runs: rs.length, context: rs[0].context, description: describe(n) };
    s.seconds_median = median(rs.map((x) => x.seconds));
    if (rs[0].tokens_per_second !== undefined) s.tokens_per_second_median = median(rs.map((x) => x.tokens_per_second));
    if (rs[0].first_call_seconds !== undefined) s.first_call_seconds_median = median(rs.map((x) => x.first_call_seconds));
    s.peak_rss_mb_median = median(rs.map((x) => x.vm_hwm_mb));
    s.load_seconds_median = median(rs.map((x) => x.load_seconds));
    s.all = rs.map((x) => ({ seconds: x.seconds, tokens_per_second: x.tokens_per_second, first_call_seconds: x.first_call_seconds,
      load_seconds: x.load_seconds, peak_rss_mb: x.vm_hwm_mb, loadavg_before: x.loadavg_before, at: x.at }));
    summary[n] = s;
  }
  const result = {
    what: "llama.cpp speed/memory on the random full-size Qwen3-Embedding-0.6B-shaped model (F32 GGUF), for comparison with gembed",
    generator: `node-llama-cpp@${nlc.version}, scripts/llamacpp/bench.mjs`,
    date: new Date().toISOString(),
    model: "go run ./testdata/genmodel -full (BF16 safetensors) -> scripts/llamacpp/gguf-writer.mjs --type f32",
    gguf_bytes: fs.statSync(gguf).size,
    threads,
    cpu: `${os.cpus()[0]?.model} (${os.cpus().length} logical cpus visible)`,
    mem_total_gb: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    notes: [
      "one sequence per llama_decode (node-llama-cpp LlamaEmbeddingContext); load time excluded; one warm-up call before timing",
      "peak RSS = VmHWM of a fresh process per scenario; includes the mmapped F32 weights (~2.2 GiB) that were touched",
      "llama.cpp in embedding mode still computes the tied lm_head (151669 x 1024) for every token (~0.31 GFLOP/token extra)",
      "median over runs; loadavg_before shows how busy the shared 2-core machine was",
    ],
    scenarios: { ...(prev.scenarios ?? {}), ...summary },
  };
  fs.writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
  console.error(`wrote ${out}`);
}

function describe(n) {
  return {
    batch64: "64 texts x 64 tokens, one after another; flash attention off, F32 K/V (exact settings of the goldens), context 512",
    batch64_defaults: "the same with node-llama-cpp's createEmbeddingContext defaults (context size auto, default flash attention and K/V type)",
    single32: "latency of one 32-token text (median of 5 after a warm-up); exact settings",
    long8192: "one 8192-token input, exact settings, fed in 512-token micro-batches (batchSize 512)",
    long8192_onebatch: "one 8192-token input in a single micro-batch (full T x T attention scores), exact settings",
  }[n];
}

// ------------------------------------------------------------ compare: llama.cpp GGUFs against gembed, one sitting

// One gembed measurement: the graph package's benchmark binary (go test -c ./graph), 2 threads,
// BenchmarkForward64x64 (workers = threads) or BenchmarkForward32Tokens. Its cpu-s/forward is
// getrusage(RUSAGE_SELF) of the benchmark process around the timed forwards.
function runGembed(scenario, bin, modelDir, dtype, threads) {
  const la = loadavg();
  const [bench, times] = { batch64: [`^BenchmarkForward64x64$/^workers=${threads}$`, 1], single32: ["^BenchmarkForward32Tokens$", 5] }[scenario];
  const r = spawnSync(bin, ["-test.run", "^$", "-test.bench", bench, "-test.benchtime", `${times}x`, "-test.count", "1"],
    { cwd: path.join(repo, "graph"), encoding: "utf8", maxBuffer: 1 << 26,
      env: { ...process.env, GEMBED_BENCH_MODEL: modelDir, GEMBED_BENCH_DTYPE: dtype, GEMBED_BENCH_THREADS: String(threads) } });
  const line = r.stdout.split("\n").find((l) => l.startsWith("BenchmarkForward"));
  if (r.status !== 0 || !line) throw new Error(`gembed ${dtype} ${scenario} failed (${r.status}): ${(r.stdout + r.stderr).slice(-2000)}`);
  const f = line.trim().split(/\s+/);
  const m = {};
  for (let i = 2; i + 1 < f.length; i += 2) m[f[i + 1]] = Number(f[i]);
  const res = { scenario, engine: `gembed ${dtype}`, forwards: times, seconds: m["s/forward"], cpu_seconds: m["cpu-s/forward"],
    tokens_per_second: scenario === "batch64" ? m["tokens/s"] : undefined, bench_line: line.trim(), loadavg_before: la, at: new Date().toISOString() };
  console.error(`  ${JSON.stringify(res)}`);
  return res;
}

async function compareDriver() {
  const threads = Number(opt("--threads", "2"));
  const rounds = Number(opt("--rounds", "3"));
  const ggufs = opt("--llamacpp", "").split(",").filter(Boolean).map((x) => x.split("="));
  const bin = opt("--gembed-test");
  const modelDir = opt("--gembed-model");
  const dtypes = opt("--gembed-dtypes", "float32,bfloat16").split(",");
  const scenarios = opt("--only", "batch64,single32").split(",");
  // --llamacpp-texts N: llama.cpp's batch64 embeds only the first N of the 64 texts (a loaded machine's time budget);
  // it decodes one text at a time, so its tokens/s and CPU-s per token are those of the whole batch
  const llamaTexts = opt("--llamacpp-texts");
  const out = opt("--out", path.join(repo, "testdata/golden/llamacpp/bench-dtypes.json"));
  for (const [, f] of ggufs) if (!fs.existsSync(f)) throw new Error(`${f}: not found`);
  if (!bin || !fs.existsSync(bin)) throw new Error(`--gembed-test: ${bin}: not found (go test -c -o BIN ./graph)`);
  if (!modelDir || !fs.existsSync(path.join(modelDir, "config.json"))) throw new Error(`--gembed-model: ${modelDir}: no config.json`);

  // engines alternate: llama.cpp F32, gembed float32, llama.cpp BF16, gembed bfloat16, llama.cpp Q8_0, ...
  const engines = [];
  for (let i = 0; i < Math.max(ggufs.length, dtypes.length); i++) {
    if (ggufs[i]) engines.push({ name: `llama.cpp ${ggufs[i][0]}`, gguf: ggufs[i][1] });
    if (dtypes[i]) engines.push({ name: `gembed ${dtypes[i]}`, dtype: dtypes[i] });
  }
  const runs = {};
  for (let r = 0; r < rounds; r++) {
    for (const e of engines) {
      for (const sc of scenarios) {
        console.error(`round ${r + 1}, ${e.name}, ${sc}, load ${loadavg()}`);
        let res;
        if (e.gguf) {
          res = runChild(sc, e.gguf, threads, llamaTexts ? ["--texts", llamaTexts] : []);
          res.engine = e.name;
        } else {
          res = runGembed(sc, bin, modelDir, e.dtype, threads);
        }
        res.round = r + 1;
        (runs[`${e.name} / ${sc}`] ??= []).push(res);
      }
    }
    await writeCompare(runs, r + 1, { ggufs, threads, out, llamaTexts }); // after every round, so a cut-short sitting keeps its rounds
  }
}

async function writeCompare(runs, rounds, { ggufs, threads, out, llamaTexts }) {
  const nlc = await loadNodeLlamaCpp();
  const summary = {};
  for (const [k, rs] of Object.entries(runs)) {
    const s = { runs: rs.length };
    s.wall_seconds_median = median(rs.map((x) => x.seconds));
    s.cpu_seconds_median = median(rs.map((x) => x.cpu_seconds));
    if (rs[0].tokens_per_second !== undefined) {
      s.tokens_per_second_median = median(rs.map((x) => x.tokens_per_second));
      // tokens per CPU-second: comparable across batch sizes and engines on a loaded machine
      s.tokens_per_cpu_second_median = median(rs.map((x) => x.tokens_per_second * x.seconds / x.cpu_seconds));
      if (rs[0].texts !== undefined) s.texts = rs[0].texts;
    }
    if (rs[0].vm_hwm_mb !== undefined) s.peak_rss_mb_median = median(rs.map((x) => x.vm_hwm_mb));
    if (rs[0].ggml_cpu_variant !== undefined) s.ggml_cpu_variant = rs[0].ggml_cpu_variant;
    s.all = rs.map((x) => ({ round: x.round, seconds: x.seconds, cpu_seconds: x.cpu_seconds, tokens_per_second: x.tokens_per_second, texts: x.texts,
      peak_rss_mb: x.vm_hwm_mb, loadavg_before: x.loadavg_before, at: x.at }));
    summary[k] = s;
  }
  const result = {
    what: "llama.cpp F32/BF16/Q8_0 GGUFs against gembed float32/bfloat16 on the random full-size Qwen3-Embedding-0.6B-shaped model, interleaved in one sitting",
    generator: `node-llama-cpp@${nlc.version} (prebuilt CPU binaries), gembed graph benchmarks (go test -c ./graph), scripts/llamacpp/bench.mjs --compare`,
    date: new Date().toISOString(),
    model: "go run ./testdata/genmodel -full (BF16 safetensors); GGUFs by scripts/llamacpp/gguf-writer.mjs (--type f32, --type bf16) and scripts/llamacpp/gguf_requant.py (Q8_0 from the F32 GGUF)",
    gguf_bytes: Object.fromEntries(ggufs.map(([n, f]) => [n, fs.statSync(f).size])),
    threads, rounds,
    cpu: `${os.cpus()[0]?.model} (${os.cpus().length} logical cpus visible)`,
    notes: [
      "engines alternate within every round; medians over rounds",
      `llama.cpp batch64: ${llamaTexts ?? 64} of the 64 texts x 64 tokens, one sequence per llama_decode, flash attention off, F32 K/V, context 512; single32: median of 5 calls of one 32-token text (cpu: mean per call)`,
      "gembed batch64: BenchmarkForward64x64/workers=threads, 64 texts of 60-68 tokens in one Forward (one forward timed after a warm-up one); single32: BenchmarkForward32Tokens, mean of 5 forwards",
      "cpu_seconds = getrusage(RUSAGE_SELF) of the measuring process over the timed part; llama.cpp's ggml worker threads spin-wait between graph nodes, so its CPU time includes spinning",
      "llama.cpp in embedding mode still computes the tied lm_head (151669 x 1024) for every token (~0.31 GFLOP/token extra)",
      "the machine is shared with other jobs: see loadavg_before (1/5/15-minute load averages at the start of each run)",
    ],
    scenarios: summary,
  };
  fs.writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
  console.error(`wrote ${out}`);
}

if (args[0] === "--child") {
  child(args[1], opt("--gguf"), Number(opt("--threads", "2"))).catch((e) => { console.error(e.stack ?? e); process.exit(1); });
} else if (args.includes("--compare")) {
  compareDriver().catch((e) => { console.error(`bench: ${e.stack ?? e}`); process.exit(1); });
} else {
  driver().catch((e) => { console.error(`bench: ${e.stack ?? e}`); process.exit(1); });
}
