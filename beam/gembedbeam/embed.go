package gembedbeam

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/gembed-dev/gembed/embed"
)

// DefaultBatchTokens is the token budget of one model call: the server's
// default (gembed serve --max-batch-tokens), the library's batch budget.
const DefaultBatchTokens = embed.DefaultBatchTokens

// Options choose the model and how documents become vectors. They travel
// to the workers inside the pipeline, so they hold no secret: the Hub
// token is read on each worker from HF_TOKEN (or its token file).
type Options struct {
	Model    string `json:"model"`              // Hub id (ORG/NAME) or a model folder present on every worker
	Revision string `json:"revision,omitempty"` // Hub branch, tag or commit (default main)
	CacheDir string `json:"cache_dir,omitempty"`
	Offline  bool   `json:"offline,omitempty"`
	Threads  int    `json:"threads,omitempty"` // cores per worker process (default all)

	Dimensions  int    `json:"dimensions,omitempty"`  // keep the first N values, renormalized (Matryoshka)
	PromptName  string `json:"prompt_name,omitempty"` // a prompt of config_sentence_transformers.json
	Prompt      string `json:"prompt,omitempty"`      // free text prepended to every document
	Instruction string `json:"instruction,omitempty"` // query task: "Instruct: TASK\nQuery:" + text
	MaxLength   int    `json:"max_length,omitempty"`  // tokens per input (default the model's)
	NoTruncate  bool   `json:"no_truncate,omitempty"` // a too-long document goes to the dead letter instead of being truncated
	NoNormalize bool   `json:"no_normalize,omitempty"`
	// BatchTokens bounds the prompt-included tokens of one model call
	// (default DefaultBatchTokens). A document longer than it is embedded
	// alone.
	BatchTokens int `json:"batch_tokens,omitempty"`
}

func init() {
	register.DoFn5x1[context.Context, string, string, func(string, []float32), func(string, string), error](&embedFn{})
	register.Emitter2[string, []float32]()
	register.Emitter2[string, string]()
}

// Embed embeds documents, a PCollection<KV<string, string>> of id → text.
// It returns the vectors as PCollection<KV<string, []float32>> keyed by id,
// and the dead letters as PCollection<KV<string, string>> of id → error:
// a document is never dropped silently.
//
// The output has one vector per input element: deduplicate ids upstream
// (or write with WriteJSONL, which keeps one vector per id).
func Embed(s beam.Scope, docs beam.PCollection, opts Options) (embeddings, deadLetters beam.PCollection) {
	s = s.Scope("gembedbeam.Embed")
	if opts.Model == "" {
		panic("gembedbeam.Embed: Options.Model is empty")
	}
	if !docs.IsValid() {
		panic("gembedbeam.Embed: invalid documents PCollection")
	}
	return beam.ParDo2(s, &embedFn{Opts: opts}, docs)
}

// embedFn is Embed's DoFn. Only Opts is serialized to the workers.
type embedFn struct {
	Opts Options `json:"opts"`

	emb     *embed.Embedder
	call    embed.EmbedOptions
	budget  int
	pending []pendingDoc
	tokens  int // prompt-included tokens of pending

	reportLoad bool // this instance loaded the model: count it in the job's metrics
}

type pendingDoc struct {
	id, text string
	tokens   int
}

var (
	loadsCounter    = beam.NewCounter("gembed", "model_loads")
	embeddedCounter = beam.NewCounter("gembed", "documents_embedded")
	failedCounter   = beam.NewCounter("gembed", "documents_failed")
	tokensCounter   = beam.NewCounter("gembed", "tokens")
	truncCounter    = beam.NewCounter("gembed", "documents_truncated")
)

