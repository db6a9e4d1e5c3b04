package graph

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/layers"
	"github.com/gembed-dev/gembed/weights"
)

// Pooling selects how a sequence's hidden states become its vector; it is
// the pooling node's own mode type.
type Pooling = layers.Pooling

// Pooling modes. PoolAuto (the zero value) reads the folder's
// 1_Pooling/config.json and falls back to PoolLastToken.
const (
	PoolAuto         Pooling = 0
	PoolLastToken            = layers.PoolLastToken // hidden state of the last token (Qwen3-Embedding: the appended <|endoftext|>)
	PoolMean                 = layers.PoolMean      // mean over the real tokens
	PoolCLS                  = layers.PoolCLS       // hidden state of the first token
	PoolMax                  = layers.PoolMax
	PoolMeanSqrtLen          = layers.PoolMeanSqrtLen
	PoolWeightedMean         = layers.PoolWeightedMean
)

// Options tune Load.
type Options struct {
	Pooling Pooling
	Threads int // 0 = all cores (GOMAXPROCS); more than the machine has is capped
	// MaxBatchTokens caps the padded tokens (batch × padded length) run in one
	// graph; larger requests are split. 0 = 8192. It bounds activation memory.
	MaxBatchTokens int
	// Workers is how many sub-batches run in parallel, each on Threads/Workers
	// threads; 0 = one per thread (measured fastest for batches: independent
	// single-threaded workers beat splitting every op across threads).
	// A request with fewer sequences uses fewer workers with more threads each.
	Workers int
}

// maxCachedGraphs bounds the compiled graphs each worker keeps.
const maxCachedGraphs = 12

// Model is a loaded embedding model. It is safe for concurrent use: Forward
// calls share a pool of workers (one per thread), each with its own compiled
// graphs and activation arena.
type Model struct {
	cfg       Config
	arch      Architecture
	pooling   Pooling
	threads   int
	maxTokens int
	nworkers  int

	store *weights.Store

	acquire sync.Mutex // serializes taking several workers at once
	workers chan *worker

	closeMu sync.RWMutex
	closed  bool
}

// Load reads dir/config.json and the safetensors weights in dir (single file
// or sharded), converting every non-embedding tensor to float32 once. The
// embedding table stays memory-mapped and is read row by row per request.
func Load(dir string, opt Options) (*Model, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("graph: reading model config: %w", err)
	}
	cfg, arch, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("graph: %s: %w", path, err)
	}
	if opt.Pooling == PoolAuto {
		if opt.Pooling, err = ReadPooling(dir); err != nil {
			return nil, err
		}
	}
	if opt.Pooling < PoolLastToken || opt.Pooling > PoolWeightedMean {
		return nil, fmt.Errorf("graph: unknown pooling mode %v", opt.Pooling)
	}
	store, err := weights.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("graph: opening weights: %w", err)
	}
	m, err := newModel(dir, cfg, arch, store, opt)
	if err != nil {
		store.Close()
		return nil, err
	}
	return m, nil
}

func newModel(dir string, cfg Config, arch Architecture, store *weights.Store, opt Options) (*Model, error) {
	threads := opt.Threads
	// More threads than cores only adds per-worker activation buffers.
	if threads <= 0 || threads > runtime.NumCPU() {
		threads = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	m := &Model{cfg: cfg, arch: arch, pooling: opt.Pooling, threads: threads, maxTokens: opt.MaxBatchTokens, store: store}
	if m.maxTokens <= 0 {
		m.maxTokens = 8192
	}
	m.nworkers = opt.Workers
	if m.nworkers <= 0 || m.nworkers > threads {
		m.nworkers = threads
	}
	ld := &loader{dir: dir}
	defer ld.close()
	bd := &binder{
		modelType: cfg.ModelType, prefixes: families[cfg.ModelType].Prefixes, dims: arch.Dims(), store: store,
		files: strings.Join(store.Files(), ", "),
		load: func(name string, shape []int) (*tensor.Dense, error) {
			info, err := store.Info(name)
			if err != nil {
				return nil, err
			}
			elemBytes := 4
			if info.DType != "F32" {
				elemBytes = 2
			}
			data, err := ld.float32(name, info.Elems()*elemBytes)
			if err != nil {
				return nil, err
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)), nil
		},
	}
	if err := bd.bind(reflect.ValueOf(arch), ""); err != nil {
		return nil, err
	}
	m.workers = make(chan *worker, threads)
	for range threads {
		m.workers <- &worker{rt: layers.NewRuntime(1), graphs: map[bucket]*compiled{}}
	}
	return m, nil
}

