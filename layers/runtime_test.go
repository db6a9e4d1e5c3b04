package layers

import (
	"math/rand"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
)

// countingPool is a CorePool with free cores that records what ops took.
type countingPool struct {
	mu                 sync.Mutex
	free, taken, peak  int
	acquires, releases int
}

func (p *countingPool) TryAcquire(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acquires++
	got := min(n, p.free)
	p.free -= got
	p.taken += got
	p.peak = max(p.peak, p.taken)
	return got
}

func (p *countingPool) Release(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releases++
	p.free += n
	p.taken -= n
}

func TestBorrow(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		pool                      bool
		free, threads, max, work  int
		want, wantTaken, acquires int
	}{
		{name: "no pool", threads: 1, max: 2, work: minBorrowWork, want: 1},
		{name: "takes the idle core", pool: true, free: 1, threads: 1, max: 2, work: minBorrowWork, want: 2, wantTaken: 1, acquires: 1},
		{name: "takes only up to max", pool: true, free: 3, threads: 1, max: 2, work: minBorrowWork, want: 2, wantTaken: 1, acquires: 1},
		{name: "none idle", pool: true, free: 0, threads: 1, max: 2, work: minBorrowWork, want: 1, acquires: 1},
		{name: "small op", pool: true, free: 1, threads: 1, max: 2, work: minBorrowWork - 1, want: 1},
		{name: "already at max", pool: true, free: 1, threads: 2, max: 2, work: minBorrowWork, want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := NewRuntime(tc.threads)
			rt.MaxThreads = tc.max
			p := &countingPool{free: tc.free}
			if tc.pool {
				rt.Idle = p
			}
			got, release := rt.borrow(tc.work)
			if got != tc.want || p.taken != tc.wantTaken || p.acquires != tc.acquires {
				t.Fatalf("borrow = %d threads, %d cores taken, %d acquires; want %d, %d, %d",
					got, p.taken, p.acquires, tc.want, tc.wantTaken, tc.acquires)
			}
			release()
			if p.taken != 0 || p.free != tc.free {
				t.Fatalf("after release: %d taken, %d free; want 0, %d", p.taken, p.free, tc.free)
			}
		})
	}
}

// TestLinearBorrowsIdleCores: a large product takes the idle core for its
// duration, gives it back, and gives the same bits as on its own thread.
func TestLinearBorrowsIdleCores(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	const n, in, out = 64, 1024, 1024 // n·in·out = minBorrowWork
	x := randRows(r, n, in)
	w := randVec(r, out*in, 0, 0.03)
	run := func(pool CorePool) []float32 {
		h := newHarness(t, 1, LeftPadded([]int{n}, n))
		h.rt.Idle, h.rt.MaxThreads = pool, 2
		return h.run(must(t)(Linear(h.rt, h.rows("x", x, in), h.node("w", w, out, in), nil, nil, SlotQ)))
	}
	alone := run(nil)
	p := &countingPool{free: 1}
	borrowed := run(p)
	if p.peak != 1 || p.taken != 0 || p.releases != 1 {
		t.Fatalf("pool: peak %d taken, %d still taken, %d releases; want 1, 0, 1", p.peak, p.taken, p.releases)
	}
	if err := numtest.SameBits(borrowed, alone); err != nil {
		t.Fatalf("borrowing a core changed the output: %v", err)
	}
}
