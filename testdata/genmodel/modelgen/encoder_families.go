package modelgen

import "fmt"

// The encoders whose tensors and config.json differ from BERT's: MPNet
// (MPNetModel, as all-mpnet-base-v2 stores it) and DistilBERT
// (DistilBertModel). Their sentence-transformers files are BERT's
// (writeEncoderFiles, the all-MiniLM-L6-v2 tokenizer).

// mpnetTensors lists an MPNetModel's tensors (pooler included).
func (s Spec) mpnetTensors() []tensorDesc {
	var out []tensorDesc
	add := func(name string, kind tensorKind, shape ...int) {
		out = append(out, tensorDesc{name: name, shape: shape, kind: kind})
	}
	H, I := s.Hidden, s.Intermediate
	add("embeddings.word_embeddings.weight", kindEmbed, s.Vocab, H)
	add("embeddings.position_embeddings.weight", kindEmbed, s.MaxPositions, H)
	add("embeddings.LayerNorm.weight", kindNorm, H)
	add("embeddings.LayerNorm.bias", kindBias, H)
	for i := 0; i < s.Layers; i++ {
		l := fmt.Sprintf("encoder.layer.%d.", i)
		for _, p := range []string{"q", "k", "v", "o"} {
			add(l+"attention.attn."+p+".weight", kindLinear, H, H)
			add(l+"attention.attn."+p+".bias", kindBias, H)
		}
		add(l+"attention.LayerNorm.weight", kindNorm, H)
		add(l+"attention.LayerNorm.bias", kindBias, H)
		add(l+"intermediate.dense.weight", kindLinear, I, H)
		add(l+"intermediate.dense.bias", kindBias, I)
		add(l+"output.dense.weight", kindLinear, H, I)
		add(l+"output.dense.bias", kindBias, H)
		add(l+"output.LayerNorm.weight", kindNorm, H)
		add(l+"output.LayerNorm.bias", kindBias, H)
	}
	// Drawn like embeddings (std 1) so the bias visibly shapes attention.
	add("encoder.relative_attention_bias.weight", kindEmbed, 32, s.Heads)
	add("pooler.dense.weight", kindLinear, H, H)
	add("pooler.dense.bias", kindBias, H)
	return out
}

// distilbertTensors lists a DistilBertModel's tensors.
func (s Spec) distilbertTensors() []tensorDesc {
	var out []tensorDesc
	add := func(name string, kind tensorKind, shape ...int) {
		out = append(out, tensorDesc{name: name, shape: shape, kind: kind})
	}
	H, I := s.Hidden, s.Intermediate
	add("embeddings.word_embeddings.weight", kindEmbed, s.Vocab, H)
	add("embeddings.position_embeddings.weight", kindEmbed, s.MaxPositions, H)
	add("embeddings.LayerNorm.weight", kindNorm, H)
	add("embeddings.LayerNorm.bias", kindBias, H)
	for i := 0; i < s.Layers; i++ {
		l := fmt.Sprintf("transformer.layer.%d.", i)
		for _, p := range []string{"q_lin", "k_lin", "v_lin", "out_lin"} {
			add(l+"attention."+p+".weight", kindLinear, H, H)
			add(l+"attention."+p+".bias", kindBias, H)
		}
		add(l+"sa_layer_norm.weight", kindNorm, H)
		add(l+"sa_layer_norm.bias", kindBias, H)
		add(l+"ffn.lin1.weight", kindLinear, I, H)
		add(l+"ffn.lin1.bias", kindBias, I)
		add(l+"ffn.lin2.weight", kindLinear, H, I)
		add(l+"ffn.lin2.bias", kindBias, H)
		add(l+"output_layer_norm.weight", kindNorm, H)
		add(l+"output_layer_norm.bias", kindBias, H)
	}
	return out
}

// mpnetConfigJSON mirrors all-mpnet-base-v2's config.json.
func mpnetConfigJSON(s Spec) []byte {
	return mustJSON(map[string]any{
		"architectures":                  []string{"MPNetModel"},
		"attention_probs_dropout_prob":   0.1,
		"bos_token_id":                   0,
		"eos_token_id":                   2,
		"hidden_act":                     "gelu",
		"hidden_dropout_prob":            0.1,
		"hidden_size":                    s.Hidden,
		"initializer_range":              0.02,
		"intermediate_size":              s.Intermediate,
		"layer_norm_eps":                 s.RMSEps,
		"max_position_embeddings":        s.MaxPositions,
		"model_type":                     "mpnet",
		"num_attention_heads":            s.Heads,
		"num_hidden_layers":              s.Layers,
		"pad_token_id":                   1,
		"relative_attention_num_buckets": 32,
		"torch_dtype":                    torchDType(s.DType),
		"transformers_version":           "4.56.0",
		"vocab_size":                     s.Vocab,
	})
}

// distilbertConfigJSON mirrors a DistilBERT sentence model's config.json
// (msmarco-distilbert-base-v4): DistilBERT's own field names.
func distilbertConfigJSON(s Spec) []byte {
	return mustJSON(map[string]any{
		"activation":              "gelu",
		"architectures":           []string{"DistilBertModel"},
		"attention_dropout":       0.1,
		"dim":                     s.Hidden,
		"dropout":                 0.1,
		"hidden_dim":              s.Intermediate,
		"initializer_range":       0.02,
		"max_position_embeddings": s.MaxPositions,
		"model_type":              "distilbert",
		"n_heads":                 s.Heads,
		"n_layers":                s.Layers,
		"pad_token_id":            0,
		"qa_dropout":              0.1,
		"seq_classif_dropout":     0.2,
		"sinusoidal_pos_embds":    false,
		"tie_weights_":            true,
		"torch_dtype":             torchDType(s.DType),
		"transformers_version":    "4.56.0",
		"vocab_size":              s.Vocab,
	})
}
