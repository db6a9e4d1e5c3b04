package modelgen

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// floatJSON writes a float as Python does (160000.0, not 160000): the
// configuration classes of transformers type-check their float fields.
func floatJSON(f float64) json.Number {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s)
}

// Rotary describes the rotary-position encoder families (Arch "modernbert",
// "nomic_bert", "new"): their own config fields. The sentence-transformers
// pipeline is Spec.Encoder's, with the real all-MiniLM-L6-v2 tokenizer (these
// families' own tokenizers are not carried by any package we can install).
type Rotary struct {
	// modernbert
	LocalAttention, GlobalEvery int
	GlobalTheta, LocalTheta     float64
	// nomic_bert
	Base     int
	Fraction float64
	// Bias sets modernbert's norm_bias, attention_bias and mlp_bias; with
	// LayerTypes the config is written as transformers 5 saves it
	// (layer_types, rope_parameters) instead of global_attn_every_n_layers.
	Bias       bool
	LayerTypes []string
	// new: NTKFactor 0 writes rope_scaling null; TypeVocab is type_vocab_size.
	NTKFactor float64
	TypeVocab int
}

func (s Spec) isRotary() bool {
	return s.Arch == "modernbert" || s.Arch == "nomic_bert" || s.Arch == "new"
}

// TinyModernBERT returns a small random ModernBERT: 3 layers (global, local,
// global), a sliding window of 4 tokens each side so that test texts reach
// past it, mean pooling, Normalize.
func TinyModernBERT() Spec {
	return Spec{
		Arch: "modernbert", DType: "F32", Shards: 1,
		Hidden: 64, Intermediate: 96, Layers: 3, Heads: 4, KVHeads: 4,
		Vocab: 30522, Seed: 20261126, MaxPositions: 512, RMSEps: 1e-5,
		Encoder: &Encoder{Pooling: []string{"mean"}, IncludePrompt: true, Normalize: true, MaxSeqLength: 128},
		Rotary:  &Rotary{LocalAttention: 8, GlobalEvery: 2, GlobalTheta: 160000, LocalTheta: 10000},
	}
}

