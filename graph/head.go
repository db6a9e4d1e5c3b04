package graph

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// A head turns the pooled hidden state of each sequence into a few numbers
// (logits) instead of a vector. It runs after the graph, in plain Go: it
// reads one vector per sequence, so a second graph would only add overhead.

// HeadKind selects what Run returns per sequence.
type HeadKind int

const (
	// NoHead returns the pooled vector (embedding models).
	NoHead HeadKind = iota
	// ClassifierHead returns the logits of the sequence-classification head
	// that config.json's architectures names (BertForSequenceClassification,
	// XLMRobertaForSequenceClassification, …), on the pooling that class uses.
	ClassifierHead
	// TokenLogitsHead returns, at the last position, the logits of the
	// vocabulary ids in Options.HeadTokens only: the dot products with those
	// rows of the output matrix (lm_head, or the tied input embeddings),
	// never the projection onto the whole vocabulary.
	TokenLogitsHead
)

// Classifier is a sequence-classification head: its weights bind by struct
// tags like an Architecture's.
type Classifier interface {
	// Dims resolves the names used in shape tags ("hidden", "labels").
	Dims() map[string]int
	// Apply maps one pooled vector to the head's logits.
	Apply(pooled []float32) []float32
}

// HeadFamily is a registered classification head.
type HeadFamily struct {
	// New builds the head (weights unbound) for a model of hidden width
	// c.Hidden and labels classes.
	New func(c *Config, labels int) (Classifier, error)
	// Pooling is the sequence position the head reads (the first token).
	Pooling Pooling
	// Prefixes are tried in front of every tensor name, after "".
	Prefixes []string
}

var heads = map[string]HeadFamily{}

// RegisterHead adds a head under an architectures class name; call it from
// an init function.
func RegisterHead(class string, f HeadFamily) {
	if _, dup := heads[class]; dup {
		panic("graph: head " + class + " registered twice")
	}
	heads[class] = f
}

// HeadClasses lists the registered classification heads, sorted.
func HeadClasses() []string {
	out := make([]string, 0, len(heads))
	for k := range heads {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FindHead returns the registered head class among config.json's
// architectures ("" if none).
func FindHead(c Config) string {
	for _, a := range c.Architectures {
		if _, ok := heads[a]; ok {
			return a
		}
	}
	return ""
}

// NumLabels is transformers' num_labels: the length of id2label, else the
// num_labels field, else 2.
func NumLabels(c Config) (int, error) {
	var l struct {
		ID2Label  map[string]string `json:"id2label"`
		NumLabels *int              `json:"num_labels"`
	}
	if err := c.Decode(&l); err != nil {
		return 0, err
	}
	switch {
	case len(l.ID2Label) > 0:
		return len(l.ID2Label), nil
	case l.NumLabels != nil:
		if *l.NumLabels < 1 {
			return 0, fmt.Errorf("field \"num_labels\": %d is not positive", *l.NumLabels)
		}
		return *l.NumLabels, nil
	}
	return 2, nil
}

// OutputRows is implemented by architectures with an output (unembedding)
// matrix: lm_head, or the input embeddings when they are tied.
type OutputRows interface {
	// OutputMatrix returns the [vocab, hidden] rows of the output matrix,
	// given the checkpoint's lm_head.weight (nil when it has none).
	OutputMatrix(lmHead *Table) (RowSource, error)
}

// lmHead binds lm_head.weight only for token logits: embedding models
// ignore it, so a checkpoint's odd lm_head never stops them loading.
type lmHead struct {
	W *Table `hf:"lm_head.weight" shape:"vocab,hidden" optional:""`
}

// RowSource gathers rows of a [vocab, hidden] matrix (a *Table).
type RowSource interface {
	GatherRows(ids []int, dst []float32) error
}

// head is what Run applies to each pooled vector.
type head struct {
	kind    HeadKind
	labels  int
	apply   func(pooled []float32) []float32
	class   string
	pooling Pooling
}

// loadHead resolves opt's head for a model and binds its weights.
func loadHead(cfg Config, arch Architecture, archBinder *binder, opt Options) (*head, error) {
	switch opt.Head {
	case NoHead:
		return nil, nil
	case ClassifierHead:
		class := FindHead(cfg)
		if class == "" {
			return nil, fmt.Errorf("config.json architectures %v names no sequence-classification head (known: %s)", cfg.Architectures, strings.Join(HeadClasses(), ", "))
		}
		f := heads[class]
		labels, err := NumLabels(cfg)
		if err != nil {
			return nil, err
		}
		c, err := f.New(&cfg, labels)
		if err != nil {
			return nil, fmt.Errorf("%s head: %w", class, err)
		}
		bd := *archBinder
		bd.modelType, bd.prefixes, bd.dims = class, f.Prefixes, c.Dims()
		if err := bd.bind(reflect.ValueOf(c), ""); err != nil {
			return nil, err
		}
		pooling := f.Pooling
		if p, ok := c.(interface{ Pooling() Pooling }); ok {
			pooling = p.Pooling() // the head's config chooses
		}
		return &head{kind: ClassifierHead, labels: labels, apply: c.Apply, class: class, pooling: pooling}, nil
	case TokenLogitsHead:
		if len(opt.HeadTokens) == 0 {
			return nil, fmt.Errorf("token-logits head: no token ids given")
		}
		lm, ok := arch.(OutputRows)
		if !ok {
			return nil, fmt.Errorf("%s models have no output matrix for token logits", cfg.ModelType)
		}
		var lh lmHead
		if err := archBinder.bind(reflect.ValueOf(&lh), ""); err != nil {
			return nil, err
		}
		src, err := lm.OutputMatrix(lh.W)
		if err != nil {
			return nil, err
		}
		for _, id := range opt.HeadTokens {
			if id < 0 || id >= cfg.Vocab {
				return nil, fmt.Errorf("token-logits head: token id %d out of range [0, %d)", id, cfg.Vocab)
			}
		}
		H := cfg.Hidden
		rows := make([]float32, len(opt.HeadTokens)*H)
		if err := src.GatherRows(slices.Clone(opt.HeadTokens), rows); err != nil {
			return nil, fmt.Errorf("token-logits head: reading output rows: %w", err)
		}
		n := len(opt.HeadTokens)
		apply := func(h []float32) []float32 {
			out := make([]float32, n)
			for k := range n {
				out[k] = dot(h, rows[k*H:(k+1)*H])
			}
			return out
		}
		return &head{kind: TokenLogitsHead, labels: n, apply: apply, pooling: PoolLastToken}, nil
	}
	return nil, fmt.Errorf("unknown head kind %d", opt.Head)
}

// dot accumulates in float64: a logit is a difference of large sums, and
// the reference's float32 GEMM rounds less than a naive float32 loop.
func dot(a, b []float32) float32 {
	var s float64
	for i, x := range a {
		s += float64(x) * float64(b[i])
	}
	return float32(s)
}

// linear computes y = W·x + b for W stored [out, in].
func linear(x []float32, w, b *Param) []float32 {
	wv := w.value.Float32s()
	out, in := w.Shape[0], w.Shape[1]
	y := make([]float32, out)
	for o := range out {
		y[o] = dot(x, wv[o*in:(o+1)*in])
		if b != nil {
			y[o] += b.value.Float32s()[o]
		}
	}
	return y
}
