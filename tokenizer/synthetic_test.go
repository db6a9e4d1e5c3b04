package tokenizer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestSynthetic runs the small tokenizers of scripts/hf-tokenizers/gen-synthetic.js, which
// exercise what the Qwen files do not (GPT-2 regex and prefix space, merges as pairs,
// ignore_merges, NFKC/Lowercase, every Split behavior, added-token flags, templates,
// Bert/Roberta processing, subword prefix/suffix, unk, byte fallback), against the
// library's answers.
func TestSynthetic(t *testing.T) {
	var g struct {
		Configs []struct {
			Name      string       `json:"name"`
			Tokenizer string       `json:"tokenizer"`
			Cases     []goldenCase `json:"cases"`
		} `json:"configs"`
	}
	readGzipJSON(t, "../testdata/tokenizer-golden/synthetic.json.gz", &g)
	if len(g.Configs) == 0 {
		t.Fatal("no synthetic tokenizers")
	}
	for _, c := range g.Configs {
		t.Run(c.Name, func(t *testing.T) {
			tok, err := Load(strings.NewReader(c.Tokenizer))
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.Cases {
				enc, err := tok.Encode(k.Text, EncodeOptions{AddSpecialTokens: true})
				if err != nil {
					t.Errorf("%q: %v", k.Text, err)
					continue
				}
				if !reflect.DeepEqual(nonNil(enc.IDs), nonNil(k.IDs)) {
					t.Errorf("%q: ids %v, want %v (tokens %q, want %q)", k.Text, enc.IDs, k.IDs, enc.Tokens, k.Tokens)
					continue
				}
				if !reflect.DeepEqual(nonNilS(enc.Tokens), nonNilS(k.Tokens)) {
					t.Errorf("%q: tokens %q, want %q", k.Text, enc.Tokens, k.Tokens)
				}
				if !reflect.DeepEqual(nonNilO(enc.Offsets), nonNilO(k.Offsets)) {
					t.Errorf("%q: offsets %v, want %v", k.Text, enc.Offsets, k.Offsets)
				}
				noSp, _ := tok.Encode(k.Text, EncodeOptions{})
				if !reflect.DeepEqual(nonNil(noSp.IDs), nonNil(k.IDsNoSpecial)) {
					t.Errorf("%q: ids without special tokens %v, want %v", k.Text, noSp.IDs, k.IDsNoSpecial)
				}
				if d, err := tok.Decode(k.IDs, false); err != nil || d != k.Decoded {
					t.Errorf("%q: decode %q, %v; want %q", k.Text, d, err, k.Decoded)
				}
				if d, err := tok.Decode(k.IDs, true); err != nil || d != k.DecodedSkipSpecial {
					t.Errorf("%q: decode skipping special %q, %v; want %q", k.Text, d, err, k.DecodedSkipSpecial)
				}
			}
		})
	}
}

// TestRandomGolden: seeded random strings (troublesome pieces and random code points)
// through Qwen3-Embedding and every synthetic tokenizer, ids from the library
// (scripts/hf-tokenizers/gen-random.js).
func TestRandomGolden(t *testing.T) {
	var g struct {
		Qwen      [][2]json.RawMessage `json:"qwen3_embedding"`
		Synthetic [][3]json.RawMessage `json:"synthetic"`
	}
	readGzipJSON(t, "../testdata/tokenizer-golden/random.json.gz", &g)
	var syn struct {
		Configs []struct{ Name, Tokenizer string }
	}
	readGzipJSON(t, "../testdata/tokenizer-golden/synthetic.json.gz", &syn)
	toks := map[string]*Tokenizer{"qwen3-embedding": loadTestTokenizer(t, "qwen3-embedding")}
	for _, c := range syn.Configs {
		tk, err := Load(strings.NewReader(c.Tokenizer))
		if err != nil {
			t.Fatal(err)
		}
		toks[c.Name] = tk
	}
	var cases [][3]json.RawMessage
	for _, q := range g.Qwen {
		cases = append(cases, [3]json.RawMessage{json.RawMessage(`"qwen3-embedding"`), q[0], q[1]})
	}
	cases = append(cases, g.Synthetic...)
	if len(cases) < 1000 {
		t.Fatalf("only %d random cases", len(cases))
	}
	bad := 0
	for _, c := range cases {
		var name, text string
		var ids []int
		if json.Unmarshal(c[0], &name) != nil || json.Unmarshal(c[1], &text) != nil || json.Unmarshal(c[2], &ids) != nil {
			t.Fatalf("bad case %s", c)
		}
		enc, err := toks[name].Encode(text, EncodeOptions{AddSpecialTokens: true})
		if err != nil || !reflect.DeepEqual(nonNil(enc.IDs), nonNil(ids)) {
			if bad++; bad <= 10 {
				t.Errorf("%s %q: ids %v %v, want %v", name, text, enc.IDs, err, ids)
			}
		}
	}
	t.Logf("%d random cases", len(cases))
}
