package tokenizer

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Normalizers, pre-tokenizers and decoders one by one (gen-components-golden.py): each
// configuration replaces those sections of all-MiniLM-L6-v2's tokenizer.json, as the script
// did before asking the library.

type componentsGolden struct {
	Generator string `json:"generator"`
	Configs   []struct {
		Name         string          `json:"name"`
		Normalizer   json.RawMessage `json:"normalizer"`
		PreTokenizer json.RawMessage `json:"pre_tokenizer"`
		Decoder      json.RawMessage `json:"decoder"`
		Cases        []struct {
			Name               string   `json:"name"`
			Normalized         string   `json:"normalized"`
			Pretokens          []string `json:"pretokens"`
			IDs                []int    `json:"ids"`
			Tokens             []string `json:"tokens"`
			Offsets            [][2]int `json:"offsets"`
			Decoded            string   `json:"decoded"`
			DecodedSkipSpecial string   `json:"decoded_skip_special"`
		} `json:"cases"`
	} `json:"configs"`
}

func TestComponentsGolden(t *testing.T) {
	var g componentsGolden
	readGzipJSON(t, "../testdata/tokenizer-golden/components.json.gz", &g)
	if len(g.Configs) == 0 {
		t.Fatal("components golden is empty")
	}
	texts := map[string]string{}
	for _, c := range loadGolden(t, "minilm").Cases {
		texts[c.Name] = c.Text
	}
	base := readTokenizerDoc(t, "minilm")
	for _, cfg := range g.Configs {
		t.Run(cfg.Name, func(t *testing.T) {
			doc := map[string]json.RawMessage{}
			for k, v := range base {
				doc[k] = v
			}
			doc["normalizer"], doc["pre_tokenizer"], doc["decoder"] = cfg.Normalizer, cfg.PreTokenizer, cfg.Decoder
			doc["truncation"], doc["padding"] = json.RawMessage("null"), json.RawMessage("null")
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := parse(string(data))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cfg.Cases {
				text, ok := texts[c.Name]
				if !ok {
					t.Fatalf("no text %s", c.Name)
				}
				what := c.Name + " " + trim(text)
				normalized := text
				if tok.normalizer != nil {
					normalized, _ = tok.normalizer.normalize(text)
				}
				if normalized != c.Normalized {
					t.Errorf("%s: normalized %q, want %q", what, trim(normalized), trim(c.Normalized))
					continue
				}
				if got := tok.preTokenize(normalized); !reflect.DeepEqual(nonNilS(got), nonNilS(c.Pretokens)) {
					t.Errorf("%s: pre-tokens %q, want %q", what, got, c.Pretokens)
					continue
				}
				enc, err := tok.Encode(text, EncodeOptions{AddSpecialTokens: true})
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkEnc(t, what, enc, pairEnc{IDs: c.IDs, TypeIDs: make([]int, len(c.IDs)), Tokens: c.Tokens, Offsets: c.Offsets})
				if d, err := tok.Decode(c.IDs, false); err != nil || d != c.Decoded {
					t.Errorf("%s: decode = %q, %v; want %q", what, trim(d), err, trim(c.Decoded))
				}
				if d, err := tok.Decode(c.IDs, true); err != nil || d != c.DecodedSkipSpecial {
					t.Errorf("%s: decode skipping special = %q, %v; want %q", what, trim(d), err, trim(c.DecodedSkipSpecial))
				}
			}
		})
	}
}
