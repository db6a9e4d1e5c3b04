package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/gembed-dev/gembed/graph"
)

// ErrClosed is returned by calls on a closed Embedder.
var ErrClosed = errors.New("embed: embedder is closed")

// TooLongError is returned when an input has more tokens than the maximum
// length and truncation is off (WithNoTruncate, EmbedOptions.NoTruncate).
type TooLongError struct {
	Index  int // input index, from 0
	Tokens int // its length in tokens, prompt and special tokens included
	Max    int // the maximum length
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("input %d has %d tokens, more than the maximum length %d (truncation is off)", e.Index, e.Tokens, e.Max)
}

// Embedder turns texts into vectors with one model. It is safe for
// concurrent use by many goroutines; Close it when done.
type Embedder struct {
	info  Info
	s     settings
	enc   textEncoder
	model forwarder
	dense []*dense // the Dense modules, in order
	width int      // length of the pipeline's vectors, before WithDimensions

	mu     sync.RWMutex // read-held by running calls; Close takes it to wait for them
	closed bool
}

// Info describes a loaded model.
type Info struct {
	ID  string // what New was given
	Dir string // the local model folder

	ModelType    string // config.json model_type: "qwen3", "qwen2"
	Hidden       int
	Intermediate int
	Layers       int
	Heads        int
	KVHeads      int
	HeadDim      int
	Vocab        int
	MaxPositions int

	Dimensions int // length of the vectors Embed returns (WithDimensions, else Hidden)
	MaxLength  int // maximum tokens per input
	SentenceTransformers
}

// EmbedOptions adjust one call. The zero value means "as configured by New".
type EmbedOptions struct {
	// Query applies the query prompt: the Embedder's instruction
	// (WithInstruction) if set, else the model's "query" prompt, if any.
	Query bool
	// PromptName selects a prompt of config_sentence_transformers.json.
	PromptName string
	// Instruction is a custom query task: "Instruct: " + task + "\nQuery:" + text.
	Instruction string
	// Prompt is free text prepended to every input, as sentence-transformers'
	// encode(prompt=...). At most one of Prompt, PromptName and Instruction.
	Prompt string
	// Dimensions keeps the first n values, then renormalizes (0: New's setting).
	Dimensions int
	// Normalize overrides New's WithNormalize when not nil.
	Normalize *bool
	// MaxLength overrides New's WithMaxLength when > 0.
	MaxLength int
	// NoTruncate makes a too-long input an error (also when New's WithNoTruncate is set).
	NoTruncate bool
	// Progress receives a Progress event after every batch of this call.
	Progress func(Progress)
}

// Tokenized is one input as token ids, ready for EmbedTokens.
type Tokenized struct {
	IDs     []int // prompt and special tokens included
	TypeIDs []int // token type ids (nil: all 0)
	// SkipTokens is how many leading tokens pooling leaves out (the prompt,
	// when the model's Pooling module has include_prompt: false).
	SkipTokens     int
	Truncated      bool // the input was cut to the maximum length
	OriginalTokens int  // length before truncation (== len(IDs) when not truncated)
}

// InputStats reports what happened to one input.
type InputStats struct {
	Tokens         int  // tokens the model saw
	Truncated      bool // the input was longer than the maximum length and was cut
	OriginalTokens int  // tokens before truncation
}

// Result is the answer to EmbedDetailed.
type Result struct {
	Embeddings  [][]float32  // in input order
	Inputs      []InputStats // in input order
	TotalTokens int          // sum of InputStats.Tokens, for usage accounting
}

// Truncated returns the indexes of the inputs that were truncated.
func (r Result) Truncated() []int {
	var idx []int
	for i, in := range r.Inputs {
		if in.Truncated {
			idx = append(idx, i)
		}
	}
	return idx
}

// Info describes the model.
func (e *Embedder) Info() Info {
	i := e.info
	i.Prompts = make(map[string]string, len(e.info.Prompts))
	for k, v := range e.info.Prompts {
		i.Prompts[k] = v
	}
	return i
}

// Embed returns one vector per text, in order: the default prompt (if any)
// applied, L2-normalized unless configured otherwise. The empty string is a
// valid input (it becomes the final <|endoftext|> alone). Invalid UTF-8 is
// not an error: as in Python, where text reaches the tokenizer through
// String::from_utf8_lossy, each maximal invalid byte sequence is read as one
// U+FFFD, and the result is a valid vector.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	r, err := e.EmbedDetailed(ctx, texts, EmbedOptions{})
	return r.Embeddings, err
}

// EmbedQueries is Embed with the query prompt (see EmbedOptions.Query).
func (e *Embedder) EmbedQueries(ctx context.Context, queries []string) ([][]float32, error) {
	r, err := e.EmbedDetailed(ctx, queries, EmbedOptions{Query: true})
	return r.Embeddings, err
}

