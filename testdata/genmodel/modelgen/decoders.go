package modelgen

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	qwen3embedding "github.com/gembed-dev/gembed/testdata/tokenizer/qwen3-embedding"
)

// The decoder families beyond Qwen: gemma3_text (google/embeddinggemma-300m),
// mistral (intfloat/e5-mistral-7b-instruct and kin) and llama. Each writes
// config.json as its real model does, and the sentence-transformers files of
// that model (EmbeddingGemma: mean pooling → 2_Dense → 3_Dense → Normalize;
// the Mistral/Llama embedders: last-token pooling → Normalize).
//
// The tokenizer is Qwen3-Embedding's (the vocabulary is its 151669 ids), not
// the family's: these models test the forward pass and the
// sentence-transformers modules; the family tokenizers are tested apart.
// It appends <|endoftext|> to every text, standing in for the EOS that the
// Mistral/Llama embedders' tokenizer configs append.

// FamilySpec holds what a decoder family adds to a Spec.
type FamilySpec struct {
	Arch string // model_type: "gemma3_text", "mistral" or "llama"

	// SlidingWindow is config.json's sliding_window (gemma3_text, mistral);
	// 0 writes null.
	SlidingWindow int
	// LayerTypes is gemma3_text's layer_types ("sliding_attention",
	// "full_attention"), one per layer.
	LayerTypes         []string
	QueryPreAttnScalar int     // gemma3_text
	RopeLocalBase      float64 // gemma3_text's rope_local_base_freq
	// Dense lists the output widths of sentence-transformers Dense modules
	// (2_Dense, 3_Dense, …) after the pooling, each without bias and with
	// the identity activation, as in EmbeddingGemma.
	Dense []int
}

type namedFile struct {
	name string
	data []byte
}

func decoderVariants() []string {
	return []string{"gemma3-f32", "mistral-sharded", "llama-f32"}
}

// decoderVariant returns the Spec of a decoder-family test variant:
//   - "gemma3-f32": EmbeddingGemma's layout (bidirectional, 4 layers: local,
//     local, full, local; window 8; head_dim ≠ hidden/heads;
//     query_pre_attn_scalar ≠ head_dim; 64 → 256 → 64 Dense), F32;
//   - "mistral-sharded": e5-mistral's layout (window 8), F16 in 3 shards;
//   - "llama-f32": a LlamaForCausalLM checkpoint ("model." names, lm_head,
//     explicit head_dim), F32.
func decoderVariant(name string) (Spec, bool) {
	base := Spec{
		DType: "F32", Shards: 1,
		Hidden: 64, Intermediate: 160, Layers: 3, Heads: 4, KVHeads: 2,
		Vocab: 151669, MaxPositions: 2048, RMSEps: 1e-5, RopeTheta: 10000,
	}
	switch name {
	case "gemma3-f32":
		s := base
		s.Arch, s.Seed = "gemma3_text", 20250904
		s.Intermediate, s.Layers, s.Heads, s.KVHeads, s.HeadDim = 96, 4, 4, 1, 24
		s.RMSEps, s.RopeTheta = 1e-6, 1e6
		s.TieEmbeddings = true
		s.Family = &FamilySpec{Arch: s.Arch, SlidingWindow: 8, QueryPreAttnScalar: 20, RopeLocalBase: 10000,
			LayerTypes: []string{"sliding_attention", "sliding_attention", "full_attention", "sliding_attention"},
			Dense:      []int{256, 64}}
		return s, true
	case "mistral-sharded":
		s := base
		s.Arch, s.Seed, s.DType, s.Shards = "mistral", 20231227, "F16", 3
		s.MaxPositions = 32768
		s.Family = &FamilySpec{Arch: s.Arch, SlidingWindow: 8}
		return s, true
	case "llama-f32":
		s := base
		s.Arch, s.Seed, s.HeadDim = "llama", 20240418, 32
		s.RopeTheta = 500000
		s.Prefix, s.LMHead = true, true
		s.Family = &FamilySpec{Arch: s.Arch}
		return s, true
	}
	return Spec{}, false
}

