package modelgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	qwen3embedding "github.com/gembed-dev/gembed/testdata/tokenizer/qwen3-embedding"
)

// Write writes a complete Hugging Face model folder for s into dir (created if
// needed): config.json, the weights (model.safetensors, or shards plus
// model.safetensors.index.json), tokenizer.json, tokenizer_config.json,
// generation_config.json, modules.json, 1_Pooling/config.json and
// config_sentence_transformers.json. Weight files are streamed: memory stays
// small even for Full06B. Each file appears under its final name only once
// complete.
func Write(dir string, s Spec) error {
	if err := s.validate(); err != nil {
		return err
	}
	if s.Rerank != nil {
		if err := writeRerankerFiles(dir, s); err != nil {
			return err
		}
		return writeWeights(dir, s)
	}
	if s.isEncoder() {
		if err := writeEncoderFiles(dir, s); err != nil {
			return err
		}
		return writeWeights(dir, s)
	}
	if err := os.MkdirAll(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
		return fmt.Errorf("modelgen: %w", err)
	}
	tok, err := qwen3embedding.TokenizerJSON()
	if err != nil {
		return fmt.Errorf("modelgen: %w", err)
	}
	files := []namedFile{
		{"config.json", configJSON(s)},
		{"generation_config.json", mustJSON(map[string]any{
			"bos_token_id": 151643, "eos_token_id": 151643, "max_new_tokens": 2048,
			"transformers_version": transformersVersion(s),
		})},
		{"tokenizer.json", tok},
		{"tokenizer_config.json", qwen3embedding.TokenizerConfigJSON},
		{"modules.json", modulesJSON},
		{filepath.Join("1_Pooling", "config.json"), poolingJSON(s)},
		{"config_sentence_transformers.json", sentenceTransformersJSON},
	}
	if s.Family != nil {
		files = s.Family.files(s, tok)
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f.name)), 0o755); err != nil {
			return fmt.Errorf("modelgen: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(dir, f.name), func(w io.Writer) error {
			_, err := w.Write(f.data)
			return err
		}); err != nil {
			return err
		}
	}
	return writeWeights(dir, s)
}

