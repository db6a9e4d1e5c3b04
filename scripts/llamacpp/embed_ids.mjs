#!/usr/bin/env node
// Embeds token id lists with llama.cpp (node-llama-cpp): reads {"model": GGUF, "ids": [[...], ...]} from the
// file named by its argument, writes {"vectors", "version", "llamacpp", "checks"} (raw pooled vectors) to stdout.
// One sequence per call, flash attention off, F32 K/V cache, 2 threads; checks: every text again in a fresh
// context of another size with 1 thread in reverse order (max abs diff).
import fs from "node:fs";
import { loadNodeLlamaCpp, createEmbeddingContext, embedIds, maxAbsDiff } from "./llamacpp.mjs";

const req = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const nlc = await loadNodeLlamaCpp();
const llama = await nlc.getLlama({ gpu: false, build: "never", logLevel: nlc.LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: req.model });
const maxLen = Math.max(...req.ids.map((v) => v.length));
const size = Math.max(512, Math.ceil((maxLen + 64) / 256) * 256);
const ec = await createEmbeddingContext(nlc, model, { contextSize: size, batchSize: size, threads: 2 });
const vectors = [];
for (const v of req.ids) vectors.push(Array.from(await embedIds(ec, v)));
await ec.dispose();
const ec2 = await createEmbeddingContext(nlc, model, { contextSize: size * 2, batchSize: size * 2, threads: 1 });
let fresh = 0;
for (let i = req.ids.length - 1; i >= 0; i--) fresh = Math.max(fresh, maxAbsDiff(await embedIds(ec2, req.ids[i]), vectors[i]));
await ec2.dispose();
await model.dispose();
const release = `${llama.llamaCppRelease.repo}@${llama.llamaCppRelease.release}`;
await llama.dispose();
process.stdout.write(JSON.stringify({ vectors, version: nlc.version, llamacpp: release,
  checks: { fresh_context_1_thread_reverse_order_max_abs_diff: fresh } }));
