package server

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gembed-dev/gembed/embed"
)

// TruncatedHeader lists, comma-separated, the indexes of the inputs that
// were truncated to the model's maximum length.
const TruncatedHeader = "X-Gembed-Truncated"

type openAIEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32 or a base64 string
}

type openAIResponse struct {
	Object string            `json:"object"`
	Data   []openAIEmbedding `json:"data"`
	Model  string            `json:"model"`
	Usage  openAIUsage       `json:"usage"`
}

type openAIUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

type openAIErrorBody struct {
	Error openAIErrorDetail `json:"error"`
}

type openAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

type teiError struct {
	Error     string `json:"error"`
	ErrorType string `json:"error_type"`
}

func writeOpenAIError(w http.ResponseWriter, e *apiError) {
	typ := "invalid_request_error"
	switch {
	case e.status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case e.status == http.StatusServiceUnavailable:
		typ = "service_unavailable"
	case e.status == http.StatusUnauthorized:
		typ = "authentication_error"
	case e.status == http.StatusNotFound && e.code == "":
		typ = "not_found_error"
	case e.status >= 500:
		typ = "server_error"
	}
	d := openAIErrorDetail{Message: e.msg, Type: typ}
	if e.param != "" {
		d.Param = &e.param
	}
	if e.code != "" {
		d.Code = &e.code
	}
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, openAIErrorBody{d})
}

func writeTEIError(w http.ResponseWriter, e *apiError) {
	typ := e.teiType
	if typ == "" {
		switch e.status {
		case http.StatusTooManyRequests:
			typ = "Overloaded"
		case http.StatusServiceUnavailable:
			typ = "Unhealthy"
		default:
			typ = "Backend"
		}
	}
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, teiError{e.msg, typ})
}

func methodNotAllowed() *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, msg: "use POST", teiType: "Validation"}
}

func (s *Server) handleOpenAI(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeOpenAIError(w, e) }
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fail(methodNotAllowed())
		return
	}
	var req openAIRequest
	if aerr := decodeBody(w, r, s.opt.MaxBodyBytes, &req); aerr != nil {
		fail(aerr)
		return
	}
	p, aerr := req.parsed()
	if aerr == nil {
		aerr = s.checkModel(p.model)
	}
	if aerr != nil {
		fail(aerr)
		return
	}
	p.noTruncate = s.opt.NoTruncate
	p.normalize = !s.opt.NoNormalize
	vecs, tokens, aerr := s.embed(r.Context(), w, "/v1/embeddings", p)
	if aerr != nil {
		fail(aerr)
		return
	}
	resp := openAIResponse{Object: "list", Model: s.modelName(), Data: make([]openAIEmbedding, len(vecs)),
		Usage: openAIUsage{PromptTokens: tokens, TotalTokens: tokens}}
	for i, v := range vecs {
		var emb any = v
		if p.base64 {
			emb = encodeBase64(v)
		}
		resp.Data[i] = openAIEmbedding{Object: "embedding", Index: i, Embedding: emb}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleTEI(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeTEIError(w, e) }
	var req teiRequest
	if aerr := s.readTEIPost(w, r, &req); aerr != nil {
		fail(aerr)
		return
	}
	p, aerr := req.parsed(!s.opt.NoTruncate)
	if aerr != nil {
		fail(aerr)
		return
	}
	if req.Normalize == nil {
		p.normalize = !s.opt.NoNormalize
	}
	vecs, _, aerr := s.embed(r.Context(), w, "/embed", p)
	if aerr != nil {
		// TEI answers validation problems of the inputs with 413 and others with 422.
		if aerr.status == http.StatusBadRequest && aerr.teiType == "Validation" {
			aerr.status = http.StatusUnprocessableEntity
		}
		fail(aerr)
		return
	}
	writeJSON(w, http.StatusOK, vecs)
}

// embed runs a parsed request: tokenize (in the handler's goroutine),
// queue with everyone else's inputs, then truncate/normalize per request.
func (s *Server) embed(ctx context.Context, w http.ResponseWriter, route string, p parsedRequest) ([][]float32, int, *apiError) {
	lg := logOf(ctx)
	lg.inputs = p.len()
	e := s.embedder()
	if e == nil && s.reranker() != nil {
		return nil, 0, s.notAnEmbedder()
	}
	if e == nil {
		return nil, 0, &apiError{status: http.StatusServiceUnavailable, msg: errLoading.Error(), teiType: "Unhealthy"}
	}
	if p.len() > s.opt.MaxInputs {
		s.metrics.rejected.WithLabelValues("too_many_inputs").Inc()
		return nil, 0, validation(http.StatusRequestEntityTooLarge, "input",
			"%d inputs is more than the limit of %d per request", p.len(), s.opt.MaxInputs)
	}
	info := e.Info()
	dims := info.Dimensions
	if p.dimensions != 0 {
		if p.dimensions > info.Hidden {
			return nil, 0, validation(http.StatusBadRequest, "dimensions",
				"dimensions %d is more than the model's %d", p.dimensions, info.Hidden)
		}
		dims = p.dimensions
	}
	if p.ids == nil && p.prompt == "" && p.promptName == "" && p.instr == "" {
		// Token-id inputs take no prompt, a default one included.
		p.prompt, p.promptName = s.opt.DefaultPrompt, s.opt.DefaultPromptName
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.RequestTimeout)
	defer cancel()
	toks, aerr := s.tokenize(ctx, e, p)
	if aerr != nil {
		return nil, 0, aerr
	}
	seqs := make([][]int, len(toks))
	tokens := 0
	var truncated []string
	for i, t := range toks {
		seqs[i] = t.IDs
		tokens += len(t.IDs)
		if t.Truncated {
			truncated = append(truncated, strconv.Itoa(i))
		}
	}
	lg.truncated = len(truncated)
	lg.tokens = tokens
	raw, err := s.queue.submit(ctx, seqs)
	switch {
	case errors.Is(err, errOverloaded):
		return nil, 0, &apiError{status: http.StatusTooManyRequests, msg: err.Error(), teiType: "Overloaded", code: "overloaded"}
	case errors.Is(err, errShutdown):
		return nil, 0, &apiError{status: http.StatusServiceUnavailable, msg: err.Error(), teiType: "Unhealthy"}
	case err != nil:
		return nil, 0, s.internal(ctx, err, "Backend")
	}
	s.metrics.tokens.WithLabelValues(route).Add(float64(tokens))
	s.metrics.inputs.WithLabelValues(route).Add(float64(len(seqs)))
	out := make([][]float32, len(raw))
	for i, v := range raw {
		out[i] = embed.Finish(v, dims, p.normalize)
	}
	if len(truncated) > 0 {
		// Neither API has a field for it; a header keeps the bodies standard.
		w.Header().Set(TruncatedHeader, strings.Join(truncated, ","))
	}
	return out, tokens, nil
}

