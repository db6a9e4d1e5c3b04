// Package rerank scores (query, document) pairs with reranking models, the
// way sentence-transformers' CrossEncoder.predict and the Qwen3-Reranker
// model card compute them:
//
//	r, err := rerank.New("cross-encoder/ms-marco-MiniLM-L-6-v2")   // id, or a local folder
//	defer r.Close()
//	ranked, err := r.Rerank(ctx, "how do I reset my password?", docs) // best first
//
// Two kinds of model rerank (see Detect):
//
//   - cross-encoders: a *ForSequenceClassification class with one label
//     (BERT, RoBERTa, XLM-RoBERTa, CamemBERT). The pair is one tokenizer
//     pair with type ids; the score is the logit through the activation
//     config.json names (sentence_transformers.activation_fn; sigmoid by
//     default), the raw score the logit.
//   - Qwen3-Reranker: a causal Qwen3 LM asked "yes" or "no" in the chat
//     prompt of its model card; the score is softmax([logit(no),
//     logit(yes)])[1] at the last position, from the two rows of the output
//     matrix only, the raw score logit(yes) − logit(no) (so the score is its
//     sigmoid).
//
// Loading, the Hub cache, threads and batching are package embed's: New
// takes embed's Options (WithRevision, WithOffline, WithThreads,
// WithBatchTokens, WithMaxLength, WithNoTruncate, WithInstruction, …).
package rerank

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"sync"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/graph"
	"github.com/gembed-dev/gembed/modelfolder"
	"github.com/gembed-dev/gembed/tokenizer"
)

// ErrClosed is returned by calls on a closed Reranker.
var ErrClosed = errors.New("rerank: reranker is closed")

// ErrNotReranker is wrapped by New's error for a model that cannot rerank
// (an embedding model, or a classifier with several labels).
var ErrNotReranker = errors.New("not a reranking model")

// Reranker scores pairs with one model. It is safe for concurrent use by
// many goroutines; Close it when done.
type Reranker struct {
	info  Info
	load  embed.Loading
	tok   *tokenizer.Tokenizer
	model *graph.Model
	act   activation
	// prefix and suffix are the Qwen3-Reranker chat prompt's tokens around
	// the body (nil for cross-encoders).
	prefix, suffix []int

	mu     sync.RWMutex // read-held by running calls; Close takes it to wait for them
	closed bool
}

// Info describes a loaded reranker.
type Info struct {
	ID  string // what New was given
	Dir string // the local model folder

	Kind      Kind
	ModelType string // config.json model_type
	// HeadClass is the classification class of a cross-encoder
	// ("BertForSequenceClassification", …).
	HeadClass string
	// Activation maps the raw score to the score: "Sigmoid", "Identity" or
	// "Tanh" ("Sigmoid" of logit(yes) − logit(no) for Qwen3-Reranker).
	Activation string
	// MaxLength is the maximum tokens per pair (special tokens and, for
	// Qwen3-Reranker, the prompt included); MaxPositions the model's limit.
	MaxLength    int
	MaxPositions int
	// Instruction is the Qwen3-Reranker task used when a call gives none
	// (WithInstruction, else DefaultInstruction); empty for cross-encoders.
	Instruction string
}

// Options adjust one call; the zero value means "as configured by New".
type Options struct {
	// RawScores returns the logits (cross-encoders) or logit(yes) −
	// logit(no) (Qwen3-Reranker) instead of the activated scores.
	RawScores bool
	// Instruction is the Qwen3-Reranker task for this call; cross-encoders
	// refuse one (they have no place for it).
	Instruction string
	// MaxLength overrides New's maximum length when > 0.
	MaxLength int
	// NoTruncate makes a too-long pair an error (*embed.TooLongError), also
	// when New's WithNoTruncate is set.
	NoTruncate bool
	// Progress receives a Progress event after every batch of this call.
	Progress func(embed.Progress)
}

// Pair is one (query, document) pair.
type Pair struct{ Query, Document string }

// Result is one document's place in a ranking.
type Result struct {
	Index int     // the document's index in the input
	Score float32 // its score (raw with Options.RawScores)
}

