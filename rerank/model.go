package rerank

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/graph"
	"github.com/gembed-dev/gembed/modelfolder"
	"github.com/gembed-dev/gembed/tokenizer"
)

// Kind is how a model folder reranks, if it does.
type Kind int

const (
	// NotReranker is an embedding model (or anything else).
	NotReranker Kind = iota
	// CrossEncoder is a *ForSequenceClassification model.
	CrossEncoder
	// CausalLM is a Qwen3-Reranker-style causal LM judged by yes/no logits.
	CausalLM
)

func (k Kind) String() string {
	switch k {
	case CrossEncoder:
		return "cross-encoder"
	case CausalLM:
		return "causal-lm reranker"
	}
	return "not a reranker"
}

// Detect says how the folder's model reranks: a sequence-classification
// class gembed knows in config.json's architectures is a cross-encoder; a
// qwen3 ForCausalLM checkpoint without sentence-transformers modules is a
// Qwen3-Reranker (Qwen3-Embedding names the same class but carries
// modules.json); anything else is not a reranker.
func Detect(f *modelfolder.Folder) (Kind, error) {
	cfg, err := graph.ParseConfig(f.Config)
	if err != nil {
		return NotReranker, fmt.Errorf("%s/%s: %w", f.Dir, modelfolder.ConfigFile, err)
	}
	if graph.FindHead(cfg) != "" {
		return CrossEncoder, nil
	}
	if cfg.ModelType == "qwen3" && !f.HasModules {
		for _, a := range cfg.Architectures {
			if strings.HasSuffix(a, "ForCausalLM") {
				return CausalLM, nil
			}
		}
	}
	return NotReranker, nil
}

// DetectDir is Detect for a folder path.
func DetectDir(dir string) (Kind, error) {
	f, err := modelfolder.Read(dir)
	if err != nil {
		return NotReranker, err
	}
	return Detect(f)
}

// The Qwen3-Reranker prompt, from its model card.
const (
	// DefaultInstruction is the Qwen3-Reranker task when none is given.
	DefaultInstruction = "Given a web search query, retrieve relevant passages that answer the query"
	promptPrefix       = "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n"
	promptSuffix       = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
)

// body is the user turn between the prompt's prefix and suffix.
func body(instruction, query, doc string) string {
	return "<Instruct>: " + instruction + "\n<Query>: " + query + "\n<Document>: " + doc
}

// initPrompt tokenizes the prompt's fixed parts and finds "yes" and "no".
func (r *Reranker) initPrompt() error {
	plain := tokenizer.EncodeOptions{}
	p, err := r.tok.Encode(promptPrefix, plain)
	if err != nil {
		return fmt.Errorf("the reranker prompt's prefix: %w", err)
	}
	s, err := r.tok.Encode(promptSuffix, plain)
	if err != nil {
		return fmt.Errorf("the reranker prompt's suffix: %w", err)
	}
	r.prefix, r.suffix = p.IDs, s.IDs
	for _, w := range []string{"yes", "no"} {
		if _, ok := r.tok.TokenToID(w); !ok {
			return fmt.Errorf("the vocabulary has no token %q for the reranker's answer", w)
		}
	}
	return nil
}

func (r *Reranker) yesID() int { id, _ := r.tok.TokenToID("yes"); return id }
func (r *Reranker) noID() int  { id, _ := r.tok.TokenToID("no"); return id }

