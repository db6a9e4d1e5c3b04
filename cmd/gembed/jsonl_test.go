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
		ok      bool
		wantErr string
	}{
		{`{"text":"hi"}`, "hi", true, ""},
		{`  {"text":"", "id": 3}  `, "", true, ""},
		{``, "", false, ""},
		{"   \t", "", false, ""},
		{`{"text":"a\nb"}`, "a\nb", true, ""},
		{"{\"text\":\"\xff\"}", "\uFFFD", true, ""},
		{`{"text":null}`, "", false, `no "text" string field`},
		{`{"text":5}`, "", false, `field "text" must be a string, not a JSON number`},
		{`{"text":["a"]}`, "", false, `field "text" must be a string, not a JSON array`},
		{`{}`, "", false, `no "text" string field`},
		{`"hi"`, "", false, "want a JSON object"},
		{`{"text":"a"`, "", false, "not valid JSON"},
		{`{"text":"a"} {}`, "", false, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			text, ok, err := parseTextLine([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || ok != tt.ok || text != tt.text {
				t.Fatalf("got %q %v %v", text, ok, err)
			}
		})
	}
}

// A UTF-8 byte order mark starts the first line only; JSONL from Windows
// tools then parses.
func TestLineReaderBOM(t *testing.T) {
	texts, lines, err := readTexts(strings.NewReader("\uFEFF{\"text\":\"a\"}\r\n{\"text\":\"\uFEFFb\"}\n"))
	if err != nil || len(texts) != 2 || texts[0] != "a" || texts[1] != "\uFEFFb" || lines[1] != 2 {
		t.Fatalf("texts %q lines %v err %v", texts, lines, err)
	}
	if _, _, err := readTexts(strings.NewReader("{\"text\":\"a\"}\n\uFEFF{\"text\":\"b\"}\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
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

func TestReadTextsLineNumbers(t *testing.T) {
	texts, lines, err := readTexts(strings.NewReader("{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n"))
	if err != nil || len(texts) != 2 || lines[0] != 1 || lines[1] != 3 {
		t.Fatalf("%v %v %v", texts, lines, err)
	}
	_, _, err = readTexts(strings.NewReader("{\"text\":\"a\"}\n\nbad\n"))
	if err == nil || !strings.Contains(err.Error(), "stdin line 3") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseTextLine(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, `{"text":null}`, `[]`, `{"text":"\ud800"}`, "", `{"text":"a","text":"b"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		text, ok, err := parseTextLine([]byte(line))
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
		if ok && !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 text %q from %q", text, line)
		}
	})
}

func FuzzReadTexts(f *testing.F) {
	f.Add("{\"text\":\"a\"}\n\n{\"text\":\"b\"}\r\n")
	f.Add("x\n")
	f.Fuzz(func(t *testing.T, in string) {
		texts, lines, err := readTexts(strings.NewReader(in))
		if err == nil && len(texts) != len(lines) {
			t.Fatal("texts and line numbers differ in length")
		}
		for i := 1; i < len(lines); i++ {
			if lines[i] <= lines[i-1] {
				t.Fatal("line numbers not increasing")
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
