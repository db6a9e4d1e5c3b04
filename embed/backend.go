package embed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gembed-dev/gembed/graph"
	"github.com/gembed-dev/gembed/modelfolder"
)

// The Embedder talks to the tokenizer, the model and the Hub through these
// small interfaces so batching, prompts and truncation can be tested with
// fakes; backend_*.go bind them to packages tokenizer, graph and hub.

type encoded struct {
	ids         []int
	typeIDs     []int
	truncated   bool
	originalLen int
}

type textEncoder interface {
	// encodeBatch tokenizes with special tokens, truncating to maxLen
	// (keeping the final special token) and reporting it.
	encodeBatch(ctx context.Context, texts []string, maxLen int) ([]encoded, error)
}

type forwarder interface {
	// Run returns one pooled, not normalized vector per input, calling done
	// with the input indexes of each finished sub-batch (see graph.Model.Run).
	Run(ctx context.Context, in []graph.Input, done func(indexes []int)) ([][]float32, error)
	Close() error
}

type hubClient interface {
	Resolve(ctx context.Context, idOrDir, revision string) (string, error)
}

// modelShape is what the Embedder needs from config.json.
type modelShape struct {
	modelType                                                            string
	hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPos int
}

// New loads a model by Hugging Face Hub id ("Qwen/Qwen3-Embedding-0.6B",
// downloaded into the Hugging Face cache on first use) or from a local
// folder in the Hub's layout.
func New(modelID string, opts ...Option) (*Embedder, error) {
	return NewContext(context.Background(), modelID, opts...)
}

// NewContext is New with a context that bounds the download.
func NewContext(ctx context.Context, modelID string, opts ...Option) (*Embedder, error) {
	s := defaultSettings()
	for _, o := range opts {
		o(&s)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.batchTokens == 0 {
		s.batchTokens = DefaultBatchTokens
	}
	if modelID == "" {
		modelID = DefaultModel
	}
	if err := checkDType(s.dtype); err != nil {
		return nil, err
	}
	dir, err := resolveModel(ctx, modelID, s)
	if err != nil {
		return nil, err
	}
	folder, err := modelfolder.Read(dir)
	if err != nil {
		return nil, err
	}
	if err := refuseClassifier(folder); err != nil {
		return nil, err
	}
	st := sentenceTransformers(folder)
	if s.pooling != "" {
		st.Pooling = s.pooling
	}
	shape, err := readShape(folder)
	if err != nil {
		return nil, err
	}
	enc, err := loadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	model, err := loadModel(folder, s)
	if err != nil {
		return nil, err
	}
	e, err := newEmbedder(modelID, dir, shape, st, enc, model, s)
	if err != nil {
		model.Close()
		return nil, err
	}
	return e, nil
}

// isLocalDir reports whether id names an existing folder (a Hub id like
// "org/name" could also be a relative path; the folder wins, like
// sentence-transformers).
func isLocalDir(id string) bool {
	fi, err := os.Stat(id)
	return err == nil && fi.IsDir()
}

func newEmbedder(id, dir string, shape modelShape, st SentenceTransformers, enc textEncoder, model forwarder, s settings) (*Embedder, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if s.batchTokens == 0 {
		s.batchTokens = DefaultBatchTokens
	}
	info := Info{
		ID: id, Dir: dir,
		ModelType: shape.modelType, Hidden: shape.hidden, Intermediate: shape.intermediate,
		Layers: shape.layers, Heads: shape.heads, KVHeads: shape.kvHeads, HeadDim: shape.headDim,
		Vocab: shape.vocab, MaxPositions: shape.maxPos,
		SentenceTransformers: st,
	}
	if info.MaxPositions <= 0 {
		info.MaxPositions = DefaultMaxLength
	}
	width := outputDimensions(info.Hidden, st)
	info.Dimensions = width
	if s.dimensions != 0 {
		if s.dimensions < 0 || s.dimensions > width {
			return nil, fmt.Errorf("dimensions %d out of range: the vectors of %s have %d values", s.dimensions, dir, width)
		}
		info.Dimensions = s.dimensions
	}
	info.MaxLength = min(DefaultMaxLength, info.MaxPositions)
	if st.MaxSeqLength > 0 { // sentence_bert_config.json's max_seq_length
		info.MaxLength = min(st.MaxSeqLength, info.MaxPositions)
	}
	if s.maxLength != 0 {
		if s.maxLength < 1 || s.maxLength > info.MaxPositions {
			return nil, fmt.Errorf("max length %d out of range 1..%d (max_position_embeddings in %s)", s.maxLength, info.MaxPositions, filepath.Join(dir, "config.json"))
		}
		info.MaxLength = s.maxLength
	}
	if s.batchTokens < 1 {
		return nil, fmt.Errorf("batch token budget %d must be positive", s.batchTokens)
	}
	e := &Embedder{info: info, s: s, enc: enc, model: model, width: width}
	for _, d := range st.Dense {
		m, err := loadDense(dir, d)
		if err != nil {
			return nil, err
		}
		e.dense = append(e.dense, m)
	}
	if s.promptName != "" {
		if _, err := e.namedPrompt(s.promptName); err != nil {
			return nil, err
		}
	}
	return e, nil
}
