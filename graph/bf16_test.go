package graph

import (
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/internal/reference"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// bf16Tol is the bfloat16 mode's bound against a float32 reference.
var bf16Tol = numtest.Tol{MinCos: 0.999}

// TestGoldenBFloat16 runs every tiny golden (llama.cpp's, sentence-
// transformers', the float64 encoder reference) in the BFloat16 mode.
func TestGoldenBFloat16(t *testing.T) {
	for _, name := range []string{"qwen3-f32", "qwen3-bf16", "qwen3-sharded", "qwen2-f32", "qwen3-f32-mean", "qwen3-f32-cls"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(goldenDir, name+".json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("golden file missing: %v", err)
			}
			var g golden
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			pool := map[string]Pooling{"last": PoolLastToken, "mean": PoolMean, "cls": PoolCLS}[g.Pooling]
			m := loadModel(t, g.Variant, Options{Pooling: pool, DType: BFloat16})
			seqs := make([][]int, len(g.Cases))
			for i, c := range g.Cases {
				seqs[i] = c.IDs
			}
			checkBF16(t, m, seqs, func(i int) []float64 { return g.Cases[i].Embedding })
		})
	}
	for _, variant := range []string{"gemma3-f32", "mistral-sharded", "llama-f32"} {
		t.Run(variant, func(t *testing.T) {
			g := readSTGolden(t, variant)
			m := loadModel(t, variant, Options{DType: BFloat16})
			seqs := make([][]int, len(g.Cases))
			for i, c := range g.Cases {
				seqs[i] = c.IDs
			}
			checkBF16(t, m, seqs, func(i int) []float64 { return g.Cases[i].Pooled })
		})
	}
	for _, variant := range []string{"bert-mean", "roberta-mean"} {
		t.Run(variant, func(t *testing.T) {
			dir := modelgen.TestModel(t, variant)
			ref := loadRef(t, dir)
			m := loadModel(t, variant, Options{Pooling: PoolMean, DType: BFloat16})
			r := rand.New(rand.NewSource(7))
			var in []Input
			var want [][]float64
			for _, n := range []int{1, 5, 70, 128, 9} {
				s := Input{IDs: make([]int, n), TypeIDs: make([]int, n)}
				for j := range s.IDs {
					s.IDs[j] = 1000 + r.Intn(29000)
				}
				w, err := ref.Forward(s.IDs, s.TypeIDs, reference.Pooling("mean"), 0)
				if err != nil {
					t.Fatal(err)
				}
				in, want = append(in, s), append(want, w)
			}
			got, err := m.Run(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range in {
				if err := numtest.Check(got[i], want[i], bf16Tol); err != nil {
					t.Errorf("sequence %d (%d tokens): %v", i, len(in[i].IDs), err)
				}
			}
		})
	}
}

