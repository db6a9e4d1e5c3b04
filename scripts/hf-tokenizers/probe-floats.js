// probe-floats.js: how the library reads the scores of a Unigram vocabulary. It writes a
// tokenizer.json whose scores are random decimals (as Python writes them, up to 17
// digits), loads it with the real library, saves it back (serde_json prints each f64 with
// the shortest round-trip digits) and records [score as written, score as read].
// Usage: node probe-floats.js OUT.json.gz
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const zlib = require("zlib");
const tk = require(require.resolve("@anush008/tokenizers", { paths: [process.cwd()] }));
const pkg = require(require.resolve("@anush008/tokenizers/package.json", { paths: [process.cwd()] }));

let s = 12345;
const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
const written = [];
for (let i = 0; i < 2000; i++) {
  const x = -(rnd() * 30) * (i % 3 === 0 ? 1e-3 : 1);
  written.push(String(x)); // JS prints the shortest round-trip decimal, like Python's repr
}
written.push("-0.0", "0", "-12", "1e-7", "-3.5E+2", "123456789012345678901234", "-1.00000000000000000000001", "0.000123456789012345678");
const vocab = [["<unk>", 0]].concat(written.map((_, i) => [`t${i}`, 0]));
let text = JSON.stringify({ version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: null, post_processor: null, decoder: null, model: { type: "Unigram", unk_id: 0, vocab, byte_fallback: false } });
written.forEach((w, i) => { text = text.replace(`["t${i}",0]`, `["t${i}",${w}]`); });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-floats-"));
fs.writeFileSync(path.join(dir, "in.json"), text);
tk.Tokenizer.fromFile(path.join(dir, "in.json")).save(path.join(dir, "out.json"));
const outText = fs.readFileSync(path.join(dir, "out.json"), "utf8");
// Read the saved scores as text (JSON.parse would round them again, identically, but the
// text is what serde_json printed).
const pairs = written.map((w, i) => {
  const m = outText.match(new RegExp(`"t${i}",\\s*([^\\]\\s]+)\\]`));
  return [w, m[1]];
});
fs.writeFileSync(process.argv[2], zlib.gzipSync(JSON.stringify({ generator: `@anush008/tokenizers ${pkg.version} (Rust tokenizers 0.22.2)`, pairs })));
console.log(pairs.length, "scores;", pairs.filter(([a, b]) => Number(a) !== Number(b)).length, "read differently from correct rounding");
