package tokenizer

import (
	"encoding/json"
	"strings"
	"testing"
)

// The golden corpus, the 20k-character text, prose and the load through the
// SentencePiece-family files: XLM-R-style Unigram (Precompiled, Metaspace), Llama 2 and
// Gemma 3 (byte-fallback BPE over ▁). bench-hf.js times the same texts with the same files.
func BenchmarkSentencePiece(b *testing.B) {
	g := loadGolden(b, "qwen3-embedding")
	var texts []string
	var corpusBytes int64
	var long string
	var prose strings.Builder
	for _, c := range g.Cases {
		texts = append(texts, c.Text)
		corpusBytes += int64(len(c.Text))
		if c.Name == "long-20k" {
			long = c.Text
		}
		if strings.HasPrefix(c.Name, "card") || strings.HasPrefix(c.Name, "english") || strings.HasPrefix(c.Name, "code") || c.Name == "chinese" || c.Name == "contractions" {
			prose.WriteString(c.Text)
			prose.WriteString("\n")
		}
	}
	proseText := strings.Repeat(prose.String(), 20)
	encode := func(b *testing.B, tok *Tokenizer, texts []string, n int64) {
		b.SetBytes(n)
		b.ResetTimer()
		cpu0 := processCPU()
		for range b.N {
			for _, s := range texts {
				if _, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true}); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportCPU(b, cpu0, n)
	}
	for _, name := range []string{"xlmr-unigram", "llama2", "gemma3"} {
		b.Run(name, func(b *testing.B) {
			tok := loadTestTokenizer(b, name)
			b.Run("corpus", func(b *testing.B) { encode(b, tok, texts, corpusBytes) })
			b.Run("long20k", func(b *testing.B) { encode(b, tok, []string{long}, int64(len(long))) })
			b.Run("prose", func(b *testing.B) { encode(b, tok, []string{proseText}, int64(len(proseText))) })
			b.Run("load", func(b *testing.B) { benchLoad(b, readTokenizerJSON(b, name)) })
		})
	}
}

// BenchmarkUnigramLoadLarge reads a Unigram tokenizer.json the size of XLM-RoBERTa's
// (250k pieces): Gemma 3's 262k tokens with made-up scores, the XLM-R-style file's
// normalizer, pre-tokenizer and decoder; compact (9 MB) and indented as the library saves
// it (18 MB, XLM-RoBERTa's own file is 17 MB).
func BenchmarkUnigramLoadLarge(b *testing.B) {
	var gemma struct {
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal([]byte(readTokenizerJSON(b, "gemma3")), &gemma); err != nil {
		b.Fatal(err)
	}
	var small map[string]json.RawMessage
	if err := json.Unmarshal([]byte(readTokenizerJSON(b, "xlmr-unigram")), &small); err != nil {
		b.Fatal(err)
	}
	pieces := make([][2]any, len(gemma.Model.Vocab))
	for tok, id := range gemma.Model.Vocab {
		pieces[id] = [2]any{tok, -float64(id%5000)/397.0 - 1}
	}
	vocab, _ := json.Marshal(pieces)
	// "type" first, as the library writes it.
	small["model"] = json.RawMessage(`{"type":"Unigram","unk_id":3,"vocab":` + string(vocab) + `,"byte_fallback":false}`)
	compact, _ := json.Marshal(small)
	indented, _ := json.MarshalIndent(small, "", "  ")
	for _, f := range []struct {
		name string
		data []byte
	}{{"compact", compact}, {"indented", indented}} {
		b.Run(f.name, func(b *testing.B) { benchLoad(b, string(f.data)) })
	}
}
