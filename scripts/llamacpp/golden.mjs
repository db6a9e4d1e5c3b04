#!/usr/bin/env node
// Golden embedding vectors from llama.cpp (through node-llama-cpp) for the tiny
// random test models, written to testdata/golden/llamacpp/<variant>.json.
//
// Regenerate (takes ~1 minute):
//   (cd /work/scratch/llamacpp && npm i -E node-llama-cpp@3.21.1 @anush008/tokenizers@0.6.0)
//   go run ./testdata/genmodel -out /work/scratch/models
//   node scripts/llamacpp/golden.mjs [--models /work/scratch/models] [--gguf-dir /work/scratch/llamacpp/gguf]
//            [--out testdata/golden/llamacpp] [--only qwen3-f32,...]
//
// Pipeline per variant: the Hugging Face folder -> GGUF (F32 tensors, our writer
// gguf-writer.mjs) -> llama.cpp embedding context (flash attention off, F32 K/V,
// one sequence per call, batch >= the longest input) fed the token ids of the
// REAL Hugging Face tokenizer (@anush008/tokenizers, special tokens on, so every
// sequence ends in <|endoftext|> 151643) -> llama.cpp's pooled vector ->
// L2-normalized here (node-llama-cpp returns the raw pooled vector) -> rounded to
// 7 significant digits.

import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { convertHfToGguf, safetensorsFiles } from "./gguf-writer.mjs";
import { loadNodeLlamaCpp, loadTokenizers, createEmbeddingContext, embedIds, l2normalize, maxAbsDiff, cosine } from "./llamacpp.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const modelsDir = opt("--models", "/work/scratch/models");
const ggufDir = opt("--gguf-dir", "/work/scratch/llamacpp/gguf");
const outDir = opt("--out", path.join(repo, "testdata/golden/llamacpp"));
const only = opt("--only", null)?.split(",");
const fullDir = opt("--full", "/work/models/qwen3-0.6b");
const THREADS = 2;

// golden name -> source variant folder + pooling written into the GGUF
const GOLDENS = [
  { name: "qwen3-f32", variant: "qwen3-f32", pooling: "last" },
  { name: "qwen3-bf16", variant: "qwen3-bf16", pooling: "last" },
  { name: "qwen3-sharded", variant: "qwen3-sharded", pooling: "last" },
  { name: "qwen2-f32", variant: "qwen2-f32", pooling: "last" },
  { name: "qwen3-f32-mean", variant: "qwen3-f32", pooling: "mean" },
  { name: "qwen3-f32-cls", variant: "qwen3-f32", pooling: "cls" },
  // the full-size Qwen3-Embedding-0.6B-shaped random model (go run ./testdata/genmodel -full DIR), a few texts;
  // skipped when the folder does not exist
  { name: "qwen3-0.6b", variant: "qwen3-0.6b", dir: fullDir, pooling: "last", texts: [0, 1, 3, 4, 10], optional: true },
];

const allTexts = JSON.parse(fs.readFileSync(path.join(here, "texts.json"), "utf8")).texts;

function sha256(file) {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(1 << 22);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest("hex");
}

const round7 = (x) => Number(x.toPrecision(7));

// One JSON object per case on its own line: small diffs, still valid JSON.
function formatGolden(g) {
  const head = { ...g };
  delete head.cases;
  let s = JSON.stringify(head, null, 1);
  s = s.slice(0, s.lastIndexOf("}")).trimEnd() + ',\n "cases": [\n';
  s += g.cases.map((c) => "  " + JSON.stringify(c)).join(",\n");
  return s + "\n ]\n}\n";
}