// rotaryTensors lists the tensors as the family's base model class saves them.
func (s Spec) rotaryTensors() []tensorDesc {
	var out []tensorDesc
	add := func(name string, kind tensorKind, shape ...int) {
		out = append(out, tensorDesc{name: name, shape: shape, kind: kind})
	}
	H, I := s.Hidden, s.Intermediate
	switch s.Arch {
	case "modernbert": // ModernBertModel; biases only with Rotary.Bias
		b := s.Rotary.Bias
		addB := func(name string, n int) {
			if b {
				add(name, kindBias, n)
			}
		}
		add("embeddings.tok_embeddings.weight", kindEmbed, s.Vocab, H)
		add("embeddings.norm.weight", kindNorm, H)
		addB("embeddings.norm.bias", H)
		for i := 0; i < s.Layers; i++ {
			l := fmt.Sprintf("layers.%d.", i)
			if i > 0 {
				add(l+"attn_norm.weight", kindNorm, H)
				addB(l+"attn_norm.bias", H)
			}
			add(l+"attn.Wqkv.weight", kindLinear, 3*H, H)
			addB(l+"attn.Wqkv.bias", 3*H)
			add(l+"attn.Wo.weight", kindLinear, H, H)
			addB(l+"attn.Wo.bias", H)
			add(l+"mlp_norm.weight", kindNorm, H)
			addB(l+"mlp_norm.bias", H)
			add(l+"mlp.Wi.weight", kindLinear, 2*I, H)
			addB(l+"mlp.Wi.bias", 2*I)
			add(l+"mlp.Wo.weight", kindLinear, H, I)
			addB(l+"mlp.Wo.bias", H)
		}
		add("final_norm.weight", kindNorm, H)
		addB("final_norm.bias", H)
	case "nomic_bert": // NomicBertModel (the model repository's code): biases only on the norms
		add("embeddings.word_embeddings.weight", kindEmbed, s.padVocab(), H)
		add("embeddings.token_type_embeddings.weight", kindEmbed, 2, H)
		add("emb_ln.weight", kindNorm, H)
		add("emb_ln.bias", kindBias, H)
		for i := 0; i < s.Layers; i++ {
			l := fmt.Sprintf("encoder.layers.%d.", i)
			add(l+"attn.Wqkv.weight", kindLinear, 3*H, H)
			add(l+"attn.out_proj.weight", kindLinear, H, H)
			add(l+"mlp.fc11.weight", kindLinear, I, H)
			add(l+"mlp.fc12.weight", kindLinear, I, H)
			add(l+"mlp.fc2.weight", kindLinear, H, I)
			add(l+"norm1.weight", kindNorm, H)
			add(l+"norm1.bias", kindBias, H)
			add(l+"norm2.weight", kindNorm, H)
			add(l+"norm2.bias", kindBias, H)
		}
	case "new": // NewModel with pack_qkv: biases everywhere but on up_gate_proj
		add("embeddings.word_embeddings.weight", kindEmbed, s.padVocab(), H)
		if s.Rotary.TypeVocab > 0 {
			add("embeddings.token_type_embeddings.weight", kindEmbed, s.Rotary.TypeVocab, H)
		}
		add("embeddings.LayerNorm.weight", kindNorm, H)
		add("embeddings.LayerNorm.bias", kindBias, H)
		for i := 0; i < s.Layers; i++ {
			l := fmt.Sprintf("encoder.layer.%d.", i)
			add(l+"attention.qkv_proj.weight", kindLinear, 3*H, H)
			add(l+"attention.qkv_proj.bias", kindBias, 3*H)
			add(l+"attention.o_proj.weight", kindLinear, H, H)
			add(l+"attention.o_proj.bias", kindBias, H)
			add(l+"attn_ln.weight", kindNorm, H)
			add(l+"attn_ln.bias", kindBias, H)
			add(l+"mlp.up_gate_proj.weight", kindLinear, 2*I, H)
			add(l+"mlp.down_proj.weight", kindLinear, H, I)
			add(l+"mlp.down_proj.bias", kindBias, H)
			add(l+"mlp_ln.weight", kindNorm, H)
			add(l+"mlp_ln.bias", kindBias, H)
		}
	}
	return out
}

