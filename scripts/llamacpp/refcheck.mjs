#!/usr/bin/env node
// Independent cross-check of the llama.cpp goldens: a plain float64 JavaScript
// forward pass of Qwen3/Qwen2 written straight from DESIGN.md §3 (no llama.cpp,
// no GGUF, no gembed code), run on the tiny test models and compared with
// testdata/golden/llamacpp/*.json. It validates the GGUF writer + llama.cpp
// pipeline; it is slow and only meant for the tiny models.
//
//   node scripts/llamacpp/refcheck.mjs [--models /work/scratch/models] [--goldens testdata/golden/llamacpp]

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { safetensorsFiles } from "./gguf-writer.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const modelsDir = opt("--models", "/work/scratch/models");
const goldDir = opt("--goldens", path.resolve(here, "../../testdata/golden/llamacpp"));
const fullDir = opt("--full", "/work/models/qwen3-0.6b");
// the full-size model is checked only on its short cases (plain JS is slow)
const fullMaxTokens = Number(opt("--full-max-tokens", "32"));

function loadWeights(dir) {
  const w = new Map();
  for (const f of safetensorsFiles(dir)) {
    const buf = fs.readFileSync(f);
    const n = Number(buf.readBigUInt64LE(0));
    const hdr = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
    for (const [name, v] of Object.entries(hdr)) {
      if (name === "__metadata__") continue;
      const raw = buf.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1]);
      const count = v.shape.reduce((a, b) => a * b, 1);
      // float32 storage is exact for F32 and BF16 weights; all arithmetic below is float64
      const out = new Float32Array(count);
      if (v.dtype === "F32") for (let i = 0; i < count; i++) out[i] = raw.readFloatLE(4 * i);
      else if (v.dtype === "BF16") {
        const u = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) u[i] = raw.readUInt16LE(2 * i) << 16;
      } else throw new Error(`${f}: ${name}: dtype ${v.dtype} not supported here`);
      w.set(name.startsWith("model.") ? name.slice(6) : name, { shape: v.shape, data: out });
    }
  }
  return w;
}

// y[t] = W x[t] (+ b); W is [out, in] row-major
function linear(x, T, inDim, W, b) {
  const outDim = W.shape[0], y = new Float64Array(T * outDim), w = W.data;
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b.data[o] : 0;
      const wo = o * inDim, xt = t * inDim;
      for (let i = 0; i < inDim; i++) s += w[wo + i] * x[xt + i];
      y[t * outDim + o] = s;
    }
  }
  return y;
}

// RMSNorm over consecutive groups of `dim` values
function rmsnorm(x, dim, w, eps) {
  const y = new Float64Array(x.length);
  for (let g = 0; g < x.length; g += dim) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[g + i] * x[g + i];
    const r = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[g + i] = x[g + i] * r * w.data[i];
  }
  return y;
}

function rope(x, T, nHeads, D, theta) {
  const half = D / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * D;
      for (let i = 0; i < half; i++) {
        const ang = t * Math.pow(theta, (-2 * i) / D);
        const c = Math.cos(ang), s = Math.sin(ang);
        const a = x[base + i], b = x[base + i + half];
        x[base + i] = a * c - b * s;
        x[base + i + half] = b * c + a * s;
      }
    }
  }
}

