package tokenizer

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestUnigramVocabMalformed: each malformed vocabulary is rejected with an error that names
// the entry and the byte where reading stopped.
func TestUnigramVocabMalformed(t *testing.T) {
	const head = `{"type":"Unigram","vocab":`
	for _, tc := range []struct{ vocab, want string }{
		{`[["a"]]`, `vocab[0]: JSON line 1 (byte 31): want [token, score], found ']' after the token`},
		{`[["a",1,2]]`, `vocab[0]: JSON line 1 (byte 33): want [token, score], found ',' after the score`},
		{`[["a",-1],["b","x"]]`, `vocab[1]: JSON line 1 (byte 41): score "": not a number`},
		{`[["a",-1],["b",--1]]`, `vocab[1]: JSON line 1 (byte 41): score "--1": not a number`},
		{`[["a",01]]`, `vocab[0]: JSON line 1 (byte 32): score "01": leading zero`},
		{`[["a",1.]]`, `vocab[0]: JSON line 1 (byte 32): score "1.": no digit after the decimal point`},
		{`[["a",1e]]`, `vocab[0]: JSON line 1 (byte 32): score "1e": no digit in the exponent`},
		{`[["a",1e999]]`, `vocab[0]: JSON line 1 (byte 32): score "1e999": number out of range`},
		{`[["a",1 x]]`, `vocab[0]: JSON line 1 (byte 34): want [token, score], found 'x' after the score`},
		{`[["a",null]]`, `vocab[0]: JSON line 1 (byte 32): score "": not a number`},
		{`[[1,2]]`, `vocab[0]: JSON line 1 (byte 28): expected '"', found '1'`},
		{`[[]]`, `vocab[0]: JSON line 1 (byte 28): expected '"', found ']'`},
		{`[["a\q",1]]`, `vocab[0]: JSON line 1 (byte 31): bad escape \q`},
		{"[[\"a\x01\",1]]", `vocab[0]: JSON line 1 (byte 30): control character in string`},
		{"[[\"\\b\x1b\",0]]", `vocab[0]: JSON line 1 (byte 31): control character in string`},
		{`[["a",1]`, `JSON line 1 (byte 34): expected ',' or ']' in array`},
		{`[["a",1],]`, `vocab[1]: JSON line 1 (byte 35): expected '[', found ']'`},
		{`[["a",1]["b",1]]`, `JSON line 1 (byte 34): expected ',' or ']' in array`},
		{"[\n [\"a\",\n  1,\n  2]]", `vocab[0]: JSON line 3 (byte 38): want [token, score], found ',' after the score`},
	} {
		_, err := parseUnigram(&jsonScanner{s: head + tc.vocab + "}"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.vocab, err, tc.want)
		}
	}
}

// FuzzUnigramVocab: the hand-written reader of the vocabulary agrees with encoding/json on
// every input: it accepts what is valid JSON of the right shape, with the same tokens and
// the library's reading of each score, and rejects the rest.
func FuzzUnigramVocab(f *testing.F) {
	for _, s := range []string{`[]`, `[["a",-1.5],["b",0]]`, `[["\u2581x", -3.25e-2], ["\ud83d\ude00",1E+2]]`,
		"[\n  [\n    \"<unk>\",\n    0.0\n  ]\n]", `[["a",1,2]]`, `[["a"]]`, `[["a",01]]`, `[[1,2]]`, `[["a",1]`, `[["\"\\\/\b\f\n\r\t",-0]]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, vocab string) {
		if !utf8.ValidString(vocab) { // the library reads the file as UTF-8 text first
			return
		}
		pool := &strPool{base: vocab}
		j := &jsonScanner{s: vocab}
		var got []unigramPiece
		err := j.array(func() error {
			p, err := j.unigramEntry(pool)
			got = append(got, p)
			return err
		})
		if err == nil {
			if j.ws(); j.pos != len(vocab) {
				err = j.errorf("data after the vocabulary")
			}
		}
		var want [][]json.RawMessage
		wantErr := json.Unmarshal([]byte(vocab), &want)
		for i := 0; wantErr == nil && i < len(want); i++ {
			var tok string
			if len(want[i]) != 2 || json.Unmarshal(want[i][0], &tok) != nil {
				wantErr = errorString("not [string, number]")
				break
			}
			if _, e := parseJSONFloat(string(want[i][1])); e != nil {
				wantErr = e
				break
			}
			if err == nil && (pool.get(got[i].tok) != tok) {
				t.Fatalf("%q: token %d is %q, want %q", vocab, i, pool.get(got[i].tok), tok)
			}
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, encoding/json: %v", vocab, err, wantErr)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d entries, want %d", vocab, len(got), len(want))
		}
		for i := range want {
			score, _ := parseJSONFloat(string(want[i][1]))
			if math.Float64bits(got[i].score) != math.Float64bits(score) {
				t.Fatalf("%q: score %d is %v, want %v", vocab, i, got[i].score, score)
			}
		}
	})
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestJSONRawLiterals: a value skipped or kept as raw text is checked too: only true,
// false, null and numbers are literals.
func TestJSONRawLiterals(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"true", true}, {"false", true}, {"null", true}, {"0", true}, {"-0.5e+3", true}, {"12E-1", true},
		{"nul", false}, {"truex", false}, {"01", false}, {"1.", false}, {".5", false}, {"-", false},
		{"1e", false}, {"+1", false}, {"NaN", false}, {"x", false}, {"1:2", false},
	} {
		j := &jsonScanner{s: tc.in}
		_, err := j.raw()
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v", tc.in, err)
		}
		if got := json.Valid([]byte(tc.in)); got != tc.ok {
			t.Errorf("%q: encoding/json says valid=%v", tc.in, got)
		}
	}
	_, err := parseUnigram(&jsonScanner{s: `{"type":"Unigram","unk_id":nul,"vocab":[]}`})
	if err == nil || !strings.Contains(err.Error(), `expected a value, found "nul"`) {
		t.Errorf("unk_id nul: error %v", err)
	}
}