// Scored is the answer to ScorePairs and RerankDetailed.
type Scored struct {
	Scores      []float32          // in input order
	Inputs      []embed.InputStats // tokens and truncation per pair, in input order
	TotalTokens int                // sum of Inputs' tokens, for usage accounting
}

// Ranked returns the pairs sorted by score, best first (ties in input order).
func (s Scored) Ranked() []Result {
	out := make([]Result, len(s.Scores))
	for i, v := range s.Scores {
		out[i] = Result{Index: i, Score: v}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

// Truncated returns the indexes of the pairs that were truncated.
func (s Scored) Truncated() []int {
	var idx []int
	for i, in := range s.Inputs {
		if in.Truncated {
			idx = append(idx, i)
		}
	}
	return idx
}

// New loads a reranker by Hugging Face Hub id (downloaded into the Hugging
// Face cache on first use) or from a local folder.
func New(modelID string, opts ...embed.Option) (*Reranker, error) {
	return NewContext(context.Background(), modelID, opts...)
}

// NewContext is New with a context that bounds the download.
func NewContext(ctx context.Context, modelID string, opts ...embed.Option) (*Reranker, error) {
	if modelID == "" {
		return nil, errors.New("rerank: no model given")
	}
	load := embed.LoadingOf(opts...)
	if load.Graph.MaxBatchTokens < 1 {
		return nil, fmt.Errorf("rerank: batch token budget %d must be positive", load.Graph.MaxBatchTokens)
	}
	dir, err := embed.ResolveModel(ctx, modelID, opts...)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	folder, err := modelfolder.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	kind, err := Detect(folder)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	cfgPath := filepath.Join(dir, modelfolder.ConfigFile)
	if kind == NotReranker {
		return nil, fmt.Errorf("rerank: %s: %w: architectures %v has no sequence-classification head and the folder is not a Qwen3-Reranker-style causal LM (an embedding model? use package embed)", cfgPath, ErrNotReranker, folder.Architectures)
	}
	cfg, err := graph.ParseConfig(folder.Config)
	if err != nil {
		return nil, fmt.Errorf("rerank: %s: %w", cfgPath, err)
	}
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	r := &Reranker{info: Info{ID: modelID, Dir: dir, Kind: kind, ModelType: cfg.ModelType, MaxPositions: cfg.MaxPositions}, load: load, tok: tok}
	gopt := load.Graph
	switch kind {
	case CrossEncoder:
		labels, err := graph.NumLabels(cfg)
		if err != nil {
			return nil, fmt.Errorf("rerank: %s: %w", cfgPath, err)
		}
		if labels != 1 {
			return nil, fmt.Errorf("rerank: %s: %w: the classifier has %d labels; a reranking score needs exactly one", cfgPath, ErrNotReranker, labels)
		}
		if r.act, err = crossEncoderActivation(cfg, labels); err != nil {
			return nil, fmt.Errorf("rerank: %s: %w", cfgPath, err)
		}
		if load.Instruction != "" {
			return nil, fmt.Errorf("rerank: %s is a cross-encoder: it takes no instruction", modelID)
		}
		gopt.Head = graph.ClassifierHead
		r.info.MaxLength = cfg.MaxPositions
		if n := tok.ModelMaxLength(); n > 0 {
			r.info.MaxLength = min(n, cfg.MaxPositions)
		}
	case CausalLM:
		if err := r.initPrompt(); err != nil {
			return nil, fmt.Errorf("rerank: %s: %w", filepath.Join(dir, "tokenizer.json"), err)
		}
		r.act = activation{name: "Sigmoid", f: sigmoid}
		r.info.Instruction = DefaultInstruction
		if load.Instruction != "" {
			r.info.Instruction = load.Instruction
		}
		gopt.Head = graph.TokenLogitsHead
		gopt.HeadTokens = []int{r.noID(), r.yesID()}
		r.info.MaxLength = min(embed.DefaultMaxLength, cfg.MaxPositions)
	}
	if load.MaxLength != 0 {
		if load.MaxLength < 1 || load.MaxLength > cfg.MaxPositions {
			return nil, fmt.Errorf("rerank: max length %d out of range 1..%d (max_position_embeddings in %s)", load.MaxLength, cfg.MaxPositions, cfgPath)
		}
		r.info.MaxLength = load.MaxLength
	}
	r.info.Activation = r.act.name
	model, err := graph.LoadFolder(folder, gopt)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	r.model = model
	r.info.HeadClass = model.HeadClass()
	return r, nil
}

// Info describes the model.
func (r *Reranker) Info() Info { return r.info }

// Rerank scores every document against the query and returns them sorted by
// score, best first.
func (r *Reranker) Rerank(ctx context.Context, query string, docs []string) ([]Result, error) {
	s, err := r.RerankDetailed(ctx, query, docs, Options{})
	if err != nil {
		return nil, err
	}
	return s.Ranked(), nil
}

// Scores returns one score per document, in input order.
func (r *Reranker) Scores(ctx context.Context, query string, docs []string) ([]float32, error) {
	s, err := r.RerankDetailed(ctx, query, docs, Options{})
	return s.Scores, err
}

// RerankDetailed scores the documents against one query with per-call
// options, reporting tokens and truncation per document.
func (r *Reranker) RerankDetailed(ctx context.Context, query string, docs []string, opt Options) (Scored, error) {
	pairs := make([]Pair, len(docs))
	for i, d := range docs {
		pairs[i] = Pair{Query: query, Document: d}
	}
	return r.ScorePairs(ctx, pairs, opt)
}

// ScorePairs scores pairs that may each have their own query.
func (r *Reranker) ScorePairs(ctx context.Context, pairs []Pair, opt Options) (Scored, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	maxLen := r.info.MaxLength
	if opt.MaxLength != 0 {
		if opt.MaxLength < 1 || opt.MaxLength > r.info.MaxPositions {
			return Scored{}, fmt.Errorf("rerank: max length %d out of range 1..%d (max_position_embeddings)", opt.MaxLength, r.info.MaxPositions)
		}
		maxLen = opt.MaxLength
	}
	if opt.Instruction != "" && r.info.Kind != CausalLM {
		return Scored{}, fmt.Errorf("rerank: %s is a cross-encoder: it takes no instruction", r.info.ID)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return Scored{}, ErrClosed
	}
	if len(pairs) == 0 {
		return Scored{}, nil
	}
	in, stats, err := r.encode(ctx, pairs, maxLen, opt)
	if err != nil {
		return Scored{}, err
	}
	res := Scored{Inputs: stats}
	lengths := make([]int, len(in))
	for i, s := range stats {
		res.TotalTokens += s.Tokens
		lengths[i] = s.Tokens
	}
	progress := opt.Progress
	if progress == nil {
		progress = r.load.Progress
	}
	p := embed.Progress{Total: len(in), TotalTokens: res.TotalTokens}
	logits, err := r.model.Run(ctx, in, func(done []int) {
		for _, i := range done {
			p.Done++
			p.DoneTokens += lengths[i]
		}
		if progress != nil {
			progress(p)
		}
	})
	if err != nil {
		return Scored{}, fmt.Errorf("rerank: %w", err)
	}
	res.Scores = make([]float32, len(logits))
	for i, l := range logits {
		raw := l[0]
		if r.info.Kind == CausalLM {
			raw = l[1] - l[0] // HeadTokens are [no, yes]
		}
		if raw != raw || math.IsInf(float64(raw), 0) {
			return Scored{}, fmt.Errorf("rerank: pair %d: the model produced a non-finite logit (%v); are the weights in %s corrupt?", i, raw, r.info.Dir)
		}
		if opt.RawScores {
			res.Scores[i] = raw
		} else {
			res.Scores[i] = r.act.f(raw)
		}
	}
	return res, nil
}

// Close frees the model. It waits for running calls; later calls return
// ErrClosed. Closing twice is harmless.
func (r *Reranker) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.model.Close()
}
