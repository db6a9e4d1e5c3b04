package graph

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/layers"
	"github.com/gembed-dev/gembed/weights"

	"github.com/gembed-dev/gembed/modelfolder"
)

// Pooling selects how a sequence's hidden states become its vector; it is
// the pooling node's own mode type.
type Pooling = layers.Pooling

// Pooling modes. PoolAuto (the zero value) takes the folder's Pooling
// module's modes.
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
	// Pooling, when not PoolAuto, is the one pooling mode; Poolings, when
	// set, are several, concatenated. By default the folder's Pooling module
	// decides (mean without modules.json, as sentence-transformers does).
	Pooling  Pooling
	Poolings []Pooling
	Threads  int // 0 = all cores (GOMAXPROCS); more than the machine has is capped
	// MaxBatchTokens caps the padded tokens (batch × padded length) run in one
	// graph; larger requests are split. 0 = 8192. It bounds activation memory.
	MaxBatchTokens int
	// Workers is how many equal parts Plan cuts a call into at least (0 =
	// one per thread: independent single-threaded sub-batches measured
	// fastest); a call with fewer sub-batches than cores spreads its ops
	// over the free cores.
	Workers int
	// Head, when not NoHead, makes Run return the head's logits per
	// sequence instead of the pooled vector; the head decides the pooling.
	Head HeadKind
	// HeadTokens are the vocabulary ids whose logits TokenLogitsHead returns.
	HeadTokens []int
	// DType is the precision of the projection matrices (default Float32,
	// exact); see BFloat16. Heads stay float32.
	DType DType
}

// maxCachedGraphs bounds the compiled graphs each worker keeps.
const maxCachedGraphs = 12

// Model is a loaded embedding model. It is safe for concurrent use: calls
// share the cores and a pool of workers (one per core), each with its own
// compiled graphs and activation arena.
type Model struct {
	cfg       Config
	arch      Architecture
	poolings  []Pooling
	head      *head // nil: Run returns pooled vectors
	threads   int
	maxTokens int
	nworkers  int

	store *weights.Store
	dtype DType

	workers chan *worker // one per core
	cores   corePool     // one token per core, taken by running sub-batches
	hooks   *testHooks

	closeMu sync.RWMutex
	closed  bool
}

// Load reads dir/config.json and the safetensors weights in dir (single file
// or sharded), converting every non-embedding tensor to float32 once. The
// embedding table stays memory-mapped and is read row by row per request.
func Load(dir string, opt Options) (*Model, error) {
	f, err := modelfolder.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	return LoadFolder(f, opt)
}

// LoadFolder is Load for a folder already read.
func LoadFolder(f *modelfolder.Folder, opt Options) (*Model, error) {
	path := filepath.Join(f.Dir, modelfolder.ConfigFile)
	cfg, arch, err := parseConfig(f.Config)
	if err != nil {
		return nil, fmt.Errorf("graph: %s: %w", path, err)
	}
	pools := opt.Poolings
	if len(pools) == 0 && opt.Pooling != PoolAuto {
		pools = []Pooling{opt.Pooling}
	}
	if len(pools) == 0 && opt.Head != NoHead {
		pools = []Pooling{PoolLastToken} // replaced by the head's own below
	}
	if len(pools) == 0 {
		if pools, err = FolderPooling(f); err != nil {
			return nil, fmt.Errorf("graph: %s: %w", f.Dir, err)
		}
	}
	for _, p := range pools {
		if p < PoolLastToken || p > PoolWeightedMean {
			return nil, fmt.Errorf("graph: unknown pooling mode %v", p)
		}
	}
	store, err := weights.Open(f.Dir)
	if err != nil {
		return nil, fmt.Errorf("graph: opening weights: %w", err)
	}
	m, err := newModel(f.Dir, cfg, arch, store, opt)
	if err != nil {
		store.Close()
		return nil, err
	}
	m.poolings = pools
	if m.head != nil {
		m.poolings = []Pooling{m.head.pooling}
	}
	return m, nil
}

func newModel(dir string, cfg Config, arch Architecture, store *weights.Store, opt Options) (*Model, error) {
	threads := opt.Threads
	// More threads than cores only adds per-worker activation buffers.
	if threads <= 0 || threads > runtime.NumCPU() {
		threads = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	m := &Model{cfg: cfg, arch: arch, threads: threads, maxTokens: opt.MaxBatchTokens, store: store}
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
	switch opt.DType {
	case Float32:
	case BFloat16:
		bd.bf16 = store.BF16
	default:
		return nil, fmt.Errorf("graph: %v (choices: %s)", opt.DType, strings.Join(DTypeNames, ", "))
	}
	m.dtype = opt.DType
	if err := bd.bind(reflect.ValueOf(arch), ""); err != nil {
		return nil, err
	}
	// Heads compute in float32/float64 on their Params' float32 values.
	bd.bf16 = nil
	h, err := loadHead(cfg, arch, bd, opt)
	if err != nil {
		return nil, fmt.Errorf("graph: %s: %w", filepath.Join(dir, modelfolder.ConfigFile), err)
	}
	m.head = h
	m.workers = make(chan *worker, threads)
	m.cores = make(corePool, threads)
	for range threads {
		rt := layers.NewRuntime(1)
		rt.Idle, rt.MaxThreads = m.cores, threads
		m.workers <- &worker{rt: rt, graphs: map[bucket]*compiled{}}
		m.cores <- struct{}{}
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

// Poolings returns the pooling modes in use; the vector is their outputs
// concatenated.
func (m *Model) Poolings() []Pooling { return slices.Clone(m.poolings) }

// Dimensions is the length of the vectors Forward returns: the pooled
// width, or the head's number of logits.
func (m *Model) Dimensions() int {
	if m.head != nil {
		return m.head.labels
	}
	return m.cfg.Hidden * len(m.poolings)
}

// HeadClass is the architectures class of the classification head in use
// ("" without one).
func (m *Model) HeadClass() string {
	if m.head == nil {
		return ""
	}
	return m.head.class
}

// DType returns the precision of the projection matrices.
func (m *Model) DType() DType { return m.dtype }

// WeightMemory counts the bytes the model's parameters hold (embedding
// tables excluded: they stay in the file's mapping).
func (m *Model) WeightMemory() WeightMemory {
	var wm WeightMemory
	wm.addParams(reflect.ValueOf(m.arch))
	return wm
}

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
	pooled, err := layers.Pool(rt, h, m.poolings, key.batch, layers.SlotPooled)
	if err != nil {
		return nil, fmt.Errorf("graph: building pooling: %w", err)
	}
	return &compiled{vm: G.NewTapeMachine(g), input: in, pooled: pooled, final: h, hidden: hidden}, nil
}

// String describes the model briefly.
func (m *Model) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d layers, hidden %d, %d heads (%d kv) × %d, pooling %v, %d threads, BLAS %s, dtype %v",
		m.cfg.ModelType, m.cfg.Layers, m.cfg.Hidden, m.cfg.Heads, m.cfg.KVHeads, m.cfg.HeadDim, m.poolings, m.threads, layers.Kernels(), m.dtype)
	return b.String()
}
