package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// apiError is a request failure, rendered by each API in its own format.
type apiError struct {
	status  int
	msg     string
	param   string // OpenAI's "param"
	teiType string // TEI's "error_type": Validation, Overloaded, Unhealthy, Backend, Empty, Tokenizer
	code    string // OpenAI's "code"
}

func (e *apiError) Error() string { return e.msg }

func validation(status int, param, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...), param: param, teiType: "Validation"}
}

// readTEIPost is the start every TEI POST route shares: 405 (with Allow)
// for another method, else the body decoded into req, a malformed one
// answered with TEI's 422.
func (s *Server) readTEIPost(w http.ResponseWriter, r *http.Request, req any) *apiError {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		return methodNotAllowed()
	}
	if aerr := decodeBody(w, r, s.opt.MaxBodyBytes, req); aerr != nil {
		return tei422(aerr)
	}
	return nil
}

// tei422 maps the shared 400 of a malformed body or input to TEI's 422
// (OpenAI's routes keep 400).
func tei422(e *apiError) *apiError {
	if e.status == http.StatusBadRequest {
		e.status = http.StatusUnprocessableEntity
	}
	return e
}

// decodeBody decodes one JSON object from the request body, reading at most
// limit bytes: a larger body gets 413 without being read whole.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) *apiError {
	if r.ContentLength > limit {
		return &apiError{status: http.StatusRequestEntityTooLarge, teiType: "Validation",
			msg: fmt.Sprintf("request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	err := decodeJSON(body, v)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &apiError{status: http.StatusRequestEntityTooLarge, teiType: "Validation",
			msg: fmt.Sprintf("request body is larger than the limit of %d bytes", limit)}
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return typeError(typeErr)
	}
	if err != nil {
		return validation(http.StatusBadRequest, "", "invalid JSON body: %v", err)
	}
	return nil
}

// typeError names the field and what it should hold, without Go type names.
func typeError(e *json.UnmarshalTypeError) *apiError {
	want := e.Type.Kind().String()
	switch e.Type.Kind() {
	case reflect.Int, reflect.Int64:
		want = "an integer"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Pointer:
		switch e.Type.Elem().Kind() {
		case reflect.Int:
			want = "an integer"
		case reflect.Bool:
			want = "true or false"
		case reflect.String:
			want = "a string"
		}
	}
	return validation(http.StatusBadRequest, e.Field, "%q must be %s, not %s", e.Field, want, e.Value)
}

// decodeJSON reads exactly one JSON value from r into v.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return err
		}
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// inputs are a request's texts, or its token-id sequences (exactly one is set).
type inputs struct {
	texts []string
	ids   [][]int
}

func (in inputs) len() int { return len(in.texts) + len(in.ids) }

// parseInputs reads a field holding a string, an array of strings, an
// array of token ids or an array of arrays of token ids (the four input
// forms of OpenAI's embeddings API; LangChain sends token ids by default).
func parseInputs(raw json.RawMessage, field string) (inputs, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return inputs{}, &apiError{status: http.StatusBadRequest, param: field, teiType: "Empty",
			msg: fmt.Sprintf("%q is required", field)}
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return inputs{}, validation(http.StatusBadRequest, field, "%s: %v", field, err)
		}
		return inputs{texts: []string{s}}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return inputs{}, validation(http.StatusBadRequest, field, "%s: %v", field, err)
		}
		if len(items) == 0 {
			return inputs{}, &apiError{status: http.StatusBadRequest, param: field, teiType: "Empty",
				msg: fmt.Sprintf("%q is an empty list", field)}
		}
		first := bytes.TrimSpace(items[0])
		switch {
		case len(first) > 0 && (first[0] == '-' || (first[0] >= '0' && first[0] <= '9')):
			ids, aerr := parseIDs(items, field)
			if aerr != nil {
				return inputs{}, aerr
			}
			return inputs{ids: [][]int{ids}}, nil
		case len(first) > 0 && first[0] == '[':
			seqs := make([][]int, len(items))
			for i, it := range items {
				var inner []json.RawMessage
				if err := json.Unmarshal(it, &inner); err != nil {
					return inputs{}, validation(http.StatusBadRequest, field, "%s[%d] must be an array of token ids", field, i)
				}
				if len(inner) == 0 {
					return inputs{}, validation(http.StatusBadRequest, field, "%s[%d] is an empty array of token ids", field, i)
				}
				ids, aerr := parseIDs(inner, fmt.Sprintf("%s[%d]", field, i))
				if aerr != nil {
					aerr.param = field
					return inputs{}, aerr
				}
				seqs[i] = ids
			}
			return inputs{ids: seqs}, nil
		}
		texts := make([]string, len(items))
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 || it[0] != '"' {
				return inputs{}, validation(http.StatusBadRequest, field, "%s[%d] must be a string, like %s[0]", field, i, field)
			}
			if err := json.Unmarshal(it, &texts[i]); err != nil {
				return inputs{}, validation(http.StatusBadRequest, field, "%s[%d]: %v", field, i, err)
			}
		}
		return inputs{texts: texts}, nil
	default:
		return inputs{}, validation(http.StatusBadRequest, field, "%q must be a string, an array of strings or an array of token ids", field)
	}
}

