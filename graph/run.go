package graph

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/layers"
)

// ErrClosed is returned by Forward after Close.
var ErrClosed = errors.New("graph: model is closed")

// Input is one sequence to run.
type Input struct {
	IDs     []int
	TypeIDs []int // token type ids (nil = all 0); the family decides whether it reads them
	// Skip is how many leading tokens the averaging pools leave out (a
	// prompt, with sentence-transformers' include_prompt: false).
	Skip int
}

// Forward runs a batch of token-id sequences (any lengths ≥ 1) and returns
// one pooled, NOT normalized vector per sequence, in input order; see Run.
func (m *Model) Forward(ctx context.Context, seqs [][]int) ([][]float32, error) {
	in := make([]Input, len(seqs))
	for i, s := range seqs {
		in[i].IDs = s
	}
	return m.Run(ctx, in, nil)
}

// Run runs the inputs and returns one pooled, NOT normalized vector per
// input, in input order. Plan cuts them into sub-batches (left-padded, by
// length); each runs on a free worker as soon as a core is free, so
// concurrent calls share the cores (never more threads than cores in all)
// and a small call waits for at most one sub-batch of a large one per core,
// not for the whole call. A vector does not depend on which other inputs
// share its sub-batch beyond float rounding (≤ 1e-5). done, when non-nil, is
// called (never concurrently) with the input indexes of each finished
// sub-batch. Cancelling ctx stops the pass between layers.
func (m *Model) Run(ctx context.Context, in []Input, done func(indexes []int)) ([][]float32, error) {
	out := make([][]float32, len(in))
	err := m.schedule(ctx, in, done, func(c *compiled, sub []int, _ layers.Batch) error {
		pooled, ok := c.pooled.Value().Data().([]float32)
		width := c.pooled.Shape()[1]
		if !ok || len(pooled) != len(sub)*width {
			return fmt.Errorf("graph: pooled output has unexpected type %T", c.pooled.Value().Data())
		}
		for b, j := range sub {
			v := pooled[b*width : (b+1)*width]
			if m.head != nil {
				out[j] = m.head.apply(v)
				continue
			}
			out[j] = append([]float32(nil), v...)
		}
		return nil
	})
	if err != nil || len(in) == 0 {
		return nil, err
	}
	return out, nil
}

// RunTokens runs the inputs as Run does and returns, per input, the final
// hidden state of each of its tokens ([len(IDs)][Hidden], after the
// architecture's final norm where it has one; not pooled, not normalized):
// what the pooling node reads, which sentence-transformers calls
// token_embeddings. Input.Skip is ignored: every token is returned.
func (m *Model) RunTokens(ctx context.Context, in []Input, done func(indexes []int)) ([][][]float32, error) {
	out := make([][][]float32, len(in))
	H := m.cfg.Hidden
	err := m.schedule(ctx, in, done, func(c *compiled, sub []int, batch layers.Batch) error {
		hidden, ok := c.final.Value().Data().([]float32)
		if !ok || len(hidden) < batch.Size*batch.Length*H {
			return fmt.Errorf("graph: final hidden states have unexpected type %T", c.final.Value().Data())
		}
		for b, j := range sub {
			first := b*batch.Length + batch.Start[b]
			// One backing array per input: callers keep these past the
			// arena's next run.
			flat := append([]float32(nil), hidden[first*H:(first+batch.Len[b])*H]...)
			rows := make([][]float32, batch.Len[b])
			for t := range rows {
				rows[t] = flat[t*H : (t+1)*H : (t+1)*H]
			}
			out[j] = rows
		}
		return nil
	})
	if err != nil || len(in) == 0 {
		return nil, err
	}
	return out, nil
}

// collector copies a finished sub-batch's outputs (sub: its input indexes,
// batch: their layout) out of the compiled graph before its worker is reused.
type collector func(c *compiled, sub []int, batch layers.Batch) error

// schedule is the one scheduler behind Run and RunTokens (see Run).
func (m *Model) schedule(ctx context.Context, in []Input, done func(indexes []int), collect collector) error {
	m.closeMu.RLock()
	defer m.closeMu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	if len(in) == 0 {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	lengths := make([]int, len(in))
	for i, s := range in {
		if err := m.validate(i, s); err != nil {
			return err
		}
		lengths[i] = len(s.IDs)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	batches := Plan(lengths, m.maxTokens, m.nworkers)
	// A call with fewer sub-batches than cores spreads each op over the
	// cores that are free when it starts.
	want := max(1, m.threads/len(batches))
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		runErr error
	)
	for _, b := range batches {
		if err := m.acquireCore(ctx); err != nil {
			mu.Lock()
			runErr = errors.Join(runErr, err)
			mu.Unlock()
			break
		}
		w := <-m.workers // a core held means a worker is free
		extra := m.cores.TryAcquire(want - 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				m.workers <- w
				m.cores.Release(1 + extra)
			}()
			w.rt.Threads = 1 + extra
			if h := m.hooks; h != nil && h.start != nil {
				h.start(lengths[b[0]], w.rt.Threads)
				defer h.end(w.rt.Threads)
			}
			err := m.run(ctx, w, in, b, collect)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				runErr = errors.Join(runErr, err)
			} else if done != nil && runErr == nil {
				done(b)
			}
		}()
		mu.Lock()
		failed := runErr != nil
		mu.Unlock()
		if failed {
			break
		}
	}
	wg.Wait()
	if runErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("graph: forward pass interrupted: %w", ctx.Err())
		}
		return runErr
	}
	return nil
}

