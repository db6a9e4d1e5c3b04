package tokenizer

import (
	"errors"
	"reflect"
	"testing"
)

// Goldens of gen-pair-golden.py (the library through its Python bindings): singles and
// pairs with type ids, special-tokens masks, offsets and decodes, and truncation of singles
// and pairs for every strategy and direction.

type pairEnc struct {
	IDs               []int    `json:"ids"`
	TypeIDs           []int    `json:"type_ids"`
	Tokens            []string `json:"tokens"`
	Offsets           [][2]int `json:"offsets"`
	SpecialTokensMask []int    `json:"special_tokens_mask"`
}

type pairGoldenCase struct {
	Name string `json:"name"`
	Text string `json:"text"`
	pairEnc
	IDsNoSpecial        []int    `json:"ids_no_special"`
	TypeIDsNoSpecial    []int    `json:"type_ids_no_special"`
	MaskNoSpecial       []int    `json:"special_tokens_mask_no_special"`
	Decoded             string   `json:"decoded"`
	DecodedSkipSpecial  string   `json:"decoded_skip_special"`
	PretokensNormalized []string `json:"pretokens"`
}

type pairGoldenPair struct {
	A, B string
	pairEnc
	NoSpecial pairEnc `json:"no_special"`
}

type pairGoldenTrunc struct {
	A         string  `json:"a"`
	B         *string `json:"b"`
	MaxLength int     `json:"max_length"`
	Strategy  string  `json:"strategy"`
	Direction string  `json:"direction"`
	Special   bool    `json:"special"`
	IDs       []int   `json:"ids"`
	TypeIDs   []int   `json:"type_ids"`
	Error     *string `json:"error"`
}

type pairGolden struct {
	Generator  string            `json:"generator"`
	Cases      []pairGoldenCase  `json:"cases"`
	Pairs      []pairGoldenPair  `json:"pairs"`
	Truncation []pairGoldenTrunc `json:"truncation"`
}

// pairGoldens are the goldens of gen-pair-golden.py, named as their tokenizers in
// tokenizerFiles.
var pairGoldens = []string{"minilm"}

func checkEnc(t *testing.T, what string, got Encoding, want pairEnc) {
	t.Helper()
	if !reflect.DeepEqual(nonNil(got.IDs), nonNil(want.IDs)) {
		t.Errorf("%s: ids: %s", what, firstDiff(got.IDs, want.IDs))
		return
	}
	if want.Tokens != nil && !reflect.DeepEqual(nonNilS(got.Tokens), nonNilS(want.Tokens)) {
		t.Errorf("%s: tokens %q, want %q", what, got.Tokens, want.Tokens)
	}
	if !reflect.DeepEqual(nonNil(got.TypeIDs), nonNil(want.TypeIDs)) {
		t.Errorf("%s: type ids %v, want %v", what, got.TypeIDs, want.TypeIDs)
	}
	if want.SpecialTokensMask != nil && !reflect.DeepEqual(nonNil(got.SpecialTokensMask), nonNil(want.SpecialTokensMask)) {
		t.Errorf("%s: special-tokens mask %v, want %v", what, got.SpecialTokensMask, want.SpecialTokensMask)
	}
	if want.Offsets != nil && !reflect.DeepEqual(nonNilO(got.Offsets), nonNilO(want.Offsets)) {
		t.Errorf("%s: offsets %v, want %v", what, got.Offsets, want.Offsets)
	}
}

var strategies = map[string]TruncationStrategy{"longest_first": LongestFirst, "only_first": OnlyFirst, "only_second": OnlySecond}

func TestPairGolden(t *testing.T) {
	for _, name := range pairGoldens {
		t.Run(name, func(t *testing.T) {
			tok := loadTestTokenizer(t, name)
			var g pairGolden
			readGzipJSON(t, "../testdata/tokenizer-golden/"+name+".json.gz", &g)
			if len(g.Cases) == 0 || len(g.Pairs) == 0 || len(g.Truncation) == 0 {
				t.Fatalf("golden %s is incomplete", name)
			}
			texts := map[string]string{}
			for _, c := range g.Cases {
				texts[c.Name] = c.Text
				what := c.Name + " " + trim(c.Text)
				enc, err := tok.Encode(c.Text, EncodeOptions{AddSpecialTokens: true})
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkEnc(t, what, enc, c.pairEnc)
				noSp, err := tok.Encode(c.Text, EncodeOptions{})
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkEnc(t, what+" (no special)", noSp, pairEnc{IDs: c.IDsNoSpecial, TypeIDs: c.TypeIDsNoSpecial, SpecialTokensMask: c.MaskNoSpecial})
				if d, err := tok.Decode(c.IDs, false); err != nil || d != c.Decoded {
					t.Errorf("%s: decode = %q, %v; want %q", what, trim(d), err, trim(c.Decoded))
				}
				if d, err := tok.Decode(c.IDs, true); err != nil || d != c.DecodedSkipSpecial {
					t.Errorf("%s: decode skipping special = %q, %v; want %q", what, trim(d), err, trim(c.DecodedSkipSpecial))
				}
			}
			for _, p := range g.Pairs {
				what := p.A + " + " + p.B
				enc, err := tok.EncodePair(texts[p.A], texts[p.B], EncodeOptions{AddSpecialTokens: true})
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkEnc(t, what, enc, p.pairEnc)
				enc, err = tok.EncodePair(texts[p.A], texts[p.B], EncodeOptions{})
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkEnc(t, what+" (no special)", enc, p.NoSpecial)
			}
			for _, c := range g.Truncation {
				opt := EncodeOptions{AddSpecialTokens: c.Special, MaxLength: c.MaxLength, TruncateLeft: c.Direction == "left", Strategy: strategies[c.Strategy]}
				var enc Encoding
				var err error
				what := c.A
				if c.B != nil {
					what += " + " + *c.B
					enc, err = tok.EncodePair(texts[c.A], texts[*c.B], opt)
				} else {
					enc, err = tok.Encode(texts[c.A], opt)
				}
				what = what + " " + c.Strategy + " " + c.Direction
				if c.Error == nil && len(c.IDs) > c.MaxLength {
					// The library's max_length minus the special tokens wrapped around (unsigned):
					// it cut nothing. A deliberate difference: an error.
					if !errors.Is(err, ErrTruncation) {
						t.Errorf("%s max %d special %v: got %v, %v; want ErrTruncation (the library returns %d tokens)", what, c.MaxLength, c.Special, enc.IDs, err, len(c.IDs))
					}
					continue
				}
				if c.Error != nil {
					if err == nil {
						t.Errorf("%s max %d special %v: no error, the library says %s", what, c.MaxLength, c.Special, *c.Error)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s max %d special %v: %v", what, c.MaxLength, c.Special, err)
					continue
				}
				checkEnc(t, what, enc, pairEnc{IDs: c.IDs, TypeIDs: c.TypeIDs})
			}
			t.Logf("%d cases, %d pairs, %d truncation cases (%s)", len(g.Cases), len(g.Pairs), len(g.Truncation), g.Generator)
		})
	}
}
