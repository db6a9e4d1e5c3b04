// Package tokenizer is a pure-Go reader of Hugging Face tokenizer.json files
// (normalizer, pre-tokenizer, byte-level BPE, added tokens, post-processor,
// decoder, truncation and padding) that produces the same ids as the Hugging
// Face tokenizers library. It knows nothing about models.
package tokenizer