// rotaryConfigJSON mirrors the family's published config.json.
func rotaryConfigJSON(s Spec) []byte {
	r := s.Rotary
	switch s.Arch {
	case "modernbert": // as nomic-ai/modernbert-embed-base's, sizes and token ids ours
		c := map[string]any{
			"architectures":              []string{"ModernBertModel"},
			"attention_bias":             false,
			"attention_dropout":          json.Number("0.0"),
			"bos_token_id":               101,
			"classifier_activation":      "gelu",
			"classifier_bias":            false,
			"classifier_dropout":         json.Number("0.0"),
			"classifier_pooling":         "mean",
			"cls_token_id":               101,
			"decoder_bias":               true,
			"deterministic_flash_attn":   false,
			"embedding_dropout":          json.Number("0.0"),
			"eos_token_id":               102,
			"global_attn_every_n_layers": r.GlobalEvery,
			"global_rope_theta":          floatJSON(r.GlobalTheta),
			"hidden_activation":          "gelu",
			"hidden_size":                s.Hidden,
			"initializer_cutoff_factor":  json.Number("2.0"),
			"initializer_range":          0.02,
			"intermediate_size":          s.Intermediate,
			"layer_norm_eps":             s.RMSEps,
			"local_attention":            r.LocalAttention,
			"local_rope_theta":           floatJSON(r.LocalTheta),
			"max_position_embeddings":    s.MaxPositions,
			"mlp_bias":                   false,
			"mlp_dropout":                json.Number("0.0"),
			"model_type":                 "modernbert",
			"norm_bias":                  false,
			"norm_eps":                   s.RMSEps,
			"num_attention_heads":        s.Heads,
			"num_hidden_layers":          s.Layers,
			"pad_token_id":               0,
			"sep_token_id":               102,
			"torch_dtype":                torchDType(s.DType),
			"transformers_version":       "4.48.0",
			"vocab_size":                 s.Vocab,
		}
		if r.Bias {
			c["norm_bias"], c["attention_bias"], c["mlp_bias"] = true, true, true
		}
		if r.LayerTypes != nil {
			delete(c, "global_attn_every_n_layers")
			delete(c, "global_rope_theta")
			delete(c, "local_rope_theta")
			c["layer_types"] = r.LayerTypes
			c["rope_parameters"] = map[string]any{
				"full_attention":    map[string]any{"rope_type": "default", "rope_theta": floatJSON(r.GlobalTheta)},
				"sliding_attention": map[string]any{"rope_type": "default", "rope_theta": floatJSON(r.LocalTheta)},
			}
			c["transformers_version"] = "5.24.0"
		}
		return mustJSON(c)
	case "nomic_bert": // as nomic-ai/nomic-embed-text-v1.5's, sizes ours
		return mustJSON(map[string]any{
			"activation_function":             "swiglu",
			"architectures":                   []string{"NomicBertModel"},
			"attn_pdrop":                      json.Number("0.0"),
			"auto_map":                        map[string]string{"AutoConfig": "nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig", "AutoModel": "nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel"},
			"bos_token_id":                    nil,
			"causal":                          false,
			"dense_seq_output":                true,
			"embd_pdrop":                      json.Number("0.0"),
			"eos_token_id":                    nil,
			"fused_bias_fc":                   true,
			"fused_dropout_add_ln":            true,
			"initializer_range":               0.02,
			"layer_norm_epsilon":              s.RMSEps,
			"max_trained_positions":           2048,
			"mlp_fc1_bias":                    false,
			"mlp_fc2_bias":                    false,
			"model_type":                      "nomic_bert",
			"n_embd":                          s.Hidden,
			"n_head":                          s.Heads,
			"n_inner":                         s.Intermediate,
			"n_layer":                         s.Layers,
			"n_positions":                     s.MaxPositions,
			"pad_vocab_size_multiple":         64,
			"parallel_block":                  false,
			"parallel_block_tied_norm":        false,
			"prenorm":                         false,
			"qkv_proj_bias":                   false,
			"reorder_and_upcast_attn":         false,
			"resid_pdrop":                     json.Number("0.0"),
			"rotary_emb_base":                 r.Base,
			"rotary_emb_fraction":             floatJSON(r.Fraction),
			"rotary_emb_interleaved":          false,
			"rotary_emb_scale_base":           nil,
			"rotary_scaling_factor":           nil,
			"scale_attn_by_inverse_layer_idx": false,
			"scale_attn_weights":              true,
			"summary_activation":              nil,
			"summary_first_dropout":           0.1,
			"summary_proj_to_labels":          true,
			"summary_type":                    "cls_index",
			"summary_use_proj":                true,
			"torch_dtype":                     torchDType(s.DType),
			"transformers_version":            "4.34.0",
			"type_vocab_size":                 2,
			"use_cache":                       true,
			"use_flash_attn":                  true,
			"use_rms_norm":                    false,
			"use_xentropy":                    true,
			"vocab_size":                      s.Vocab,
		})
	case "new": // as Alibaba-NLP/gte-base-en-v1.5's, sizes ours
		c := map[string]any{
			"architectures":                  []string{"NewModel"},
			"attention_probs_dropout_prob":   json.Number("0.0"),
			"auto_map":                       map[string]string{"AutoConfig": "Alibaba-NLP/new-impl--configuration.NewConfig", "AutoModel": "Alibaba-NLP/new-impl--modeling.NewModel"},
			"classifier_dropout":             nil,
			"hidden_act":                     "gelu",
			"hidden_dropout_prob":            0.1,
			"hidden_size":                    s.Hidden,
			"initializer_range":              0.02,
			"intermediate_size":              s.Intermediate,
			"layer_norm_eps":                 s.RMSEps,
			"layer_norm_type":                "layer_norm",
			"logn_attention_clip1":           false,
			"logn_attention_scale":           false,
			"max_position_embeddings":        s.MaxPositions,
			"model_type":                     "new",
			"num_attention_heads":            s.Heads,
			"num_hidden_layers":              s.Layers,
			"pack_qkv":                       true,
			"pad_token_id":                   0,
			"position_embedding_type":        "rope",
			"rope_scaling":                   map[string]any{"factor": floatJSON(r.NTKFactor), "type": "ntk"},
			"rope_theta":                     r.Base,
			"torch_dtype":                    torchDType(s.DType),
			"transformers_version":           "4.39.1",
			"type_vocab_size":                0,
			"unpad_inputs":                   false,
			"use_memory_efficient_attention": false,
			"vocab_size":                     s.padVocab(),
		}
		c["type_vocab_size"] = r.TypeVocab
		if r.NTKFactor == 0 {
			c["rope_scaling"] = nil
		}
		return mustJSON(c)
	}
	return nil
}

