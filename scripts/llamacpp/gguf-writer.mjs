#!/usr/bin/env node
// GGUF v3 writer for Hugging Face Qwen3 / Qwen2 (embedding) model folders.
//
// Written from the GGUF specification and the key/tensor names llama.cpp reads
// (gguf-py constants, src/models/qwen3.cpp), so the golden vectors come from an
// implementation that shares no code with gembed. Plain Node.js, no dependencies.
//
// Usage:
//   node scripts/llamacpp/gguf-writer.mjs MODEL_DIR OUT.gguf [--type f32|f16|bf16] [--pooling last|mean|cls|none]
//            [--tokenizer PATH/tokenizer.json]
//
// MODEL_DIR holds config.json, tokenizer.json and model.safetensors or
// model.safetensors.index.json + shards. Weights may be F32, BF16 or F16; 2-D
// weights are written as --type (default f32), 1-D norms/biases always as F32.
// Tensors are streamed chunk by chunk, so a 0.6B-parameter model never sits in
// memory whole.
//
// Layout notes (why the code does what it does):
// - GGUF `ne` lists dimensions fastest-first, i.e. the safetensors (numpy) shape reversed.
// - Qwen2/Qwen3 use NeoX ("rotate half") RoPE in llama.cpp, so q/k rows are NOT permuted
//   (the LLaMA converter's permutation is only for interleaved RoPE).
// - lm_head is ignored; llama.cpp falls back to token_embd for the output matrix.
// - The vocabulary is padded to the embedding's row count with "[PAD<i>]" unused tokens,
//   as llama.cpp requires n_tokens == token_embd rows.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const GGUF_VERSION = 3;
const ALIGNMENT = 32;

// gguf metadata value types
const T = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 };
// ggml tensor types
const GGML = { F32: 0, F16: 1, BF16: 30 };
const GGML_SIZE = { 0: 4, 1: 2, 30: 2 };
// llama_ftype for general.file_type
const FILE_TYPE = { f32: 0, f16: 1, bf16: 32 };
// llama token types
const TOKEN_NORMAL = 1, TOKEN_CONTROL = 3, TOKEN_USER_DEFINED = 4, TOKEN_UNUSED = 5;
export const POOLING = { none: 0, mean: 1, cls: 2, last: 3 };

// ---------------------------------------------------------------- safetensors

