package tokenizer

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// Benchmarks over the golden corpus (the texts of testdata/tokenizer-golden), the same
// corpus scripts/hf-tokenizers/gen-golden.js times through the Hugging Face library.

func benchCorpus(b *testing.B) ([]string, int64) {
	g := loadGolden(b, "qwen3-embedding")
	var texts []string
	var n int64
	for _, c := range g.Cases {
		texts = append(texts, c.Text)
		n += int64(len(c.Text))
	}
	return texts, n
}

// reportCPU adds the throughput per CPU-second (all threads, GC included): on a machine
// shared with other work it moves much less than wall-clock MB/s.
func reportCPU(b *testing.B, cpu0 time.Duration, bytes int64) {
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

func BenchmarkEncode(b *testing.B) {
	tok := loadTestTokenizer(b, "qwen3-embedding")
	texts, n := benchCorpus(b)
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

// BenchmarkEncodeNoCache measures the word cache's worth: a fresh tokenizer state per
// round would be costly, so the cache is simply turned off.
func BenchmarkEncodeNoCache(b *testing.B) {
	tok := loadTestTokenizer(b, "qwen3-embedding")
	texts, n := benchCorpus(b)
	bm := tok.model.(*bpeModel)
	cache := bm.cache
	bm.cache = nil
	defer func() { bm.cache = cache }()
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

// BenchmarkEncodeLong20k is the 20k-character mixed text alone: ordinary prose in many
// scripts, the common case (the corpus as a whole is dominated by pathological long words).
func BenchmarkEncodeLong20k(b *testing.B) {
	tok := loadTestTokenizer(b, "qwen3-embedding")
	var s string
	for _, c := range loadGolden(b, "qwen3-embedding").Cases {
		if c.Name == "long-20k" {
			s = c.Text
		}
	}
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		if _, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, int64(len(s)))
}

func BenchmarkEncodeBatch(b *testing.B) {
	tok := loadTestTokenizer(b, "qwen3-embedding")
	texts, n := benchCorpus(b)
	b.SetBytes(n)
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		if _, err := tok.EncodeBatch(context.Background(), texts, EncodeOptions{AddSpecialTokens: true}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, n)
}

// BenchmarkLoad measures parsing the 11 MB tokenizer.json (already decompressed).
func BenchmarkLoad(b *testing.B) { benchLoad(b, readTokenizerJSON(b, "qwen3-embedding")) }

// benchLoad measures parsing data, a whole tokenizer.json, in CPU-ms per load.
func benchLoad(b *testing.B, data string) {
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		if _, err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

func readTokenizerJSON(tb testing.TB, name string) string {
	tb.Helper()
	f, err := os.Open(tokenizerFiles[name])
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	data, err := gunzipAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

// BenchmarkProse is ordinary text (the model-card, English, code, Chinese and contraction
// cases joined, 20 times): the common case. bench-hf.js builds the same text.
func BenchmarkProse(b *testing.B) {
	tok := loadTestTokenizer(b, "qwen3-embedding")
	var sb strings.Builder
	for _, c := range loadGolden(b, "qwen3-embedding").Cases {
		if strings.HasPrefix(c.Name, "card") || strings.HasPrefix(c.Name, "english") || strings.HasPrefix(c.Name, "code") || c.Name == "chinese" || c.Name == "contractions" {
			sb.WriteString(c.Text)
			sb.WriteString("\n")
		}
	}
	s := strings.Repeat(sb.String(), 20)
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		tok.Encode(s, EncodeOptions{AddSpecialTokens: true})
	}
	reportCPU(b, cpu0, int64(len(s)))
}

// The same corpus, long text and prose through all-MiniLM-L6-v2's WordPiece tokenizer
// (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP]); bench-hf.js times them with
// the same file.

func BenchmarkWordPieceEncode(b *testing.B) {
	tok := loadTestTokenizer(b, "minilm")
	texts, n := benchCorpus(b)
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

func BenchmarkWordPieceLong20k(b *testing.B) {
	tok := loadTestTokenizer(b, "minilm")
	var s string
	for _, c := range loadGolden(b, "qwen3-embedding").Cases {
		if c.Name == "long-20k" {
			s = c.Text
		}
	}
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		if _, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, int64(len(s)))
}

func BenchmarkWordPieceProse(b *testing.B) {
	tok := loadTestTokenizer(b, "minilm")
	var sb strings.Builder
	for _, c := range loadGolden(b, "qwen3-embedding").Cases {
		if strings.HasPrefix(c.Name, "card") || strings.HasPrefix(c.Name, "english") || strings.HasPrefix(c.Name, "code") || c.Name == "chinese" || c.Name == "contractions" {
			sb.WriteString(c.Text)
			sb.WriteString("\n")
		}
	}
	s := strings.Repeat(sb.String(), 20)
	b.SetBytes(int64(len(s)))
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		if _, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, int64(len(s)))
}

func BenchmarkWordPieceLoad(b *testing.B) { benchLoad(b, readTokenizerJSON(b, "minilm")) }

// BenchmarkWordPiecePairs encodes each corpus text paired with another (as bench-hf.py's
// pairs do): two sequences, the pair template, type ids.
func BenchmarkWordPiecePairs(b *testing.B) {
	tok := loadTestTokenizer(b, "minilm")
	texts, _ := benchCorpus(b)
	var n int64
	pairs := make([][2]string, len(texts))
	for i := range texts {
		pairs[i] = [2]string{texts[i], texts[(i*7+1)%len(texts)]}
		n += int64(len(pairs[i][0]) + len(pairs[i][1]))
	}
	b.SetBytes(n)
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		for _, p := range pairs {
			if _, err := tok.EncodePair(p[0], p[1], EncodeOptions{AddSpecialTokens: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu0, n)
}
