package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Config is what the forward pass needs from a model's config.json.
type Config struct {
	ModelType     string  // "qwen3", "qwen2"
	Hidden        int     // hidden_size
	Intermediate  int     // intermediate_size
	Layers        int     // num_hidden_layers
	Heads         int     // num_attention_heads
	KVHeads       int     // num_key_value_heads (defaults to Heads)
	HeadDim       int     // head_dim (defaults to Hidden/Heads; Qwen2 has none)
	Vocab         int     // vocab_size
	MaxPositions  int     // max_position_embeddings
	RMSEps        float64 // rms_norm_eps
	RopeTheta     float64 // rope_theta
	AttentionBias bool    // q/k/v projections carry biases (always for Qwen2)
	TieEmbeddings bool    // tie_word_embeddings (irrelevant for embeddings; reported)
	TorchDType    string  // torch_dtype, informational
}

type rawConfig struct {
	ModelType        string          `json:"model_type"`
	Hidden           *int            `json:"hidden_size"`
	Intermediate     *int            `json:"intermediate_size"`
	Layers           *int            `json:"num_hidden_layers"`
	Heads            *int            `json:"num_attention_heads"`
	KVHeads          *int            `json:"num_key_value_heads"`
	HeadDim          *int            `json:"head_dim"`
	Vocab            *int            `json:"vocab_size"`
	MaxPositions     *int            `json:"max_position_embeddings"`
	RMSEps           *float64        `json:"rms_norm_eps"`
	RopeTheta        *float64        `json:"rope_theta"`
	AttentionBias    *bool           `json:"attention_bias"`
	TieEmbeddings    bool            `json:"tie_word_embeddings"`
	TorchDType       string          `json:"torch_dtype"`
	RopeScaling      json.RawMessage `json:"rope_scaling"`
	UseSlidingWindow bool            `json:"use_sliding_window"`
	HiddenAct        string          `json:"hidden_act"`
}

// ReadConfig reads dir/config.json.
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, "config.json")
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

// ParseConfig parses the contents of a config.json.
func ParseConfig(data []byte) (Config, error) {
	var r rawConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return Config{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if r.ModelType == "" {
		return Config{}, errors.New(`field "model_type" is missing`)
	}
	arch, ok := architectures[r.ModelType]
	if !ok {
		return Config{}, fmt.Errorf("unsupported model_type %q (supported: %s)", r.ModelType, strings.Join(SupportedModelTypes(), ", "))
	}
	var missing []string
	req := func(field string, p *int) int {
		if p == nil {
			missing = append(missing, field)
			return 0
		}
		return *p
	}
	c := Config{
		ModelType:    r.ModelType,
		Hidden:       req("hidden_size", r.Hidden),
		Intermediate: req("intermediate_size", r.Intermediate),
		Layers:       req("num_hidden_layers", r.Layers),
		Heads:        req("num_attention_heads", r.Heads),
		Vocab:        req("vocab_size", r.Vocab),
		RMSEps:       1e-6,
		RopeTheta:    arch.defaultRopeTheta,
		MaxPositions: 32768,
		TorchDType:   r.TorchDType,

		TieEmbeddings: r.TieEmbeddings,
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("required field(s) missing: %s", strings.Join(missing, ", "))
	}
	c.KVHeads = c.Heads
	if r.KVHeads != nil {
		c.KVHeads = *r.KVHeads
	}
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	if arch.defaultHeadDim > 0 {
		c.HeadDim = arch.defaultHeadDim
	}
	if r.HeadDim != nil && arch.readsHeadDim {
		c.HeadDim = *r.HeadDim
	}
	if r.MaxPositions != nil {
		c.MaxPositions = *r.MaxPositions
	}
	if r.RMSEps != nil {
		c.RMSEps = *r.RMSEps
	}
	if r.RopeTheta != nil {
		c.RopeTheta = *r.RopeTheta
	}
	c.AttentionBias = arch.alwaysBias
	if r.AttentionBias != nil && !arch.alwaysBias {
		c.AttentionBias = *r.AttentionBias
	}
	if rs := strings.TrimSpace(string(r.RopeScaling)); rs != "" && rs != "null" {
		var s struct {
			Type     string `json:"type"`
			RopeType string `json:"rope_type"`
		}
		_ = json.Unmarshal(r.RopeScaling, &s)
		if t := s.Type + s.RopeType; t != "" && t != "default" && t != "defaultdefault" {
			return Config{}, fmt.Errorf("field \"rope_scaling\": type %q is not supported", t)
		}
	}
	// The MLP kernel is SwiGLU; any other activation would give wrong vectors silently.
	if a := r.HiddenAct; a != "" && a != "silu" && a != "swish" {
		return Config{}, fmt.Errorf("field \"hidden_act\": activation %q is not supported (only silu)", a)
	}
	if r.UseSlidingWindow {
		return Config{}, errors.New(`field "use_sliding_window": sliding-window attention is not supported`)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	check := []struct {
		field string
		v     int
	}{
		{"hidden_size", c.Hidden}, {"intermediate_size", c.Intermediate}, {"num_hidden_layers", c.Layers},
		{"num_attention_heads", c.Heads}, {"num_key_value_heads", c.KVHeads}, {"head_dim", c.HeadDim},
		{"vocab_size", c.Vocab}, {"max_position_embeddings", c.MaxPositions},
	}
	for _, f := range check {
		if f.v <= 0 || f.v > 1<<24 {
			return fmt.Errorf("field %q: value %d out of range", f.field, f.v)
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("field \"num_attention_heads\" (%d) is not a multiple of \"num_key_value_heads\" (%d)", c.Heads, c.KVHeads)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("field \"head_dim\" (%d) must be even for rotary embeddings", c.HeadDim)
	}
	if !(c.RMSEps > 0 && c.RMSEps < 1) {
		return fmt.Errorf("field \"rms_norm_eps\": value %v out of range", c.RMSEps)
	}
	if !(c.RopeTheta > 1) {
		return fmt.Errorf("field \"rope_theta\": value %v out of range", c.RopeTheta)
	}
	return nil
}

// SupportedModelTypes lists the model_type values this package can run.
func SupportedModelTypes() []string {
	var ts []string
	for t := range architectures {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// ReadPooling reads sentence-transformers' dir/1_Pooling/config.json (the
// path listed in modules.json is honoured when present). A folder without
// one pools the last token, as Qwen3-Embedding does.
func ReadPooling(dir string) (Pooling, error) {
	poolDir := "1_Pooling"
	if data, err := os.ReadFile(filepath.Join(dir, "modules.json")); err == nil {
		var mods []struct{ Path, Type string }
		if json.Unmarshal(data, &mods) == nil {
			for _, m := range mods {
				if strings.HasSuffix(m.Type, "Pooling") && m.Path != "" && !strings.Contains(m.Path, "..") {
					poolDir = m.Path
				}
			}
		}
	}
	path := filepath.Join(dir, poolDir, "config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return PoolLastToken, nil
	}
	if err != nil {
		return 0, fmt.Errorf("graph: reading pooling config: %w", err)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		return 0, fmt.Errorf("graph: %s: invalid JSON: %w", path, err)
	}
	on := func(k string) bool { b, _ := p[k].(bool); return b }
	switch {
	case on("pooling_mode_lasttoken"):
		return PoolLastToken, nil
	case on("pooling_mode_mean_tokens"):
		return PoolMean, nil
	case on("pooling_mode_cls_token"):
		return PoolCLS, nil
	}
	return 0, fmt.Errorf("graph: %s: no supported pooling mode (lasttoken, mean_tokens, cls_token) is enabled", path)
}
