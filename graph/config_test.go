package graph

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       Config
		err        string
	}{
		{
			name: "qwen3-embedding-0.6b",
			json: `{"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"head_dim":128,"hidden_size":1024,
				"intermediate_size":3072,"max_position_embeddings":32768,"model_type":"qwen3","num_attention_heads":16,
				"num_hidden_layers":28,"num_key_value_heads":8,"rms_norm_eps":1e-06,"rope_scaling":null,"rope_theta":1000000,
				"tie_word_embeddings":true,"torch_dtype":"bfloat16","use_sliding_window":false,"vocab_size":151669}`,
			want: Config{ModelType: "qwen3", Hidden: 1024, Intermediate: 3072, Layers: 28, Heads: 16, KVHeads: 8, HeadDim: 128,
				Vocab: 151669, MaxPositions: 32768, TorchDType: "bfloat16"},
		},
		{
			name: "qwen2 without head_dim has biases",
			json: `{"model_type":"qwen2","hidden_size":64,"intermediate_size":128,"num_hidden_layers":3,"num_attention_heads":4,
				"num_key_value_heads":2,"vocab_size":100,"rope_theta":1000000.0,"max_position_embeddings":4096}`,
			want: Config{ModelType: "qwen2", Hidden: 64, Intermediate: 128, Layers: 3, Heads: 4, KVHeads: 2, HeadDim: 16,
				Vocab: 100, MaxPositions: 4096},
		},
		{name: "unknown model_type", json: `{"model_type":"rwkv"}`, err: `unsupported model_type "rwkv"`},
		{name: "missing model_type", json: `{"hidden_size":3}`, err: `"model_type" is missing`},
		{name: "missing field", json: `{"model_type":"qwen3","hidden_size":64}`, err: "intermediate_size"},
		{name: "gqa mismatch", json: `{"model_type":"qwen2","hidden_size":64,"intermediate_size":1,"num_hidden_layers":1,
			"num_attention_heads":4,"num_key_value_heads":3,"vocab_size":10}`, err: "num_key_value_heads"},
		{name: "rope scaling", json: `{"model_type":"qwen2","hidden_size":64,"intermediate_size":1,"num_hidden_layers":1,
			"num_attention_heads":4,"vocab_size":10,"rope_scaling":{"type":"yarn","factor":4}}`, err: "rope_scaling"},
		{name: "hidden_act gelu", json: `{"model_type":"qwen2","hidden_size":64,"intermediate_size":1,"num_hidden_layers":1,
			"num_attention_heads":4,"vocab_size":10,"hidden_act":"gelu"}`, err: `"hidden_act": activation "gelu"`},
		{name: "bad json", json: `{`, err: "invalid JSON"},
		{name: "malformed rope scaling", json: `{"model_type":"qwen2","hidden_size":64,"intermediate_size":1,"num_hidden_layers":1,
			"num_attention_heads":4,"vocab_size":10,"rope_scaling":"yarn"}`, err: "rope_scaling"},
		{name: "rope scaling without type", json: `{"model_type":"qwen2","hidden_size":64,"intermediate_size":1,"num_hidden_layers":1,
			"num_attention_heads":4,"vocab_size":10,"rope_scaling":{"factor":4}}`, err: "rope_scaling"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.raw, got.Architectures = nil, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestConfigLimits: every family refuses sizes beyond the limits by field
// name, before making per-layer tables (a billion-layer config must fail
// fast, not allocate).
func TestConfigLimits(t *testing.T) {
	base := map[string]string{
		"qwen3":       `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":16,"vocab_size":100,"max_position_embeddings":512`,
		"qwen2":       `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":512`,
		"bert":        `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":512`,
		"roberta":     `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":514,"pad_token_id":1`,
		"gemma3_text": `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":1,"head_dim":16,"vocab_size":100,"max_position_embeddings":512`,
		"mistral":     `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"max_position_embeddings":512`,
		"llama":       `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":512`,
		"modernbert":  `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":512`,
		"new":         `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":512,"position_embedding_type":"rope"`,
		"mpnet":       `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100,"max_position_embeddings":514,"pad_token_id":1`,
		// NomicBERT and DistilBERT use names of their own (see fileName below).
		"distilbert": `"dim":64,"hidden_dim":96,"n_layers":2,"n_heads":4,"vocab_size":100,"max_position_embeddings":512`,
		"nomic_bert": `"n_embd":64,"n_inner":96,"n_layer":2,"n_head":4,"vocab_size":100,"n_positions":512`,
	}
	// fileName is the name a family's config.json gives a common field.
	fileName := func(mt, field string) string {
		gpt2 := map[string]string{"num_hidden_layers": "n_layer", "hidden_size": "n_embd", "intermediate_size": "n_inner",
			"num_attention_heads": "n_head", "max_position_embeddings": "n_positions"}
		distilbert := map[string]string{"hidden_size": "dim", "intermediate_size": "hidden_dim",
			"num_hidden_layers": "n_layers", "num_attention_heads": "n_heads"}
		if n, ok := gpt2[field]; ok && mt == "nomic_bert" {
			return n
		}
		if n, ok := distilbert[field]; ok && mt == "distilbert" {
			return n
		}
		return field
	}
	over := []struct{ field, value string }{
		{"num_hidden_layers", "1000000000"},
		{"num_hidden_layers", "1025"},
		{"hidden_size", "1073741824"},
		{"intermediate_size", "1073741824"},
		{"num_attention_heads", "1048576"},
		{"vocab_size", "1073741824"},
		{"max_position_embeddings", "1073741824"},
	}
	for _, mt := range SupportedModelTypes() {
		fields, ok := base[mt]
		if !ok {
			if strings.Contains(mt, "roberta") || mt == "camembert" {
				fields = base["roberta"]
			} else {
				t.Errorf("model_type %s has no case here", mt)
				continue
			}
		}
		cfg := `{"model_type":"` + mt + `",` + fields + `}`
		if _, err := ParseConfig([]byte(cfg)); err != nil {
			t.Fatalf("%s: the base config fails: %v", mt, err)
		}
		for _, o := range over {
			name := fileName(mt, o.field)
			if !strings.Contains(cfg, `"`+name+`":`) {
				t.Fatalf("%s: the base config has no %s", mt, name)
			}
			bad := strings.Replace(cfg, `"`+name+`":`, `"`+name+`":`+o.value+`,"x":`, 1)
			_, err := ParseConfig([]byte(bad))
			if err == nil || !(strings.Contains(err.Error(), `"`+o.field+`"`) || strings.Contains(err.Error(), `"`+name+`"`)) {
				t.Errorf("%s with %s %s: error %v, want one naming the field", mt, o.field, o.value, err)
			}
		}
	}
}
