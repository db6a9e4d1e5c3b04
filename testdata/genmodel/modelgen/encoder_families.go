package modelgen

import "fmt"

// The encoders whose tensors and config.json differ from BERT's: MPNet
// (MPNetModel, as all-mpnet-base-v2 stores it). Their sentence-transformers files are BERT's
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