// tokenize turns a request's texts into token ids (prompt, special tokens,
// truncation), or checks and truncates its token-id inputs, which are the
// served model's own ids and are used as given: no prompt, no special
// tokens added.
func (s *Server) tokenize(ctx context.Context, e Embedder, p parsedRequest) ([]embed.Tokenized, *apiError) {
	info := e.Info()
	opt := embed.EmbedOptions{PromptName: p.promptName, Prompt: p.prompt, Instruction: p.instr, NoTruncate: p.noTruncate}
	if err := embed.CheckPromptOptions(opt); err != nil {
		return nil, validation(http.StatusBadRequest, "prompt_name", "%v", err)
	}
	var toks []embed.Tokenized
	var err error
	if p.ids != nil {
		if p.prompt != "" || p.promptName != "" || p.instr != "" {
			return nil, validation(http.StatusBadRequest, "input", "token-id inputs take no prompt, prompt_name or instruction")
		}
		toks = make([]embed.Tokenized, len(p.ids))
		for i, ids := range p.ids {
			for _, id := range ids {
				if id >= info.Vocab && info.Vocab > 0 {
					return nil, validation(http.StatusBadRequest, "input", "input %d: token id %d is outside the model's vocabulary (0..%d)", i, id, info.Vocab-1)
				}
			}
			t := embed.Tokenized{IDs: ids, OriginalTokens: len(ids)}
			if len(ids) > info.MaxLength {
				if p.noTruncate {
					err = &embed.TooLongError{Index: i, Tokens: len(ids), Max: info.MaxLength}
					break
				}
				t.IDs, t.Truncated = ids[:info.MaxLength], true
			}
			toks[i] = t
		}
	} else if p.leftTrunc {
		toks, err = s.tokenizeLeft(ctx, e, p.texts, opt)
	} else {
		toks, err = e.Tokenize(ctx, p.texts, opt)
	}
	var given *apiError
	if errors.As(err, &given) {
		return nil, given
	}
	var tooLong *embed.TooLongError
	var unknown *embed.UnknownPromptError
	var conflict *embed.PromptConflictError
	switch {
	case errors.As(err, &tooLong):
		s.metrics.rejected.WithLabelValues("too_long").Inc()
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, param: "input", teiType: "Validation",
			code: "context_length_exceeded",
			msg: "input " + strconv.Itoa(tooLong.Index) + " has " + strconv.Itoa(tooLong.Tokens) +
				" tokens, more than the model's maximum of " + strconv.Itoa(tooLong.Max) + " (truncation is off)"}
	case errors.As(err, &unknown):
		return nil, validation(http.StatusBadRequest, "prompt_name", "%v", err)
	case errors.As(err, &conflict):
		return nil, validation(http.StatusBadRequest, "prompt_name", "%v", err)
	case err != nil:
		return nil, s.internal(ctx, err, "Tokenizer")
	}
	return toks, nil
}

// checkModel accepts a request's "model" when it is empty, the served
// name or the id the model was loaded by; any other name is OpenAI's 404
// model_not_found, so a client pointed at the wrong server learns it.
func (s *Server) checkModel(name string) *apiError {
	if name == "" || name == s.modelName() {
		return nil
	}
	if e := s.embedder(); e != nil && name == e.Info().ID {
		return nil
	}
	return &apiError{status: http.StatusNotFound, param: "model", code: "model_not_found", teiType: "Validation",
		msg: fmt.Sprintf("the model %q does not exist here; this server serves %q", name, s.modelName())}
}

func (s *Server) internal(ctx context.Context, err error, teiType string) *apiError {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, teiType: "Unhealthy", code: "timeout",
			msg: "request timed out after " + s.opt.RequestTimeout.String()}
	case errors.Is(err, context.Canceled):
		return &apiError{status: 499, msg: "client closed the request", teiType: teiType}
	}
	return &apiError{status: http.StatusInternalServerError, msg: err.Error(), teiType: teiType}
}

// encodeBase64 is OpenAI's base64 encoding_format: little-endian float32s.
func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}
