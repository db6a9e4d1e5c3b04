package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// lineReader reads lines of any length (bufio.Scanner stops at 64 KB).
type lineReader struct {
	r    *bufio.Reader
	line int // number of the line last returned, from 1
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its "\n" (or "\r\n"); io.EOF at the end.
func (l *lineReader) next() ([]byte, error) {
	b, err := l.r.ReadBytes('\n')
	if len(b) == 0 && err != nil {
		return nil, err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	l.line++
	if l.line == 1 {
		// Editors on Windows start UTF-8 files with a byte order mark.
		b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// textLine is one JSONL input line; other fields are ignored.
type textLine struct {
	Text *string `json:"text"`
}

// parseTextLine reads {"text": "..."} from one line. Blank lines give
// ok == false and no error. Invalid UTF-8 inside the JSON string becomes
// U+FFFD, as encoding/json decodes it.
func parseTextLine(b []byte) (text string, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", false, nil
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return "", false, fmt.Errorf("not valid JSON: %v", err)
	}
	if b[0] != '{' {
		return "", false, errors.New(`want a JSON object like {"text": "..."}`)
	}
	var tl textLine
	if err := json.Unmarshal(b, &tl); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return "", false, fmt.Errorf(`field "text" must be a string, not a JSON %s`, te.Value)
		}
		return "", false, fmt.Errorf(`field "text": %v`, err)
	}
	if tl.Text == nil {
		return "", false, errors.New(`no "text" string field`)
	}
	return *tl.Text, true, nil
}

// readTexts reads all JSONL inputs; lines[i] is the line number of texts[i].
func readTexts(r io.Reader) (texts []string, lines []int, err error) {
	lr := newLineReader(r)
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			return texts, lines, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading stdin after line %d: %w", lr.line, err)
		}
		text, ok, err := parseTextLine(b)
		if err != nil {
			return nil, nil, fmt.Errorf("stdin line %d: %w", lr.line, err)
		}
		if ok {
			texts = append(texts, text)
			lines = append(lines, lr.line)
		}
	}
}

// readPlainLines reads one text per line (for stdin without --format jsonl).
func readPlainLines(r io.Reader) ([]string, error) {
	lr := newLineReader(r)
	var texts []string
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			return texts, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading stdin after line %d: %w", lr.line, err)
		}
		texts = append(texts, string(b))
	}
}