// writeWeights writes the safetensors file(s) and, when sharded, the index.
func writeWeights(dir string, s Spec) error {
	plan := s.shardPlan()
	weightMap := map[string]string{}
	totalSize := 0
	for i, shard := range plan {
		name := shardFileName(i, len(plan))
		if err := writeFileAtomic(filepath.Join(dir, name), func(w io.Writer) error {
			return writeSafetensors(w, s, shard)
		}); err != nil {
			return err
		}
		for _, t := range shard {
			weightMap[t.name] = name
			totalSize += t.elems() * dtypeSize(s.DType)
		}
	}
	if s.Family != nil {
		if err := s.writeDense(dir); err != nil {
			return err
		}
	}
	if len(plan) > 1 {
		index := map[string]any{
			"metadata":   map[string]any{"total_size": totalSize},
			"weight_map": weightMap,
		}
		if err := writeFileAtomic(filepath.Join(dir, "model.safetensors.index.json"), func(w io.Writer) error {
			_, err := w.Write(mustJSON(index))
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("modelgen: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<22)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("modelgen: writing %s: %w", path, err)
	}
	return nil
}

// SafetensorsHeader returns the header JSON (padded with spaces to a multiple
// of 8 bytes, like the safetensors library) for tensors in the given order.
func safetensorsHeader(dtype string, ts []tensorDesc) []byte {
	var b bytes.Buffer
	b.WriteString(`{"__metadata__":{"format":"pt"}`)
	off := 0
	for _, t := range ts {
		name, _ := json.Marshal(t.name)
		b.WriteByte(',')
		b.Write(name)
		b.WriteString(`:{"dtype":"` + dtype + `","shape":[`)
		for i, d := range t.shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := off + t.elems()*dtypeSize(dtype)
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

func writeSafetensors(w io.Writer, s Spec, ts []tensorDesc) error {
	header := safetensorsHeader(s.DType, ts)
	var n [8]byte
	for i := range n {
		n[i] = byte(uint64(len(header)) >> (8 * i))
	}
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, t := range ts {
		if err := writeTensorData(w, s, t); err != nil {
			return fmt.Errorf("tensor %s: %w", t.name, err)
		}
	}
	return nil
}

// writeTensorData computes a batch of chunks in parallel, writes them in
// order, and repeats: bounded memory, deterministic bytes.
func writeTensorData(w io.Writer, s Spec, t tensorDesc) error {
	n := t.elems()
	nChunks := (n + chunkElems - 1) / chunkElems
	seed := tensorSeed(s, t.name)
	amp, center := drawParams(t)
	workers := runtime.GOMAXPROCS(0)
	batch := 4 * workers
	bufs := make([][]byte, batch)
	scratch := make([][]float32, workers)
	for i := range scratch {
		scratch[i] = make([]float32, chunkElems)
	}
	for start := 0; start < nChunks; start += batch {
		end := min(start+batch, nChunks)
		parallel(end-start, func(worker, i int) {
			c := start + i
			lo := c * chunkElems
			vals := scratch[worker][:min(lo+chunkElems, n)-lo]
			fillChunk(vals, seed, c, amp, center, s.DType)
			bufs[i] = encode(bufs[i][:0], vals, s.DType)
		})
		for i := 0; i < end-start; i++ {
			if _, err := w.Write(bufs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func transformersVersion(s Spec) string {
	if s.Arch == "qwen2" {
		return "4.41.2"
	}
	return "4.51.3"
}

func torchDType(dtype string) string {
	switch dtype {
	case "BF16":
		return "bfloat16"
	case "F16":
		return "float16"
	}
	return "float32"
}

// configJSON mirrors the real config.json files (Qwen/Qwen3-Embedding-0.6B for
// qwen3, a Qwen2 causal-LM checkpoint for qwen2), keys sorted like
// transformers writes them.
func configJSON(s Spec) []byte {
	c := map[string]any{
		"attention_dropout":       0.0,
		"bos_token_id":            151643,
		"eos_token_id":            151643,
		"hidden_act":              "silu",
		"hidden_size":             s.Hidden,
		"initializer_range":       0.02,
		"intermediate_size":       s.Intermediate,
		"max_position_embeddings": s.MaxPositions,
		"max_window_layers":       s.Layers,
		"model_type":              s.Arch,
		"num_attention_heads":     s.Heads,
		"num_hidden_layers":       s.Layers,
		"num_key_value_heads":     s.KVHeads,
		"rms_norm_eps":            s.RMSEps,
		"rope_scaling":            nil,
		"rope_theta":              s.RopeTheta,
		"tie_word_embeddings":     s.TieEmbeddings,
		"torch_dtype":             torchDType(s.DType),
		"transformers_version":    transformersVersion(s),
		"use_cache":               true,
		"use_sliding_window":      false,
		"vocab_size":              s.Vocab,
	}
	if s.Arch == "qwen3" {
		c["architectures"] = []string{"Qwen3ForCausalLM"}
		c["attention_bias"] = false
		c["head_dim"] = s.headDim()
		c["sliding_window"] = nil
	} else {
		c["architectures"] = []string{"Qwen2ForCausalLM"}
		c["sliding_window"] = s.MaxPositions
	}
	return mustJSON(c)
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // only fixed, marshalable values reach here
	}
	return append(b, '\n')
}

var modulesJSON = []byte(`[
  {
    "idx": 0,
    "name": "0",
    "path": "",
    "type": "sentence_transformers.models.Transformer"
  },
  {
    "idx": 1,
    "name": "1",
    "path": "1_Pooling",
    "type": "sentence_transformers.models.Pooling"
  },
  {
    "idx": 2,
    "name": "2",
    "path": "2_Normalize",
    "type": "sentence_transformers.models.Normalize"
  }
]
`)

func poolingJSON(s Spec) []byte {
	return []byte(fmt.Sprintf(`{
  "word_embedding_dimension": %d,
  "pooling_mode_cls_token": false,
  "pooling_mode_mean_tokens": false,
  "pooling_mode_max_tokens": false,
  "pooling_mode_mean_sqrt_len_tokens": false,
  "pooling_mode_weightedmean_tokens": false,
  "pooling_mode_lasttoken": true,
  "include_prompt": true
}
`, s.Hidden))
}

var sentenceTransformersJSON = []byte(`{
  "prompts": {
    "query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:",
    "document": ""
  },
  "default_prompt_name": null,
  "similarity_fn_name": "cosine"
}
`)
