package tokenizer

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestUnigramScoreParsing: scores are read bit for bit as the library reads them
// (serde_json without float_roundtrip, which differs from correct rounding for about one
// 17-digit decimal in eight). Pairs: scripts/hf-tokenizers/probe-floats.js.
func TestUnigramScoreParsing(t *testing.T) {
	var probe struct {
		Pairs [][2]string `json:"pairs"`
	}
	readGzipJSON(t, "../testdata/tokenizer-golden/unigram-scores.json.gz", &probe)
	if len(probe.Pairs) < 1000 {
		t.Fatalf("only %d pairs", len(probe.Pairs))
	}
	differ := 0
	for _, p := range probe.Pairs {
		got, err := parseJSONFloat(p[0])
		if err != nil {
			t.Errorf("parseJSONFloat(%s): %v", p[0], err)
			continue
		}
		want, err := strconv.ParseFloat(p[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("parseJSONFloat(%s) = %v, the library reads %s", p[0], got, p[1])
		}
		if exact, _ := strconv.ParseFloat(p[0], 64); exact != want {
			differ++
		}
	}
	if differ == 0 {
		t.Errorf("no score where the library differs from correct rounding: the probe checks nothing")
	}
	for _, bad := range []string{"", "-", "01", "1.", "1e", "1e+", "--1", "1x", ".5", "1e99999"} {
		if _, err := parseJSONFloat(bad); err == nil {
			t.Errorf("parseJSONFloat(%q): no error", bad)
		}
	}
}

func unigramFromJSON(t testing.TB, vocab [][2]any, unkID any, byteFallback bool) *unigramModel {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"type": "Unigram", "unk_id": unkID, "vocab": vocab, "byte_fallback": byteFallback})
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseUnigram(&jsonScanner{s: string(raw)})
	if err != nil {
		t.Fatal(err)
	}
	return m.(*unigramModel)
}

func unigramPieces(t *testing.T, m *unigramModel, word string) []string {
	t.Helper()
	toks, err := m.tokenize(word, nil)
	if err != nil {
		t.Fatalf("tokenize(%q): %v", word, err)
	}
	var out []string
	for _, tk := range toks {
		tok, _ := m.idToToken(tk.id)
		out = append(out, tok+"@"+word[tk.start:tk.end])
	}
	return out
}

// TestUnigramViterbi: the library's documented example, ties, unknowns and byte fallback.
func TestUnigramViterbi(t *testing.T) {
	doc := unigramFromJSON(t, [][2]any{{"<unk>", 0.0}, {"a", 0.0}, {"b", 0.0}, {"c", 0.0}, {"d", 0.0},
		{"cd", 1.0}, {"ab", 2.0}, {"abc", 5.0}, {"abcd", 10.0}}, 0, false)
	// Ties: "ab"+"c" and "a"+"bc" both score -2; the library keeps the first path found,
	// which ends with the longer piece from the earlier start.
	tie := unigramFromJSON(t, [][2]any{{"<unk>", 0.0}, {"a", -1.0}, {"b", -1.0}, {"c", -1.0}, {"ab", -1.0}, {"bc", -1.0}}, 0, false)
	fb := unigramFromJSON(t, [][2]any{{"<unk>", 0.0}, {"<0xC3>", 0.0}, {"<0xA9>", 0.0}, {"a", -1.0}}, 0, true)
	for _, c := range []struct {
		m    *unigramModel
		word string
		want string
	}{
		{doc, "abcdacdxx", "abcd@abcd a@a cd@cd <unk>@xx"},
		{doc, "abc", "abc@abc"},
		{tie, "abc", "a@a bc@bc"},
		{doc, "xéy", "<unk>@xéy"},
		{fb, "aéa", "a@a <0xC3>@é <0xA9>@é a@a"},
		{fb, "éx", "<unk>@éx"}, // 'x' has no byte token: the fused unknown stays <unk>
	} {
		got := strings.Join(unigramPieces(t, c.m, c.word), " ")
		if got != c.want {
			t.Errorf("%q: got %s, want %s", c.word, got, c.want)
		}
	}
	noUnk := unigramFromJSON(t, [][2]any{{"a", 0.0}}, nil, false)
	if _, err := noUnk.tokenize("ab", nil); err == nil {
		t.Errorf("unknown character without unk_id: no error")
	}
}

