package graph

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// Encoder benchmarks: the real all-MiniLM-L6-v2 (GEMBED_REAL_MODELS, skipped
// when absent) and a random BERT of bge-base-en-v1.5's shape (written once
// into the test-model cache), on 2 threads, with the workloads of
// scripts/reference/bench_peers.py: 64 texts × 64 tokens in one batch, and
// one 16-token text. Token ids are given directly (no tokenizer), each
// sequence [CLS] … [SEP]. GEMBED_BENCH_DTYPE picks the dtype (float32 by
// default), as for the decoder benchmarks.

const encoderBenchThreads = 2

func realModelDir(name string) string {
	base := os.Getenv("GEMBED_REAL_MODELS")
	if base == "" {
		base = "/root/.cache/gembed-real-models"
	}
	return filepath.Join(base, name)
}

var (
	encoderBenchMu     sync.Mutex
	encoderBenchModels = map[string]*Model{}
)

func loadEncoderBench(b *testing.B, name string) *Model {
	b.Helper()
	encoderBenchMu.Lock()
	defer encoderBenchMu.Unlock()
	if m := encoderBenchModels[name]; m != nil {
		return m
	}
	var dir string
	switch name {
	case "all-MiniLM-L6-v2":
		dir = realModelDir("sentence-transformers--all-MiniLM-L6-v2")
		if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
			b.Skipf("real model %s absent (make real-models, or set GEMBED_REAL_MODELS)", dir)
		}
	case "bge-base-random":
		dir = filepath.Join(modelgen.CacheDir(), "bench-bge-base")
		// Write puts the weights last, each file by an atomic rename: an
		// interrupted run leaves no model.safetensors and is redone.
		if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
			if err := modelgen.Write(dir, modelgen.BaseBERT()); err != nil {
				b.Fatal(err)
			}
		}
	default:
		b.Fatalf("unknown encoder benchmark model %q", name)
	}
	dt, err := benchDType()
	if err != nil {
		b.Fatal(err)
	}
	m, err := Load(dir, Options{Threads: encoderBenchThreads, DType: dt})
	if err != nil {
		b.Fatal(err)
	}
	encoderBenchModels[name] = m
	return m
}

// encoderSeqs makes n deterministic sequences of exactly length ids, BERT
// style: [CLS]=101 first, [SEP]=102 last, word pieces in between.
func encoderSeqs(n, length int) [][]int {
	r := rand.New(rand.NewSource(16))
	seqs := make([][]int, n)
	for i := range seqs {
		s := make([]int, length)
		for j := range s {
			s[j] = 1000 + r.Intn(28000)
		}
		s[0], s[length-1] = 101, 102
		seqs[i] = s
	}
	return seqs
}

func runEncoderBench(b *testing.B, m *Model, seqs [][]int) {
	ctx := context.Background()
	if _, err := m.Forward(ctx, seqs); err != nil { // build graphs, size arenas
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for b.Loop() {
		if _, err := m.Forward(ctx, seqs); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per forward is the figure that survives a loaded machine.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N)*1e3, "cpu-ms/forward")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/forward")
}

// BenchmarkEncoder: sub-benchmarks model=…/batch=64x64 and model=…/short=16.
func BenchmarkEncoder(b *testing.B) {
	for _, name := range []string{"all-MiniLM-L6-v2", "bge-base-random"} {
		b.Run("model="+name, func(b *testing.B) {
			m := loadEncoderBench(b, name)
			b.Run("batch=64x64", func(b *testing.B) { runEncoderBench(b, m, encoderSeqs(64, 64)) })
			b.Run("short=16", func(b *testing.B) { runEncoderBench(b, m, encoderSeqs(1, 16)) })
		})
	}
}

// TestEncoderBenchSeqs checks the benchmark inputs are what bench_peers.py
// feeds its engines: exact lengths, [CLS] … [SEP], ids inside the vocabulary.
func TestEncoderBenchSeqs(t *testing.T) {
	for _, tc := range []struct{ n, length int }{{64, 64}, {1, 16}} {
		seqs := encoderSeqs(tc.n, tc.length)
		if len(seqs) != tc.n {
			t.Fatalf("%d×%d: %d sequences", tc.n, tc.length, len(seqs))
		}
		for i, s := range seqs {
			if len(s) != tc.length || s[0] != 101 || s[len(s)-1] != 102 {
				t.Fatalf("%d×%d: sequence %d = %v", tc.n, tc.length, i, s)
			}
			for _, id := range s {
				if id < 0 || id >= 30522 {
					t.Fatalf("%d×%d: id %d outside the BERT vocabulary", tc.n, tc.length, id)
				}
			}
		}
	}
}