// decoderTensors lists a decoder family's tensors in natural order.
func (s Spec) decoderTensors() []tensorDesc {
	p := ""
	if s.Prefix {
		p = "model."
	}
	hd := s.headDim()
	gemma := s.Arch == "gemma3_text"
	var out []tensorDesc
	add := func(name string, kind tensorKind, shape ...int) {
		out = append(out, tensorDesc{name: name, shape: shape, kind: kind})
	}
	add(p+"embed_tokens.weight", kindEmbed, s.Vocab, s.Hidden)
	for i := range s.Layers {
		l := fmt.Sprintf("%slayers.%d.", p, i)
		add(l+"input_layernorm.weight", kindNorm, s.Hidden)
		add(l+"self_attn.q_proj.weight", kindLinear, s.Heads*hd, s.Hidden)
		add(l+"self_attn.k_proj.weight", kindLinear, s.KVHeads*hd, s.Hidden)
		add(l+"self_attn.v_proj.weight", kindLinear, s.KVHeads*hd, s.Hidden)
		add(l+"self_attn.o_proj.weight", kindLinear, s.Hidden, s.Heads*hd)
		if gemma {
			add(l+"self_attn.q_norm.weight", kindNorm, hd)
			add(l+"self_attn.k_norm.weight", kindNorm, hd)
		}
		add(l+"post_attention_layernorm.weight", kindNorm, s.Hidden)
		if gemma {
			add(l+"pre_feedforward_layernorm.weight", kindNorm, s.Hidden)
			add(l+"post_feedforward_layernorm.weight", kindNorm, s.Hidden)
		}
		add(l+"mlp.gate_proj.weight", kindLinear, s.Intermediate, s.Hidden)
		add(l+"mlp.up_proj.weight", kindLinear, s.Intermediate, s.Hidden)
		add(l+"mlp.down_proj.weight", kindLinear, s.Hidden, s.Intermediate)
	}
	add(p+"norm.weight", kindNorm, s.Hidden)
	if s.LMHead {
		add("lm_head.weight", kindLinear, s.Vocab, s.Hidden)
	}
	return out
}