// checkBF16 checks m's vectors (one batch and each alone) against want at
// cos ≥ 0.999, and that the bf16 mode is really on (not exact float32).
func checkBF16(t *testing.T, m *Model, seqs [][]int, want func(i int) []float64) {
	t.Helper()
	if m.DType() != BFloat16 || m.WeightMemory().BFloat16+m.WeightMemory().BFloat16Mapped == 0 {
		t.Fatalf("model not in the bfloat16 mode: %v, %+v", m.DType(), m.WeightMemory())
	}
	batch, err := m.Forward(context.Background(), seqs)
	if err != nil {
		t.Fatal(err)
	}
	worst := 1.0
	for i := range seqs {
		alone, err := m.Forward(context.Background(), seqs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range [][]float32{batch[i], alone[0]} {
			if err := numtest.Check(got, want(i), bf16Tol); err != nil {
				t.Errorf("case %d (%d tokens): %v", i, len(seqs[i]), err)
			}
			d, _ := numtest.Compare(got, want(i), true)
			worst = min(worst, d.Cos)
		}
	}
	t.Logf("%d cases, min cosine %.6f", len(seqs), worst)
}

// TestBFloat16Memory counts the bytes the parameters hold: in the bfloat16
// mode no projection matrix has a float32 copy; from a BF16 file they are
// read in place (no heap copy at all), from an F32 file rounded once.
func TestBFloat16Memory(t *testing.T) {
	for _, c := range []struct {
		variant string
		mapped  bool
	}{{"qwen3-bf16", true}, {"qwen3-f32", false}, {"bert-mean", false}} {
		t.Run(c.variant, func(t *testing.T) {
			f32 := loadModel(t, c.variant, Options{}).WeightMemory()
			bf := loadModel(t, c.variant, Options{DType: BFloat16}).WeightMemory()
			if f32.BFloat16 != 0 || f32.BFloat16Mapped != 0 {
				t.Fatalf("float32 mode holds bfloat16: %+v", f32)
			}
			matrices := bf.BFloat16 + bf.BFloat16Mapped
			// The float32 left in the bf16 mode is the vectors (norms,
			// biases) and, for BERT, the position/type embeddings.
			if got, want := f32.Float32-bf.Float32, 2*matrices; got != want {
				t.Errorf("bf16 mode dropped %d float32 bytes, want twice its %d bf16 bytes", got, matrices)
			}
			if c.variant != "bert-mean" && bf.Float32 > f32.Float32/4 {
				t.Errorf("bf16 mode still holds %d float32 bytes of %d", bf.Float32, f32.Float32)
			}
			if mapped := bf.BFloat16Mapped > 0; mapped != c.mapped || (c.mapped && bf.BFloat16 != 0) {
				t.Errorf("%+v: matrices mapped = %v, want %v", bf, mapped, c.mapped)
			}
			t.Logf("float32 %+v, bfloat16 %+v", f32, bf)
		})
	}
}

// TestBFloat16HeapBytes checks with the allocator's own count (bytes
// allocated during Load: cumulative, so garbage other tests leave behind
// does not blur it) that loading a BF16 checkpoint in the bfloat16 mode
// allocates no copy of its matrices, where the float32 mode allocates twice
// their file size.
func TestBFloat16HeapBytes(t *testing.T) {
	dir := modelgen.TestModel(t, "qwen3-bf16")
	heapOf := func(dt DType) (int64, WeightMemory) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Load(dir, Options{DType: dt, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		defer m.Close()
		return int64(after.TotalAlloc) - int64(before.TotalAlloc), m.WeightMemory()
	}
	f32Heap, f32 := heapOf(Float32)
	bfHeap, bf := heapOf(BFloat16)
	t.Logf("bytes allocated by Load: float32 %d bytes (%+v), bfloat16 %d bytes (%+v)", f32Heap, f32, bfHeap, bf)
	if f32Heap < int64(f32.Float32)*3/4 {
		t.Fatalf("float32 load allocated %d bytes, less than its %d float32 weights: the measure is broken", f32Heap, f32.Float32)
	}
	// Both loads allocate the same bookkeeping; the difference is the
	// matrices: 4 bytes per value in float32, none when they are read in
	// place (a bf16 copy would make it 2 bytes per value).
	saved, mapped := f32Heap-bfHeap, int64(bf.BFloat16Mapped)
	if bf.BFloat16 != 0 || saved < 2*mapped-mapped/4 {
		t.Errorf("bfloat16 load allocated %d bytes fewer than float32's, want ≥ %d (no copy of the %d mapped bf16 bytes)", saved, 2*mapped-mapped/4, mapped)
	}
}

func TestParseDType(t *testing.T) {
	for _, c := range []struct {
		in   string
		want DType
		ok   bool
	}{{"float32", Float32, true}, {"bfloat16", BFloat16, true}, {"bf16", 0, false}, {"", 0, false}, {"FLOAT32", 0, false}} {
		got, err := ParseDType(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseDType(%q) = %v, %v", c.in, got, err)
		}
		if err != nil && err.Error() != `unknown dtype "`+c.in+`" (choices: float32, bfloat16)` {
			t.Errorf("ParseDType(%q) error %q does not list the choices", c.in, err)
		}
	}
	if _, err := Load(modelgen.TestModel(t, "qwen3-f32"), Options{DType: 7}); err == nil {
		t.Error("Load accepted DType(7)")
	}
}

// TestBFloat16EveryVariant loads every generated tiny model in both modes
// and checks the bfloat16 vectors against the float32 ones (which the
// goldens check against outside references) at cos ≥ 0.999: every family's
// non-Linear matrices must stay float32 for this to run at all.
func TestBFloat16EveryVariant(t *testing.T) {
	ran := 0
	for _, variant := range modelgen.Variants() {
		dir := modelgen.TestModel(t, variant)
		f32, err := Load(dir, Options{Threads: 1})
		if err != nil {
			t.Logf("%s: not an embedding model on its own (%v)", variant, err)
			continue
		}
		defer f32.Close()
		bf, err := Load(dir, Options{Threads: 1, DType: BFloat16})
		if err != nil {
			t.Errorf("%s: bfloat16 load: %v", variant, err)
			continue
		}
		defer bf.Close()
		r := rand.New(rand.NewSource(3))
		var seqs [][]int
		for _, n := range []int{3, 17, 40} {
			s := make([]int, n)
			for j := range s {
				s[j] = 5 + r.Intn(min(f32.Config().Vocab-5, 250))
			}
			seqs = append(seqs, s)
		}
		want, err := f32.Forward(context.Background(), seqs)
		if err != nil {
			t.Errorf("%s: float32: %v", variant, err)
			continue
		}
		got, err := bf.Forward(context.Background(), seqs)
		if err != nil {
			t.Errorf("%s: bfloat16: %v", variant, err)
			continue
		}
		for i := range seqs {
			if err := numtest.Check(got[i], want[i], bf16Tol); err != nil {
				t.Errorf("%s: sequence %d: %v", variant, i, err)
			}
		}
		ran++
	}
	if ran < 10 {
		t.Fatalf("only %d variants ran", ran)
	}
}
