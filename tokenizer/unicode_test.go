package tokenizer

import (
	"testing"
)

// TestUnicodeProbe checks every code point against what the library itself answered
// (scripts/hf-tokenizers/probe-unicode.js): NFC and NFKC of the code point alone, NFC of
// "a" + cp + U+0334 (which reveals the combining class the library uses), Lowercase, and
// membership in the regex classes \p{L}, \p{N} and \s.
func TestUnicodeProbe(t *testing.T) {
	var p struct {
		NFC       [][2]any            `json:"nfc"`
		NFCCCC    [][2]any            `json:"nfc_ccc"`
		NFKC      [][2]any            `json:"nfkc"`
		Lowercase [][2]any            `json:"lowercase"`
		Classes   map[string][][2]int `json:"classes"`
	}
	readGzipJSON(t, "../testdata/tokenizer-golden/unicode-probe.json.gz", &p)
	toMap := func(l [][2]any) map[rune]string {
		m := make(map[rune]string, len(l))
		for _, e := range l {
			m[rune(e[0].(float64))] = e[1].(string)
		}
		return m
	}
	nfc, ccc, nfkc, lower := toMap(p.NFC), toMap(p.NFCCCC), toMap(p.NFKC), toMap(p.Lowercase)
	want := map[rune]uint8{}
	for name, bit := range map[string]uint8{"L": clsLetter, "N": clsNumber, "S": clsSpace} {
		for _, r := range p.Classes[name] {
			for c := r[0]; c <= r[1]; c++ {
				want[rune(c)] |= bit
			}
		}
	}
	nfcN, nfkcN := unicodeNormalizer{form: formNFC}, unicodeNormalizer{form: formNFKC}
	step := rune(1)
	if testing.Short() || raceEnabled {
		step = 7
	}
	bad := 0
	check := func(what string, r rune, got, exp string) {
		if got != exp && bad < 20 {
			t.Errorf("%s %U: got %+q, library %+q", what, r, got, exp)
		}
		if got != exp {
			bad++
		}
	}
	for r := rune(0); r <= 0x10FFFF; r += step {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := string(r)
		get := func(m map[rune]string, def string) string {
			if v, ok := m[r]; ok {
				return v
			}
			return def
		}
		got, _ := nfcN.normalize(s)
		check("NFC", r, got, get(nfc, s))
		probe := "a" + s + "\u0334"
		got, _ = nfcN.normalize(probe)
		check("NFC(a+cp+U+0334)", r, got, get(ccc, probe))
		got, _ = nfkcN.normalize(s)
		check("NFKC", r, got, get(nfkc, s))
		got, _ = lowercaseNormalizer{}.normalize(s)
		check("Lowercase", r, got, get(lower, s))
		if c := runeClass(r); c != want[r] {
			check("class", r, string('0'+rune(c)), string('0'+rune(want[r])))
		}
	}
	if bad > 0 {
		t.Errorf("%d differences from the library", bad)
	}
}