async function main() {
  const nlc = await loadNodeLlamaCpp();
  const { Tokenizer, version: tokVersion } = await loadTokenizers();
  const llama = await nlc.getLlama({ gpu: false, build: "never", logLevel: nlc.LlamaLogLevel.warn });
  const generator = `node-llama-cpp@${nlc.version} (llama.cpp ${llama.llamaCppRelease.repo}@${llama.llamaCppRelease.release}, CPU, prebuilt), ` +
    `GGUF from scripts/llamacpp/gguf-writer.mjs (F32 tensors); ids from @anush008/tokenizers@${tokVersion}`;
  fs.mkdirSync(ggufDir, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });

  const results = {};
  for (const g of GOLDENS) {
    if (only && !only.includes(g.name)) continue;
    const dir = g.dir ?? path.join(modelsDir, g.variant);
    if (g.optional && !fs.existsSync(path.join(dir, "config.json"))) {
      console.error(`${g.name}: ${dir} does not exist, skipped`);
      continue;
    }
    const texts = g.texts ? g.texts.map((i) => allTexts[i]) : allTexts;
    if (!fs.existsSync(path.join(dir, "config.json"))) throw new Error(`${dir}: no model (run go run ./testdata/genmodel -out ${modelsDir})`);
    const tok = Tokenizer.fromFile(path.join(dir, "tokenizer.json"));
    const ids = [];
    for (const t of texts) {
      const e = await tok.encode(t, null, { addSpecialTokens: true });
      const v = e.getIds();
      if (v.at(-1) !== 151643) throw new Error(`text ${JSON.stringify(t)}: ids do not end in 151643`);
      ids.push(v);
    }
    const maxLen = Math.max(...ids.map((v) => v.length));
    const ctxSize = Math.max(512, Math.ceil((maxLen + 64) / 256) * 256);

    const gguf = path.join(ggufDir, `${g.name}.gguf`);
    convertHfToGguf(dir, gguf, { type: "f32", pooling: g.pooling });
    const model = await llama.loadModel({ modelPath: gguf });
    const settings = { flash_attention: false, kv_cache_type: "F32", context_size: ctxSize, batch_size: ctxSize, threads: THREADS, one_sequence_per_call: true };
    const ec = await createEmbeddingContext(nlc, model, { contextSize: ctxSize, batchSize: ctxSize, threads: THREADS });

    const raw = [];
    for (const v of ids) raw.push(await embedIds(ec, v));
    const vecs = raw.map(l2normalize);
    for (const [i, v] of vecs.entries()) {
      if (v.some((x) => !Number.isFinite(x))) throw new Error(`${g.name}: non-finite value for text ${i}`);
    }

    // sanity checks of the pipeline itself, recorded in the golden
    const checks = {};
    // the same text again after other texts in the same context: no state leaks between calls
    const long = texts.indexOf(allTexts[4]);
    checks.repeat_in_same_context_max_abs_diff = maxAbsDiff(l2normalize(await embedIds(ec, ids[long])), vecs[long]);
    await ec.dispose();
    // a fresh context of another size, texts in reverse order
    const ec2 = await createEmbeddingContext(nlc, model, { contextSize: ctxSize * 2, batchSize: ctxSize * 2, threads: 1 });
    let fresh = 0;
    for (let i = ids.length - 1; i >= 0; i--) fresh = Math.max(fresh, maxAbsDiff(l2normalize(await embedIds(ec2, ids[i])), vecs[i]));
    checks.fresh_context_1_thread_reverse_order_max_abs_diff = fresh;
    if (g.pooling === "cls") {
      // causal attention: the first token's state cannot see later tokens, so every
      // text starting with the same token has the same first-token vector
      const long = texts.indexOf(allTexts[4]);
      const first = l2normalize(await embedIds(ec2, [ids[long][0]]));
      checks.causal_first_token_alone_vs_in_text_max_abs_diff = maxAbsDiff(first, vecs[long]);
    }
    await ec2.dispose();
    await model.dispose();

    const weights = {};
    for (const f of safetensorsFiles(dir)) weights[path.basename(f)] = sha256(f);
    const golden = {
      variant: g.variant,
      generator,
      weights_sha256: weights,
      pooling: g.pooling,
      normalized: true,
      settings,
      checks,
      date: new Date().toISOString().slice(0, 10),
      cases: texts.map((t, i) => ({ text: t, ids: ids[i], embedding: vecs[i].map(round7) })),
    };
    const out = path.join(outDir, `${g.name}.json`);
    fs.writeFileSync(out, formatGolden(golden));
    results[g.name] = vecs;
    console.error(`${g.name}: ${texts.length} cases -> ${path.relative(repo, out)}; checks ${JSON.stringify(checks)}`);
  }

  // cross-variant checks (printed only)
  const cmp = (a, b) => {
    if (!results[a] || !results[b]) return;
    let md = 0, mc = 1;
    for (let i = 0; i < results[a].length; i++) {
      md = Math.max(md, maxAbsDiff(results[a][i], results[b][i]));
      mc = Math.min(mc, cosine(results[a][i], results[b][i]));
    }
    console.error(`${a} vs ${b}: max abs diff ${md.toExponential(3)}, min cos ${mc.toFixed(8)}`);
  };
  cmp("qwen3-f32", "qwen3-sharded");
  cmp("qwen3-f32", "qwen3-bf16");
  cmp("qwen3-f32", "qwen3-f32-mean");
  await llama.dispose();
  console.error(`host: ${os.cpus()[0]?.model}, ${os.cpus().length} cpus`);
}

main().catch((e) => {
  console.error(`golden: ${e.stack ?? e}`);
  process.exit(1);
});
