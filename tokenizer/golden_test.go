package tokenizer

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// The tokenizer files live in the repository: the Qwen3-Embedding one where the weights
// engineer keeps it, the Qwen3 (base) one beside the goldens.
var tokenizerFiles = map[string]string{
	"qwen3-embedding": "../testdata/tokenizer/qwen3-embedding/tokenizer.json.gz",
	"qwen3":           "../testdata/tokenizer-golden/qwen3-tokenizer.json.gz",
	"minilm":          "../testdata/tokenizer-golden/minilm-tokenizer.json.gz", // all-MiniLM-L6-v2 (WordPiece)
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

func loadTestTokenizer(tb testing.TB, name string) *Tokenizer {
	tb.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if t, ok := loaded[name]; ok {
		return t
	}
	t, err := LoadFile(tokenizerFiles[name])
	if err != nil {
		tb.Fatal(err)
	}
	loaded[name] = t
	return t
}

type goldenCase struct {
	Name               string   `json:"name"`
	Text               string   `json:"text"`
	IDs                []int    `json:"ids"`
	Tokens             []string `json:"tokens"`
	Offsets            [][2]int `json:"offsets"`
	IDsNoSpecial       []int    `json:"ids_no_special"`
	Decoded            string   `json:"decoded"`
	DecodedSkipSpecial string   `json:"decoded_skip_special"`
	Pretokens          []string `json:"pretokens"`
}

type goldenTrunc struct {
	Name      string  `json:"name"`
	MaxLength int     `json:"max_length"`
	Left      bool    `json:"left"`
	IDs       []int   `json:"ids"`
	Error     *string `json:"error"`
}

type goldenFile struct {
	Generator  string        `json:"generator"`
	Cases      []goldenCase  `json:"cases"`
	Truncation []goldenTrunc `json:"truncation"`
}

func readGzipJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

func loadGolden(tb testing.TB, name string) goldenFile {
	var g goldenFile
	readGzipJSON(tb, filepath.Join("../testdata/tokenizer-golden", name+".json.gz"), &g)
	if len(g.Cases) == 0 {
		tb.Fatalf("golden %s has no cases", name)
	}
	return g
}

func firstDiff(a, b []int) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("first difference at %d: got %d, want %d (lengths %d, %d)", i, a[i], b[i], len(a), len(b))
		}
	}
	return fmt.Sprintf("lengths %d, want %d", len(a), len(b))
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"qwen3-embedding", "qwen3"} {
		t.Run(name, func(t *testing.T) { checkGoldenFile(t, name) })
	}
}

// checkGoldenFile compares the tokenizer tokenizerFiles[name] with the golden name.json.gz:
// ids, tokens, offsets, pre-tokens and decodes of every case, and the truncation cases.
func checkGoldenFile(t *testing.T, name string) {
	tok := loadTestTokenizer(t, name)
	g := loadGolden(t, name)
	for _, c := range g.Cases {
		enc, err := tok.Encode(c.Text, EncodeOptions{AddSpecialTokens: true})
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if !reflect.DeepEqual(nonNil(enc.IDs), nonNil(c.IDs)) {
			t.Errorf("%s %q: ids: %s", c.Name, trim(c.Text), firstDiff(enc.IDs, c.IDs))
			continue
		}
		if !reflect.DeepEqual(nonNilS(enc.Tokens), nonNilS(c.Tokens)) {
			t.Errorf("%s: tokens %q, want %q", c.Name, enc.Tokens, c.Tokens)
		}
		if !reflect.DeepEqual(nonNilO(enc.Offsets), nonNilO(c.Offsets)) {
			t.Errorf("%s %q: offsets %v, want %v", c.Name, trim(c.Text), enc.Offsets, c.Offsets)
		}
		noSp, err := tok.Encode(c.Text, EncodeOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		if !reflect.DeepEqual(nonNil(noSp.IDs), nonNil(c.IDsNoSpecial)) {
			t.Errorf("%s: ids without special tokens: %s", c.Name, firstDiff(noSp.IDs, c.IDsNoSpecial))
		}
		if c.Pretokens != nil {
			pieces := tok.preTokenize(c.Text)
			if !reflect.DeepEqual(nonNilS(pieces), nonNilS(c.Pretokens)) {
				t.Errorf("%s %q: pre-tokens %q, want %q", c.Name, trim(c.Text), pieces, c.Pretokens)
			}
		}
		if d, err := tok.Decode(c.IDs, false); err != nil || d != c.Decoded {
			t.Errorf("%s: decode = %q, %v; want %q", c.Name, trim(d), err, trim(c.Decoded))
		}
		if d, err := tok.Decode(c.IDs, true); err != nil || d != c.DecodedSkipSpecial {
			t.Errorf("%s: decode skipping special = %q, %v; want %q", c.Name, trim(d), err, trim(c.DecodedSkipSpecial))
		}
	}
	texts := map[string]string{}
	for _, c := range g.Cases {
		texts[c.Name] = c.Text
	}
	for _, c := range g.Truncation {
		enc, err := tok.Encode(texts[c.Name], EncodeOptions{AddSpecialTokens: true, MaxLength: c.MaxLength, TruncateLeft: c.Left})
		if c.Error != nil {
			if err == nil {
				t.Errorf("%s max %d left %v: no error, library says %s", c.Name, c.MaxLength, c.Left, *c.Error)
			}
			continue
		}
		if c.MaxLength < tok.SpecialTokensCount() {
			// The library then leaves the encoding whole; Encode reports ErrTruncation.
			if !errors.Is(err, ErrTruncation) {
				t.Errorf("%s max %d left %v: got %v, %v; want ErrTruncation (the library returns %d tokens)", c.Name, c.MaxLength, c.Left, enc.IDs, err, len(c.IDs))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s max %d left %v: %v", c.Name, c.MaxLength, c.Left, err)
			continue
		}
		if !reflect.DeepEqual(nonNil(enc.IDs), nonNil(c.IDs)) {
			t.Errorf("%s max %d left %v: ids %v, want %v", c.Name, c.MaxLength, c.Left, enc.IDs, c.IDs)
		}
		full, _ := tok.Encode(texts[c.Name], EncodeOptions{AddSpecialTokens: true})
		if enc.Truncated != (len(full.IDs) > c.MaxLength) || enc.OriginalLength != len(full.IDs) {
			t.Errorf("%s max %d: Truncated %v OriginalLength %d, full length %d", c.Name, c.MaxLength, enc.Truncated, enc.OriginalLength, len(full.IDs))
		}
	}
	t.Logf("%d cases, %d truncation cases (%s)", len(g.Cases), len(g.Truncation), g.Generator)
}

// preTokenize runs only the pre-tokenizers on text, as the library's preTokenizeString
// does, and returns the pieces as the model sees them (byte-level characters).
func (t *Tokenizer) preTokenize(text string) []string {
	pieces := []piece{{text: text, first: true}}
	for _, pt := range t.preTokenizers {
		var next []piece
		for _, p := range pieces {
			next = pt.split(next, p)
		}
		pieces = next
	}
	var out []string
	for _, p := range pieces {
		if t.byteLevel {
			out = append(out, byteLevelString(p.text))
		} else {
			out = append(out, p.text)
		}
	}
	return out
}

func nonNil(a []int) []int {
	if a == nil {
		return []int{}
	}
	return a
}

func nonNilS(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

func nonNilO(a [][2]int) [][2]int {
	if a == nil {
		return [][2]int{}
	}
	return a
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
