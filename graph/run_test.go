package graph

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		lengths       []int
		budget, parts int
		want          [][]int
	}{
		{[]int{4, 4, 4, 4}, 8, 1, [][]int{{0, 1}, {2, 3}}},
		{[]int{1, 9, 4}, 100, 1, [][]int{{1, 2, 0}}},                              // longest first: 9 → bucket 12, 3×12 ≤ 100
		{[]int{1, 9, 4}, 20, 1, [][]int{{1}, {2, 0}}},                             // 2×12 > 20; then 2×4
		{[]int{300}, 8, 1, [][]int{{0}}},                                          // longer than the budget: alone
		{[]int{4, 4, 4, 4}, 8192, 2, [][]int{{0, 1}, {2, 3}}},                     // an equal share per part
		{[]int{4, 4, 4, 4, 4, 4}, 8192, 4, [][]int{{0}, {1}, {2}, {3}, {4}, {5}}}, // ceil(24/4)=6 fits one
		{nil, 10, 2, nil},
	} {
		if got := Plan(tc.lengths, tc.budget, tc.parts); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Plan(%v, %d, %d) = %v, want %v", tc.lengths, tc.budget, tc.parts, got, tc.want)
		}
	}
}

// TestSmallCallDoesNotWaitForLargeOne counts, on one core, how many
// sub-batches of a large call run before a small call that arrived while
// the large one was running: the small call must get the next free core.
func TestSmallCallDoesNotWaitForLargeOne(t *testing.T) {
	m := loadModel(t, "qwen3-f32", Options{Threads: 1, MaxBatchTokens: 8})
	gate := make(chan struct{})
	waiting := make(chan struct{}, 64)
	var mu sync.Mutex
	var starts []int // first length of each sub-batch, in start order
	m.hooks = &testHooks{
		waiting: func() { waiting <- struct{}{} },
		start: func(n, _ int) {
			mu.Lock()
			first := len(starts) == 0
			starts = append(starts, n)
			mu.Unlock()
			if first {
				<-gate // hold the only core until the small call waits too
			}
		},
		end: func(int) {},
	}
	large := make([][]int, 8)
	for i := range large {
		large[i] = []int{1, 2, 3, 4, 5, 6, 7, 8} // one per sub-batch (budget 8)
	}
	ctx := context.Background()
	errs := make(chan error, 2)
	go func() { _, err := m.Forward(ctx, large); errs <- err }()
	<-waiting // the large call's first sub-batch took the core…
	<-waiting // …and its second waits for it
	go func() { _, err := m.Forward(ctx, [][]int{{1, 2, 3}}); errs <- err }()
	<-waiting // the small call waits
	close(gate)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	before := -1
	for i, n := range starts {
		if n == 3 {
			before = i
		}
	}
	if before < 0 || before > 2 {
		t.Fatalf("sub-batch start order %v: the small call ran after %d sub-batches of the large one (want ≤ 2)", starts, before)
	}
}

// TestConcurrentCallsShareCores counts the threads in use: concurrent
// one-text calls must never use more threads than the model has cores.
func TestConcurrentCallsShareCores(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 cores to tell sharing from serializing")
	}
	m := loadModel(t, "qwen3-f32", Options{Threads: 2})
	var inUse, peak, maxPerCall atomic.Int64
	m.hooks = &testHooks{
		waiting: func() {},
		start: func(_, threads int) {
			n := inUse.Add(int64(threads))
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			for p := maxPerCall.Load(); int64(threads) > p && !maxPerCall.CompareAndSwap(p, int64(threads)); p = maxPerCall.Load() {
			}
		},
		end: func(threads int) { inUse.Add(-int64(threads)) },
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if _, err := m.Forward(ctx, [][]int{{1, 2, g, i, 5, 6}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak threads in use %d with 2 cores", p)
	}
	if n := len(m.cores); n != 2 {
		t.Fatalf("%d of 2 cores free after every call returned: sub-batches or borrowing ops leaked them", n)
	}
	// A lone call must still get every core.
	inUse.Store(0)
	maxPerCall.Store(0)
	if _, err := m.Forward(ctx, [][]int{{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	if got := maxPerCall.Load(); got != 2 {
		t.Fatalf("a lone one-text call ran on %d threads, want 2", got)
	}
}
