package layers

import (
	"context"
	"sync"
	"sync/atomic"

	"gorgonia.org/tensor"
)

// Batch describes how B token sequences sit in the padded [B·T, ·] rows of a
// graph's activations: sequence b occupies rows b·T+Start[b] … b·T+Start[b]+Len[b]-1
// (left padding has Start = T-Len, right padding Start = 0). Rows outside are
// padding: they are masked out as keys and their attention output is zero.
type Batch struct {
	Size   int   // B
	Length int   // T, the padded length
	Start  []int // first real row of each sequence within its T rows
	Len    []int // real tokens of each sequence (≥ 1)

	// IDs and TypeIDs are each sequence's token ids and token type ids (nil =
	// all 0), read by the in-graph embedding lookup.
	IDs, TypeIDs [][]int
	// Skip is, per sequence, how many leading real tokens pooling ignores
	// (sentence-transformers' include_prompt: false); nil = none.
	Skip []int
}

// LeftPadded lays sequences of the given lengths out left-padded to length t.
func LeftPadded(lens []int, t int) Batch {
	b := Batch{Size: len(lens), Length: t, Start: make([]int, len(lens)), Len: make([]int, len(lens))}
	for i, n := range lens {
		b.Start[i] = t - n
		b.Len[i] = n
	}
	return b
}

// RightPadded lays sequences of the given lengths out right-padded to length t.
func RightPadded(lens []int, t int) Batch {
	b := Batch{Size: len(lens), Length: t, Start: make([]int, len(lens)), Len: make([]int, len(lens))}
	copy(b.Len, lens)
	return b
}

// Runtime is the run-time state shared by the custom ops of the graphs of one
// worker: thread count, the current batch layout, cancellation, and the arena
// that holds every activation buffer. Graphs that share a Runtime must not run
// concurrently; their ops write into the same arena slots, which is what keeps
// memory flat across layers and across runs.
type Runtime struct {
	Threads int // goroutines an op may use (≥ 1)
	// Idle, when set, holds the cores no worker is using; a long op borrows
	// them for its duration, up to MaxThreads in all. It is what lets the
	// last sub-batch of a call use the cores its finished siblings freed
	// instead of leaving them idle until it ends.
	Idle       CorePool
	MaxThreads int
	Ctx        context.Context // checked at the start of every decoder block; nil = never cancelled
	Batch      Batch           // layout of the current run

	mu    sync.Mutex
	bufs  map[Slot][]float32
	gen   uint64 // bumped whenever a buffer is reallocated
	rope  map[ropeKey]*ropeTable
	count atomic.Uint64 // op instance ids (hash uniqueness)
}

// NewRuntime returns a runtime for one worker.
func NewRuntime(threads int) *Runtime {
	if threads < 1 {
		threads = 1
	}
	return &Runtime{Threads: threads, bufs: map[Slot][]float32{}, rope: map[ropeKey]*ropeTable{}}
}

// Reserve makes arena slot hold at least n floats. Called while building a
// graph, so buffers are sized before any run.
func (rt *Runtime) Reserve(slot Slot, n int) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.bufs[slot]) < n {
		rt.bufs[slot] = make([]float32, n)
		rt.gen++
	}
}

// Buffer returns the first n floats of arena slot (reserving it if needed).
func (rt *Runtime) Buffer(slot Slot, n int) []float32 {
	rt.Reserve(slot, n)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.bufs[slot][:n]
}

func (rt *Runtime) generation() uint64 {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.gen
}

func (rt *Runtime) nextID() uint64 { return rt.count.Add(1) }

func (rt *Runtime) checkCancel() error {
	if rt.Ctx == nil {
		return nil
	}
	return rt.Ctx.Err()
}

// slotTensor is an op's view of an arena slot as a tensor of a fixed shape.
// The view is rebuilt only when the arena has reallocated a buffer since, so
// steady-state runs allocate nothing for outputs.
type slotTensor struct {
	slot  Slot
	shape tensor.Shape
	gen   uint64
	t     *tensor.Dense
}

func (s *slotTensor) get(rt *Runtime) *tensor.Dense {
	if g := rt.generation(); s.t == nil || s.gen != g {
		n := s.shape.TotalSize()
		s.t = tensor.New(tensor.WithShape(s.shape...), tensor.WithBacking(rt.Buffer(s.slot, n)))
		s.gen = rt.generation()
	}
	return s.t
}

// CorePool hands out idle cores without waiting; *graph.Model implements it
// over its scheduler's cores.
type CorePool interface {
	TryAcquire(n int) int // takes up to n cores, returns how many it took
	Release(n int)
}

// borrow returns how many goroutines an op of work multiply-adds may use:
// rt.Threads plus the idle cores it takes from rt.Idle for its duration;
// release gives them back. Only ops of at least minBorrowWork borrow: waking
// a goroutine costs more than a small op.
func (rt *Runtime) borrow(work int) (threads int, release func()) {
	threads = rt.Threads
	if rt.Idle == nil || work < minBorrowWork || threads >= rt.MaxThreads {
		return threads, func() {}
	}
	extra := rt.Idle.TryAcquire(rt.MaxThreads - threads)
	if extra == 0 {
		return threads, func() {}
	}
	return threads + extra, func() { rt.Idle.Release(extra) }
}

// minBorrowWork is a few milliseconds of one core's multiply-adds.
const minBorrowWork = 1 << 26

// minParallelWork is the element count below which an elementwise op runs
// on one goroutine: waking another costs more than the work.
const minParallelWork = 1 << 15

// threadsFor returns how many goroutines an op touching elems values uses.
func (rt *Runtime) threadsFor(elems int) int {
	if elems < minParallelWork {
		return 1
	}
	return rt.Threads
}

// parallel runs fn(worker, task) for tasks 0…n-1 on up to threads goroutines,
// handing out tasks dynamically (attention tasks differ in cost).
func parallel(threads, n int, fn func(worker, task int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(threads)
	for w := range threads {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
}

// parallelRange splits [0,n) into contiguous chunks, one per goroutine.
func parallelRange(threads, n int, fn func(lo, hi int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	wg.Add(threads - 1)
	for w := 1; w < threads; w++ {
		go func() {
			defer wg.Done()
			fn(w*n/threads, (w+1)*n/threads)
		}()
	}
	fn(0, n/threads)
	wg.Wait()
}
