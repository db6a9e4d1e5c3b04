// bench-hf.js times the golden corpus (corpus.js) through the real Hugging Face tokenizers
// library (@anush008/tokenizers, Rust): one text at a time (each encode awaited before the
// next: one thread), as one encodeBatch (the library's own thread pool), and the load of
// tokenizer.json. Prints medians. Compare with `go test ./tokenizer -bench .` run in the
// same sitting.
// Usage (from a folder where the package is installed):
//   UV_THREADPOOL_SIZE=1 node bench-hf.js path/to/tokenizer.json [rounds]
"use strict";
const tk = require(require.resolve("@anush008/tokenizers", { paths: [process.cwd()] }));
const { cases } = require("./corpus.js");

async function main() {
  const file = process.argv[2];
  const rounds = Number(process.argv[3] || 15);
  const tok = tk.Tokenizer.fromFile(file);
  // The file's own truncation and padding (all-MiniLM-L6-v2: 128) are off, as in the Go
  // benchmarks.
  tok.disableTruncation();
  tok.disablePadding();
  const texts = cases.map((c) => c.text);
  const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
  const opts = { addSpecialTokens: true };
  for (const t of texts) await tok.encode(t, null, opts); // warm-up (fills the word cache)
  // Wall time, and CPU time of the whole process (all threads) like the Go benchmarks' MB/cpu-s.
  const cpuTimes = {};
  const time = async (fn, key) => {
    const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
    await fn();
    const c = process.cpuUsage(c0);
    if (key) (cpuTimes[key] = cpuTimes[key] || []).push((c.user + c.system) / 1e6);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const single = [], batch = [], loads = [];
  for (let r = 0; r < rounds; r++) {
    single.push(await time(async () => { for (const t of texts) await tok.encode(t, null, opts); }, "single"));
    batch.push(await time(() => tok.encodeBatch(texts, opts), "batch"));
  }
  // The 20k-character mixed text alone (ordinary prose, the common case).
  const long = cases.find((c) => c.name === "long-20k").text;
  const longBytes = Buffer.byteLength(long);
  const longT = [];
  for (let r = 0; r < rounds * 4; r++) longT.push(await time(() => tok.encode(long, null, opts), "long"));
  // Ordinary prose, built as BenchmarkProse builds it.
  const prose = cases.filter((c) => c.name.startsWith("card") || c.name.startsWith("english") || c.name.startsWith("code") ||
    c.name === "chinese" || c.name === "contractions").map((c) => c.text + "\n").join("").repeat(20);
  const proseBytes = Buffer.byteLength(prose);
  const proseT = [];
  for (let r = 0; r < rounds * 4; r++) proseT.push(await time(() => tok.encode(prose, null, opts), "prose"));
  for (let r = 0; r < 5; r++) loads.push(await time(async () => tk.Tokenizer.fromFile(file), "load"));
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`HF corpus ${texts.length} texts, ${(bytes / 1e6).toFixed(4)} MB`);
  const perCPU = (key, n) => (n / 1e6 / med(cpuTimes[key])).toFixed(2);
  console.log(`HF single  ${(bytes / 1e6 / med(single)).toFixed(2)} MB/s (${(med(single) * 1e3).toFixed(1)} ms/corpus), ${perCPU("single", bytes)} MB/cpu-s`);
  console.log(`HF batch   ${(bytes / 1e6 / med(batch)).toFixed(2)} MB/s (${(med(batch) * 1e3).toFixed(1)} ms/corpus), ${perCPU("batch", bytes)} MB/cpu-s`);
  console.log(`HF long-20k ${(longBytes / 1e6 / med(longT)).toFixed(2)} MB/s (${(med(longT) * 1e3).toFixed(2)} ms), ${perCPU("long", longBytes)} MB/cpu-s`);
  console.log(`HF prose   ${(proseBytes / 1e6 / med(proseT)).toFixed(2)} MB/s (${(med(proseT) * 1e3).toFixed(2)} ms), ${perCPU("prose", proseBytes)} MB/cpu-s`);
  console.log(`HF load    ${(med(loads) * 1e3).toFixed(1)} ms (${(med(cpuTimes.load) * 1e3).toFixed(1)} cpu-ms)`);
}
main().catch((e) => { console.error(e); process.exit(1); });
