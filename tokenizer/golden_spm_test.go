package tokenizer

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

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

// TestSentencePieceConcurrent: fresh tokenizers (lazy tables not built yet) encode the
// corpus from many goroutines at once exactly as one at a time (run with -race).
func TestSentencePieceConcurrent(t *testing.T) {
	g := loadGolden(t, "llama2")
	texts := make([]string, 0, len(g.Cases))
	for _, c := range g.Cases {
		texts = append(texts, c.Text)
	}
	for _, name := range []string{"llama2", "unigram-bytefb"} {
		tok, err := LoadFile(tokenizerFiles[name])
		if err != nil {
			t.Fatal(err)
		}
		encs, err := tok.EncodeBatch(context.Background(), texts, EncodeOptions{AddSpecialTokens: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range texts {
			want, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(encs[i].IDs, want.IDs) || !reflect.DeepEqual(encs[i].Offsets, want.Offsets) {
				t.Fatalf("%s: text %d encodes differently in a batch", name, i)
			}
		}
	}
}

// metaspaceVariants are the edits of scripts/hf-tokenizers/metaspace-variants.js: the
// XLM-R-style file with another Metaspace pre-tokenizer and decoder.
var metaspaceVariants = map[string]string{
	"ms-first":  `{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}`,
	"ms-never":  `{"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":true}`,
	"ms-legacy": `{"type":"Metaspace","replacement":"▁","add_prefix_space":true}`,
}

// TestGoldenMetaspaceVariants: prepend_scheme first and never, split false, and the legacy
// add_prefix_space, against the library on corpus-spm.js.
func TestGoldenMetaspaceVariants(t *testing.T) {
	base := readTokenizerJSON(t, "xlmr-unigram")
	for name, ms := range metaspaceVariants {
		t.Run(name, func(t *testing.T) {
			var doc map[string]json.RawMessage
			if err := json.Unmarshal([]byte(base), &doc); err != nil {
				t.Fatal(err)
			}
			doc["pre_tokenizer"] = json.RawMessage(ms)
			doc["decoder"] = json.RawMessage(ms)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Load(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			loadedMu.Lock()
			loaded[name] = tok
			loadedMu.Unlock()
			checkGoldenFile(t, name)
		})
	}
	for _, bad := range []string{
		`{"type":"Metaspace","replacement":"▁","add_prefix_space":false,"prepend_scheme":"always"}`,
		`{"type":"Metaspace","replacement":"▁▁"}`,
		`{"type":"Metaspace","replacement":"▁","prepend_scheme":"sometimes"}`,
		`{"type":"Metaspace"}`,
	} {
		if _, err := buildMetaspacePreTokenizer(nil, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
