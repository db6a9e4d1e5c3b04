package tokenizer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// bertProbe is probe-bert.py's answer: how the library's BertNormalizer (one option at a
// time and all together), StripAccents, NFD and BertPreTokenizer treat every code point.
type bertProbe struct {
	Generator string                         `json:"generator"`
	Changed   map[string][][]json.RawMessage `json:"changed"`
	Pre       [][2]json.RawMessage           `json:"pre"`
	OtherPre  map[string][][3]int            `json:"other_pre"` // runs [first, last, pieces]
}

func (p *bertProbe) expand(tb testing.TB, name string) map[rune]string {
	tb.Helper()
	runs, ok := p.Changed[name]
	if !ok || len(runs) == 0 {
		tb.Fatalf("probe has no %q changes", name)
	}
	m := map[rune]string{}
	for _, e := range runs {
		var first, last int
		var kind, s string
		if len(e) < 3 || json.Unmarshal(e[0], &first) != nil || json.Unmarshal(e[1], &last) != nil || json.Unmarshal(e[2], &kind) != nil {
			tb.Fatalf("%s: bad entry %s", name, e)
		}
		if kind == "str" && (len(e) != 4 || json.Unmarshal(e[3], &s) != nil) {
			tb.Fatalf("%s: bad entry %s", name, e)
		}
		for cp := rune(first); cp <= rune(last); cp++ {
			switch kind {
			case "drop":
				m[cp] = ""
			case "space":
				m[cp] = " "
			case "spaced":
				m[cp] = " " + string(cp) + " "
			case "str":
				m[cp] = s
			default:
				tb.Fatalf("%s: kind %q", name, kind)
			}
		}
	}
	return m
}

func loadBertProbe(tb testing.TB) *bertProbe {
	var p bertProbe
	readGzipJSON(tb, "../testdata/tokenizer-golden/bert-probe.json.gz", &p)
	return &p
}

// Every code point through each BertNormalizer option, all options together, StripAccents
// and NFD, compared with the library.
func TestBertNormalizerAllCodePoints(t *testing.T) {
	p := loadBertProbe(t)
	configs := map[string]normalizer{
		"clean":         bertNormalizer{clean: true},
		"chinese":       bertNormalizer{chinese: true},
		"strip":         bertNormalizer{strip: true},
		"lower":         bertNormalizer{lower: true},
		"all":           bertNormalizer{clean: true, chinese: true, strip: true, lower: true},
		"default-cased": bertNormalizer{clean: true, chinese: true},
		"nfd":           unicodeNormalizer{form: formNFD},
	}
	if n, ok := normalizers["StripAccents"]; ok {
		sa, err := n(nil, `{"type":"StripAccents"}`)
		if err != nil {
			t.Fatal(err)
		}
		configs["strip-accents"] = sa
	}
	for name, n := range configs {
		want := p.expand(t, name)
		bad := 0
		for cp := rune(0); cp <= utf8.MaxRune; cp++ {
			if cp >= 0xD800 && cp <= 0xDFFF {
				continue
			}
			s := string(cp)
			w, ok := want[cp]
			if !ok {
				w = s
			}
			got, _ := n.normalize(s)
			if got != w {
				if bad++; bad <= 10 {
					t.Errorf("%s: U+%04X → %q, library %q", name, cp, got, w)
				}
			}
		}
		if bad > 10 {
			t.Errorf("%s: %d code points differ", name, bad)
		}
	}
}

func TestBertPreTokenizerAllCodePoints(t *testing.T) {
	p := loadBertProbe(t)
	want := map[rune][]string{}
	for _, e := range p.Pre {
		var cp int
		var pieces []string
		if json.Unmarshal(e[0], &cp) != nil || json.Unmarshal(e[1], &pieces) != nil {
			t.Fatalf("pre: bad entry %s", e)
		}
		want[rune(cp)] = pieces
	}
	if len(want) < 500 {
		t.Fatalf("probe has only %d pre-tokenizer entries", len(want))
	}
	bad := 0
	for cp := rune(0); cp <= utf8.MaxRune; cp++ {
		if cp >= 0xD800 && cp <= 0xDFFF {
			continue
		}
		s := "a" + string(cp) + "b"
		w, ok := want[cp]
		if !ok {
			w = []string{s}
		}
		var got []string
		for _, pc := range (bertPreTokenizer{}).split(nil, piece{text: s}) {
			got = append(got, pc.text)
		}
		if !reflect.DeepEqual(got, w) {
			if bad++; bad <= 10 {
				t.Errorf("U+%04X: %q, library %q", cp, got, w)
			}
		}
	}
}

// The one-character-at-a-time path and the whole-string steps agree where both apply, and
// the fallback is taken for kept non-starters.
func TestBertNormalizerPaths(t *testing.T) {
	n := bertNormalizer{clean: true, chinese: true, strip: true, lower: true}
	for _, s := range []string{
		"Café naïve", "Cafe\u0301", "a\u0301\u0316", "\u0130stanbul", "中文 x", "\uf900", "\ud55c\uad6d",
		"x\U0001D165\u0301y", "\u0f71\u0f72", "A\u0000B\ufffdC\u200bD", strings.Repeat("é", 50),
	} {
		want, wal := n.normalizeInSteps(s)
		got, al, ok := n.normalizeByChar(s)
		if !ok {
			continue
		}
		if got != want {
			t.Errorf("%q: by character %q, in steps %q", s, got, want)
			continue
		}
		// Character by character: tokens always cover whole characters.
		for i, r := range got {
			size := utf8.RuneLen(r)
			a1, b1 := al.span(i, i+size)
			a2, b2 := wal.span(i, i+size)
			if a1 != a2 || b1 != b2 {
				t.Errorf("%q byte %d: by character [%d,%d), in steps [%d,%d)", s, i, a1, b1, a2, b2)
				break
			}
		}
	}
	// U+1D165 is a non-starter that strip_accents keeps: the whole-string path is taken.
	if _, _, ok := n.normalizeByChar("x\U0001D165\u0301"); ok {
		t.Error("a kept non-starter did not fall back to the whole-string steps")
	}
}

// Whitespace, WhitespaceSplit, Punctuation and Digits on "a" + c + "b" for every code point,
// against the library: how many pieces come out.
func TestOtherPreTokenizersAllCodePoints(t *testing.T) {
	p := loadBertProbe(t)
	pres := map[string]string{
		"whitespace":       `{"type":"Whitespace"}`,
		"whitespace_split": `{"type":"WhitespaceSplit"}`,
		"punctuation":      `{"type":"Punctuation"}`,
		"digits":           `{"type":"Digits","individual_digits":true}`,
	}
	for name, raw := range pres {
		runs := p.OtherPre[name]
		if len(runs) == 0 {
			t.Fatalf("probe has no %s entries", name)
		}
		want := map[rune]int{}
		for _, r := range runs {
			for cp := r[0]; cp <= r[1]; cp++ {
				want[rune(cp)] = r[2]
			}
		}
		pt, err := (&Tokenizer{}).buildPreTokenizer(raw)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]piece, 0, 8)
		bad := 0
		for cp := rune(0); cp <= utf8.MaxRune; cp++ {
			if cp >= 0xD800 && cp <= 0xDFFF {
				continue
			}
			w, ok := want[cp]
			if !ok {
				w = 1
			}
			if got := len(pt.split(buf[:0], piece{text: "a" + string(cp) + "b"})); got != w {
				if bad++; bad <= 10 {
					t.Errorf("%s: U+%04X: %d pieces, library %d", name, cp, got, w)
				}
			}
		}
	}
}
