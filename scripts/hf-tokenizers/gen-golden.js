// gen-golden.js runs the real Hugging Face tokenizers library (Rust, via the
// @anush008/tokenizers Node bindings) over corpus.js with each given tokenizer.json and
// writes the expected ids, tokens, byte offsets and decodes as gzipped JSON (bench-hf.js
// times the same corpus).
//
// Usage (from a scratch folder where `npm install @anush008/tokenizers` was run):
//   node gen-golden.js OUTDIR name=path/to/tokenizer.json [name=...]
//   CORPUS=corpus-spm.js node gen-golden.js ...   (the SentencePiece-family corpus)
"use strict";
const fs = require("fs");
const zlib = require("zlib");
const path = require("path");
const req = (m) => require(require.resolve(m, { paths: [process.cwd()] }));
const tk = req("@anush008/tokenizers");
const pkg = req("@anush008/tokenizers/package.json");
// CORPUS=corpus-spm.js picks another corpus file of this folder.
const { cases } = require("./" + (process.env.CORPUS || "corpus.js"));

// Offsets from the bindings count code points; convert them to UTF-8 byte offsets.
function byteOffsets(text, offs) {
  const cps = [...text];
  const at = new Array(cps.length + 1);
  let b = 0;
  for (let i = 0; i < cps.length; i++) { at[i] = b; b += Buffer.byteLength(cps[i]); }
  at[cps.length] = b;
  return offs.map(([s, e]) => [at[s], at[e]]);
}

async function main() {
  const [outDir, ...specs] = process.argv.slice(2);
  const truncLens = [1, 2, 5, 16];
  for (const spec of specs) {
    const [name, file] = spec.split("=");
    const tok = tk.Tokenizer.fromFile(file);
    const out = { generator: `@anush008/tokenizers ${pkg.version} (Rust tokenizers 0.22.2)`, tokenizer: name, cases: [] };
    for (const c of cases) {
      const r = { name: c.name, text: c.text };
      const withSp = await tok.encode(c.text, null, { addSpecialTokens: true });
      const noSp = await tok.encode(c.text, null, { addSpecialTokens: false });
      r.ids = withSp.getIds();
      r.tokens = withSp.getTokens();
      r.offsets = byteOffsets(c.text, withSp.getOffsets());
      r.ids_no_special = noSp.getIds();
      r.decoded = await tok.decode(r.ids, false);
      r.decoded_skip_special = await tok.decode(r.ids, true);
      // The pre-tokenizer alone on the raw text (no added tokens, no normalizer): pieces
      // as byte-level strings. Checks the split scanner directly, not only through BPE.
      const pt = tok.getPreTokenizer();
      if (pt) r.pretokens = pt.preTokenizeString(c.text).map((p) => p[0]);
      out.cases.push(r);
    }
    // Truncation (keeps room for the post-processor's tokens) on a subset, both directions.
    out.truncation = [];
    for (const dir of ["Right", "Left"]) {
      for (const n of truncLens) {
        const t2 = tk.Tokenizer.fromFile(file);
        t2.setTruncation(n, { direction: dir.toLowerCase() });
        for (const c of cases.filter((c, i) => i % 7 === 0 || c.name.startsWith("special") || c.name === "long-20k")) {
          let ids, err = null;
          try { ids = (await t2.encode(c.text, null, { addSpecialTokens: true })).getIds(); } catch (e) { err = String(e); }
          out.truncation.push({ name: c.name, max_length: n, left: dir === "Left", ids, error: err });
        }
      }
    }
    const json = JSON.stringify(out);
    fs.writeFileSync(path.join(outDir, `${name}.json.gz`), zlib.gzipSync(json, { level: 9 }));
    console.log(`${name}: ${out.cases.length} cases, ${out.truncation.length} truncation cases, ${json.length} bytes JSON`);

  }
}
main().catch((e) => { console.error(e); process.exit(1); });
