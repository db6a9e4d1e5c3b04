// probe-unicode.js asks the real Hugging Face tokenizers library (Rust, through the
// @anush008/tokenizers Node bindings) how it sees every Unicode code point:
//   - NFC / NFKC / Lowercase normalizers on each code point alone, and NFC of
//     "a" + cp + U+0334 (reveals the canonical combining class the library uses);
//   - membership in \p{L}, \p{N} and \s of the Oniguruma regex engine used by Split.
// The Go tests compare the tokenizer package against this table for all code points.
// Usage: node probe-unicode.js OUT.json   (run from a folder where the package is installed)
const path = require("path");
const fs = require("fs");
const tk = require(require.resolve("@anush008/tokenizers", { paths: [process.cwd()] }));

const out = process.argv[2];
const nfc = tk.nfcNormalizer(), nfkc = tk.nfkcNormalizer(), lower = tk.lowercase();
const res = { nfc: [], nfc_ccc: [], nfkc: [], lowercase: [], classes: {} };
const all = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const s = String.fromCodePoint(cp);
  all.push(s);
  let r = nfc.normalizeString(s);
  if (r !== s) res.nfc.push([cp, r]);
  const t = "a" + s + "\u0334";
  r = nfc.normalizeString(t);
  if (r !== t) res.nfc_ccc.push([cp, r]);
  r = nfkc.normalizeString(s);
  if (r !== s) res.nfkc.push([cp, r]);
  r = lower.normalizeString(s);
  if (r !== s) res.lowercase.push([cp, r]);
}
// Class membership: a Split pre-tokenizer with regex C and behavior Removed drops every
// character of class C; what is left tells the complement.
function isIn(cls) {
  // Pieces of an Isolated split alternate between matches and non-matches; test each piece.
  const cfg = {
    version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: "Split", pattern: { Regex: cls }, behavior: "Removed", invert: false },
    post_processor: null, decoder: null,
    model: { type: "WordLevel", vocab: { "[UNK]": 0 }, unk_token: "[UNK]" },
  };
  const pt = tk.Tokenizer.fromString(JSON.stringify(cfg)).getPreTokenizer();
  const kept = new Set();
  const chunk = 4096;
  for (let i = 0; i < all.length; i += chunk) {
    for (const [piece] of pt.preTokenizeString(all.slice(i, i + chunk).join(""))) {
      for (const ch of piece) kept.add(ch.codePointAt(0));
    }
  }
  // kept = code points NOT in cls; return ranges of members.
  const ranges = [];
  let start = -1;
  for (let cp = 0; cp <= 0x110000; cp++) {
    const member = cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && !kept.has(cp);
    if (member && start < 0) start = cp;
    if (!member && start >= 0) { ranges.push([start, cp - 1]); start = -1; }
  }
  return ranges;
}
res.classes.L = isIn("\\p{L}");
res.classes.N = isIn("\\p{N}");
res.classes.S = isIn("\\s");
const pkg = require(require.resolve("@anush008/tokenizers/package.json", { paths: [process.cwd()] }));
res.generator = `@anush008/tokenizers ${pkg.version} (Rust tokenizers 0.22.2, onig, unicode-normalization-alignments 0.1.12)`;
fs.writeFileSync(out, JSON.stringify(res));
console.log("nfc", res.nfc.length, "nfc_ccc", res.nfc_ccc.length, "nfkc", res.nfkc.length, "lower", res.lowercase.length,
  "L", res.classes.L.length, "N", res.classes.N.length, "S", res.classes.S.length);
