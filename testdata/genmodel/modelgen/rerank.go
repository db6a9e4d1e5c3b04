package modelgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gembed-dev/gembed/testdata/tokenizer/minilm"
	qwen3embedding "github.com/gembed-dev/gembed/testdata/tokenizer/qwen3-embedding"
)

// Rerank makes a generated model a reranker, saved as transformers saves
// the class (no sentence-transformers module files, as on the Hub):
//
//   - a cross-encoder (Arch "bert" or "roberta" with an Encoder): the
//     *ForSequenceClassification class, encoder tensors under "bert." or
//     "roberta.", and its head (BERT: pooler + classifier; RoBERTa:
//     classifier.dense + classifier.out_proj, no pooler);
//   - a causal-LM reranker (Arch "qwen3"): Qwen3ForCausalLM, tensors under
//     "model.", like Qwen/Qwen3-Reranker-0.6B.
type Rerank struct {
	// ModelType overrides config.json's model_type ("xlm-roberta").
	ModelType string
	Labels    int // num_labels of a cross-encoder
	// ActivationFn is config.json's sentence_transformers.activation_fn
	// ("" = none, so sentence-transformers uses its default).
	ActivationFn string
	// ClassifierPooling is a ModernBERT classifier's classifier_pooling.
	ClassifierPooling string
}

// rerankVariant returns the reranker test variants.
func rerankVariant(name string) (Spec, bool) {
	switch name {
	case "bert-cross-encoder", "bert-cross-encoder-identity":
		s := TinyBERT()
		s.Seed += 10
		s.Rerank = &Rerank{Labels: 1}
		if name == "bert-cross-encoder-identity" {
			s.Seed++
			s.Rerank.ActivationFn = "torch.nn.modules.linear.Identity"
		}
		return s, true
	case "xlmr-cross-encoder":
		s := TinyBERT()
		s.Seed += 12
		s.Arch = "roberta"
		s.RMSEps = 1e-5
		s.MaxPositions = 130
		s.Encoder.TypeVocab = 1
		s.Rerank = &Rerank{ModelType: "xlm-roberta", Labels: 1}
		return s, true
	case "modernbert-cross-encoder":
		s := TinyModernBERT()
		s.Seed += 20
		s.Rerank = &Rerank{Labels: 1, ClassifierPooling: "mean"}
		return s, true
	case "qwen3-reranker", "qwen3-reranker-lmhead":
		s := Tiny("qwen3")
		s.Seed = 20251127
		s.Prefix = true
		s.Rerank = &Rerank{}
		if name == "qwen3-reranker-lmhead" {
			s.Seed++
			s.LMHead = true
			s.TieEmbeddings = false
		}
		return s, true
	}
	return Spec{}, false
}

func rerankVariants() []string {
	return []string{"bert-cross-encoder", "bert-cross-encoder-identity", "xlmr-cross-encoder", "modernbert-cross-encoder",
		"qwen3-reranker", "qwen3-reranker-lmhead"}
}

// crossEncoderTensors lists a *ForSequenceClassification checkpoint's
// tensors.
func (s Spec) crossEncoderTensors() []tensorDesc {
	prefix := map[string]string{"bert": "bert.", "roberta": "roberta.", "modernbert": "model."}[s.Arch]
	var out []tensorDesc
	for _, t := range s.encoderTensors() {
		if s.Arch == "roberta" && (t.name == "pooler.dense.weight" || t.name == "pooler.dense.bias") {
			continue // RobertaForSequenceClassification has no pooler
		}
		t.name = prefix + t.name
		out = append(out, t)
	}
	H, L := s.Hidden, s.Rerank.Labels
	switch s.Arch {
	case "modernbert": // ModernBertPredictionHead without biases (classifier_bias, norm_bias false)
		out = append(out,
			tensorDesc{name: "head.dense.weight", shape: []int{H, H}, kind: kindLinear},
			tensorDesc{name: "head.norm.weight", shape: []int{H}, kind: kindNorm},
			tensorDesc{name: "classifier.weight", shape: []int{L, H}, kind: kindLinear},
			tensorDesc{name: "classifier.bias", shape: []int{L}, kind: kindBias})
	case "roberta":
		out = append(out,
			tensorDesc{name: "classifier.dense.weight", shape: []int{H, H}, kind: kindLinear},
			tensorDesc{name: "classifier.dense.bias", shape: []int{H}, kind: kindBias},
			tensorDesc{name: "classifier.out_proj.weight", shape: []int{L, H}, kind: kindLinear},
			tensorDesc{name: "classifier.out_proj.bias", shape: []int{L}, kind: kindBias})
	default:
		out = append(out,
			tensorDesc{name: "classifier.weight", shape: []int{L, H}, kind: kindLinear},
			tensorDesc{name: "classifier.bias", shape: []int{L}, kind: kindBias})
	}
	return out
}

