package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestAddBOSEOSToken: tokenizer_config.json's add_bos_token / add_eos_token
// rebuild the post-processor of the Llama and Gemma tokenizer classes, as
// transformers 4.57 does (scripts/reference/add_bos_eos_golden.py on the tiny
// decoder models' tokenizer); other classes keep tokenizer.json's.
func TestAddBOSEOSToken(t *testing.T) {
	const src = "../testdata/tokenizer/qwen3-embedding"
	data, err := os.ReadFile("../testdata/golden/tokenizer/add-bos-eos.json")
	if err != nil {
		t.Fatalf("golden file missing: %v", err)
	}
	var g struct {
		Cases []struct {
			Config map[string]any `json:"config"`
			Single []struct {
				Text string `json:"text"`
				IDs  []int  `json:"ids"`
			} `json:"single"`
			Pairs []struct {
				A       string `json:"a"`
				B       string `json:"b"`
				IDs     []int  `json:"ids"`
				TypeIDs []int  `json:"type_ids"`
			} `json:"pairs"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil || len(g.Cases) == 0 {
		t.Fatalf("golden: %d cases, %v", len(g.Cases), err)
	}
	var base map[string]any
	raw, err := os.ReadFile(filepath.Join(src, "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &base); err != nil {
		t.Fatal(err)
	}
	tokJSON, err := os.ReadFile(filepath.Join(src, "tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		name, _ := json.Marshal(c.Config)
		t.Run(string(name), func(t *testing.T) {
			dir := t.TempDir()
			cfg := map[string]any{}
			for k, v := range base {
				cfg[k] = v
			}
			delete(cfg, "add_bos_token")
			delete(cfg, "add_eos_token")
			delete(cfg, "add_prefix_space")
			for k, v := range c.Config {
				cfg[k] = v
			}
			b, _ := json.Marshal(cfg)
			if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "tokenizer.json.gz"), tokJSON, 0o644); err != nil {
				t.Fatal(err)
			}
			tok, err := LoadFile(filepath.Join(dir, "tokenizer.json.gz"))
			if err != nil {
				t.Fatal(err)
			}
			opt := EncodeOptions{AddSpecialTokens: true}
			for _, s := range c.Single {
				enc, err := tok.Encode(s.Text, opt)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(enc.IDs, s.IDs) {
					t.Errorf("%q: ids %v, transformers 4.x %v", s.Text, enc.IDs, s.IDs)
				}
			}
			for _, p := range c.Pairs {
				enc, err := tok.EncodePair(p.A, p.B, opt)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(enc.IDs, p.IDs) || !slices.Equal(enc.TypeIDs, p.TypeIDs) {
					t.Errorf("pair %q, %q: ids %v types %v, transformers 4.x %v types %v", p.A, p.B, enc.IDs, enc.TypeIDs, p.IDs, p.TypeIDs)
				}
			}
		})
	}
}

func TestAddEOSTokenErrors(t *testing.T) {
	tok := loadTestTokenizer(t, "qwen3-embedding")
	for _, cfg := range []string{
		`{"tokenizer_class":"LlamaTokenizerFast","add_eos_token":true,"eos_token":null}`,
		`{"tokenizer_class":"LlamaTokenizerFast","add_eos_token":true,"eos_token":"<not-a-token>"}`,
		`{"tokenizer_class":"GemmaTokenizer","add_bos_token":true}`, // <bos> is not in Qwen's vocabulary
	} {
		c := *tok
		if err := c.applyConfig([]byte(cfg)); err == nil {
			t.Errorf("%s: no error", cfg)
		} else {
			t.Logf("%s: %v", cfg, err)
		}
	}
}