function forward(cfg, W, ids, pooling) {
  const H = cfg.hidden_size, nH = cfg.num_attention_heads, nKV = cfg.num_key_value_heads ?? nH;
  const D = cfg.head_dim ?? H / nH, I = cfg.intermediate_size, eps = cfg.rms_norm_eps, theta = cfg.rope_theta;
  const T = ids.length, qwen3 = cfg.model_type === "qwen3";
  const get = (n) => { const t = W.get(n); if (!t) throw new Error(`missing tensor ${n}`); return t; };
  const E = get("embed_tokens.weight");
  let h = new Float64Array(T * H);
  ids.forEach((id, t) => h.set(E.data.subarray(id * H, (id + 1) * H), t * H));
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `layers.${l}.`;
    const x = rmsnorm(h, H, get(p + "input_layernorm.weight"), eps);
    let q = linear(x, T, H, get(p + "self_attn.q_proj.weight"), W.get(p + "self_attn.q_proj.bias"));
    let k = linear(x, T, H, get(p + "self_attn.k_proj.weight"), W.get(p + "self_attn.k_proj.bias"));
    const v = linear(x, T, H, get(p + "self_attn.v_proj.weight"), W.get(p + "self_attn.v_proj.bias"));
    if (qwen3) {
      q = rmsnorm(q, D, get(p + "self_attn.q_norm.weight"), eps);
      k = rmsnorm(k, D, get(p + "self_attn.k_norm.weight"), eps);
    }
    rope(q, T, nH, D, theta);
    rope(k, T, nKV, D, theta);
    const a = new Float64Array(T * nH * D), group = nH / nKV, scale = 1 / Math.sqrt(D);
    for (let hh = 0; hh < nH; hh++) {
      const kv = Math.floor(hh / group);
      for (let t = 0; t < T; t++) {
        const sc = new Float64Array(t + 1);
        let mx = -Infinity;
        for (let s = 0; s <= t; s++) { // causal
          let d = 0;
          for (let i = 0; i < D; i++) d += q[(t * nH + hh) * D + i] * k[(s * nKV + kv) * D + i];
          sc[s] = d * scale;
          mx = Math.max(mx, sc[s]);
        }
        let z = 0;
        for (let s = 0; s <= t; s++) { sc[s] = Math.exp(sc[s] - mx); z += sc[s]; }
        for (let s = 0; s <= t; s++) {
          const pr = sc[s] / z;
          for (let i = 0; i < D; i++) a[(t * nH + hh) * D + i] += pr * v[(s * nKV + kv) * D + i];
        }
      }
    }
    const o = linear(a, T, nH * D, get(p + "self_attn.o_proj.weight"));
    for (let i = 0; i < h.length; i++) h[i] += o[i];
    const x2 = rmsnorm(h, H, get(p + "post_attention_layernorm.weight"), eps);
    const g = linear(x2, T, H, get(p + "mlp.gate_proj.weight"));
    const u = linear(x2, T, H, get(p + "mlp.up_proj.weight"));
    for (let i = 0; i < g.length; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
    const d = linear(g, T, I, get(p + "mlp.down_proj.weight"));
    for (let i = 0; i < h.length; i++) h[i] += d[i];
  }
  h = rmsnorm(h, H, get("norm.weight"), eps);
  const out = new Float64Array(H);
  if (pooling === "last") out.set(h.subarray((T - 1) * H, T * H));
  else if (pooling === "cls") out.set(h.subarray(0, H));
  else if (pooling === "mean") { for (let t = 0; t < T; t++) for (let i = 0; i < H; i++) out[i] += h[t * H + i] / T; }
  else throw new Error(`pooling ${pooling}`);
  let n = 0;
  for (const x of out) n += x * x;
  n = Math.sqrt(n);
  return out.map((x) => x / n);
}

let worst = { cos: 1, diff: 0 };
for (const file of fs.readdirSync(goldDir).filter((f) => f.endsWith(".json") && f !== "bench.json").sort()) {
  const g = JSON.parse(fs.readFileSync(path.join(goldDir, file), "utf8"));
  const full = g.variant === "qwen3-0.6b";
  const dir = full ? fullDir : path.join(modelsDir, g.variant);
  if (!fs.existsSync(dir)) { console.log(`${file}: ${dir} missing, skipped`); continue; }
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  const W = loadWeights(dir);
  let minCos = 1, maxDiff = 0;
  const cases = full ? g.cases.filter((c) => c.ids.length <= fullMaxTokens) : g.cases;
  for (const c of cases) {
    const r = forward(cfg, W, c.ids, g.pooling);
    let dot = 0, nn = 0;
    for (let i = 0; i < r.length; i++) { dot += r[i] * c.embedding[i]; nn += c.embedding[i] ** 2; maxDiff = Math.max(maxDiff, Math.abs(r[i] - c.embedding[i])); }
    minCos = Math.min(minCos, dot / Math.sqrt(nn));
  }
  worst = { cos: Math.min(worst.cos, minCos), diff: Math.max(worst.diff, maxDiff) };
  console.log(`${file}: ${cases.length} cases, min cos ${minCos.toFixed(9)}, max abs diff ${maxDiff.toExponential(2)}`);
}
console.log(`worst: min cos ${worst.cos.toFixed(9)}, max abs diff ${worst.diff.toExponential(2)}`);