// encode tokenizes the pairs as the reference does, truncating each to
// maxLen tokens and reporting it (or refusing, with NoTruncate).
func (r *Reranker) encode(ctx context.Context, pairs []Pair, maxLen int, opt Options) ([]graph.Input, []embed.InputStats, error) {
	noTruncate := opt.NoTruncate || r.load.NoTruncate
	var (
		encs  []tokenizer.Encoding
		extra int // tokens around what the tokenizer encoded
		err   error
	)
	switch r.info.Kind {
	case CrossEncoder:
		// CrossEncoder.predict calls the tokenizer with truncation=True:
		// longest_first, whatever tokenizer.json's truncation section says.
		texts := make([][2]string, len(pairs))
		for i, p := range pairs {
			texts[i] = [2]string{p.Query, p.Document}
		}
		encs, err = r.tok.EncodePairBatch(ctx, texts, tokenizer.EncodeOptions{AddSpecialTokens: true, MaxLength: maxLen,
			TruncateLeft: r.tok.TruncationLeft(), Strategy: tokenizer.LongestFirst})
	case CausalLM:
		instruction := r.info.Instruction
		if opt.Instruction != "" {
			instruction = opt.Instruction
		}
		extra = len(r.prefix) + len(r.suffix)
		budget := maxLen - extra
		if budget < 1 {
			return nil, nil, fmt.Errorf("rerank: max length %d leaves no room for a document: the reranker prompt alone has %d tokens", maxLen, extra)
		}
		texts := make([]string, len(pairs))
		for i, p := range pairs {
			texts[i] = body(instruction, p.Query, p.Document)
		}
		// The model card tokenizes the body alone (its tokenizer adds no
		// special tokens) and puts the prompt's tokens around it.
		encs, err = r.tok.EncodeBatch(ctx, texts, tokenizer.EncodeOptions{MaxLength: budget, TruncateLeft: r.tok.TruncationLeft()})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("rerank: tokenizing: %w", err)
	}
	in := make([]graph.Input, len(encs))
	stats := make([]embed.InputStats, len(encs))
	for i, e := range encs {
		orig := max(e.OriginalLength, len(e.IDs)) + extra
		if e.Truncated && noTruncate {
			return nil, nil, &embed.TooLongError{Index: i, Tokens: orig, Max: maxLen}
		}
		ids := e.IDs
		var types []int
		if r.info.Kind == CausalLM {
			ids = make([]int, 0, len(e.IDs)+extra)
			ids = append(append(append(ids, r.prefix...), e.IDs...), r.suffix...)
		} else {
			types = e.TypeIDs
		}
		if len(ids) == 0 {
			return nil, nil, fmt.Errorf("rerank: pair %d has no tokens", i)
		}
		in[i] = graph.Input{IDs: ids, TypeIDs: types}
		stats[i] = embed.InputStats{Tokens: len(ids), Truncated: e.Truncated, OriginalTokens: orig}
	}
	return in, stats, nil
}

// activation maps a raw score to the score.
type activation struct {
	name string
	f    func(float32) float32
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// crossEncoderActivation is sentence-transformers' CrossEncoder default:
// config.json's sentence_transformers.activation_fn (or the pre-v4
// sbert_ce_default_activation_function), else sigmoid for one label. A
// path outside torch is code sentence-transformers runs only with
// trust_remote_code, so it falls back to the default, as there.
func crossEncoderActivation(cfg graph.Config, labels int) (activation, error) {
	var c struct {
		ST struct {
			ActivationFn string `json:"activation_fn"`
		} `json:"sentence_transformers"`
		Legacy string `json:"sbert_ce_default_activation_function"`
	}
	if err := cfg.Decode(&c); err != nil {
		return activation{}, err
	}
	path := c.ST.ActivationFn
	if path == "" {
		path = c.Legacy
	}
	if strings.HasPrefix(path, "torch.") {
		switch path[strings.LastIndex(path, ".")+1:] {
		case "Sigmoid":
			return activation{"Sigmoid", sigmoid}, nil
		case "Identity":
			return activation{"Identity", func(x float32) float32 { return x }}, nil
		case "Tanh":
			return activation{"Tanh", func(x float32) float32 { return float32(math.Tanh(float64(x))) }}, nil
		}
		return activation{}, fmt.Errorf("field \"sentence_transformers.activation_fn\": %q is not supported (Sigmoid, Identity, Tanh)", path)
	}
	if labels == 1 {
		return activation{"Sigmoid", sigmoid}, nil
	}
	return activation{"Identity", func(x float32) float32 { return x }}, nil
}