func (m *Model) validate(i int, s Input) error {
	if len(s.IDs) == 0 {
		return fmt.Errorf("graph: sequence %d is empty", i)
	}
	if len(s.IDs) > m.cfg.MaxPositions {
		return fmt.Errorf("graph: sequence %d has %d tokens, more than max_position_embeddings %d", i, len(s.IDs), m.cfg.MaxPositions)
	}
	for j, id := range s.IDs {
		if id < 0 || id >= m.cfg.Vocab {
			return fmt.Errorf("graph: sequence %d, position %d: token id %d out of range [0, %d)", i, j, id, m.cfg.Vocab)
		}
	}
	if s.TypeIDs != nil && len(s.TypeIDs) != len(s.IDs) {
		return fmt.Errorf("graph: sequence %d has %d token type ids for %d tokens", i, len(s.TypeIDs), len(s.IDs))
	}
	if s.Skip < 0 || s.Skip > len(s.IDs) {
		return fmt.Errorf("graph: sequence %d: %d prompt tokens to skip of %d", i, s.Skip, len(s.IDs))
	}
	return nil
}

// acquireCore waits for a core; waiters are served in order, so a call
// arriving while a large one runs gets the next free core.
func (m *Model) acquireCore(ctx context.Context) error {
	if h := m.hooks; h != nil && h.waiting != nil {
		h.waiting()
	}
	select {
	case <-m.cores:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// corePool holds one token per core; running sub-batches take them, and
// their long ops borrow the idle ones (layers.CorePool).
type corePool chan struct{}

// TryAcquire takes up to n cores without waiting and returns how many.
func (p corePool) TryAcquire(n int) int {
	got := 0
	for ; got < n; got++ {
		select {
		case <-p:
		default:
			return got
		}
	}
	return got
}

// Release returns n cores. A call waiting in acquireCore gets them before
// any op can borrow them again: a channel hands a sent value to a waiting
// receiver directly.
func (p corePool) Release(n int) {
	for range n {
		p <- struct{}{}
	}
}

// testHooks observe the scheduler in tests (nil otherwise).
type testHooks struct {
	waiting func()                      // a call is about to wait for a core
	start   func(firstLen, threads int) // a sub-batch starts
	end     func(threads int)           // it ends
}

// paddedLength rounds a length up to its bucket, so nearby lengths share a graph.
func paddedLength(n int) int {
	step := 4
	switch {
	case n > 1024:
		step = 128
	case n > 256:
		step = 32
	case n > 128:
		step = 8
	}
	return (n + step - 1) / step * step
}

// Plan is the one batch planner: it sorts sequences by length (longest
// first, ties in input order) and cuts them into sub-batches whose padded
// size (count × the longest's bucket length) stays within budget tokens — a
// longer sequence runs alone — and, when parts > 1, within an equal share
// of the total so that parts workers all get work. It returns input indexes.
func Plan(lengths []int, budget, parts int) [][]int {
	budget = max(budget, 1)
	order := make([]int, len(lengths))
	total := 0
	for i, n := range lengths {
		order[i] = i
		total += paddedLength(n)
	}
	sort.SliceStable(order, func(a, b int) bool { return lengths[order[a]] > lengths[order[b]] })
	if parts > 1 {
		budget = min(budget, max(1, (total+parts-1)/parts))
	}
	var batches [][]int
	for lo := 0; lo < len(order); {
		T := paddedLength(lengths[order[lo]])
		n := max(1, min(len(order)-lo, budget/T))
		batches = append(batches, order[lo:lo+n:lo+n])
		lo += n
	}
	return batches
}

type bucket struct{ batch, length int }

type compiled struct {
	vm      G.VM
	input   *G.Node
	pooled  *G.Node
	final   *G.Node   // the final hidden states [B·T, H] the pooling node reads
	hidden  []float32 // the arena buffer bound to input
	lastUse uint64
}

// worker owns one runtime (arena) and the graphs compiled against it.
type worker struct {
	rt     *layers.Runtime
	graphs map[bucket]*compiled
	clock  uint64
}

func (m *Model) run(ctx context.Context, w *worker, in []Input, sub []int, collect collector) error {
	maxLen := 0
	lens := make([]int, len(sub))
	for i, j := range sub {
		lens[i] = len(in[j].IDs)
		maxLen = max(maxLen, lens[i])
	}
	key := bucket{len(sub), paddedLength(maxLen)}
	c, err := m.graph(w, key)
	if err != nil {
		return err
	}
	H := m.cfg.Hidden
	batch := layers.LeftPadded(lens, key.length)
	batch.IDs = make([][]int, len(sub))
	for b, j := range sub {
		batch.IDs[b] = in[j].IDs
		if in[j].TypeIDs != nil {
			if batch.TypeIDs == nil {
				batch.TypeIDs = make([][]int, len(sub))
			}
			batch.TypeIDs[b] = in[j].TypeIDs
		}
		if in[j].Skip > 0 {
			if batch.Skip == nil {
				batch.Skip = make([]int, len(sub))
			}
			batch.Skip[b] = in[j].Skip
		}
	}
	w.rt.Batch = batch
	w.rt.Ctx = ctx
	defer func() { w.rt.Ctx = nil; w.rt.Batch = layers.Batch{} }()

	// The residual stream lives in the arena slot SlotHidden; rebind the
	// input if a bigger graph has reallocated it since this one was compiled.
	h := w.rt.Buffer(layers.SlotHidden, key.batch*key.length*H)
	if &h[0] != &c.hidden[0] {
		if err := G.Let(c.input, tensor.New(tensor.WithShape(key.batch*key.length, H), tensor.WithBacking(h))); err != nil {
			return fmt.Errorf("graph: binding input: %w", err)
		}
		c.hidden = h
	}
	c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("graph: forward pass (batch %d × %d): %w", key.batch, key.length, err)
	}
	return collect(c, sub, batch)
}