func TestUnigramBadJSON(t *testing.T) {
	for _, raw := range []string{
		`{"type":"Unigram","vocab":[["a"]]}`,
		`{"type":"Unigram","vocab":[["a",1,2]]}`,
		`{"type":"Unigram","vocab":[["a","x"]]}`,
		`{"type":"Unigram","unk_id":5,"vocab":[["a",0]]}`,
		`{"type":"Unigram","unk_id":0,"vocab":[]}`,
		`{"type":"Unigram"}`,
		`{"type":"BPE","vocab":[]}`,
		`{"type":"Unigram","vocab":[],"byte_fallback":"yes"}`,
	} {
		if _, err := parseUnigram(&jsonScanner{s: raw}); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
}

// FuzzUnigram: any word tokenizes without panic into tokens that cover it exactly, in order,
// and whose pieces (or byte tokens) spell it back.
func FuzzUnigram(f *testing.F) {
	var doc struct {
		Model json.RawMessage `json:"model"`
	}
	readGzipJSON(f, tokenizerFiles["unigram-bytefb"], &doc)
	mm, err := parseUnigram(&jsonScanner{s: string(doc.Model)})
	if err != nil {
		f.Fatal(err)
	}
	m := mm.(*unigramModel)
	for _, s := range []string{"", "▁hello", "▁x\u0301y", "日本語", "\x00\xff", "▁▁▁", strings.Repeat("ab", 200), "👨‍👩‍👧"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		if !utf8.ValidString(word) {
			return // words come from the normalizer: valid UTF-8
		}
		toks, err := m.tokenize(word, nil)
		if err != nil {
			t.Fatalf("tokenize(%q): %v", word, err)
		}
		var bytes []byte
		at := int32(0)
		for i, tk := range toks {
			if tk.start > at || tk.end <= tk.start || int(tk.end) > len(word) || (tk.start < at && (i == 0 || toks[i-1].start != tk.start)) {
				t.Fatalf("tokenize(%q): token %d spans [%d,%d) after %d", word, i, tk.start, tk.end, at)
			}
			at = tk.end
			s, _ := m.idToToken(tk.id)
			if b, ok := byteToken(s); ok {
				bytes = append(bytes, b)
			} else if tk.id == m.unkID {
				bytes = append(bytes, word[tk.start:tk.end]...)
			} else {
				bytes = append(bytes, s...)
			}
		}
		if int(at) != len(word) || string(bytes) != word {
			t.Fatalf("tokenize(%q): tokens spell %q, cover up to %d", word, bytes, at)
		}
	})
}

// TestUnigramTrieParts: a large vocabulary's trie, cut into parts built in parallel, finds
// the same tokens as one trie (Gemma 3's 262k tokens as Unigram pieces, on every golden
// text cut the way Metaspace cuts it).
func TestUnigramTrieParts(t *testing.T) {
	g := loadTestTokenizer(t, "gemma3").model.(*bpeModel)
	pool := &strPool{}
	var pieces []unigramPiece
	for id := 0; id <= g.vocab.maxID(); id++ {
		tok, _ := g.vocab.token(int32(id))
		pieces = append(pieces, unigramPiece{pool.ref(tok, -1), -float64(id%5000)/397.0 - 1})
	}
	unk := 3
	one, err := newUnigram(pieces, pool, &unk, true)
	if err != nil {
		t.Fatal(err)
	}
	one.buildTries(pieces, pool, 1)
	four, err := newUnigram(pieces, pool, &unk, true)
	if err != nil {
		t.Fatal(err)
	}
	four.buildTries(pieces, pool, 4)
	if len(four.tries) != 4 || len(one.tries) != 1 {
		t.Fatalf("%d and %d parts", len(one.tries), len(four.tries))
	}
	words := 0
	for _, c := range loadGolden(t, "gemma3").Cases {
		for _, w := range strings.SplitAfter(strings.ReplaceAll(c.Text, " ", " ▁"), " ") {
			w = strings.TrimSuffix(w, " ")
			if w == "" || !utf8.ValidString(w) {
				continue
			}
			a, err1 := one.viterbi(w, nil)
			b, err2 := four.viterbi(w, nil)
			if err1 != nil || err2 != nil || len(a) != len(b) {
				t.Fatalf("%q: %v %v, %d and %d tokens", w, err1, err2, len(a), len(b))
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%q: token %d %v with one trie, %v with four", w, i, a[i], b[i])
				}
			}
			words++
		}
	}
	if words < 1000 {
		t.Fatalf("only %d words", words)
	}
}
