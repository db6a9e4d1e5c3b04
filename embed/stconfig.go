package embed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Pooling names how token states become one vector.
type Pooling string

// Pooling modes of sentence-transformers' Pooling module that gembed runs.
const (
	PoolLastToken Pooling = "lasttoken"
	PoolMean      Pooling = "mean"
	PoolCLS       Pooling = "cls"
)

// SentenceTransformers is what a model folder's sentence-transformers files
// say: modules.json, the pooling module's config.json and
// config_sentence_transformers.json. Missing files give the defaults of a
// Qwen3-Embedding model: last-token pooling, normalized, no prompts.
type SentenceTransformers struct {
	Pooling           Pooling
	Normalize         bool              // modules.json lists a Normalize module (or has no modules.json)
	Prompts           map[string]string // prompt name → text prepended to the input
	DefaultPromptName string            // "" when none
	Similarity        string            // similarity_fn_name, e.g. "cosine"
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

type stModule struct {
	Idx  int    `json:"idx"`
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"`
}

type stPooling struct {
	CLS          bool `json:"pooling_mode_cls_token"`
	Mean         bool `json:"pooling_mode_mean_tokens"`
	Max          bool `json:"pooling_mode_max_tokens"`
	MeanSqrtLen  bool `json:"pooling_mode_mean_sqrt_len_tokens"`
	WeightedMean bool `json:"pooling_mode_weightedmean_tokens"`
	LastToken    bool `json:"pooling_mode_lasttoken"`
}

type stConfig struct {
	Prompts           map[string]string `json:"prompts"`
	DefaultPromptName *string           `json:"default_prompt_name"`
	Similarity        *string           `json:"similarity_fn_name"`
}

// ReadSentenceTransformers reads the sentence-transformers files of a model
// folder. Errors name the file and field at fault.
func ReadSentenceTransformers(dir string) (SentenceTransformers, error) {
	st := SentenceTransformers{Pooling: PoolLastToken, Normalize: true, Prompts: map[string]string{}}

	poolingPath := "1_Pooling"
	var modules []stModule
	found, err := readJSON(filepath.Join(dir, "modules.json"), &modules)
	if err != nil {
		return st, err
	}
	if found {
		st.Normalize = false
		for _, m := range modules {
			// "sentence_transformers.models.Pooling", or the class's full
			// module path ("sentence_transformers.models.Pooling.Pooling")
			switch m.Type[strings.LastIndex(m.Type, ".")+1:] {
			case "Normalize":
				st.Normalize = true
			case "Pooling":
				if m.Path != "" {
					poolingPath = m.Path
				}
			case "Transformer":
			default:
				// A Dense projection or any other module changes the vectors;
				// skipping it would give wrong embeddings without a word.
				return st, fmt.Errorf("%s: module %q (%s) is not supported (gembed runs Transformer, Pooling and Normalize)",
					filepath.Join(dir, "modules.json"), m.Type, m.Path)
			}
		}
	}

	var p stPooling
	file := filepath.Join(dir, filepath.FromSlash(poolingPath), "config.json")
	found, err = readJSON(file, &p)
	if err != nil {
		return st, err
	}
	if found {
		var modes []Pooling
		if p.LastToken {
			modes = append(modes, PoolLastToken)
		}
		if p.Mean {
			modes = append(modes, PoolMean)
		}
		if p.CLS {
			modes = append(modes, PoolCLS)
		}
		switch {
		case p.Max:
			return st, fmt.Errorf("%s: pooling_mode_max_tokens is not supported", file)
		case p.MeanSqrtLen:
			return st, fmt.Errorf("%s: pooling_mode_mean_sqrt_len_tokens is not supported", file)
		case p.WeightedMean:
			return st, fmt.Errorf("%s: pooling_mode_weightedmean_tokens is not supported", file)
		case len(modes) > 1:
			return st, fmt.Errorf("%s: more than one pooling_mode_* is true (%v); gembed supports one", file, modes)
		case len(modes) == 1:
			st.Pooling = modes[0]
		}
	}

	var c stConfig
	file = filepath.Join(dir, "config_sentence_transformers.json")
	found, err = readJSON(file, &c)
	if err != nil {
		return st, err
	}
	if found {
		for k, v := range c.Prompts {
			st.Prompts[k] = v
		}
		if c.DefaultPromptName != nil && *c.DefaultPromptName != "" {
			st.DefaultPromptName = *c.DefaultPromptName
			if _, ok := st.Prompts[st.DefaultPromptName]; !ok {
				return st, fmt.Errorf("%s: default_prompt_name %q is not in prompts", file, st.DefaultPromptName)
			}
		}
		if c.Similarity != nil {
			st.Similarity = *c.Similarity
		}
	}
	return st, nil
}

// readJSON decodes file into v; a missing file is (false, nil).
func readJSON(file string, v any) (bool, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", file, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return false, fmt.Errorf("%s: field %q: %s where %s was expected", file, te.Field, te.Value, te.Type)
		}
		return false, fmt.Errorf("%s: %w", file, err)
	}
	return true, nil
}
