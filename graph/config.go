package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gembed-dev/gembed/modelfolder"
)

// Config is what every architecture shares from a model's config.json. A
// family reads its own further fields (norm eps, rope_theta, activation, …)
// with Decode when it is constructed, and fills the common fields it names
// differently.
type Config struct {
	ModelType     string   // model_type, which selects the family
	Architectures []string // architectures (class names), which select a head
	Hidden        int      // hidden_size
	Intermediate  int      // intermediate_size (0 where a family has none)
	Layers        int      // num_hidden_layers
	Heads         int      // num_attention_heads
	KVHeads       int      // num_key_value_heads (defaults to Heads)
	HeadDim       int      // per-head width (defaults to Hidden/Heads)
	Vocab         int      // vocab_size
	// MaxPositions is the longest input the model accepts: what its position
	// encoding allows (max_position_embeddings, less a family's offset).
	MaxPositions int
	TorchDType   string // torch_dtype, informational

	raw []byte
}

// Decode unmarshals config.json into v, for a family's own fields.
func (c Config) Decode(v any) error {
	if err := json.Unmarshal(c.raw, v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

type commonConfig struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
	Hidden        int      `json:"hidden_size"`
	Intermediate  int      `json:"intermediate_size"`
	Layers        int      `json:"num_hidden_layers"`
	Heads         int      `json:"num_attention_heads"`
	KVHeads       int      `json:"num_key_value_heads"`
	HeadDim       int      `json:"head_dim"`
	Vocab         int      `json:"vocab_size"`
	MaxPositions  int      `json:"max_position_embeddings"`
	TorchDType    string   `json:"torch_dtype"`
}

// ReadConfig reads dir/config.json.
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, modelfolder.ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("graph: reading model config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("graph: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses the contents of a config.json: the common fields, then
// the family's own (which also validates them).
func ParseConfig(data []byte) (Config, error) {
	c, _, err := parseConfig(data)
	return c, err
}

func parseConfig(data []byte) (Config, Architecture, error) {
	var r commonConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return Config{}, nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if r.ModelType == "" {
		return Config{}, nil, errors.New(`field "model_type" is missing`)
	}
	fam, ok := families[r.ModelType]
	if !ok {
		return Config{}, nil, fmt.Errorf("unsupported model_type %q (supported: %s)", r.ModelType, strings.Join(SupportedModelTypes(), ", "))
	}
	c := Config{
		ModelType: r.ModelType, Architectures: r.Architectures, Hidden: r.Hidden, Intermediate: r.Intermediate,
		Layers: r.Layers, Heads: r.Heads, KVHeads: r.KVHeads, HeadDim: r.HeadDim, Vocab: r.Vocab,
		MaxPositions: r.MaxPositions, TorchDType: r.TorchDType, raw: data,
	}
	arch, err := fam.New(&c)
	if err != nil {
		return Config{}, nil, err
	}
	if err := c.validate(); err != nil {
		return Config{}, nil, err
	}
	return c, arch, nil
}

// Require reports the named common fields that are still zero, as one error.
func (c *Config) Require(fields ...string) error {
	var missing []string
	for _, f := range fields {
		if v, ok := c.field(f); ok && *v == 0 {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("required field(s) missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

func (c *Config) field(name string) (*int, bool) {
	switch name {
	case "hidden_size":
		return &c.Hidden, true
	case "intermediate_size":
		return &c.Intermediate, true
	case "num_hidden_layers":
		return &c.Layers, true
	case "num_attention_heads":
		return &c.Heads, true
	case "num_key_value_heads":
		return &c.KVHeads, true
	case "head_dim":
		return &c.HeadDim, true
	case "vocab_size":
		return &c.Vocab, true
	case "max_position_embeddings":
		return &c.MaxPositions, true
	}
	return nil, false
}

// Config limits, far above the largest published models, checked before a
// family makes its per-layer tables: a corrupt or hostile config.json must
// fail by name, not allocate gigabytes (or overflow a product of sizes).
const (
	MaxLayers       = 1024    // num_hidden_layers (published models: under 200)
	MaxHidden       = 1 << 18 // hidden_size
	MaxIntermediate = 1 << 20 // intermediate_size
	MaxHeads        = 1 << 12 // num_attention_heads, num_key_value_heads
	MaxHeadDim      = 1 << 14 // head_dim
	MaxVocab        = 1 << 24 // vocab_size
	MaxPositions    = 1 << 24 // max_position_embeddings
)

// validate checks the common fields after the family filled its defaults.
// Every family calls it before allocating anything sized by them.
func (c Config) validate() error {
	check := []struct {
		field  string
		v, max int
	}{
		{"hidden_size", c.Hidden, MaxHidden}, {"num_hidden_layers", c.Layers, MaxLayers},
		{"num_attention_heads", c.Heads, MaxHeads}, {"num_key_value_heads", c.KVHeads, MaxHeads},
		{"head_dim", c.HeadDim, MaxHeadDim}, {"vocab_size", c.Vocab, MaxVocab},
		{"max_position_embeddings", c.MaxPositions, MaxPositions},
	}
	for _, f := range check {
		if f.v <= 0 || f.v > f.max {
			return fmt.Errorf("field %q: value %d out of range (1 to %d)", f.field, f.v, f.max)
		}
	}
	if c.Intermediate < 0 || c.Intermediate > MaxIntermediate {
		return fmt.Errorf("field \"intermediate_size\": value %d out of range (0 to %d)", c.Intermediate, MaxIntermediate)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("field \"num_attention_heads\" (%d) is not a multiple of \"num_key_value_heads\" (%d)", c.Heads, c.KVHeads)
	}
	return nil
}

// defaultHeads fills KVHeads (= Heads) and HeadDim (= Hidden/Heads) when the
// config has none, as most families define them.
func (c *Config) defaultHeads() {
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.HeadDim == 0 && c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
}

// SupportedModelTypes lists the model_type values this package can run.
func SupportedModelTypes() []string {
	var ts []string
	for t := range families {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// poolingNames maps sentence-transformers' pooling mode names (as
// modelfolder reports them) to pooling modes.
var poolingNames = map[string]Pooling{
	"cls": PoolCLS, "max": PoolMax, "mean": PoolMean, "mean_sqrt_len": PoolMeanSqrtLen,
	"weightedmean": PoolWeightedMean, "lasttoken": PoolLastToken,
}

// ParsePooling maps a sentence-transformers pooling mode name ("cls",
// "mean", "max", "mean_sqrt_len", "weightedmean", "lasttoken").
func ParsePooling(name string) (Pooling, error) {
	p, ok := poolingNames[name]
	if !ok {
		return 0, fmt.Errorf("pooling mode %q is not supported", name)
	}
	return p, nil
}

// FolderPooling is the pooling a model folder asks for: its Pooling
// module's modes (concatenated in order), or — without modules.json, as
// sentence-transformers does — mean pooling.
func FolderPooling(f *modelfolder.Folder) ([]Pooling, error) {
	if f.Pooling == nil {
		return []Pooling{PoolMean}, nil
	}
	var ps []Pooling
	for _, n := range f.Pooling.Modes {
		p, err := ParsePooling(n)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}
