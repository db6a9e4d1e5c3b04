package modelgen

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gembed-dev/gembed/testdata/tokenizer/minilm"
)

// Encoder describes the sentence-transformers pipeline of a BERT-family
// test model (Arch "bert", "roberta", "mpnet" or "distilbert").
type Encoder struct {
	TypeVocab int
	// Pooling are the enabled 1_Pooling modes ("cls", "mean", "max",
	// "mean_sqrt_len", "weightedmean", "lasttoken").
	Pooling       []string
	IncludePrompt bool
	Dense         []Dense // 2_Dense, 3_Dense, … in order
	Normalize     bool
	MaxSeqLength  int
	Prompts       map[string]string // config_sentence_transformers.json prompts
}

// Dense is one Dense module of a generated pipeline.
type Dense struct {
	Out        int
	Bias       bool
	Activation string // torch class: "Tanh", "Identity"
}

func (s Spec) isEncoder() bool {
	return s.Arch == "bert" || s.Arch == "roberta" || s.Arch == "mpnet" || s.Arch == "distilbert" || s.isRotary()
}

// TinyBERT returns a small random BERT with the real all-MiniLM-L6-v2
// tokenizer (vocabulary 30522): 2 layers, 32 wide, mean pooling, Normalize.
func TinyBERT() Spec {
	return Spec{
		Arch: "bert", DType: "F32", Shards: 1,
		Hidden: 32, Intermediate: 64, Layers: 2, Heads: 4, KVHeads: 4,
		Vocab: 30522, Seed: 20251126, MaxPositions: 512, RMSEps: 1e-12,
		Encoder: &Encoder{TypeVocab: 2, Pooling: []string{"mean"}, IncludePrompt: true, Normalize: true, MaxSeqLength: 128},
	}
}

// encoderTensors lists a BERT-family model's tensors as BertModel /
// RobertaModel save them (no prefix, pooler included).
func (s Spec) encoderTensors() []tensorDesc {
	if s.isRotary() {
		return s.rotaryTensors()
	}
	switch s.Arch {
	case "mpnet":
		return s.mpnetTensors()
	case "distilbert":
		return s.distilbertTensors()
	}
	var out []tensorDesc
	add := func(name string, kind tensorKind, shape ...int) {
		out = append(out, tensorDesc{name: name, shape: shape, kind: kind})
	}
	H, I := s.Hidden, s.Intermediate
	add("embeddings.word_embeddings.weight", kindEmbed, s.Vocab, H)
	add("embeddings.position_embeddings.weight", kindEmbed, s.MaxPositions, H)
	add("embeddings.token_type_embeddings.weight", kindEmbed, s.Encoder.TypeVocab, H)
	add("embeddings.LayerNorm.weight", kindNorm, H)
	add("embeddings.LayerNorm.bias", kindBias, H)
	for i := 0; i < s.Layers; i++ {
		l := fmt.Sprintf("encoder.layer.%d.", i)
		for _, p := range []string{"query", "key", "value"} {
			add(l+"attention.self."+p+".weight", kindLinear, H, H)
			add(l+"attention.self."+p+".bias", kindBias, H)
		}
		add(l+"attention.output.dense.weight", kindLinear, H, H)
		add(l+"attention.output.dense.bias", kindBias, H)
		add(l+"attention.output.LayerNorm.weight", kindNorm, H)
		add(l+"attention.output.LayerNorm.bias", kindBias, H)
		add(l+"intermediate.dense.weight", kindLinear, I, H)
		add(l+"intermediate.dense.bias", kindBias, I)
		add(l+"output.dense.weight", kindLinear, H, I)
		add(l+"output.dense.bias", kindBias, H)
		add(l+"output.LayerNorm.weight", kindNorm, H)
		add(l+"output.LayerNorm.bias", kindBias, H)
	}
	add("pooler.dense.weight", kindLinear, H, H)
	add("pooler.dense.bias", kindBias, H)
	return out
}