function readSafetensorsHeader(file) {
  const fd = fs.openSync(file, "r");
  try {
    const lenBuf = Buffer.alloc(8);
    if (fs.readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new Error(`${file}: too short for a safetensors header`);
    const n = Number(lenBuf.readBigUInt64LE(0));
    const size = fs.fstatSync(fd).size;
    if (n <= 0 || 8 + n > size) throw new Error(`${file}: bad header length ${n}`);
    const hdr = Buffer.alloc(n);
    fs.readSync(fd, hdr, 0, n, 8);
    const json = JSON.parse(hdr.toString("utf8"));
    const tensors = [];
    for (const [name, v] of Object.entries(json)) {
      if (name === "__metadata__") continue;
      const [b, e] = v.data_offsets;
      const start = 8 + n + b, nbytes = e - b;
      if (start + nbytes > size) throw new Error(`${file}: tensor ${name} runs past the end of the file`);
      tensors.push({ name, dtype: v.dtype, shape: v.shape, file, start, nbytes });
    }
    return tensors;
  } finally {
    fs.closeSync(fd);
  }
}

export function safetensorsFiles(dir) {
  const index = path.join(dir, "model.safetensors.index.json");
  if (fs.existsSync(index)) {
    const wm = JSON.parse(fs.readFileSync(index, "utf8")).weight_map;
    if (!wm) throw new Error(`${index}: no weight_map`);
    return [...new Set(Object.values(wm))].sort().map((f) => path.join(dir, f));
  }
  const single = path.join(dir, "model.safetensors");
  if (fs.existsSync(single)) return [single];
  throw new Error(`${dir}: neither model.safetensors nor model.safetensors.index.json`);
}

// ---------------------------------------------------------------- names

const LAYER_MAP = {
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "self_attn.q_norm": "attn_q_norm",
  "self_attn.k_norm": "attn_k_norm",
  "input_layernorm": "attn_norm",
  "post_attention_layernorm": "ffn_norm",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
};

// returns the GGUF name, or null for tensors llama.cpp does not need
export function ggufName(hfName) {
  let n = hfName.startsWith("model.") ? hfName.slice(6) : hfName;
  if (n.startsWith("lm_head.")) return null;
  if (n.endsWith("rotary_emb.inv_freq")) return null;
  if (n === "embed_tokens.weight") return "token_embd.weight";
  if (n === "norm.weight") return "output_norm.weight";
  const m = /^layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(n);
  if (m && LAYER_MAP[m[2]]) return `blk.${m[1]}.${LAYER_MAP[m[2]]}.${m[3]}`;
  throw new Error(`tensor ${hfName}: no GGUF name known for it`);
}

// ---------------------------------------------------------------- vocabulary

function loadVocab(tokenizerPath, nVocab) {
  const tj = JSON.parse(fs.readFileSync(tokenizerPath, "utf8"));
  if (tj.model?.type !== "BPE") throw new Error(`${tokenizerPath}: model.type ${tj.model?.type}, want BPE`);
  const tokens = new Array(nVocab).fill(null);
  const types = new Int32Array(nVocab);
  for (const [tok, id] of Object.entries(tj.model.vocab)) {
    if (id >= nVocab) throw new Error(`${tokenizerPath}: token id ${id} >= vocab size ${nVocab}`);
    tokens[id] = tok;
    types[id] = TOKEN_NORMAL;
  }
  for (const a of tj.added_tokens ?? []) {
    if (a.id >= nVocab) throw new Error(`${tokenizerPath}: added token id ${a.id} >= vocab size ${nVocab}`);
    tokens[a.id] = a.content;
    types[a.id] = a.special ? TOKEN_CONTROL : TOKEN_USER_DEFINED;
  }
  for (let i = 0; i < nVocab; i++) {
    if (tokens[i] === null) {
      tokens[i] = `[PAD${i}]`;
      types[i] = TOKEN_UNUSED;
    }
  }
  const merges = (tj.model.merges ?? []).map((m) => (Array.isArray(m) ? m.join(" ") : m));
  return { tokens, types, merges };
}

// ---------------------------------------------------------------- binary encoding

class ByteSink {
  constructor() { this.parts = []; this.length = 0; }
  push(b) { this.parts.push(b); this.length += b.length; }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  i32(v) { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
  u64(v) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v) { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  bool(v) { this.push(Buffer.from([v ? 1 : 0])); }
  str(s) { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.push(b); }
  bytes() { return Buffer.concat(this.parts, this.length); }
}

function writeKV(sink, key, type, value, elemType) {
  sink.str(key);
  sink.u32(type);
  writeValue(sink, type, value, elemType);
}

function writeValue(sink, type, v, elemType) {
  switch (type) {
    case T.UINT32: return sink.u32(v);
    case T.INT32: return sink.i32(v);
    case T.FLOAT32: return sink.f32(v);
    case T.BOOL: return sink.bool(v);
    case T.STRING: return sink.str(v);
    case T.UINT64: return sink.u64(v);
    case T.ARRAY:
      sink.u32(elemType);
      sink.u64(v.length);
      for (const e of v) writeValue(sink, elemType, e);
      return;
    default: throw new Error(`unsupported gguf value type ${type}`);
  }
}

// ---------------------------------------------------------------- dtype conversion

const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);

function f16ToF32(h) {
  const s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function f32ToF16(x) { // round to nearest even
  f32buf[0] = x;
  const u = u32buf[0], sign = (u >>> 16) & 0x8000, e = (u >>> 23) & 0xff, m = u & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  let ex = e - 127 + 15;
  if (ex >= 31) return sign | 0x7c00;
  if (ex <= 0) {
    if (ex < -10) return sign;
    const mm = m | 0x800000, shift = 14 - ex;
    let r = mm >>> shift;
    const rem = mm & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (ex << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  return sign | r;
}

function f32ToBF16(x) { // round to nearest even
  f32buf[0] = x;
  const u = u32buf[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

// converts n elements of src dtype (raw bytes) into dst ggml type (raw bytes)
function convertChunk(src, srcDtype, dstType, n) {
  if ((srcDtype === "F32" && dstType === GGML.F32) || (srcDtype === "BF16" && dstType === GGML.BF16) ||
      (srcDtype === "F16" && dstType === GGML.F16)) return src;
  const ab = src.buffer.slice(src.byteOffset, src.byteOffset + src.length);
  let f32;
  if (srcDtype === "F32") f32 = new Float32Array(ab);
  else if (srcDtype === "BF16") {
    const s = new Uint16Array(ab), o = new Uint32Array(n);
    for (let i = 0; i < n; i++) o[i] = s[i] << 16;
    f32 = new Float32Array(o.buffer);
  } else if (srcDtype === "F16") {
    const s = new Uint16Array(ab);
    f32 = new Float32Array(n);
    for (let i = 0; i < n; i++) f32[i] = f16ToF32(s[i]);
  } else throw new Error(`unsupported dtype ${srcDtype}`);
  if (dstType === GGML.F32) return Buffer.from(f32.buffer);
  const o = new Uint16Array(n), conv = dstType === GGML.F16 ? f32ToF16 : f32ToBF16;
  for (let i = 0; i < n; i++) o[i] = conv(f32[i]);
  return Buffer.from(o.buffer);
}

const SRC_SIZE = { F32: 4, BF16: 2, F16: 2 };

// ---------------------------------------------------------------- main entry

/**
 * Converts a Hugging Face Qwen3/Qwen2 folder into a GGUF v3 file.
 * @param {string} modelDir
 * @param {string} outPath
 * @param {{type?: "f32"|"f16"|"bf16", pooling?: "last"|"mean"|"cls"|"none", tokenizer?: string, log?: (s:string)=>void}} opts
 */
export function convertHfToGguf(modelDir, outPath, opts = {}) {
  const outType = opts.type ?? "f32";
  const pooling = opts.pooling ?? "last";
  const log = opts.log ?? (() => {});
  if (!(outType in FILE_TYPE)) throw new Error(`--type ${outType}: want f32, f16 or bf16`);
  if (!(pooling in POOLING)) throw new Error(`--pooling ${pooling}: want last, mean, cls or none`);

  const cfgPath = path.join(modelDir, "config.json");
  const cfg = JSON.parse(fs.readFileSync(cfgPath, "utf8"));
  const arch = cfg.model_type;
  if (arch !== "qwen3" && arch !== "qwen2") throw new Error(`${cfgPath}: model_type ${arch}, want qwen3 or qwen2`);
  const need = (k) => {
    if (cfg[k] === undefined) throw new Error(`${cfgPath}: missing ${k}`);
    return cfg[k];
  };
  const hidden = need("hidden_size"), heads = need("num_attention_heads");
  const kvHeads = cfg.num_key_value_heads ?? heads;
  const headDim = cfg.head_dim ?? hidden / heads;

  // tensors
  const tensors = [];
  for (const f of safetensorsFiles(modelDir)) {
    for (const t of readSafetensorsHeader(f)) {
      const name = ggufName(t.name);
      if (name === null) continue;
      if (!(t.dtype in SRC_SIZE)) throw new Error(`${f}: tensor ${t.name} has dtype ${t.dtype}, want F32, BF16 or F16`);
      const count = t.shape.reduce((a, b) => a * b, 1);
      if (count * SRC_SIZE[t.dtype] !== t.nbytes) throw new Error(`${f}: tensor ${t.name} shape ${t.shape} does not match its ${t.nbytes} bytes`);
      const type = t.shape.length >= 2 ? GGML[outType.toUpperCase()] : GGML.F32;
      tensors.push({ ...t, ggufName: name, count, type });
    }
  }
  const seen = new Set();
  for (const t of tensors) {
    if (seen.has(t.ggufName)) throw new Error(`tensor ${t.name}: duplicate (maps to ${t.ggufName})`);
    seen.add(t.ggufName);
  }
  tensors.sort((a, b) => a.ggufName.localeCompare(b.ggufName, "en", { numeric: true }));
  const embd = tensors.find((t) => t.ggufName === "token_embd.weight");
  if (!embd) throw new Error(`${modelDir}: no embed_tokens.weight`);
  const nVocab = embd.shape[0];

  const tokPath = opts.tokenizer ?? path.join(modelDir, "tokenizer.json");
  const vocab = loadVocab(tokPath, nVocab);
  const padId = 151643, eosId = 151643;

  // metadata
  const kv = new ByteSink();
  let nKV = 0;
  const add = (k, t, v, et) => { writeKV(kv, k, t, v, et); nKV++; };
  add("general.architecture", T.STRING, arch);
  add("general.name", T.STRING, path.basename(path.resolve(modelDir)));
  add("general.file_type", T.UINT32, FILE_TYPE[outType]);
  add("general.alignment", T.UINT32, ALIGNMENT);
  add(`${arch}.block_count`, T.UINT32, need("num_hidden_layers"));
  add(`${arch}.context_length`, T.UINT32, need("max_position_embeddings"));
  add(`${arch}.embedding_length`, T.UINT32, hidden);
  add(`${arch}.feed_forward_length`, T.UINT32, need("intermediate_size"));
  add(`${arch}.attention.head_count`, T.UINT32, heads);
  add(`${arch}.attention.head_count_kv`, T.UINT32, kvHeads);
  add(`${arch}.attention.key_length`, T.UINT32, headDim);
  add(`${arch}.attention.value_length`, T.UINT32, headDim);
  add(`${arch}.rope.freq_base`, T.FLOAT32, cfg.rope_theta ?? 10000);
  add(`${arch}.attention.layer_norm_rms_epsilon`, T.FLOAT32, need("rms_norm_eps"));
  add(`${arch}.pooling_type`, T.UINT32, POOLING[pooling]);
  add("tokenizer.ggml.model", T.STRING, "gpt2");
  add("tokenizer.ggml.pre", T.STRING, "qwen2");
  add("tokenizer.ggml.tokens", T.ARRAY, vocab.tokens, T.STRING);
  add("tokenizer.ggml.token_type", T.ARRAY, vocab.types, T.INT32);
  add("tokenizer.ggml.merges", T.ARRAY, vocab.merges, T.STRING);
  add("tokenizer.ggml.eos_token_id", T.UINT32, eosId);
  add("tokenizer.ggml.padding_token_id", T.UINT32, padId);
  // the ids fed to llama.cpp already carry the final <|endoftext|>: nothing may be added
  add("tokenizer.ggml.add_bos_token", T.BOOL, false);
  add("tokenizer.ggml.add_eos_token", T.BOOL, false);

  // tensor infos
  const ti = new ByteSink();
  let offset = 0;
  for (const t of tensors) {
    t.offset = offset;
    t.outBytes = t.count * GGML_SIZE[t.type];
    ti.str(t.ggufName);
    ti.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) ti.u64(d);
    ti.u32(t.type);
    ti.u64(offset);
    offset += Math.ceil(t.outBytes / ALIGNMENT) * ALIGNMENT;
  }

  const head = new ByteSink();
  head.u32(GGUF_MAGIC);
  head.u32(GGUF_VERSION);
  head.u64(tensors.length);
  head.u64(nKV);
  const header = Buffer.concat([head.bytes(), kv.bytes(), ti.bytes()]);

  const tmp = outPath + ".tmp";
  const out = fs.openSync(tmp, "w");
  try {
    let pos = 0;
    const write = (b) => { fs.writeSync(out, b, 0, b.length, pos); pos += b.length; };
    const pad = () => { const r = pos % ALIGNMENT; if (r) write(Buffer.alloc(ALIGNMENT - r)); };
    write(header);
    pad();
    const dataStart = pos;
    const CHUNK = 1 << 22; // elements per chunk
    const fds = new Map();
    try {
      for (const t of tensors) {
        if (pos !== dataStart + t.offset) throw new Error(`internal: tensor ${t.ggufName} at ${pos}, want ${dataStart + t.offset}`);
        if (!fds.has(t.file)) fds.set(t.file, fs.openSync(t.file, "r"));
        const fd = fds.get(t.file), es = SRC_SIZE[t.dtype];
        for (let done = 0; done < t.count; done += CHUNK) {
          const n = Math.min(CHUNK, t.count - done);
          const src = Buffer.alloc(n * es);
          const got = fs.readSync(fd, src, 0, src.length, t.start + done * es);
          if (got !== src.length) throw new Error(`${t.file}: short read in tensor ${t.name}`);
          write(convertChunk(src, t.dtype, t.type, n));
        }
        pad();
      }
    } finally {
      for (const fd of fds.values()) fs.closeSync(fd);
    }
  } finally {
    fs.closeSync(out);
  }
  fs.renameSync(tmp, outPath);
  log(`wrote ${outPath}: ${arch}, ${tensors.length} tensors, vocab ${nVocab}, ${outType}, pooling ${pooling}`);
  return { arch, nVocab, tensors: tensors.length };
}

// ---------------------------------------------------------------- CLI

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const pos = [], opts = { log: (s) => console.error(s) };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--type") opts.type = args[++i];
    else if (a === "--pooling") opts.pooling = args[++i];
    else if (a === "--tokenizer") opts.tokenizer = args[++i];
    else pos.push(a);
  }
  if (pos.length !== 2) {
    console.error("usage: gguf-writer.mjs MODEL_DIR OUT.gguf [--type f32|f16|bf16] [--pooling last|mean|cls|none] [--tokenizer tokenizer.json]");
    process.exit(2);
  }
  try {
    convertHfToGguf(pos[0], pos[1], opts);
  } catch (e) {
    console.error(`gguf-writer: ${e.message}`);
    process.exit(1);
  }
}