// files returns every non-weight file of the folder.
func (f *FamilySpec) files(s Spec, tokenizerJSON []byte) []namedFile {
	files := []namedFile{
		{"config.json", f.config(s)},
		{"tokenizer.json", tokenizerJSON},
		{"tokenizer_config.json", qwen3embedding.TokenizerConfigJSON},
	}
	modules := []map[string]any{
		{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
		{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
	}
	pooling := "lasttoken"
	prompts := map[string]any{ // e5-mistral-7b-instruct's instruction format
		"web_search_query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: ",
		"sts_query":        "Instruct: Retrieve semantically similar text.\nQuery: ",
	}
	if f.Arch == "gemma3_text" {
		pooling = "mean_tokens"
		prompts = map[string]any{ // EmbeddingGemma's
			"query":          "task: search result | query: ",
			"document":       "title: none | text: ",
			"Classification": "task: classification | query: ",
			"Clustering":     "task: clustering | query: ",
			"STS":            "task: sentence similarity | query: ",
		}
		files = append(files, namedFile{"sentence_bert_config.json", mustJSON(map[string]any{"max_seq_length": s.MaxPositions, "do_lower_case": false})})
	}
	in := s.Hidden
	for i, out := range f.Dense {
		dir := fmt.Sprintf("%d_Dense", i+2)
		modules = append(modules, map[string]any{"idx": i + 2, "name": fmt.Sprint(i + 2), "path": dir, "type": "sentence_transformers.models.Dense"})
		files = append(files, namedFile{filepath.Join(dir, "config.json"), mustJSON(map[string]any{
			"in_features": in, "out_features": out, "bias": false,
			"activation_function": "torch.nn.modules.linear.Identity",
		})})
		in = out
	}
	n := len(modules)
	modules = append(modules, map[string]any{"idx": n, "name": fmt.Sprint(n), "path": fmt.Sprintf("%d_Normalize", n), "type": "sentence_transformers.models.Normalize"})
	modes := map[string]any{"word_embedding_dimension": s.Hidden, "include_prompt": true}
	for _, m := range []string{"cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken"} {
		modes["pooling_mode_"+m] = m == pooling
	}
	return append(files,
		namedFile{"modules.json", mustJSON(modules)},
		namedFile{filepath.Join("1_Pooling", "config.json"), mustJSON(modes)},
		namedFile{"config_sentence_transformers.json", mustJSON(map[string]any{
			"prompts": prompts, "default_prompt_name": nil, "similarity_fn_name": "cosine",
		})},
	)
}

// config mirrors the family's real config.json (keys sorted, as transformers
// writes them).
func (f *FamilySpec) config(s Spec) []byte {
	var window any
	if f.SlidingWindow > 0 {
		window = f.SlidingWindow
	}
	c := map[string]any{
		"attention_dropout":       0.0,
		"bos_token_id":            151643,
		"eos_token_id":            151643,
		"hidden_size":             s.Hidden,
		"initializer_range":       0.02,
		"intermediate_size":       s.Intermediate,
		"max_position_embeddings": s.MaxPositions,
		"model_type":              s.Arch,
		"num_attention_heads":     s.Heads,
		"num_hidden_layers":       s.Layers,
		"num_key_value_heads":     s.KVHeads,
		"rms_norm_eps":            s.RMSEps,
		"rope_theta":              s.RopeTheta,
		"tie_word_embeddings":     s.TieEmbeddings,
		"torch_dtype":             torchDType(s.DType),
		"use_cache":               true,
		"vocab_size":              s.Vocab,
	}
	switch f.Arch {
	case "gemma3_text": // google/embeddinggemma-300m
		c["architectures"] = []string{"Gemma3TextModel"}
		c["_sliding_window_pattern"] = 6
		c["attention_bias"] = false
		c["attn_logit_softcapping"] = nil
		c["final_logit_softcapping"] = nil
		c["head_dim"] = s.headDim()
		c["hidden_activation"] = "gelu_pytorch_tanh"
		c["layer_types"] = f.LayerTypes
		c["pad_token_id"] = 0
		c["query_pre_attn_scalar"] = f.QueryPreAttnScalar
		c["rope_local_base_freq"] = f.RopeLocalBase
		c["rope_scaling"] = nil
		c["sliding_window"] = window
		c["transformers_version"] = "4.57.0.dev0"
		c["use_bidirectional_attention"] = true
	case "mistral": // intfloat/e5-mistral-7b-instruct
		c["architectures"] = []string{"MistralModel"}
		c["hidden_act"] = "silu"
		c["pad_token_id"] = 151643
		c["sliding_window"] = window
		c["transformers_version"] = "4.34.0"
		c["use_cache"] = false
	case "llama": // a LlamaForCausalLM checkpoint
		c["architectures"] = []string{"LlamaForCausalLM"}
		c["attention_bias"] = false
		c["head_dim"] = s.headDim()
		c["hidden_act"] = "silu"
		c["mlp_bias"] = false
		c["pretraining_tp"] = 1
		c["rope_scaling"] = nil
		c["transformers_version"] = "4.46.0"
	}
	return mustJSON(c)
}

// writeDense writes each Dense module's weights as
// <i>_Dense/model.safetensors holding "linear.weight" [out, in]. Each module
// draws from its own seed (the tensor names are all "linear.weight").
func (s Spec) writeDense(dir string) error {
	in := s.Hidden
	for i, out := range s.Family.Dense {
		sub := filepath.Join(dir, fmt.Sprintf("%d_Dense", i+2))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return fmt.Errorf("modelgen: %w", err)
		}
		ds := s
		ds.DType = "F32" // sentence-transformers saves its modules in float32
		ds.Seed = s.Seed + int64(i+2)
		t := []tensorDesc{{name: "linear.weight", shape: []int{out, in}, kind: kindLinear}}
		if err := writeFileAtomic(filepath.Join(sub, "model.safetensors"), func(w io.Writer) error {
			return writeSafetensors(w, ds, t)
		}); err != nil {
			return err
		}
		in = out
	}
	return nil
}

// Mistral7B returns intfloat/e5-mistral-7b-instruct's exact shapes — hidden
// 4096, MLP 14336, 32 heads (8 kv) × 128, vocabulary 32000, F16 as it ships,
// window 4096 — with only the given number of decoder layers (the real model
// has 32), in shards of at most ~2 GB: memory figures of a few layers
// extrapolate to the whole model without 14 GB of disk.
func Mistral7B(layers int) Spec {
	s := Spec{
		Arch: "mistral", DType: "F16",
		Hidden: 4096, Intermediate: 14336, Layers: layers, Heads: 32, KVHeads: 8,
		Vocab: 32000, Seed: 7, MaxPositions: 32768, RMSEps: 1e-5, RopeTheta: 10000,
		Family: &FamilySpec{Arch: "mistral", SlidingWindow: 4096},
	}
	perLayer := 2 * (2*4096*4096 + 2*1024*4096 + 3*14336*4096)
	s.Shards = max(2, (32000*4096*2+layers*perLayer)/(2<<30)+1)
	return s
}
