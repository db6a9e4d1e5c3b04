// probe-precompiled.js asks the real Hugging Face tokenizers library (Rust, through the
// @anush008/tokenizers Node bindings) how the Precompiled normalizer of each given
// tokenizer.json (SentencePiece's charsmap) rewrites every Unicode code point:
//   single: [cp, output] for every code point the map changes when alone;
//   pairs[suffix]: [cp, output] for every code point cp where normalizing cp+suffix is not
//     the concatenation of the two alone (grapheme clusters looked up whole, composition).
// Usage: node probe-precompiled.js OUT.json.gz name=tokenizer.json [name=...]
"use strict";
const fs = require("fs");
const zlib = require("zlib");
const crypto = require("crypto");
const tk = require(require.resolve("@anush008/tokenizers", { paths: [process.cwd()] }));
const pkg = require(require.resolve("@anush008/tokenizers/package.json", { paths: [process.cwd()] }));

// Combining marks, joiners and selectors that extend a grapheme cluster or compose.
const suffixes = ["\u0301", "\u0308", "\u3099", "\u309A", "\uFE0F", "\u200D", "\u0334", "\u05B4", "\u093C", "\u1161", "\u11A8", "\uFF9E", "\uD83C\uDFFD", "a"];

function findPrecompiled(n) {
  if (!n) return null;
  if (n.type === "Precompiled") return n;
  for (const sub of n.normalizers || []) { const p = findPrecompiled(sub); if (p) return p; }
  return null;
}

const [out, ...specs] = process.argv.slice(2);
const res = { generator: `@anush008/tokenizers ${pkg.version} (Rust tokenizers 0.22.2, spm_precompiled 0.1.4, unicode-segmentation 1.12.0)`, maps: {} };
for (const spec of specs) {
  const [name, file] = spec.split("=");
  const pc = findPrecompiled(JSON.parse(fs.readFileSync(file, "utf8")).normalizer);
  const cfg = {
    version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: pc,
    pre_tokenizer: null, post_processor: null, decoder: null,
    model: { type: "WordLevel", vocab: { "[UNK]": 0 }, unk_token: "[UNK]" },
  };
  const norm = tk.Tokenizer.fromString(JSON.stringify(cfg)).getNormalizer();
  const single = new Map();
  const m = { charsmap_sha256: crypto.createHash("sha256").update(pc.precompiled_charsmap).digest("hex"), single: [], pairs: {} };
  const cps = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    cps.push(cp);
    const s = String.fromCodePoint(cp);
    const r = norm.normalizeString(s);
    single.set(s, r);
    if (r !== s) m.single.push([cp, r]);
  }
  const one = (s) => single.has(s) ? single.get(s) : norm.normalizeString(s);
  for (const suf of suffixes) {
    const list = [];
    for (const cp of cps) {
      const s = String.fromCodePoint(cp);
      const r = norm.normalizeString(s + suf);
      if (r !== one(s) + one(suf)) list.push([cp, r]);
    }
    m.pairs[suf] = list;
  }
  res.maps[name] = m;
  console.log(name, "single", m.single.length, Object.entries(m.pairs).map(([k, v]) => `${escape(k)}:${v.length}`).join(" "));
}
fs.writeFileSync(out, zlib.gzipSync(JSON.stringify(res), { level: 9 }));
