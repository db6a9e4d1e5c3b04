package tokenizer

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMergePairMalformed: a malformed pair in the merges is rejected with an error naming
// the merge and the byte where reading stopped.
func TestMergePairMalformed(t *testing.T) {
	const head = `{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"],`
	for _, tc := range []struct{ merge, want string }{
		{`[]`, `merges[1]: JSON line 1 (byte 73): expected '"', found ']'`},
		{`["a"]`, `merges[1]: JSON line 1 (byte 76): want a pair of tokens, found ']' after token 1`},
		{`["a","b","c"]`, `merges[1]: JSON line 1 (byte 80): want a pair of tokens, found ',' after token 2`},
		{`["a" "b"]`, `merges[1]: JSON line 1 (byte 77): want a pair of tokens, found '"' after token 1`},
		{`["a",1]`, `merges[1]: JSON line 1 (byte 77): expected '"', found '1'`},
		{`["a","b"`, `JSON line 1 (byte 81): expected ',' or ']' in array`},
		{`["a\u12","b"]`, `merges[1]: JSON line 1 (byte 77): bad \u escape`},
		{"[\"a\",\n\"b\"\n,\"c\"]", `merges[1]: JSON line 3 (byte 82): want a pair of tokens, found ',' after token 2`},
	} {
		_, err := parse(head + tc.merge + "]}}")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.merge, err, tc.want)
		}
	}
}

// FuzzMergePair: the hand-written reader of a ["a", "b"] merge agrees with encoding/json
// on every input: the same two tokens from a valid pair, an error for anything else.
func FuzzMergePair(f *testing.F) {
	for _, s := range []string{`["a","b"]`, "[\n  \"\u2581t\",\n  \"he\"\n]", `["\u0041", "\ud83d\ude00"]`, `[]`, `["a"]`, `["a","b","c"]`, `["a",1]`, `[ "a" , "b" ]`, `["a","b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		pool := &strPool{base: s}
		j := &jsonScanner{s: s}
		pair, err := j.mergePair(pool)
		if err == nil {
			if j.ws(); j.pos != len(s) {
				err = j.errorf("data after the pair")
			}
		}
		var want []string
		wantErr := json.Unmarshal([]byte(s), &want)
		if wantErr == nil && len(want) != 2 {
			wantErr = errorString("not a pair")
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, encoding/json: %v", s, err, wantErr)
		}
		if err == nil && (pool.get(pair.a) != want[0] || pool.get(pair.b) != want[1]) {
			t.Fatalf("%q: %q %q, want %q", s, pool.get(pair.a), pool.get(pair.b), want)
		}
	})
}
