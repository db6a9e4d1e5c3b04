package graph

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Benchmarks run on the full-size random Qwen3-Embedding-0.6B-shaped model
// (go run ./testdata/genmodel -full /work/models/qwen3-0.6b), or the folder
// in GEMBED_BENCH_MODEL; they skip when it is absent. GEMBED_BENCH_DTYPE
// (float32 or bfloat16) selects the precision.

func benchModelDir() string {
	if d := os.Getenv("GEMBED_BENCH_MODEL"); d != "" {
		return d
	}
	return "/work/models/qwen3-0.6b"
}

var (
	benchOnce  sync.Once
	benchModel *Model
	benchErr   error
)

func loadBenchModel(b *testing.B) *Model {
	b.Helper()
	dir := benchModelDir()
	if _, err := os.Stat(dir + "/config.json"); err != nil {
		b.Skipf("benchmark model %s absent (set GEMBED_BENCH_MODEL)", dir)
	}
	benchOnce.Do(func() {
		threads := 0
		if s := os.Getenv("GEMBED_BENCH_THREADS"); s != "" {
			threads, _ = strconv.Atoi(s)
		}
		var dt DType
		if dt, benchErr = benchDType(); benchErr == nil {
			benchModel, benchErr = Load(dir, Options{Threads: threads, DType: dt})
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchModel
}

// benchDType is GEMBED_BENCH_DTYPE (default float32).
func benchDType() (DType, error) {
	if s := os.Getenv("GEMBED_BENCH_DTYPE"); s != "" {
		return ParseDType(s)
	}
	return Float32, nil
}

// benchSeqs makes n sequences of about length tokens (length-4 … length+4),
// deterministic, each ending in <|endoftext|>.
func benchSeqs(n, length, vocab int) [][]int {
	r := rand.New(rand.NewSource(64))
	lens := make([]int, n)
	for i := range lens {
		lens[i] = length
		if n > 1 && length > 8 {
			lens[i] += r.Intn(9) - 4
		}
	}
	return randomSeqs(r, lens, vocab)
}

// forwardFLOPs counts multiply-adds ×2 of the projections and attention.
func forwardFLOPs(c Config, seqs [][]int) float64 {
	proj := float64(c.Hidden*(c.Heads+2*c.KVHeads)*c.HeadDim + c.Heads*c.HeadDim*c.Hidden + 3*c.Hidden*c.Intermediate)
	var f float64
	for _, s := range seqs {
		T := float64(len(s))
		f += 2 * proj * T * float64(c.Layers)
		// causal scores and values: Σ_i (i+1) keys, 2 products of D per key per head
		f += 4 * float64(c.Heads*c.HeadDim) * (T * (T + 1) / 2) * float64(c.Layers)
	}
	return f
}

func runBench(b *testing.B, seqs [][]int) { runBenchWarm(b, seqs, true) }

func runBenchWarm(b *testing.B, seqs [][]int, warm bool) {
	m := loadBenchModel(b)
	ctx := context.Background()
	if warm { // build graphs, size arenas
		if _, err := m.Forward(ctx, seqs); err != nil {
			b.Fatal(err)
		}
	}
	tokens := 0
	for _, s := range seqs {
		tokens += len(s)
	}
	flops := forwardFLOPs(m.Config(), seqs)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for b.Loop() {
		if _, err := m.Forward(ctx, seqs); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	// CPU time per forward: on a shared machine wall time depends on the
	// neighbours; cpu-s/forward divided by the thread count estimates an
	// undisturbed run.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/forward")
	b.ReportMetric(float64(tokens)/sec, "tokens/s")
	b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	b.ReportMetric(sec, "s/forward")
}

// BenchmarkForward64x64: 64 texts × ~64 tokens (llama.cpp F32: 58.6 tokens/s on 2 threads).
// Sub-benchmarks compare independent single-threaded workers with one worker
// splitting every op across all threads.
func BenchmarkForward64x64(b *testing.B) {
	m := loadBenchModel(b)
	for _, w := range []int{m.threads, 1} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			defer func(old int) { m.nworkers = old }(m.nworkers)
			m.nworkers = w
			runBench(b, benchSeqs(64, 64, 151669))
		})
	}
}

// BenchmarkForward32Tokens: one 32-token text (latency target ≤ 0.3 s).
func BenchmarkForward32Tokens(b *testing.B) {
	runBench(b, benchSeqs(1, 32, 151669))
}

// BenchmarkForward8192Tokens: one 8192-token input; memory must stay bounded.
// Long (minutes): only with GEMBED_BENCH_LONG=1.
func BenchmarkForward8192Tokens(b *testing.B) {
	if os.Getenv("GEMBED_BENCH_LONG") == "" {
		b.Skip("set GEMBED_BENCH_LONG=1 to run the 8192-token benchmark")
	}
	runBenchWarm(b, benchSeqs(1, 8192, 151669), false) // minutes per pass: no warm-up
	b.ReportMetric(float64(vmHWM(b)), "peak-RSS-MB")
}

// cpuSeconds is this process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// vmHWM reads this process's peak resident set size in MB.
func vmHWM(tb testing.TB) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkPeakRSS64x64 measures the peak RSS of a fresh process that loads
// the model and embeds the 64-text batch once (target ≤ 3.5 GB), by running
// this test binary again with GEMBED_RSS_CHILD set.
func BenchmarkPeakRSS64x64(b *testing.B) {
	loadBenchModel(b) // skip early when absent
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GEMBED_RSS_CHILD=64x64")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var mb int
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM-MB "); ok {
				mb, _ = strconv.Atoi(v)
			}
		}
		if mb == 0 {
			b.Fatalf("child printed no VmHWM:\n%s", out)
		}
		b.ReportMetric(float64(mb), "peak-RSS-MB")
	}
}

// TestRSSChild is the child process of BenchmarkPeakRSS64x64.
func TestRSSChild(t *testing.T) {
	if os.Getenv("GEMBED_RSS_CHILD") == "" {
		t.Skip("only run by BenchmarkPeakRSS64x64")
	}
	dt, err := benchDType()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(benchModelDir(), Options{DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seqs := benchSeqs(64, 64, m.Config().Vocab)
	if os.Getenv("GEMBED_RSS_CHILD") == "load" { // load + one short text only
		seqs = benchSeqs(1, 8, m.Config().Vocab)
	}
	if _, err := m.Forward(context.Background(), seqs); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("VmHWM-MB %d\n", vmHWM(t))
}
