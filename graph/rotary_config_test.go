package graph

import (
	"encoding/json"
	"strings"
	"testing"
)

// withFields returns base with fields set (nil deletes a field).
func withFields(t *testing.T, base map[string]any, fields map[string]any) []byte {
	t.Helper()
	c := map[string]any{}
	for k, v := range base {
		c[k] = v
	}
	for k, v := range fields {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRotaryConfigErrors: every option these families do not implement, and
// every value out of range, is an error naming its field — never a guess.
func TestRotaryConfigErrors(t *testing.T) {
	modern := map[string]any{"model_type": "modernbert", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 3,
		"num_attention_heads": 4, "vocab_size": 100, "global_attn_every_n_layers": 2, "local_attention": 8}
	nomic := map[string]any{"model_type": "nomic_bert", "n_embd": 64, "n_inner": 128, "n_layer": 2, "n_head": 4, "vocab_size": 100,
		"activation_function": "swiglu", "rotary_emb_base": 1000, "rotary_emb_fraction": 1.0, "rotary_scaling_factor": nil}
	gteBase := map[string]any{"model_type": "new", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
		"num_attention_heads": 4, "vocab_size": 100, "position_embedding_type": "rope", "rope_theta": 500000,
		"rope_scaling": map[string]any{"type": "ntk", "factor": 2.0}}
	for _, base := range []map[string]any{modern, nomic, gteBase} {
		if _, err := ParseConfig(withFields(t, base, nil)); err != nil {
			t.Fatalf("%s: valid config refused: %v", base["model_type"], err)
		}
	}
	cases := []struct {
		name  string
		base  map[string]any
		set   map[string]any
		field string
	}{
		{"modernbert activation", modern, map[string]any{"hidden_activation": "swiglu2"}, "hidden_activation"},
		{"modernbert eps", modern, map[string]any{"norm_eps": 0}, "norm_eps"},
		{"modernbert window", modern, map[string]any{"local_attention": 1}, "local_attention"},
		{"modernbert every", modern, map[string]any{"global_attn_every_n_layers": 0}, "global_attn_every_n_layers"},
		{"modernbert theta", modern, map[string]any{"global_rope_theta": -1}, "global_rope_theta"},
		{"modernbert layer types length", modern, map[string]any{"layer_types": []string{"full_attention"}}, "layer_types"},
		{"modernbert layer kind", modern, map[string]any{"layer_types": []string{"full_attention", "x", "full_attention"}}, "layer_types"},
		{"modernbert rope type", modern, map[string]any{"rope_parameters": map[string]any{"full_attention": map[string]any{"rope_type": "yarn"}}}, "rope_parameters"},
		{"modernbert rope scaling", modern, map[string]any{"rope_scaling": map[string]any{"type": "linear", "factor": 2}}, "rope_scaling"},
		{"modernbert odd head dim", modern, map[string]any{"hidden_size": 60, "num_attention_heads": 4}, "head dim"},
		{"nomic activation", nomic, map[string]any{"activation_function": "gelu"}, "activation_function"},
		{"nomic interleaved", nomic, map[string]any{"rotary_emb_interleaved": true}, "rotary_emb_interleaved"},
		{"nomic prenorm", nomic, map[string]any{"prenorm": true}, "prenorm"},
		{"nomic causal", nomic, map[string]any{"causal": true}, "causal"},
		{"nomic scaling", nomic, map[string]any{"rotary_scaling_factor": 2.0}, "rotary_scaling_factor"},
		{"nomic scale base", nomic, map[string]any{"rotary_emb_scale_base": 512}, "rotary_emb_scale_base"},
		{"nomic fraction", nomic, map[string]any{"rotary_emb_fraction": 1.5}, "rotary_emb_fraction"},
		{"nomic odd rotary dims", nomic, map[string]any{"rotary_emb_fraction": 0.1}, "rotary_emb_fraction"},
		{"nomic no size", nomic, map[string]any{"n_embd": nil}, "hidden_size"},
		{"nomic base", nomic, map[string]any{"rotary_emb_base": 0}, "rotary_emb_base"},
		{"nomic odd head dim", nomic, map[string]any{"n_embd": 84, "rotary_emb_fraction": 0.1}, "head dim"},
		{"gte absolute positions", gteBase, map[string]any{"position_embedding_type": "absolute"}, "position_embedding_type"},
		{"gte no position type", gteBase, map[string]any{"position_embedding_type": nil}, "position_embedding_type"},
		{"gte rms norm", gteBase, map[string]any{"layer_norm_type": "rms_norm"}, "layer_norm_type"},
		{"gte logn", gteBase, map[string]any{"logn_attention_scale": true}, "logn_attention_scale"},
		{"gte unpacked qkv", gteBase, map[string]any{"pack_qkv": false}, "pack_qkv"},
		{"gte scaling type", gteBase, map[string]any{"rope_scaling": map[string]any{"type": "yarn", "factor": 2.0}}, "rope_scaling"},
		{"gte scaling factor", gteBase, map[string]any{"rope_scaling": map[string]any{"type": "ntk", "factor": -1}}, "rope_scaling"},
		{"gte mixed_b", gteBase, map[string]any{"rope_scaling": map[string]any{"type": "ntk", "factor": 2.0, "mixed_b": 1.5}}, "rope_scaling"},
		{"gte scaling not an object", gteBase, map[string]any{"rope_scaling": "ntk"}, "rope_scaling"},
		{"gte activation", gteBase, map[string]any{"hidden_act": "mish"}, "hidden_act"},
		{"gte types", gteBase, map[string]any{"type_vocab_size": -1}, "type_vocab_size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(withFields(t, tc.base, tc.set))
			if err == nil {
				t.Fatalf("accepted %v", tc.set)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q does not name %q", err, tc.field)
			}
		})
	}
}

// TestRotaryConfigDefaults checks what the families read or default: the
// common fields under their own names, the padded nomic vocabulary, the
// usable length.
func TestRotaryConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		want   Config
	}{
		{"nomic GPT-2 names, padded vocab", `{"model_type":"nomic_bert","n_embd":64,"n_layer":2,"n_head":4,"vocab_size":30522,"pad_vocab_size_multiple":64,"activation_function":"swiglu"}`,
			Config{Hidden: 64, Intermediate: 256, Layers: 2, Heads: 4, KVHeads: 4, HeadDim: 16, Vocab: 30528, MaxPositions: 2048}},
		{"modernbert default length", `{"model_type":"modernbert","hidden_size":64,"intermediate_size":96,"num_hidden_layers":3,"num_attention_heads":4,"vocab_size":100}`,
			Config{Hidden: 64, Intermediate: 96, Layers: 3, Heads: 4, KVHeads: 4, HeadDim: 16, Vocab: 100, MaxPositions: 8192}},
		{"gte", `{"model_type":"new","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"position_embedding_type":"rope","max_position_embeddings":8192}`,
			Config{Hidden: 64, Intermediate: 96, Layers: 2, Heads: 4, KVHeads: 4, HeadDim: 16, Vocab: 100, MaxPositions: 8192}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			got := Config{Hidden: c.Hidden, Intermediate: c.Intermediate, Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads,
				HeadDim: c.HeadDim, Vocab: c.Vocab, MaxPositions: c.MaxPositions}
			if got.Hidden != tc.want.Hidden || got.Intermediate != tc.want.Intermediate || got.Layers != tc.want.Layers ||
				got.Heads != tc.want.Heads || got.KVHeads != tc.want.KVHeads || got.HeadDim != tc.want.HeadDim ||
				got.Vocab != tc.want.Vocab || got.MaxPositions != tc.want.MaxPositions {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzRotaryConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"modernbert","hidden_size":64,"intermediate_size":96,"num_hidden_layers":3,"num_attention_heads":4,"vocab_size":100,"layer_types":["full_attention","sliding_attention","full_attention"],"rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":160000}}}`))
	f.Add([]byte(`{"model_type":"nomic_bert","n_embd":64,"n_layer":2,"n_head":4,"vocab_size":30522,"pad_vocab_size_multiple":64,"rotary_emb_fraction":0.5}`))
	f.Add([]byte(`{"model_type":"new","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"position_embedding_type":"rope","rope_scaling":{"type":"ntk","factor":2}}`))
	f.Add([]byte(`{"model_type":"bert","hidden_size":4,"intermediate_size":1,"num_hidden_layers":1,"num_attention_heads":4,"vocab_size":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, arch, err := parseConfig(data)
		if err != nil {
			return
		}
		if c.Hidden <= 0 || c.HeadDim <= 0 || c.Heads%c.KVHeads != 0 || c.Vocab <= 0 || c.MaxPositions <= 0 {
			t.Fatalf("accepted invalid config %+v", c)
		}
		// Rotary embeddings rotate pairs; absolute-position families (the
		// fuzzer reaches them too) may have any head size.
		absolute := map[string]bool{"bert": true, "roberta": true, "xlm-roberta": true, "camembert": true, "distilbert": true, "mpnet": true}
		if !absolute[c.ModelType] && c.HeadDim%2 != 0 {
			t.Fatalf("accepted an odd rotary head size: %+v", c)
		}
		for name, v := range arch.Dims() {
			if v < 0 {
				t.Fatalf("dimension %s = %d", name, v)
			}
		}
	})
}
