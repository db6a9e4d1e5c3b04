// gen-random.js: a seeded random differential corpus. Random strings (an alphabet of
// troublesome pieces plus random code points) through the Qwen3-Embedding tokenizer and
// through every tokenizer of synthetic.json.gz, ids from the real library, written to
// testdata/tokenizer-golden/random.json.gz as [text, ids] (and [config, text, ids]).
// Usage: node gen-random.js QWEN3_EMBEDDING_TOKENIZER_JSON SYNTHETIC_JSON_GZ OUT [n]
"use strict";
const fs = require("fs");
const zlib = require("zlib");
const tk = require(require.resolve("@anush008/tokenizers", { paths: [process.cwd()] }));

let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 4294967296; };
const randCP = (limit) => { let cp; do { cp = Math.floor(rnd() * limit); } while (cp >= 0xd800 && cp <= 0xdfff); return String.fromCodePoint(cp); };
const qwenPool = ["a", "b", "Z", "é", "e\u0301", "ß", "ſ", "İ", "'", "’", "s", "t", "S", "T", "re", "VE", "ll", "D", "m", " ", "  ", "\t", "\n", "\r\n", "\r",
  "\u00A0", "\u3000", "\u2009", "\u200B", "\u200D", "\u0085", "\u000B", "\u000C", "\u001C", "1", "23", "٣", "①", "!", "?", ".", ",", "-", "_", "(", ")", "\"", "#",
  "<", "|", ">", "<|", "|>", "<|endoftext|>", "<|im_start|>", "<think>", "你", "好", "日本", "ｶ", "한", "\u1100\u1161", "\u11A8", "م", "न", "्", "ส", "ั", "👍", "🏽",
  "🇺", "❤", "\uFE0F", "\u0301", "\u0316", "\u0334", "\u1AC1", "\u0D3B", "\u{2EBF0}", "\u{10D40}", "\u1C89", "Ａ", "ﬁ", "\u212B", "ⅷ", "😀", "\u0344", "\uF900",
  "\u0F73", "\u0F75", "\u0FB2\u0F80", "ǖ", "\u0308\u0301", "\uAC00", "\u0E33", "\u0345"];
const synthPool = ["a", "b", "h", "e", "l", "o", "w", "r", "d", "t", "i", "n", "Z", "é", "e\u0301", "ſ", "'", "s", "S", "M", "re", "ll", " ", "  ", "\t", "\n",
  "\r\n", "\u00A0", "\u3000", "\u200B", "1", "23", "٣", "!", "?", ",", ";", ",,", ";;", "-", "<s>", "</s>", "<mask>", "[SEP]", "<sep>", "<|eot|>", "<|EOT|>",
  "你", "ﬁ", "Ⅻ", "😀", "\u0301", "x", " the", " world", "hello"];
function randText(pool, maxPieces, pAny, pLow) {
  const n = 1 + Math.floor(rnd() * maxPieces);
  let x = "";
  for (let j = 0; j < n; j++) {
    const r = rnd();
    if (r < pAny) x += randCP(0x110000);
    else if (r < pAny + pLow) x += randCP(0x3000);
    else x += pool[Math.floor(rnd() * pool.length)];
  }
  return x;
}

async function main() {
  const [qwenFile, synthFile, outFile, nArg] = process.argv.slice(2);
  const n = Number(nArg || 3000);
  const out = { generator: "@anush008/tokenizers " + require(require.resolve("@anush008/tokenizers/package.json", { paths: [process.cwd()] })).version, qwen3_embedding: [], synthetic: [] };
  const q = tk.Tokenizer.fromFile(qwenFile);
  for (let i = 0; i < n; i++) {
    const x = randText(qwenPool, 30, 0.15, 0.1);
    out.qwen3_embedding.push([x, (await q.encode(x, null, { addSpecialTokens: true })).getIds()]);
  }
  const g = JSON.parse(zlib.gunzipSync(fs.readFileSync(synthFile)));
  for (const c of g.configs) {
    const t = tk.Tokenizer.fromString(c.tokenizer);
    for (let i = 0; i < Math.floor(n / 10); i++) {
      const x = randText(synthPool, 20, 0, 0.1);
      out.synthetic.push([c.name, x, (await t.encode(x, null, { addSpecialTokens: true })).getIds()]);
    }
  }
  fs.writeFileSync(outFile, zlib.gzipSync(JSON.stringify(out), { level: 9 }));
  console.log(`${out.qwen3_embedding.length} Qwen3-Embedding cases, ${out.synthetic.length} synthetic cases`);
}
main().catch((e) => { console.error(e); process.exit(1); });
