package records

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseDocument(t *testing.T) {
	tests := []struct {
		line     string
		id, text string
		ok       bool
		err      string
	}{
		{line: `{"id": "a", "text": "hello"}`, id: "a", text: "hello", ok: true},
		{line: `  {"text": "x", "id": 42, "extra": [1]}  `, id: "42", text: "x", ok: true},
		{line: `{"id": -1.5e3, "text": ""}`, id: "-1.5e3", text: "", ok: true},
		{line: "", ok: false},
		{line: "   \t", ok: false},
		{line: `{"id": "a"}`, err: `no "text" string field`},
		{line: `{"text": "a"}`, err: `no "id" field`},
		{line: `{"id": null, "text": "a"}`, err: `no "id" field`},
		{line: `{"id": "", "text": "a"}`, err: `"id" is empty`},
		{line: `{"id": true, "text": "a"}`, err: `must be a string or a number`},
		{line: `{"id": {"k": 1}, "text": "a"}`, err: `must be a string or a number`},
		{line: `{"id": "a", "text": 7}`, err: `field "text" must be a string, not a JSON number`},
		{line: `{"id": "a", "text": "x"`, err: "not valid JSON"},
		{line: `"just a string"`, err: "want a JSON object"},
	}
	for _, tt := range tests {
		id, text, ok, err := ParseDocument([]byte(tt.line))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil || ok != tt.ok || id != tt.id || text != tt.text {
			t.Errorf("%q: (%q, %q, %v, %v), want (%q, %q, %v)", tt.line, id, text, ok, err, tt.id, tt.text, tt.ok)
		}
	}
}

// FuzzParseDocument: any line gives a record, a skip or an error — never a
// panic — and a record written back parses to itself.
func FuzzParseDocument(f *testing.F) {
	for _, s := range []string{`{"id":"a","text":"b"}`, `{"id":1,"text":""}`, `{}`, ``, `[`, `{"id":"\ud800","text":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		id, text, ok, err := ParseDocument(line)
		if err != nil || !ok {
			if ok {
				t.Fatal("ok with an error")
			}
			return
		}
		if id == "" {
			t.Fatal("empty id accepted")
		}
		if !utf8.ValidString(text) || !utf8.ValidString(id) {
			t.Fatalf("invalid UTF-8 out of encoding/json: %q %q", id, text)
		}
		b, _ := json.Marshal(map[string]string{"id": id, "text": text})
		id2, text2, ok2, err2 := ParseDocument(b)
		if err2 != nil || !ok2 || id2 != id || text2 != text {
			t.Fatalf("round trip of %q: (%q, %q, %v, %v)", b, id2, text2, ok2, err2)
		}
	})
}
