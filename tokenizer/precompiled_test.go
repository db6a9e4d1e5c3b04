package tokenizer

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// precompiledFromFile extracts the Precompiled normalizer of a tokenizer.json(.gz).
func precompiledFromFile(tb testing.TB, path string) *precompiledNormalizer {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Normalizer json.RawMessage `json:"normalizer"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		tb.Fatal(err)
	}
	var find func(raw json.RawMessage) *precompiledNormalizer
	find = func(raw json.RawMessage) *precompiledNormalizer {
		var c struct {
			Type        string            `json:"type"`
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			tb.Fatal(err)
		}
		if c.Type == "Precompiled" {
			n, err := buildPrecompiled(string(raw))
			if err != nil {
				tb.Fatal(err)
			}
			return n.(*precompiledNormalizer)
		}
		for _, sub := range c.Normalizers {
			if p := find(sub); p != nil {
				return p
			}
		}
		return nil
	}
	p := find(doc.Normalizer)
	if p == nil {
		tb.Fatalf("%s: no Precompiled normalizer", path)
	}
	return p
}

var precompiledFiles = map[string]string{
	"xlmr-unigram":   "../testdata/tokenizer-golden/xlmr-unigram-tokenizer.json.gz",
	"unigram-bytefb": "../testdata/tokenizer-golden/unigram-bytefb-tokenizer.json.gz",
}

// TestPrecompiledEveryCodePoint compares the normalizer with the library on every code
// point alone and followed by marks that join or compose with it
// (scripts/hf-tokenizers/probe-precompiled.js).
func TestPrecompiledEveryCodePoint(t *testing.T) {
	var probe struct {
		Generator string `json:"generator"`
		Maps      map[string]struct {
			Single [][2]any            `json:"single"`
			Pairs  map[string][][2]any `json:"pairs"`
		} `json:"maps"`
	}
	readGzipJSON(t, "../testdata/tokenizer-golden/precompiled-probe.json.gz", &probe)
	if len(probe.Maps) != len(precompiledFiles) {
		t.Fatalf("probe has %d maps, want %d", len(probe.Maps), len(precompiledFiles))
	}
	toMap := func(list [][2]any) map[rune]string {
		m := make(map[rune]string, len(list))
		for _, e := range list {
			m[rune(e[0].(float64))] = e[1].(string)
		}
		return m
	}
	for name, path := range precompiledFiles {
		t.Run(name, func(t *testing.T) {
			p := precompiledFromFile(t, path)
			m, ok := probe.Maps[name]
			if !ok || len(m.Single) == 0 || len(m.Pairs) == 0 {
				t.Fatalf("probe has no data for %s", name)
			}
			single := toMap(m.Single)
			hfOne := func(s string) string {
				r, _ := utf8.DecodeRuneInString(s)
				if out, ok := single[r]; ok && utf8.RuneCountInString(s) == 1 {
					return out
				}
				return s
			}
			bad := 0
			check := func(in, want string) {
				got, _ := p.normalize(in)
				if got != want && bad < 20 {
					bad++
					t.Errorf("normalize(%+q) = %+q, want %+q", in, got, want)
				}
			}
			for r := rune(0); r <= utf8.MaxRune; r++ {
				if r >= 0xD800 && r <= 0xDFFF {
					continue
				}
				check(string(r), hfOne(string(r)))
			}
			for suf, list := range m.Pairs {
				pairs := toMap(list)
				sufOut := hfOne(suf)
				for r := rune(0); r <= utf8.MaxRune; r++ {
					if r >= 0xD800 && r <= 0xDFFF {
						continue
					}
					want, ok := pairs[r]
					if !ok {
						want = hfOne(string(r)) + sufOut
					}
					check(string(r)+suf, want)
				}
			}
			t.Logf("%d single, %d suffixes (%s)", len(single), len(m.Pairs), probe.Generator)
		})
	}
}

// TestPrecompiledAlignment checks the library's alignment of replacements, expansions and
// removals, including its quirk: a removal before any output shifts later alignments.
func TestPrecompiledAlignment(t *testing.T) {
	p := precompiledFromFile(t, precompiledFiles["xlmr-unigram"])
	for _, c := range []struct {
		in, out string
		spans   [][2]int // source span of each output character
	}{
		{"abc", "abc", [][2]int{{0, 1}, {1, 2}, {2, 3}}},
		{"™g", "TMg", [][2]int{{0, 3}, {0, 3}, {3, 4}}},
		{"™\x1eg", "TMg", [][2]int{{0, 3}, {3, 4}, {4, 5}}},
		{"\x1eab", "ab", [][2]int{{0, 1}, {1, 2}}},
		{"a\x1eb", "ab", [][2]int{{0, 1}, {2, 3}}},
		// A 6-byte cluster is looked up character by character: no composition.
		{"ｶﾞx", "カ\u3099x", [][2]int{{0, 3}, {3, 6}, {6, 7}}},
	} {
		got, al := p.normalize(c.in)
		if got != c.out {
			t.Errorf("normalize(%+q) = %+q, want %+q", c.in, got, c.out)
			continue
		}
		k := 0
		for i, r := range got {
			a, b := al.span(i, i+utf8.RuneLen(r))
			if k >= len(c.spans) || [2]int{a, b} != c.spans[k] {
				t.Errorf("normalize(%+q): character %d %q spans %v, want %v", c.in, k, r, [2]int{a, b}, c.spans)
			}
			k++
		}
	}
}

func TestPrecompiledCorrupt(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"short", []byte{1, 0}, "too short"},
		{"trie past end", []byte{16, 0, 0, 0, 1, 2, 3, 4}, "only 4 bytes follow"},
		{"blob not utf8", []byte{4, 0, 0, 0, 0, 0, 0, 0, 0xff}, "not valid UTF-8"},
	} {
		_, err := newPrecompiled(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// FuzzPrecompiled: any charsmap either fails to parse or normalizes any text without panic,
// to valid UTF-8, with alignments inside the input.
func FuzzPrecompiled(f *testing.F) {
	p := precompiledFromFile(f, precompiledFiles["xlmr-unigram"])
	var real []byte
	real = appendUint32s(real, p)
	f.Add(real[:min(len(real), 4096)], "Cafe\u0301 ﬁ\u0301 ™\x1e ｶﾞ")
	f.Add([]byte{8, 0, 0, 0, 0, 4, 0, 0, 0x61, 0x01, 0, 0, 'x', 0}, "aaa")
	f.Fuzz(func(t *testing.T, data []byte, s string) {
		if !utf8.ValidString(s) {
			return // the tokenizer hands normalizers valid UTF-8
		}
		n, err := newPrecompiled(data)
		if err != nil {
			return
		}
		for _, n := range []*precompiledNormalizer{n, p} {
			out, al := n.normalize(s)
			if !utf8.ValidString(out) {
				t.Fatalf("normalize(%q) = %q: invalid UTF-8", s, out)
			}
			for i := range out {
				a, b := al.span(i, i+1)
				if a < 0 || a > b || b > len(s) {
					t.Fatalf("normalize(%q): byte %d aligned to [%d,%d)", s, i, a, b)
				}
			}
		}
	})
}

// appendUint32s serializes p back to the charsmap format (the fuzz corpus seed).
func appendUint32s(dst []byte, p *precompiledNormalizer) []byte {
	n := uint32(4 * len(p.trie))
	dst = append(dst, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	for _, u := range p.trie {
		dst = append(dst, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return append(dst, p.normalized...)
}