func (f *embedFn) Setup(ctx context.Context) error {
	setups.Add(1)
	e, loaded, err := sharedEmbedder(ctx, modelKey{Model: f.Opts.Model, Revision: f.Opts.Revision,
		CacheDir: f.Opts.CacheDir, Offline: f.Opts.Offline, Threads: f.Opts.Threads})
	if err != nil {
		return err
	}
	// Beam counters need a bundle's context: the load is reported with
	// this instance's first element.
	f.reportLoad = loaded
	f.emb = e
	f.call = embed.EmbedOptions{PromptName: f.Opts.PromptName, Prompt: f.Opts.Prompt, Instruction: f.Opts.Instruction,
		Dimensions: f.Opts.Dimensions, MaxLength: f.Opts.MaxLength, NoTruncate: f.Opts.NoTruncate}
	if f.Opts.NoNormalize {
		no := false
		f.call.Normalize = &no
	}
	// A bad prompt name or dimension count is a pipeline error, not a
	// per-document one: fail every bundle loudly rather than dead-letter
	// the whole corpus.
	if _, err := e.Prompt(f.call); err != nil {
		return fmt.Errorf("gembedbeam: %w", err)
	}
	if _, err := e.EmbedDetailed(ctx, nil, f.call); err != nil {
		return fmt.Errorf("gembedbeam: %w", err)
	}
	f.budget = f.Opts.BatchTokens
	if f.budget <= 0 {
		f.budget = DefaultBatchTokens
	}
	return nil
}

func (f *embedFn) ProcessElement(ctx context.Context, id, text string, emit func(string, []float32), fail func(string, string)) error {
	if f.reportLoad {
		loadsCounter.Inc(ctx, 1)
		f.reportLoad = false
	}
	tok, err := f.emb.Tokenize(ctx, []string{text}, f.call)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.deadLetter(ctx, fail, id, err)
		return nil
	}
	n := len(tok[0].IDs)
	if len(f.pending) > 0 && f.tokens+n > f.budget {
		if err := f.flush(ctx, emit, fail); err != nil {
			return err
		}
	}
	f.pending = append(f.pending, pendingDoc{id: id, text: text, tokens: n})
	f.tokens += n
	return nil
}

func (f *embedFn) FinishBundle(ctx context.Context, emit func(string, []float32), fail func(string, string)) error {
	return f.flush(ctx, emit, fail)
}

// flush embeds the pending documents in one call. If the call fails, each
// document is retried alone so that one bad document reaches the dead
// letter and the others their vectors.
func (f *embedFn) flush(ctx context.Context, emit func(string, []float32), fail func(string, string)) error {
	docs := f.pending
	f.pending, f.tokens = f.pending[:0:0], 0
	if len(docs) == 0 {
		return nil
	}
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.text
	}
	r, err := f.emb.EmbedDetailed(ctx, texts, f.call)
	if err == nil {
		f.emitAll(ctx, docs, r, emit)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(docs) == 1 {
		f.deadLetter(ctx, fail, docs[0].id, err)
		return nil
	}
	log.Warnf(ctx, "gembedbeam: a batch of %d documents failed (%v); retrying them one by one", len(docs), err)
	for _, d := range docs {
		r, err := f.emb.EmbedDetailed(ctx, []string{d.text}, f.call)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.deadLetter(ctx, fail, d.id, err)
			continue
		}
		f.emitAll(ctx, []pendingDoc{d}, r, emit)
	}
	return nil
}

func (f *embedFn) emitAll(ctx context.Context, docs []pendingDoc, r embed.Result, emit func(string, []float32)) {
	for i, d := range docs {
		emit(d.id, r.Embeddings[i])
		tokensCounter.Inc(ctx, int64(r.Inputs[i].Tokens))
		if r.Inputs[i].Truncated {
			truncCounter.Inc(ctx, 1)
		}
	}
	embeddedCounter.Inc(ctx, int64(len(docs)))
}

func (f *embedFn) deadLetter(ctx context.Context, fail func(string, string), id string, err error) {
	var tl *embed.TooLongError
	if errors.As(err, &tl) {
		err = fmt.Errorf("%d tokens, more than the maximum length %d (truncation is off)", tl.Tokens, tl.Max)
	}
	fail(id, err.Error())
	failedCounter.Inc(ctx, 1)
}
