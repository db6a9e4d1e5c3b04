#!/usr/bin/env node
// Checks the lower-precision GGUFs of the full-size random model against the F32 one, all with
// llama.cpp (embed_ids.mjs: same settings as the goldens): every text of texts.json up to 200 tokens
// (ids from the real tokenizer) is embedded from each GGUF, and the cosines to the F32 vectors are
// written to testdata/golden/llamacpp/quant-check.json. The F32 vectors are also compared with the
// qwen3-0.6b golden, for the texts it has, to show the F32 GGUF is the golden's model.
//
//   node scripts/llamacpp/quantcheck.mjs MODEL_DIR F32.gguf NAME=OTHER.gguf... [--out FILE]
//   e.g. node scripts/llamacpp/quantcheck.mjs /tmp/qwen3-0.6b f32.gguf bf16=bf16.gguf q8_0=q8_0.gguf
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadTokenizers, cosine, l2normalize, maxAbsDiff } from "./llamacpp.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const args = process.argv.slice(2);
const outIdx = args.indexOf("--out");
const out = outIdx >= 0 ? args.splice(outIdx, 2)[1] : path.join(repo, "testdata/golden/llamacpp/quant-check.json");
const [modelDir, f32, ...others] = args;
if (!modelDir || !f32 || others.length === 0) throw new Error("usage: quantcheck.mjs MODEL_DIR F32.gguf NAME=OTHER.gguf...");

const { Tokenizer, version: tokVersion } = await loadTokenizers();
const tok = Tokenizer.fromFile(path.join(modelDir, "tokenizer.json"));
const texts = JSON.parse(fs.readFileSync(path.join(here, "texts.json"), "utf8")).texts;
const cases = [];
for (const t of texts) {
  const ids = Array.from((await tok.encode(t, null, { addSpecialTokens: true })).getIds());
  if (ids.length <= 200) cases.push({ text: t, ids });
}

function embed(gguf) {
  const req = path.join(os.tmpdir(), `quantcheck-${process.pid}.json`);
  fs.writeFileSync(req, JSON.stringify({ model: gguf, ids: cases.map((c) => c.ids) }));
  const r = spawnSync(process.execPath, [path.join(here, "embed_ids.mjs"), req], { encoding: "utf8", maxBuffer: 1 << 28 });
  fs.rmSync(req);
  if (r.status !== 0) throw new Error(`${gguf}: embed_ids failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout);
}

const ref = embed(f32);
const golden = JSON.parse(fs.readFileSync(path.join(repo, "testdata/golden/llamacpp/qwen3-0.6b.json"), "utf8"));
let goldenMaxDiff = 0, goldenCases = 0;
for (const g of golden.cases) {
  const i = cases.findIndex((c) => c.ids.join() === g.ids.join());
  if (i < 0) continue;
  goldenMaxDiff = Math.max(goldenMaxDiff, maxAbsDiff(l2normalize(ref.vectors[i]), g.embedding));
  goldenCases++;
}
const result = {
  what: "llama.cpp vectors of the full-size random Qwen3-0.6B-shaped model from BF16 and Q8_0 GGUFs against its F32 GGUF",
  generator: `node-llama-cpp@${ref.version} (${ref.llamacpp}), scripts/llamacpp/quantcheck.mjs; ids from @anush008/tokenizers@${tokVersion}`,
  date: new Date().toISOString(),
  texts: cases.length,
  token_counts: cases.map((c) => c.ids.length),
  f32_vs_qwen3_0_6b_golden: { cases: goldenCases, max_abs_diff: goldenMaxDiff },
  against_f32: {},
};
for (const o of others) {
  const [name, file] = o.split("=");
  const v = embed(file);
  const cos = v.vectors.map((x, i) => cosine(x, ref.vectors[i]));
  const sorted = [...cos].sort((a, b) => a - b);
  if (cos.some(Number.isNaN)) throw new Error(`${name}: NaN cosine`);
  result.against_f32[name] = { gguf_bytes: fs.statSync(file).size, min_cos: sorted[0], median_cos: sorted[sorted.length >> 1],
    cos: cos.map((c) => Number(c.toFixed(7))), checks: v.checks };
  console.error(`${name}: min cos ${sorted[0].toFixed(6)}, median ${sorted[sorted.length >> 1].toFixed(6)}`);
}
fs.writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
console.error(`wrote ${out}; F32 vs golden max abs diff ${goldenMaxDiff} over ${goldenCases} cases`);