// EmbedDetailed embeds texts with per-call options and reports token counts
// and truncation per input.
func (e *Embedder) EmbedDetailed(ctx context.Context, texts []string, opt EmbedOptions) (Result, error) {
	dims, err := e.dimensions(opt.Dimensions)
	if err != nil {
		return Result{}, err
	}
	toks, err := e.Tokenize(ctx, texts, opt)
	if err != nil {
		return Result{}, err
	}
	in := make([]graph.Input, len(toks))
	res := Result{Inputs: make([]InputStats, len(toks))}
	for i, t := range toks {
		in[i] = graph.Input{IDs: t.IDs, TypeIDs: t.TypeIDs, Skip: t.SkipTokens}
		res.Inputs[i] = InputStats{Tokens: len(t.IDs), Truncated: t.Truncated, OriginalTokens: t.OriginalTokens}
		res.TotalTokens += len(t.IDs)
	}
	progress := opt.Progress
	if progress == nil {
		progress = e.s.progress
	}
	raw, err := e.embedTokens(ctx, in, progress)
	if err != nil {
		return Result{}, err
	}
	if raw, err = e.modules(raw); err != nil {
		return Result{}, err
	}
	normalize := e.s.normalize
	if opt.Normalize != nil {
		normalize = *opt.Normalize
	}
	res.Embeddings = make([][]float32, len(raw))
	for i, v := range raw {
		res.Embeddings[i] = Finish(v, dims, normalize)
	}
	return res, nil
}

// Prompt returns the text prepended to inputs under opt (see EmbedOptions).
func (e *Embedder) Prompt(opt EmbedOptions) (string, error) {
	if err := CheckPromptOptions(opt); err != nil {
		return "", err
	}
	switch {
	case opt.Prompt != "":
		return opt.Prompt, nil
	case opt.Instruction != "":
		return InstructionPrompt(opt.Instruction), nil
	case opt.PromptName != "":
		return e.namedPrompt(opt.PromptName)
	case opt.Query:
		if e.s.instruction != "" {
			return InstructionPrompt(e.s.instruction), nil
		}
		return e.info.Prompts["query"], nil
	case e.s.promptName != "":
		return e.namedPrompt(e.s.promptName)
	default:
		return e.info.Prompts[e.info.DefaultPromptName], nil
	}
}

// PromptConflictError is EmbedOptions with more than one of Prompt,
// PromptName and Instruction: which one should win is not guessed.
type PromptConflictError struct {
	Fields []string // as the CLI flags and request fields name them: "prompt", "prompt_name", "instruction"
}

func (e *PromptConflictError) Error() string {
	return fmt.Sprintf("embed: give one of %s, not several", strings.Join(e.Fields, ", "))
}

// CheckPromptOptions reports a *PromptConflictError when opt sets more than
// one of Prompt, PromptName and Instruction.
func CheckPromptOptions(opt EmbedOptions) error {
	var set []string
	if opt.Prompt != "" {
		set = append(set, "prompt")
	}
	if opt.PromptName != "" {
		set = append(set, "prompt_name")
	}
	if opt.Instruction != "" {
		set = append(set, "instruction")
	}
	if len(set) > 1 {
		return &PromptConflictError{Fields: set}
	}
	return nil
}

// InstructionPrompt is the Qwen3-Embedding query prefix for a task; the
// query follows "Query:" directly, without a space.
func InstructionPrompt(task string) string {
	return "Instruct: " + task + "\nQuery:"
}

// UnknownPromptError is returned for a prompt name the model does not
// define; callers (the server) answer it as a bad request.
type UnknownPromptError struct {
	Name  string
	Known []string // the model's prompt names, sorted
	Dir   string   // the model folder
}

func (e *UnknownPromptError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown prompt name %q: %s/config_sentence_transformers.json defines no prompts", e.Name, e.Dir)
	}
	return fmt.Sprintf("unknown prompt name %q (the model has: %s)", e.Name, strings.Join(e.Known, ", "))
}

func (e *Embedder) namedPrompt(name string) (string, error) {
	p, ok := e.info.Prompts[name]
	if !ok {
		return "", &UnknownPromptError{Name: name, Known: e.info.PromptNames(), Dir: e.info.Dir}
	}
	return p, nil
}

func (e *Embedder) dimensions(n int) (int, error) {
	if n == 0 {
		return e.info.Dimensions, nil
	}
	if n < 0 || n > e.width {
		return 0, fmt.Errorf("dimensions %d out of range: the model's vectors have %d values", n, e.width)
	}
	return n, nil
}