// loader converts tensors through its own, periodically re-opened store:
// the pages a conversion touches stay mapped (and count as resident memory)
// until the mapping is closed, so dropping it every loaderChunk source bytes
// keeps peak RSS near the float32 weights alone instead of float32 + file.
type loader struct {
	dir   string
	store *weights.Store
	bytes int
}

const loaderChunk = 256 << 20

func (l *loader) float32(name string, srcBytes int) ([]float32, error) {
	if l.store == nil || l.bytes > loaderChunk {
		l.close()
		s, err := weights.Open(l.dir)
		if err != nil {
			return nil, err
		}
		l.store, l.bytes = s, 0
	}
	l.bytes += srcBytes
	return l.store.Float32(name)
}

func (l *loader) close() {
	if l.store != nil {
		l.store.Close()
		l.store = nil
	}
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Pooling returns the pooling mode in use.
func (m *Model) Pooling() Pooling { return m.pooling }

// Threads returns the number of threads Forward uses.
func (m *Model) Threads() int { return m.threads }

// Close releases the weights. Forward calls in flight finish first.
func (m *Model) Close() error {
	m.closeMu.Lock()
	defer m.closeMu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.store.Close()
}

// ErrClosed is returned by Forward after Close.
var ErrClosed = errors.New("graph: model is closed")

// Forward runs a batch of token-id sequences (any lengths ≥ 1) and returns
// one pooled, NOT normalized vector of length Hidden per sequence, in input
// order. Sequences are sorted by length, grouped into padded sub-batches
// (left padding) spread over the workers; a vector does not depend on which
// other sequences share its batch beyond float rounding (≤ 1e-5).
// Cancelling ctx stops the pass between decoder layers.
func (m *Model) Forward(ctx context.Context, seqs [][]int) ([][]float32, error) {
	m.closeMu.RLock()
	defer m.closeMu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	for i, s := range seqs {
		if len(s) == 0 {
			return nil, fmt.Errorf("graph: sequence %d is empty", i)
		}
		if len(s) > m.cfg.MaxPositions {
			return nil, fmt.Errorf("graph: sequence %d has %d tokens, more than max_position_embeddings %d", i, len(s), m.cfg.MaxPositions)
		}
		for j, id := range s {
			if id < 0 || id >= m.cfg.Vocab {
				return nil, fmt.Errorf("graph: sequence %d, position %d: token id %d out of range [0, %d)", i, j, id, m.cfg.Vocab)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plans := m.plan(seqs)
	ws := m.take(len(plans))
	defer func() {
		for _, w := range ws {
			m.workers <- w
		}
	}()
	threadsEach := max(1, m.threads/len(ws))
	out := make([][]float32, len(seqs))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.rt.Threads = threadsEach
			for _, sub := range plans[i] {
				if err := m.run(ctx, w, seqs, sub, out); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("graph: forward pass interrupted: %w", ctx.Err())
		}
		return nil, err
	}
	return out, nil
}

// take gets n workers (n ≤ threads), all at once so concurrent callers cannot
// deadlock each holding part of what they need.
func (m *Model) take(n int) []*worker {
	m.acquire.Lock()
	defer m.acquire.Unlock()
	ws := make([]*worker, n)
	for i := range ws {
		ws[i] = <-m.workers
	}
	return ws
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

// plan sorts the sequences by length, splits them into one contiguous run per
// worker with about equal tokens, and cuts each run into sub-batches whose
// padded size stays within maxTokens. It returns, per worker, the sub-batches
// as lists of input indices.
func (m *Model) plan(seqs [][]int) [][][]int {
	idx := make([]int, len(seqs))
	total := 0
	for i, s := range seqs {
		idx[i] = i
		total += len(s)
	}
	sort.SliceStable(idx, func(a, b int) bool { return len(seqs[idx[a]]) > len(seqs[idx[b]]) })
	nw := min(m.nworkers, len(seqs))
	var parts [][]int
	start, acc := 0, 0
	for i, j := range idx {
		acc += len(seqs[j])
		// close part k when its share of the tokens is reached, leaving at
		// least one sequence for each remaining part
		if k := len(parts); k < nw-1 && acc*nw >= total*(k+1) && len(idx)-(i+1) >= nw-1-k {
			parts = append(parts, idx[start:i+1])
			start = i + 1
		}
	}
	parts = append(parts, idx[start:])
	plans := make([][][]int, 0, len(parts))
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		var subs [][]int
		for lo := 0; lo < len(p); {
			T := paddedLength(len(seqs[p[lo]])) // longest of the sub-batch (sorted)
			n := max(1, min(len(p)-lo, m.maxTokens/T))
			subs = append(subs, p[lo:lo+n])
			lo += n
		}
		plans = append(plans, subs)
	}
	return plans
}

type bucket struct{ batch, length int }

type compiled struct {
	vm      G.VM
	input   *G.Node
	pooled  *G.Node
	hidden  []float32 // the arena buffer bound to input
	lastUse uint64
}

// worker owns one runtime (arena) and the graphs compiled against it.
type worker struct {
	rt     *layers.Runtime
	graphs map[bucket]*compiled
	clock  uint64
}

func (m *Model) run(ctx context.Context, w *worker, seqs [][]int, sub []int, out [][]float32) error {
	maxLen := 0
	lens := make([]int, len(sub))
	for i, j := range sub {
		lens[i] = len(seqs[j])
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
		batch.IDs[b] = seqs[j]
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
	pooled, ok := c.pooled.Value().Data().([]float32)
	if !ok || len(pooled) != key.batch*H {
		return fmt.Errorf("graph: pooled output has unexpected type %T", c.pooled.Value().Data())
	}
	for b, j := range sub {
		out[j] = append([]float32(nil), pooled[b*H:(b+1)*H]...)
	}
	return nil
}

// graph returns the worker's compiled graph for a bucket, building it (and
// evicting the least recently used one) when needed.
func (m *Model) graph(w *worker, key bucket) (*compiled, error) {
	w.clock++
	if c := w.graphs[key]; c != nil {
		c.lastUse = w.clock
		return c, nil
	}
	if len(w.graphs) >= maxCachedGraphs {
		var oldest bucket
		var t uint64 = ^uint64(0)
		for k, c := range w.graphs {
			if c.lastUse < t {
				oldest, t = k, c.lastUse
			}
		}
		w.graphs[oldest].vm.Close()
		delete(w.graphs, oldest)
	}
	c, err := m.build(w.rt, key)
	if err != nil {
		return nil, err
	}
	c.lastUse = w.clock
	w.graphs[key] = c
	return c, nil
}

// build composes the architecture's graph for one bucket: its forward pass
// from the input buffer to the final hidden states, then the pooling node.
func (m *Model) build(rt *layers.Runtime, key bucket) (*compiled, error) {
	g := G.NewGraph()
	N, H := key.batch*key.length, m.cfg.Hidden
	hidden := rt.Buffer(layers.SlotHidden, N*H)
	in := G.NewMatrix(g, G.Float32, G.WithShape(N, H), G.WithName("embeddings"),
		G.WithValue(tensor.New(tensor.WithShape(N, H), tensor.WithBacking(hidden))))
	b := &Builder{RT: rt, Batch: key.batch, Length: key.length, Input: in, g: g}
	h, err := m.arch.Forward(b)
	if err != nil {
		return nil, fmt.Errorf("graph: building the %s graph: %w", m.cfg.ModelType, err)
	}
	pooled, err := layers.Pool(rt, h, []Pooling{m.pooling}, key.batch, layers.SlotPooled)
	if err != nil {
		return nil, fmt.Errorf("graph: building pooling: %w", err)
	}
	return &compiled{vm: G.NewTapeMachine(g), input: in, pooled: pooled, hidden: hidden}, nil
}

// String describes the model briefly.
func (m *Model) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d layers, hidden %d, %d heads (%d kv) × %d, pooling %v, %d threads, BLAS %s",
		m.cfg.ModelType, m.cfg.Layers, m.cfg.Hidden, m.cfg.Heads, m.cfg.KVHeads, m.cfg.HeadDim, m.pooling, m.threads, layers.BLASName)
	return b.String()
}
