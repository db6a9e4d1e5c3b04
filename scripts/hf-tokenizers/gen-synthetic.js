// gen-synthetic.js checks the parts of tokenizer.json that the Qwen files do not use:
// it builds small tokenizers (byte-level BPE with GPT-2's regex and prefix space, merges in
// both JSON forms, ignore_merges, NFKC/Lowercase/Sequence normalizers, Split behaviors and
// invert, literal patterns, added tokens with lstrip/rstrip/single_word/normalized, the
// Llama 3 pattern, TemplateProcessing with a prefix token, Bert/Roberta processing,
// continuing_subword_prefix, end_of_word_suffix, unk_token/fuse_unk, byte_fallback),
// runs them through the real Hugging Face library and writes what it answers to
// testdata/tokenizer-golden/synthetic.json.gz.
// Usage (from a folder where @anush008/tokenizers is installed): node gen-synthetic.js OUT
"use strict";
const fs = require("fs");
const zlib = require("zlib");
const req = (m) => require(require.resolve(m, { paths: [process.cwd()] }));
const tk = req("@anush008/tokenizers");
const pkg = req("@anush008/tokenizers/package.json");

// GPT-2's byte-to-unicode alphabet.
function byteAlphabet() {
  const out = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out.push(String.fromCodePoint(printable ? b : 256 + n++));
  }
  return out;
}
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// bpe builds vocab and merges from an alphabet and merge pairs (merged = a + b minus prefix).
function bpe(alphabet, pairs, opts = {}) {
  const vocab = {};
  for (const a of alphabet) if (!(a in vocab)) vocab[a] = Object.keys(vocab).length;
  const prefix = opts.continuing_subword_prefix || "";
  for (const [a, b] of pairs) {
    const m = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
    if (!(m in vocab)) vocab[m] = Object.keys(vocab).length;
  }
  const merges = opts.pairForm ? pairs.map((p) => [p[0], p[1]]) : pairs.map((p) => p.join(" "));
  const m = { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges, ...opts };
  delete m.pairForm;
  return m;
}

const G = "\u0120"; // byte-level space
const bytePairs = [["h", "e"], [G, "t"], [G + "t", "he"], ["l", "l"], ["he", "ll"], ["hell", "o"], [G, "w"], ["o", "r"],
  [G + "w", "or"], ["l", "d"], [G + "wor", "ld"], ["i", "n"], [G, "in"], [G, "a"], ["'", "s"], ["e", "r"], [G, G], [G + G, G + G]];
const byteLevel = (extra = {}) => ({ type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true, ...extra });
const added = (id, content, o = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...o });

const letters = "abcdefghijklmnopqrstuvwxyz".split("");
const texts = {
  english: ["hello world", "Hello World", " the  world's hello", "in in  in\n\nin", "héllo wörld ﬁne Ⅻ", "", " ", "a,b;c,,d;", "x  y\t\tz\n"],
  added: ["<s>hello</s>", "a <mask> b", "a<mask>b", "x <mask>", "[SEP] [SEP]x", "hello<|eot|> world", "HELLO<|EOT|>", "Nice <mask>  !", "  <mask>  ", "ab<sep>cd", "ab <sep> cd", "<s><s>"],
  chars: ["hello", "the other", "hellothe", "xyz?", "ab cd", "théé", "", "q"],
};

const configs = [];
const add = (name, tokenizer, cases) => configs.push({ name, tokenizer, texts: cases });

