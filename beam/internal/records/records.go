// Package records reads and writes the JSON lines of gembed-beam: input
// {"id","text"} documents, output {"id","embedding"} vectors and
// {"id","error"} dead letters. It has no Beam dependency, so its fuzz test
// builds in seconds.
package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ParseDocument reads one {"id", "text"} line. A blank line gives ok ==
// false and no error. A numeric id keeps its JSON spelling ("7", "1e3").
func ParseDocument(b []byte) (id, text string, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", "", false, nil
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return "", "", false, fmt.Errorf("not valid JSON: %v", err)
	}
	if b[0] != '{' {
		return "", "", false, errors.New(`want a JSON object like {"id": "...", "text": "..."}`)
	}
	var r struct {
		ID   json.RawMessage `json:"id"`
		Text *string         `json:"text"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return "", "", false, fmt.Errorf(`field %q must be a string, not a JSON %s`, te.Field, te.Value)
		}
		return "", "", false, err
	}
	switch {
	case len(r.ID) == 0 || string(r.ID) == "null":
		return "", "", false, errors.New(`no "id" field`)
	case r.ID[0] == '"':
		if err := json.Unmarshal(r.ID, &id); err != nil {
			return "", "", false, fmt.Errorf(`field "id": %v`, err)
		}
	case r.ID[0] == '-' || (r.ID[0] >= '0' && r.ID[0] <= '9'):
		id = string(r.ID)
	default:
		return "", "", false, fmt.Errorf(`field "id" must be a string or a number, not %s`, r.ID)
	}
	if id == "" {
		return "", "", false, errors.New(`field "id" is empty`)
	}
	if r.Text == nil {
		return "", "", false, errors.New(`no "text" string field`)
	}
	return id, *r.Text, true, nil
}

// LineID names a line of a plain-text input.
func LineID(path string, line int) string { return path + ":" + strconv.Itoa(line) }

// EmbeddingLine is an output line: {"id":...,"embedding":[...]}.
func EmbeddingLine(id string, v []float32) ([]byte, error) {
	return json.Marshal(struct {
		ID        string    `json:"id"`
		Embedding []float32 `json:"embedding"`
	}{id, v})
}

// DeadLetterLine is an error line: {"id":...,"error":"..."}.
func DeadLetterLine(id, msg string) ([]byte, error) {
	return json.Marshal(struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}{id, msg})
}