// denseTensors lists Dense module k's tensors (named as sentence-transformers
// saves them); the seed name carries the module folder.
func (s Spec) denseModule(k int) (folder string, in int, ts []tensorDesc) {
	in = s.Hidden * len(s.Encoder.Pooling)
	for _, d := range s.Encoder.Dense[:k] {
		in = d.Out
	}
	d := s.Encoder.Dense[k]
	ts = append(ts, tensorDesc{name: "linear.weight", shape: []int{d.Out, in}, kind: kindLinear})
	if d.Bias {
		ts = append(ts, tensorDesc{name: "linear.bias", shape: []int{d.Out}, kind: kindBias})
	}
	return fmt.Sprintf("%d_Dense", 2+k), in, ts
}

// writeEncoderFiles writes everything but the transformer's weights.
func writeEncoderFiles(dir string, s Spec) error {
	e := s.Encoder
	prompts := e.Prompts
	if prompts == nil {
		prompts = map[string]string{}
	}
	tok, err := minilm.TokenizerJSON()
	if err != nil {
		return fmt.Errorf("modelgen: %w", err)
	}
	type file struct {
		name string
		data []byte
	}
	files := []file{
		{"config.json", encoderConfigJSON(s)},
		{"tokenizer.json", tok},
		{"tokenizer_config.json", minilm.TokenizerConfigJSON},
		{"special_tokens_map.json", minilm.SpecialTokensMapJSON},
		{"sentence_bert_config.json", mustJSON(map[string]any{"max_seq_length": e.MaxSeqLength, "do_lower_case": false})},
		{"config_sentence_transformers.json", mustJSON(map[string]any{
			"__version__": map[string]any{"sentence_transformers": "5.1.0", "transformers": "4.56.0", "pytorch": "2.8.0"},
			"prompts":     prompts, "default_prompt_name": nil, "similarity_fn_name": "cosine"})},
	}
	modules := []map[string]any{{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}}
	add := func(path, typ string) {
		modules = append(modules, map[string]any{"idx": len(modules), "name": fmt.Sprint(len(modules)), "path": path, "type": typ})
	}
	add("1_Pooling", "sentence_transformers.models.Pooling")
	pool := map[string]any{"word_embedding_dimension": s.Hidden, "include_prompt": e.IncludePrompt}
	for _, m := range []string{"cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken"} {
		pool["pooling_mode_"+m] = false
	}
	for _, m := range e.Pooling {
		key := map[string]string{"cls": "cls_token", "mean": "mean_tokens", "max": "max_tokens", "mean_sqrt_len": "mean_sqrt_len_tokens",
			"weightedmean": "weightedmean_tokens", "lasttoken": "lasttoken"}[m]
		if key == "" {
			return fmt.Errorf("modelgen: unknown pooling mode %q", m)
		}
		pool["pooling_mode_"+key] = true
	}
	files = append(files, file{filepath.Join("1_Pooling", "config.json"), mustJSON(pool)})
	for k, d := range e.Dense {
		folder, in, ts := s.denseModule(k)
		add(folder, "sentence_transformers.models.Dense")
		files = append(files, file{filepath.Join(folder, "config.json"), mustJSON(map[string]any{
			"in_features": in, "out_features": d.Out, "bias": d.Bias,
			"activation_function": "torch.nn.modules." + map[bool]string{true: "linear", false: "activation"}[d.Activation == "Identity"] + "." + d.Activation})})
		ds := s
		ds.Seed = s.Seed + int64(k+1)
		if err := os.MkdirAll(filepath.Join(dir, folder), 0o755); err != nil {
			return fmt.Errorf("modelgen: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(dir, folder, "model.safetensors"), func(w io.Writer) error {
			return writeSafetensors(w, ds, sortedByName(ts))
		}); err != nil {
			return err
		}
	}
	if e.Normalize {
		add(fmt.Sprintf("%d_Normalize", 2+len(e.Dense)), "sentence_transformers.models.Normalize")
	}
	files = append(files, file{"modules.json", mustJSON(modules)})
	if err := os.MkdirAll(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
		return fmt.Errorf("modelgen: %w", err)
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), func(w io.Writer) error {
			_, err := w.Write(f.data)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// encoderConfigJSON mirrors all-MiniLM-L6-v2's config.json (BertModel) or a
// RobertaModel's.
func encoderConfigJSON(s Spec) []byte {
	if s.isRotary() {
		return rotaryConfigJSON(s)
	}
	switch s.Arch {
	case "mpnet":
		return mpnetConfigJSON(s)
	case "distilbert":
		return distilbertConfigJSON(s)
	}
	c := map[string]any{
		"attention_probs_dropout_prob": 0.1,
		"hidden_act":                   "gelu",
		"hidden_dropout_prob":          0.1,
		"hidden_size":                  s.Hidden,
		"initializer_range":            0.02,
		"intermediate_size":            s.Intermediate,
		"layer_norm_eps":               s.RMSEps,
		"max_position_embeddings":      s.MaxPositions,
		"model_type":                   s.Arch,
		"num_attention_heads":          s.Heads,
		"num_hidden_layers":            s.Layers,
		"position_embedding_type":      "absolute",
		"torch_dtype":                  torchDType(s.DType),
		"transformers_version":         "4.56.0",
		"type_vocab_size":              s.Encoder.TypeVocab,
		"use_cache":                    true,
		"vocab_size":                   s.Vocab,
	}
	if s.Arch == "roberta" {
		c["architectures"] = []string{"RobertaModel"}
		c["pad_token_id"], c["bos_token_id"], c["eos_token_id"] = 1, 0, 2
	} else {
		c["architectures"] = []string{"BertModel"}
		c["pad_token_id"] = 0
	}
	return mustJSON(c)
}

// encoderVariant returns the BERT-family test variants.
func encoderVariant(name string) (Spec, bool) {
	s := TinyBERT()
	e := s.Encoder
	switch name {
	case "bert-mean":
	case "bert-cls-dense":
		s.Seed++
		e.Pooling = []string{"cls"}
		e.Dense = []Dense{{Out: 16, Bias: true, Activation: "Tanh"}, {Out: 24, Bias: false, Activation: "Identity"}}
	case "bert-modes":
		s.Seed += 2
		e.Pooling = []string{"max", "mean_sqrt_len", "weightedmean"}
		e.IncludePrompt = false
		e.Normalize = false
		e.Prompts = map[string]string{"query": "query: ", "document": "passage: "}
	case "roberta-mean":
		s.Seed += 3
		s.Arch = "roberta"
		s.RMSEps = 1e-5
		s.MaxPositions = 130 // usable 128 (positions start at pad_token_id + 1 = 2)
		e.TypeVocab = 1
		e.MaxSeqLength = 128
	case "mpnet-mean":
		s.Seed += 4
		s.Arch = "mpnet"
		s.RMSEps = 1e-5
		s.MaxPositions = 130 // usable 128, as RoBERTa's
		e.TypeVocab = 0
	case "distilbert-mean":
		s.Seed += 5
		s.Arch = "distilbert"
		s.MaxPositions = 128
		e.TypeVocab = 0
	default:
		return Spec{}, false
	}
	return s, true
}

func encoderVariants() []string {
	return []string{"bert-mean", "bert-cls-dense", "bert-modes", "roberta-mean", "mpnet-mean", "distilbert-mean"}
}

// BaseBERT returns a random BERT of bge-base-en-v1.5's shape (12 layers, 768
// wide, 3072 intermediate, 12 heads, F32, ~110M parameters) for speed
// benchmarks: CLS pooling and Normalize, as bge-base uses.
func BaseBERT() Spec {
	return Spec{
		Arch: "bert", DType: "F32", Shards: 1,
		Hidden: 768, Intermediate: 3072, Layers: 12, Heads: 12, KVHeads: 12,
		Vocab: 30522, Seed: 20251127, MaxPositions: 512, RMSEps: 1e-12,
		Encoder: &Encoder{TypeVocab: 2, Pooling: []string{"cls"}, Normalize: true, MaxSeqLength: 512},
	}
}
