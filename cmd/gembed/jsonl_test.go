package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseTextLine(t *testing.T) {
	tests := []struct {
		line    string
		text    string
		id      string
		wantErr string
	}{
		{`{"text":"hi"}`, "hi", "", ""},
		{`  {"text":"", "id": 3}  `, "", "3", ""},
		{`{"id": {"doc": "a-1"}, "text":"x"}`, "x", `{"doc": "a-1"}`, ""},
		{`{"text":"x", "id": null}`, "x", "", ""},
		{``, "", "", "blank line"},
		{"   \t", "", "", "blank line"},
		{`{"text":"a\nb"}`, "a\nb", "", ""},
		{"{\"text\":\"\xff\"}", "\uFFFD", "", ""},
		{`{"text":null}`, "", "", `no "text" string field`},
		{`{"text":5}`, "", "", `field "text" must be a string, not a JSON number`},
		{`{"text":["a"]}`, "", "", `field "text" must be a string, not a JSON array`},
		{`{}`, "", "", `no "text" string field`},
		{`"hi"`, "", "", "want a JSON object"},
		{`{"text":"a"`, "", "", "not valid JSON"},
		{`{"text":"a"} {}`, "", "", "not valid JSON"},
		{`hello world`, "", "", "--format text"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			text, id, err := parseTextLine([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(id) != tt.id || text != tt.text {
				t.Fatalf("got %q id %s, %v", text, id, err)
			}
		})
	}
}

// A UTF-8 byte order mark starts the first line only; JSONL from Windows
// tools then parses.
func TestLineReaderBOM(t *testing.T) {
	ins, err := readTexts(strings.NewReader("\uFEFF{\"text\":\"a\"}\r\n{\"text\":\"\uFEFFb\"}\n"))
	if err != nil || len(ins) != 2 || ins[0].text != "a" || ins[1].text != "\uFEFFb" || ins[1].line != 2 {
		t.Fatalf("inputs %+v err %v", ins, err)
	}
	if _, err := readTexts(strings.NewReader("{\"text\":\"a\"}\n\uFEFF{\"text\":\"b\"}\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("BOM on line 2: err = %v", err)
	}
}

func TestLineReaderLongLinesAndCRLF(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	lr := newLineReader(strings.NewReader("a\r\n" + long + "\n\nlast"))
	var got []string
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if len(got) != 4 || got[0] != "a" || got[1] != long || got[2] != "" || got[3] != "last" || lr.line != 4 {
		t.Fatalf("lines %d, line %d", len(got), lr.line)
	}
}

// A blank line is an error naming it: skipped, it would shift every later
// output line against its input.
func TestReadTextsLineNumbers(t *testing.T) {
	ins, err := readTexts(strings.NewReader("{\"text\":\"a\"}\n{\"text\":\"b\",\"id\":7}\n"))
	if err != nil || len(ins) != 2 || ins[0].line != 1 || ins[1].line != 2 || string(ins[1].id) != "7" {
		t.Fatalf("%+v %v", ins, err)
	}
	_, err = readTexts(strings.NewReader("{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "stdin line 2: blank line") {
		t.Fatalf("err = %v", err)
	}
	_, err = readTexts(strings.NewReader("{\"text\":\"a\"}\nbad\n"))
	if err == nil || !strings.Contains(err.Error(), "stdin line 2") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseTextLine(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, `{"text":null}`, `[]`, `{"text":"\ud800"}`, "", `{"text":"a","text":"b"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		text, id, err := parseTextLine([]byte(line))
		if err != nil && (text != "" || id != nil) {
			t.Fatal("a result with an error")
		}
		if err == nil && !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 text %q from %q", text, line)
		}
	})
}

func FuzzReadTexts(f *testing.F) {
	f.Add("{\"text\":\"a\"}\n\n{\"text\":\"b\"}\r\n")
	f.Add("{\"text\":\"a\",\"id\":[1]}\n")
	f.Add("x\n")
	f.Fuzz(func(t *testing.T, in string) {
		ins, err := readTexts(strings.NewReader(in))
		for i := range ins {
			if err == nil && ins[i].line != i+1 {
				t.Fatalf("input %d has line %d: inputs and lines do not map one to one", i, ins[i].line)
			}
		}
	})
}

func TestShortError(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"boom", "gembed: boom"},
		{"gembed: x", "gembed: x"},
		{"a\nb\nc\nd\ne", "gembed: a\nb\nc d e"},
	} {
		if got := shortError(errors.New(tt.in)); got != tt.want {
			t.Errorf("shortError(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
