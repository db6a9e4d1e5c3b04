// metaspace-variants.js writes variants of the XLM-R-style Unigram tokenizer.json whose
// Metaspace pre-tokenizer and decoder take the other settings files in the wild use:
//   ms-first:  prepend_scheme "first", split false (Mistral/Llama style);
//   ms-never:  prepend_scheme "never", split true;
//   ms-legacy: the legacy {"replacement": "▁", "add_prefix_space": true} (older Hub files).
// The Go tests apply the same edits to the same file (golden_spm_test.go). Then make their
// goldens with gen-golden.js:
//   node metaspace-variants.js xlmr-unigram.json OUTDIR
//   CORPUS=corpus-spm.js node gen-golden.js GOLDENDIR ms-first=OUTDIR/ms-first.json ...
"use strict";
const fs = require("fs");
const path = require("path");
const variants = {
  "ms-first": { type: "Metaspace", replacement: "\u2581", prepend_scheme: "first", split: false },
  "ms-never": { type: "Metaspace", replacement: "\u2581", prepend_scheme: "never", split: true },
  "ms-legacy": { type: "Metaspace", replacement: "\u2581", add_prefix_space: true },
};
const [src, out] = process.argv.slice(2);
for (const [name, ms] of Object.entries(variants)) {
  const tok = JSON.parse(fs.readFileSync(src, "utf8"));
  tok.pre_tokenizer = ms;
  tok.decoder = ms;
  fs.writeFileSync(path.join(out, name + ".json"), JSON.stringify(tok));
}
module.exports = { variants };
