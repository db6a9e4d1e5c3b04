package tokenizer

import "testing"

// SentencePiece-family tokenizer files (their sources and checksums are in
// scripts/hf-tokenizers/README.md).
func init() {
	tokenizerFiles["xlmr-unigram"] = "../testdata/tokenizer-golden/xlmr-unigram-tokenizer.json.gz"
	tokenizerFiles["unigram-bytefb"] = "../testdata/tokenizer-golden/unigram-bytefb-tokenizer.json.gz"
	tokenizerFiles["llama2"] = "../testdata/tokenizer-golden/llama2-tokenizer.json.gz"
	tokenizerFiles["gemma3"] = "../testdata/tokenizer-golden/gemma3-tokenizer.json.gz"
}

// TestGoldenSentencePiece: Unigram with a Precompiled charsmap and Metaspace (XLM-RoBERTa
// style), Unigram with byte fallback, and byte-fallback BPE over ▁ (Llama 2, Gemma 3),
// against the library on corpus-spm.js.
func TestGoldenSentencePiece(t *testing.T) {
	for _, name := range []string{"xlmr-unigram", "unigram-bytefb", "llama2", "gemma3"} {
		t.Run(name, func(t *testing.T) { checkGoldenFile(t, name) })
	}
}
