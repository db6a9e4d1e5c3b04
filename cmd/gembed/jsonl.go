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

// textLine is one JSONL input line; fields other than text and id are
// ignored.
type textLine struct {
	Text *string         `json:"text"`
	ID   json.RawMessage `json:"id"`
}

// jsonlInput is one input read from JSON lines.
type jsonlInput struct {
	text string
	id   json.RawMessage // the line's "id", passed through to its output line; nil if absent
	line int             // line number, from 1
}

// The one rule of JSONL input, for every command: each line is one input
// and gives one output line, in order, carrying the input's "id" if it has
// one. A blank line is an error (skipping it would shift every later
// output line against its input).
const jsonlRule = `every line must be one {"text": "..."} object`

// parseTextLine reads {"text": "...", "id"?: any} from one line. Invalid
// UTF-8 inside the JSON string becomes U+FFFD, as encoding/json decodes it.
func parseTextLine(b []byte) (text string, id json.RawMessage, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", nil, errors.New("blank line: " + jsonlRule)
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return "", nil, fmt.Errorf("not valid JSON: %v (%s; for plain text lines use --format text)", err, jsonlRule)
	}
	if b[0] != '{' {
		return "", nil, errors.New(`want a JSON object like {"text": "..."}`)
	}
	var tl textLine
	if err := json.Unmarshal(b, &tl); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return "", nil, fmt.Errorf(`field "text" must be a string, not a JSON %s`, te.Value)
		}
		return "", nil, fmt.Errorf(`field "text": %v`, err)
	}
	if tl.Text == nil {
		return "", nil, errors.New(`no "text" string field`)
	}
	if len(tl.ID) == 0 || string(tl.ID) == "null" {
		tl.ID = nil
	}
	return *tl.Text, tl.ID, nil
}

// readTexts reads all JSONL inputs.
func readTexts(r io.Reader) ([]jsonlInput, error) {
	lr := newLineReader(r)
	var ins []jsonlInput
	for {
		b, err := lr.next()
		if errors.Is(err, io.EOF) {
			return ins, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading stdin after line %d: %w", lr.line, err)
		}
		text, id, err := parseTextLine(b)
		if err != nil {
			return nil, fmt.Errorf("stdin line %d: %w", lr.line, err)
		}
		ins = append(ins, jsonlInput{text: text, id: id, line: lr.line})
	}
}

// readPlainLines reads one text per line (for stdin without --format jsonl);
// a blank line is the empty text, so output still maps line to line.
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
