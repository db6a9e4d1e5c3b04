package embed

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gembed-dev/gembed/graph"
	"github.com/gembed-dev/gembed/modelfolder"
)

// ErrNotEmbedder is wrapped by New's error for a model whose output is not
// an embedding: a sequence classifier (a cross-encoder reranker).
var ErrNotEmbedder = errors.New("not an embedding model")

// refuseClassifier refuses a *ForSequenceClassification checkpoint: its
// encoder would give vectors, but not ones anybody trained for similarity.
func refuseClassifier(f *modelfolder.Folder) error {
	cfg, err := graph.ParseConfig(f.Config)
	if err != nil {
		return nil // readShape reports it with the file's name
	}
	if class := graph.FindHead(cfg); class != "" {
		return fmt.Errorf("%s: %w: architectures names %s, a sequence classifier (a cross-encoder reranks; use package rerank)",
			filepath.Join(f.Dir, modelfolder.ConfigFile), ErrNotEmbedder, class)
	}
	return nil
}

// Loading is what New's options say about locating and running a model,
// for packages that load other kinds of models the same way (package
// rerank takes the same Options as New).
type Loading struct {
	MaxLength   int    // WithMaxLength (0: the model's default)
	NoTruncate  bool   // WithNoTruncate
	Instruction string // WithInstruction
	Progress    func(Progress)
	// Graph holds the thread and batch settings for graph.LoadFolder.
	Graph graph.Options
}

// LoadingOf returns what opts say (defaults where they say nothing).
func LoadingOf(opts ...Option) Loading {
	s := defaultSettings()
	for _, o := range opts {
		o(&s)
	}
	return Loading{
		MaxLength: s.maxLength, NoTruncate: s.noTruncate, Instruction: s.instruction, Progress: s.progress,
		Graph: graph.Options{Threads: s.threads, MaxBatchTokens: s.batchTokens},
	}
}

// ResolveModel returns the local folder of modelID as New finds it: the
// folder itself, or the Hub snapshot (downloaded on first use) under opts'
// revision, cache folder, token, offline mode and endpoint.
func ResolveModel(ctx context.Context, modelID string, opts ...Option) (string, error) {
	s := defaultSettings()
	for _, o := range opts {
		o(&s)
	}
	return resolveModel(ctx, modelID, s)
}
