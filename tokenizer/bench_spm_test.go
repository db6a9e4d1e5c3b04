package tokenizer

import (
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
			b.Run("load", func(b *testing.B) {
				data := readTokenizerJSON(b, name)
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				cpu0 := processCPU()
				for range b.N {
					if _, err := parse(data); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			})
		})
	}
}
