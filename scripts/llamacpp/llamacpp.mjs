// Shared helpers: loading node-llama-cpp / @anush008/tokenizers from the scratch
// install (they are never part of the repo) and the llama.cpp context settings
// every golden and benchmark uses.
//
// The packages live in $LLAMACPP_DIR (default /work/scratch/llamacpp), installed with
//   npm i -E node-llama-cpp@3.21.1 @anush008/tokenizers@0.6.0
// node-llama-cpp ships prebuilt CPU binaries; `build: "never"` makes sure it
// never tries to download or compile llama.cpp.

import path from "node:path";
import { pathToFileURL } from "node:url";
import fs from "node:fs";

export const LLAMACPP_DIR = process.env.LLAMACPP_DIR ?? "/work/scratch/llamacpp";

async function importPkg(name, entry) {
  const file = path.join(LLAMACPP_DIR, "node_modules", name, entry);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found: run \`npm i -E node-llama-cpp@3.21.1 @anush008/tokenizers@0.6.0\` in ${LLAMACPP_DIR} (or set LLAMACPP_DIR)`);
  }
  return import(pathToFileURL(file).href);
}

export async function loadNodeLlamaCpp() {
  const m = await importPkg("node-llama-cpp", "dist/index.js");
  const pkg = JSON.parse(fs.readFileSync(path.join(LLAMACPP_DIR, "node_modules/node-llama-cpp/package.json"), "utf8"));
  return { ...m, version: pkg.version };
}

export async function loadTokenizers() {
  const m = await importPkg("@anush008/tokenizers", "index.js");
  const pkg = JSON.parse(fs.readFileSync(path.join(LLAMACPP_DIR, "node_modules/@anush008/tokenizers/package.json"), "utf8"));
  return { Tokenizer: m.Tokenizer ?? m.default.Tokenizer, version: pkg.version };
}

/**
 * Creates an embedding context with exact settings: flash attention off and F32
 * K/V cache (node-llama-cpp's defaults, F16 K/V, move vectors by ~2e-4).
 * LlamaModel.createEmbeddingContext does not pass those options through, so the
 * LlamaContext is made here and wrapped.
 */
export async function createEmbeddingContext(nlc, model, { contextSize, batchSize, threads, flashAttention = false, kvType = "F32" }) {
  const opts = { contextSize, batchSize, threads, flashAttention, _embeddings: true };
  if (kvType) {
    opts.experimentalKvCacheKeyType = kvType;
    opts.experimentalKvCacheValueType = kvType;
  }
  const ctx = await model.createContext(opts);
  return new nlc.LlamaEmbeddingContext({ _llamaContext: ctx });
}

/** Embeds token ids exactly as given (a copy: node-llama-cpp may edit the array). */
export async function embedIds(embCtx, ids) {
  const e = await embCtx.getEmbeddingFor([...ids]);
  return Float64Array.from(e.vector);
}

export function l2normalize(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return Array.from(v, (x) => x / n);
}

export function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function cosine(a, b) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}