// Tokenize applies the prompt and tokenizes texts (special tokens added) as
// EmbedDetailed would, truncating to the maximum length or, with
// NoTruncate, failing with a *TooLongError naming the first long input.
func (e *Embedder) Tokenize(ctx context.Context, texts []string, opt EmbedOptions) ([]Tokenized, error) {
	prompt, err := e.Prompt(opt)
	if err != nil {
		return nil, err
	}
	maxLen := e.info.MaxLength
	if opt.MaxLength != 0 {
		if opt.MaxLength < 1 || opt.MaxLength > e.info.MaxPositions {
			return nil, fmt.Errorf("max length %d out of range 1..%d (max_position_embeddings)", opt.MaxLength, e.info.MaxPositions)
		}
		maxLen = opt.MaxLength
	}
	full := texts
	if prompt != "" || e.info.DoLowerCase {
		full = make([]string, len(texts))
		for i, t := range texts {
			full[i] = prompt + t
			if e.info.DoLowerCase { // sentence_bert_config.json's do_lower_case
				full[i] = strings.ToLower(full[i])
			}
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	encs, err := e.enc.encodeBatch(ctx, full, maxLen)
	if err != nil {
		return nil, err
	}
	skip := 0
	if prompt != "" && !e.info.IncludePrompt {
		// sentence-transformers: the prompt's length with special tokens,
		// less one (the closing special token).
		p := prompt
		if e.info.DoLowerCase {
			p = strings.ToLower(p)
		}
		pe, err := e.enc.encodeBatch(ctx, []string{p}, 0)
		if err != nil {
			return nil, err
		}
		skip = max(0, len(pe[0].ids)-1)
	}
	noTruncate := opt.NoTruncate || e.s.noTruncate
	out := make([]Tokenized, len(encs))
	for i, enc := range encs {
		orig := enc.originalLen
		if orig < len(enc.ids) {
			orig = len(enc.ids)
		}
		if enc.truncated && noTruncate {
			return nil, &TooLongError{Index: i, Tokens: orig, Max: maxLen}
		}
		out[i] = Tokenized{IDs: enc.ids, TypeIDs: enc.typeIDs, SkipTokens: min(skip, len(enc.ids)), Truncated: enc.truncated, OriginalTokens: orig}
	}
	return out, nil
}

// EmbedTokens runs token sequences (as from Tokenize) through the model and
// returns the pooled vectors in input order, NOT normalized and with all
// dimensions (see Finish). Sequences are sorted by length and packed into
// batches by the token budget; batch composition does not change a vector.
func (e *Embedder) EmbedTokens(ctx context.Context, seqs [][]int) ([][]float32, error) {
	in := make([]graph.Input, len(seqs))
	for i, s := range seqs {
		in[i].IDs = s
	}
	raw, err := e.embedTokens(ctx, in, nil)
	if err != nil {
		return nil, err
	}
	return e.modules(raw)
}

// modules runs the sentence-transformers modules after pooling: the Dense
// modules in order, then Normalize when the model lists it.
func (e *Embedder) modules(raw [][]float32) ([][]float32, error) {
	if len(e.dense) == 0 && !e.info.Normalize {
		return raw, nil
	}
	for i, v := range raw {
		for _, d := range e.dense {
			var err error
			if v, err = d.apply(v); err != nil {
				return nil, err
			}
		}
		if e.info.Normalize {
			Normalize(v)
		}
		raw[i] = v
	}
	return raw, nil
}

func (e *Embedder) embedTokens(ctx context.Context, in []graph.Input, progress func(Progress)) ([][]float32, error) {
	total := 0
	lengths := make([]int, len(in))
	for i, t := range in {
		s := t.IDs
		if len(s) == 0 {
			return nil, fmt.Errorf("input %d has no tokens", i)
		}
		if len(s) > e.info.MaxPositions {
			return nil, fmt.Errorf("input %d has %d tokens, more than max_position_embeddings %d", i, len(s), e.info.MaxPositions)
		}
		for _, id := range s {
			if id < 0 || id >= e.info.Vocab {
				return nil, fmt.Errorf("input %d: token id %d out of range 0..%d", i, id, e.info.Vocab-1)
			}
		}
		lengths[i] = len(s)
		total += len(s)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	p := Progress{Total: len(in), TotalTokens: total}
	out, err := e.model.Run(ctx, in, func(done []int) {
		for _, i := range done {
			p.Done++
			p.DoneTokens += lengths[i]
		}
		if progress != nil {
			progress(p)
		}
	})
	if err != nil {
		return nil, err
	}
	if len(out) != len(in) {
		return nil, fmt.Errorf("model returned %d vectors for %d inputs", len(out), len(in))
	}
	for i, v := range out {
		if k := nonFinite(v); k >= 0 {
			// NaN or Inf cannot be normalized or written as JSON; say so
			// rather than hand out a vector that is garbage.
			return nil, fmt.Errorf("input %d: the model produced a non-finite value (%v at dimension %d); are the weights in %s corrupt?", i, v[k], k, e.info.Dir)
		}
	}
	return out, nil
}

// nonFinite returns the index of the first NaN or ±Inf in v, or -1.
func nonFinite(v []float32) int {
	for k, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return k
		}
	}
	return -1
}

// Close frees the model. It waits for running calls; later calls return
// ErrClosed. Closing twice is harmless.
func (e *Embedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	return e.model.Close()
}