add("gpt2-bytelevel", {
  version: "1.0", truncation: null, padding: null, added_tokens: [],
  normalizer: null, pre_tokenizer: byteLevel(), post_processor: byteLevel(), decoder: byteLevel(),
  model: bpe(byteAlphabet(), bytePairs),
}, texts.english);
add("gpt2-pairs-ignore-merges-nfkc-lower", {
  version: "1.0", truncation: null, padding: null,
  added_tokens: [added(300, "<mask>", { lstrip: true }), added(301, "<|eot|>", { normalized: true, special: false })],
  normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] },
  pre_tokenizer: byteLevel({ add_prefix_space: false }), post_processor: byteLevel({ trim_offsets: false }), decoder: byteLevel(),
  model: bpe(byteAlphabet(), bytePairs, { pairForm: true, ignore_merges: true }),
}, texts.english.concat(texts.added));
add("llama3-template-added", {
  version: "1.0", truncation: null, padding: null,
  added_tokens: [added(300, "<s>"), added(301, "</s>"), added(302, "<mask>", { lstrip: true, rstrip: true }),
    added(303, "[SEP]", { single_word: true }), added(304, "<sep>", { single_word: true, special: false }), added(305, "<|eot|>", { special: false, normalized: true })],
  normalizer: { type: "NFC" },
  pre_tokenizer: { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex: LLAMA3 }, behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] },
  post_processor: { type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
    pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { "<s>": { id: "<s>", ids: [300], tokens: ["<s>"] }, "</s>": { id: "</s>", ids: [301], tokens: ["</s>"] } } },
  decoder: byteLevel(),
  model: bpe(byteAlphabet(), bytePairs),
}, texts.english.concat(texts.added, ["12345 67", "I'M HERE'S ſ", "a\r\n\r\n b  !!\n"]));
for (const behavior of ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]) {
  for (const invert of [false, true]) {
    add(`split-${behavior}-${invert ? "invert" : "plain"}`, {
      version: "1.0", truncation: null, padding: null, added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: "Sequence", pretokenizers: [
        { type: "Split", pattern: { Regex: "[,;]+" }, behavior, invert },
        { type: "Split", pattern: { String: "  " }, behavior: "Removed", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false }] },
      post_processor: null, decoder: byteLevel(),
      model: bpe(byteAlphabet(), bytePairs),
    }, ["a,b;c,,d;", ",x;;y,", "hello, world;;  again", "", ";;"]);
  }
}
add("bert-prefix-unk", {
  version: "1.0", truncation: null, padding: null, added_tokens: [added(0, "[UNK]"), added(1, "[CLS]"), added(2, "[SEP]")],
  normalizer: { type: "Lowercase" },
  pre_tokenizer: { type: "Split", pattern: { Regex: "\\s+" }, behavior: "Removed", invert: false },
  post_processor: { type: "BertProcessing", sep: ["[SEP]", 2], cls: ["[CLS]", 1] },
  decoder: null,
  model: bpe(["[UNK]", "[CLS]", "[SEP]", ...letters, ...letters.map((l) => "##" + l)],
    [["t", "##h"], ["th", "##e"], ["h", "##e"], ["##l", "##l"], ["##ll", "##o"], ["he", "##llo"], ["##e", "##r"]],
    { continuing_subword_prefix: "##", unk_token: "[UNK]", fuse_unk: true }),
}, texts.chars.concat(["Hello THE", "x?? y!! z"]));
add("suffix-roberta", {
  version: "1.0", truncation: null, padding: null, added_tokens: [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
  normalizer: null,
  pre_tokenizer: { type: "Split", pattern: { Regex: "\\s+" }, behavior: "Removed", invert: false },
  post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 1], trim_offsets: true, add_prefix_space: false },
  decoder: null,
  model: bpe(["<unk>", "<s>", "</s>", ...letters, ...letters.map((l) => l + "</w>")],
    [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o</w>"], ["t", "h"], ["th", "e</w>"]],
    { end_of_word_suffix: "</w>", unk_token: "<unk>" }),
}, texts.chars);
const fallbackAlphabet = ["<unk>", ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`), ...letters, " "];
add("byte-fallback", {
  version: "1.0", truncation: null, padding: null, added_tokens: [],
  normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null,
  model: bpe(fallbackAlphabet, [["h", "e"], ["l", "l"], ["he", "ll"]], { byte_fallback: true, unk_token: "<unk>" }),
}, ["hello", "héllo €", "ab 😀", ""]);

async function main() {
  const out = { generator: `@anush008/tokenizers ${pkg.version} (Rust tokenizers 0.22.2)`, configs: [] };
  for (const c of configs) {
    const json = JSON.stringify(c.tokenizer);
    const tok = tk.Tokenizer.fromString(json);
    const cases = [];
    for (const text of c.texts) {
      const e = await tok.encode(text, null, { addSpecialTokens: true });
      const n = await tok.encode(text, null, { addSpecialTokens: false });
      const cps = [...text];
      const at = [0];
      for (const ch of cps) at.push(at[at.length - 1] + Buffer.byteLength(ch));
      cases.push({ text, ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets().map(([s, x]) => [at[s], at[x]]),
        ids_no_special: n.getIds(), decoded: await tok.decode(e.getIds(), false), decoded_skip_special: await tok.decode(e.getIds(), true) });
    }
    out.configs.push({ name: c.name, tokenizer: json, cases });
  }
  fs.writeFileSync(process.argv[2], zlib.gzipSync(JSON.stringify(out), { level: 9 }));
  console.log(`${out.configs.length} tokenizers, ${out.configs.reduce((a, c) => a + c.cases.length, 0)} cases`);
}
main().catch((e) => { console.error(e); process.exit(1); });