// TinyGTE returns a small random GTE v1.5 ("new"): rope_theta 500000 with
// NTK factor 2 and no token types like gte-base-en-v1.5, 2 layers, CLS
// pooling, Normalize.
func TinyGTE() Spec {
	return Spec{
		Arch: "new", DType: "F32", Shards: 1,
		Hidden: 64, Intermediate: 96, Layers: 2, Heads: 4, KVHeads: 4,
		Vocab: 30522, Seed: 20261128, MaxPositions: 8192, RMSEps: 1e-12,
		Encoder: &Encoder{Pooling: []string{"cls"}, IncludePrompt: true, Normalize: true, MaxSeqLength: 128},
		Rotary:  &Rotary{Base: 500000, NTKFactor: 2},
	}
}

// padVocab is the nomic_bert and new word table height: vocab_size rounded up to
// pad_vocab_size_multiple (64).
func (s Spec) padVocab() int { return (s.Vocab + 63) / 64 * 64 }

// TinyNomicBERT returns a small random NomicBERT (the real tokenizer's 30522
// words in a table padded to 30528, like nomic-embed-text's), 2 layers,
// rotary base 1000, mean pooling, Normalize.
func TinyNomicBERT() Spec {
	return Spec{
		Arch: "nomic_bert", DType: "F32", Shards: 1,
		Hidden: 64, Intermediate: 128, Layers: 2, Heads: 4, KVHeads: 4,
		Vocab: 30522, Seed: 20261127, MaxPositions: 8192, RMSEps: 1e-12,
		Encoder: &Encoder{Pooling: []string{"mean"}, IncludePrompt: true, Normalize: true, MaxSeqLength: 128},
		Rotary:  &Rotary{Base: 1000, Fraction: 1},
	}
}

func rotaryVariant(name string) (Spec, bool) {
	switch name {
	case "modernbert-mean":
		return TinyModernBERT(), true
	case "nomic-mean":
		return TinyNomicBERT(), true
	case "gte-cls":
		return TinyGTE(), true
	case "modernbert-bias-cls": // biases everywhere, transformers 5's config layout, an irregular layer pattern
		s := TinyModernBERT()
		s.Seed++
		s.Layers = 4
		s.Encoder.Pooling = []string{"cls"}
		s.Rotary.Bias = true
		s.Rotary.LayerTypes = []string{"full_attention", "sliding_attention", "sliding_attention", "full_attention"}
		s.Rotary.GlobalTheta, s.Rotary.LocalTheta = 80000, 5000
		return s, true
	case "gte-types-mean": // one token type and no rope scaling (gte-multilingual-base, arctic-embed-m-v2.0 style)
		s := TinyGTE()
		s.Seed++
		s.Encoder.Pooling = []string{"mean"}
		s.Rotary.NTKFactor = 0
		s.Rotary.TypeVocab = 1
		s.Rotary.Base = 160000
		return s, true
	}
	return Spec{}, false
}

func rotaryVariants() []string {
	return []string{"modernbert-mean", "nomic-mean", "gte-cls", "modernbert-bias-cls", "gte-types-mean"}
}
