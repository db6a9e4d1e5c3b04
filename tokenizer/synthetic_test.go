package tokenizer

import (
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
