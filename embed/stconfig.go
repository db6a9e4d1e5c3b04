package embed

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gembed-dev/gembed/modelfolder"
)

// Pooling names how token states become one vector: a sentence-transformers
// pooling mode, or several joined by "+" (their outputs concatenated).
type Pooling string

// Pooling modes of sentence-transformers' Pooling module.
const (
	PoolLastToken    Pooling = "lasttoken"
	PoolMean         Pooling = "mean"
	PoolCLS          Pooling = "cls"
	PoolMax          Pooling = "max"
	PoolMeanSqrtLen  Pooling = "mean_sqrt_len"
	PoolWeightedMean Pooling = "weightedmean"
)

// DenseModule is a sentence-transformers Dense module: y = act(x·Wᵀ + b).
type DenseModule struct {
	Path       string // its folder, relative to the model folder
	In, Out    int
	Bias       bool
	Activation string // "Tanh", "Identity", …
}

// SentenceTransformers is what a model folder's sentence-transformers files
// say: modules.json and its modules' configs, sentence_bert_config.json and
// config_sentence_transformers.json.
type SentenceTransformers struct {
	// Pooling is the Pooling module's mode (modes joined by "+"); without
	// modules.json, mean — as sentence-transformers does (see Warnings).
	Pooling Pooling
	// IncludePrompt is false when the prompt's tokens are left out of the pool.
	IncludePrompt bool
	Dense         []DenseModule // in pipeline order, after pooling
	Normalize     bool          // modules.json lists a Normalize module
	// MaxSeqLength is sentence_bert_config.json's max_seq_length (0 = none).
	MaxSeqLength int
	// DoLowerCase lower-cases texts before tokenizing.
	DoLowerCase       bool
	Prompts           map[string]string // prompt name → text prepended to the input
	DefaultPromptName string            // "" when none
	Similarity        string            // similarity_fn_name, e.g. "cosine"
	// Warnings say what was assumed (no modules.json: mean pooling).
	Warnings []string
}

// PromptNames returns the prompt names, sorted.
func (st SentenceTransformers) PromptNames() []string {
	names := make([]string, 0, len(st.Prompts))
	for n := range st.Prompts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ReadSentenceTransformers reads the sentence-transformers files of a model
// folder. Errors name the file and field at fault.
func ReadSentenceTransformers(dir string) (SentenceTransformers, error) {
	f, err := modelfolder.Read(dir)
	if err != nil {
		return SentenceTransformers{}, err
	}
	return sentenceTransformers(f), nil
}

func sentenceTransformers(f *modelfolder.Folder) SentenceTransformers {
	st := SentenceTransformers{
		Pooling: PoolMean, IncludePrompt: true, Normalize: f.Normalize, Prompts: map[string]string{},
		MaxSeqLength: f.Transformer.MaxSeqLength, DoLowerCase: f.Transformer.DoLowerCase,
		DefaultPromptName: f.ST.DefaultPromptName, Similarity: f.ST.Similarity,
	}
	for k, v := range f.ST.Prompts {
		st.Prompts[k] = v
	}
	if f.Pooling != nil {
		st.Pooling = Pooling(strings.Join(f.Pooling.Modes, "+"))
		st.IncludePrompt = f.Pooling.IncludePrompt
	}
	if !f.HasModules {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%s has no %s: mean pooling over the model's output, not normalized (as sentence-transformers does)",
			f.Dir, modelfolder.ModulesFile))
	}
	for _, d := range f.Dense {
		st.Dense = append(st.Dense, DenseModule{Path: filepath.ToSlash(d.Path), In: d.In, Out: d.Out, Bias: d.Bias, Activation: d.Activation})
	}
	return st
}