// parseIDs reads an array of non-negative integer token ids.
func parseIDs(items []json.RawMessage, field string) ([]int, *apiError) {
	ids := make([]int, len(items))
	for i, it := range items {
		var f float64
		if err := json.Unmarshal(it, &f); err != nil || f != float64(int(f)) || f < 0 || f > 1<<31 {
			return nil, validation(http.StatusBadRequest, field, "%s[%d] must be a token id (an integer ≥ 0), not %s", field, i, bytes.TrimSpace(it))
		}
		ids[i] = int(f)
	}
	return ids, nil
}

// openAIRequest is POST /v1/embeddings. prompt_name and instruction are
// gembed extensions (the OpenAI API has no prompts).
type openAIRequest struct {
	Input          json.RawMessage `json:"input"`
	Model          string          `json:"model"`
	Dimensions     *int            `json:"dimensions"`
	EncodingFormat string          `json:"encoding_format"`
	User           string          `json:"user"` // accepted, not used
	PromptName     string          `json:"prompt_name"`
	Prompt         string          `json:"prompt"`
	Instruction    string          `json:"instruction"`
}

// teiRequest is POST /embed as text-embeddings-inference takes it.
type teiRequest struct {
	Inputs              json.RawMessage `json:"inputs"`
	Normalize           *bool           `json:"normalize"`
	Truncate            *bool           `json:"truncate"`
	TruncationDirection string          `json:"truncation_direction"`
	Dimensions          *int            `json:"dimensions"`
	PromptName          *string         `json:"prompt_name"`
	Prompt              *string         `json:"prompt"`
}

type parsedRequest struct {
	inputs
	model      string // the requested model name; "" for any
	dimensions int
	base64     bool
	normalize  bool
	noTruncate bool
	promptName string
	prompt     string
	instr      string
	leftTrunc  bool // TEI's "truncation_direction": "Left"
}

func parseOpenAI(body io.Reader) (parsedRequest, *apiError) { // for fuzzing
	var req openAIRequest
	if err := decodeJSON(body, &req); err != nil {
		return parsedRequest{}, validation(http.StatusBadRequest, "", "invalid JSON body: %v", err)
	}
	return req.parsed()
}

func (req openAIRequest) parsed() (parsedRequest, *apiError) {
	p := parsedRequest{normalize: true, model: req.Model, promptName: req.PromptName, prompt: req.Prompt, instr: req.Instruction}
	in, aerr := parseInputs(req.Input, "input")
	if aerr != nil {
		return p, aerr
	}
	p.inputs = in
	switch strings.ToLower(req.EncodingFormat) {
	case "", "float":
	case "base64":
		p.base64 = true
	default:
		return p, validation(http.StatusBadRequest, "encoding_format", "encoding_format %q is not \"float\" or \"base64\"", req.EncodingFormat)
	}
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			return p, validation(http.StatusBadRequest, "dimensions", "dimensions %d must be at least 1", *req.Dimensions)
		}
		p.dimensions = *req.Dimensions
	}
	return p, nil
}

func parseTEI(body io.Reader, autoTruncate bool) (parsedRequest, *apiError) {
	var req teiRequest
	if err := decodeJSON(body, &req); err != nil {
		return parsedRequest{}, validation(http.StatusUnprocessableEntity, "", "invalid JSON body: %v", err)
	}
	return req.parsed(autoTruncate)
}

func (req teiRequest) parsed(autoTruncate bool) (parsedRequest, *apiError) {
	p := parsedRequest{normalize: true, noTruncate: !autoTruncate}
	in, aerr := parseInputs(req.Inputs, "inputs")
	if aerr != nil {
		if aerr.teiType == "Validation" {
			aerr.status = http.StatusUnprocessableEntity
		}
		return p, aerr
	}
	p.inputs = in
	if req.Normalize != nil {
		p.normalize = *req.Normalize
	}
	if req.Truncate != nil {
		p.noTruncate = !*req.Truncate
	}
	left, aerr := parseDirection(req.TruncationDirection)
	if aerr != nil {
		return p, aerr
	}
	p.leftTrunc = left
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			return p, validation(http.StatusUnprocessableEntity, "dimensions", "dimensions %d must be at least 1", *req.Dimensions)
		}
		p.dimensions = *req.Dimensions
	}
	if req.PromptName != nil {
		p.promptName = *req.PromptName
	}
	if req.Prompt != nil {
		p.prompt = *req.Prompt
	}
	return p, nil
}

// parseDirection reads TEI's truncation_direction: "Right" (default) or "Left".
func parseDirection(d string) (left bool, aerr *apiError) {
	switch strings.ToLower(d) {
	case "", "right":
		return false, nil
	case "left":
		return true, nil
	}
	return false, validation(http.StatusUnprocessableEntity, "truncation_direction", "truncation_direction %q: want \"Right\" or \"Left\"", d)
}