// writeRerankerFiles writes everything but the weights.
func writeRerankerFiles(dir string, s Spec) error {
	type file struct {
		name string
		data []byte
	}
	var files []file
	if s.isEncoder() {
		tok, err := minilm.TokenizerJSON()
		if err != nil {
			return fmt.Errorf("modelgen: %w", err)
		}
		if s.Arch == "roberta" {
			// RoBERTa's pair template (<s> A </s></s> B </s>, one type id)
			// over the MiniLM vocabulary's [CLS] and [SEP].
			if tok, err = withPostProcessor(tok, `{"type":"RobertaProcessing","sep":["[SEP]",102],"cls":["[CLS]",101],"trim_offsets":true,"add_prefix_space":false}`); err != nil {
				return err
			}
		}
		tokConfig := minilm.TokenizerConfigJSON
		if s.Arch == "roberta" {
			// transformers' BertTokenizer class would rebuild BERT's own
			// template; the generic class runs tokenizer.json as written.
			var c map[string]any
			if err := json.Unmarshal(tokConfig, &c); err != nil {
				return fmt.Errorf("modelgen: tokenizer_config.json: %w", err)
			}
			c["tokenizer_class"] = "PreTrainedTokenizerFast"
			// As XLM-R checkpoints do: the usable length, which the
			// position table's padding_idx offset makes shorter than it.
			c["model_max_length"] = s.MaxPositions - 2
			tokConfig = mustJSON(c)
		}
		files = []file{
			{"config.json", crossEncoderConfigJSON(s)},
			{"tokenizer.json", tok},
			{"tokenizer_config.json", tokConfig},
			{"special_tokens_map.json", minilm.SpecialTokensMapJSON},
		}
	} else {
		tok, err := qwen3embedding.TokenizerJSON()
		if err != nil {
			return fmt.Errorf("modelgen: %w", err)
		}
		files = []file{
			{"config.json", configJSON(s)},
			{"generation_config.json", mustJSON(map[string]any{
				"bos_token_id": 151643, "eos_token_id": 151643, "transformers_version": transformersVersion(s)})},
			{"tokenizer.json", tok},
			{"tokenizer_config.json", qwen3embedding.TokenizerConfigJSON},
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
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

// crossEncoderConfigJSON is the encoder's config.json with the
// classification class, its labels and the sentence-transformers activation.
func crossEncoderConfigJSON(s Spec) []byte {
	var c map[string]any
	dec := json.NewDecoder(bytes.NewReader(encoderConfigJSON(s)))
	dec.UseNumber() // keep "2.0" a float for transformers' strict config fields
	if err := dec.Decode(&c); err != nil {
		panic(err) // our own JSON
	}
	r := s.Rerank
	if r.ModelType != "" {
		c["model_type"] = r.ModelType
	}
	class := map[string]string{"bert": "BertForSequenceClassification", "roberta": "RobertaForSequenceClassification",
		"xlm-roberta": "XLMRobertaForSequenceClassification", "modernbert": "ModernBertForSequenceClassification"}[c["model_type"].(string)]
	if r.ClassifierPooling != "" {
		c["classifier_pooling"] = r.ClassifierPooling
	}
	c["architectures"] = []string{class}
	id2label, label2id := map[string]string{}, map[string]int{}
	for i := range r.Labels {
		id2label[fmt.Sprint(i)] = fmt.Sprintf("LABEL_%d", i)
		label2id[fmt.Sprintf("LABEL_%d", i)] = i
	}
	c["id2label"], c["label2id"] = id2label, label2id
	if r.ActivationFn != "" {
		c["sentence_transformers"] = map[string]any{"activation_fn": r.ActivationFn, "version": "5.1.0"}
	}
	return mustJSON(c)
}

// withPostProcessor replaces tokenizer.json's post_processor.
func withPostProcessor(tok []byte, post string) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(tok, &top); err != nil {
		return nil, fmt.Errorf("modelgen: tokenizer.json: %w", err)
	}
	top["post_processor"] = json.RawMessage(post)
	out, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("modelgen: tokenizer.json: %w", err)
	}
	return out, nil
}
