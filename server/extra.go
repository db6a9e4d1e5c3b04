package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gembed-dev/gembed/embed"
)

// teiSimilarityRequest is TEI's POST /similarity.
type teiSimilarityRequest struct {
	Inputs struct {
		Source    *string  `json:"source_sentence"`
		Sentences []string `json:"sentences"`
	} `json:"inputs"`
	Truncate            *bool   `json:"truncate"`
	TruncationDirection string  `json:"truncation_direction"`
	PromptName          *string `json:"prompt_name"`
}

// handleSimilarity answers the cosine of the source sentence with each of
// the sentences, as TEI's /similarity does.
func (s *Server) handleSimilarity(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeTEIError(w, e) }
	var req teiSimilarityRequest
	if aerr := s.readTEIPost(w, r, &req); aerr != nil {
		fail(aerr)
		return
	}
	if req.Inputs.Source == nil || len(req.Inputs.Sentences) == 0 {
		fail(&apiError{status: http.StatusUnprocessableEntity, teiType: "Empty",
			msg: `"inputs" needs "source_sentence" and a non-empty "sentences" list`})
		return
	}
	p := parsedRequest{normalize: true, noTruncate: s.opt.NoTruncate}
	p.texts = append([]string{*req.Inputs.Source}, req.Inputs.Sentences...)
	if req.Truncate != nil {
		p.noTruncate = !*req.Truncate
	}
	left, aerr := parseDirection(req.TruncationDirection)
	if aerr != nil {
		fail(aerr)
		return
	}
	p.leftTrunc = left
	if req.PromptName != nil {
		p.promptName = *req.PromptName
	}
	vecs, _, aerr := s.embed(r.Context(), w, "/similarity", p)
	if aerr != nil {
		fail(tei422(aerr))
		return
	}
	scores := make([]float64, len(vecs)-1)
	for i := range scores {
		scores[i] = embed.Cosine(vecs[0], vecs[i+1])
	}
	writeJSON(w, http.StatusOK, scores)
}

// ollamaEmbedRequest is Ollama's POST /api/embed.
type ollamaEmbedRequest struct {
	Model      string          `json:"model"`
	Input      json.RawMessage `json:"input"`
	Truncate   *bool           `json:"truncate"`
	Dimensions int             `json:"dimensions"`
	KeepAlive  json.RawMessage `json:"keep_alive"` // accepted: the model stays loaded
	Options    json.RawMessage `json:"options"`    // accepted: sampling options mean nothing here
}

type ollamaEmbedResponse struct {
	Model           string      `json:"model"`
	Embeddings      [][]float32 `json:"embeddings"`
	TotalDuration   int64       `json:"total_duration"` // nanoseconds
	LoadDuration    int64       `json:"load_duration"`
	PromptEvalCount int         `json:"prompt_eval_count"`
}

// ollamaEmbeddingsRequest is Ollama's legacy POST /api/embeddings.
type ollamaEmbeddingsRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Options   json.RawMessage `json:"options"`
}

func writeOllamaError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, map[string]string{"error": e.msg})
}

// ollamaModel checks an Ollama model name, where "NAME:latest" is NAME.
func (s *Server) ollamaModel(name string) *apiError {
	if aerr := s.checkModel(strings.TrimSuffix(name, ":latest")); aerr != nil {
		aerr.msg = "model \"" + name + "\" not found; this server serves \"" + s.modelName() + "\""
		return aerr
	}
	return nil
}

// handleOllamaEmbed is POST /api/embed: normalized vectors, truncation on
// unless "truncate": false.
func (s *Server) handleOllamaEmbed(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeOllamaError(w, e) }
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fail(&apiError{status: http.StatusMethodNotAllowed, msg: "use POST"})
		return
	}
	var req ollamaEmbedRequest
	if aerr := decodeBody(w, r, s.opt.MaxBodyBytes, &req); aerr != nil {
		fail(aerr)
		return
	}
	if aerr := s.ollamaModel(req.Model); aerr != nil {
		fail(aerr)
		return
	}
	p := parsedRequest{normalize: true, noTruncate: s.opt.NoTruncate}
	if req.Truncate != nil {
		p.noTruncate = !*req.Truncate
	}
	if req.Dimensions < 0 {
		fail(validation(http.StatusBadRequest, "dimensions", "dimensions %d must be at least 1", req.Dimensions))
		return
	}
	p.dimensions = req.Dimensions
	if raw := strings.TrimSpace(string(req.Input)); raw == "" || raw == "null" || raw == "[]" {
		// Ollama answers an empty input with no embeddings (clients use it to load a model).
		writeJSON(w, http.StatusOK, ollamaEmbedResponse{Model: req.Model, Embeddings: [][]float32{}})
		return
	}
	in, aerr := parseInputs(req.Input, "input")
	if aerr != nil {
		fail(aerr)
		return
	}
	if in.ids != nil {
		fail(validation(http.StatusBadRequest, "input", "\"input\" must be a string or an array of strings"))
		return
	}
	p.inputs = in
	vecs, tokens, aerr := s.embed(r.Context(), w, "/api/embed", p)
	if aerr != nil {
		fail(aerr)
		return
	}
	writeJSON(w, http.StatusOK, ollamaEmbedResponse{Model: req.Model, Embeddings: vecs,
		TotalDuration: time.Since(start).Nanoseconds(), PromptEvalCount: tokens})
}

// handleOllamaEmbeddings is the legacy POST /api/embeddings: one prompt,
// one vector, not normalized (as Ollama answers it), truncated to the
// maximum length.
func (s *Server) handleOllamaEmbeddings(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeOllamaError(w, e) }
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		fail(&apiError{status: http.StatusMethodNotAllowed, msg: "use POST"})
		return
	}
	var req ollamaEmbeddingsRequest
	if aerr := decodeBody(w, r, s.opt.MaxBodyBytes, &req); aerr != nil {
		fail(aerr)
		return
	}
	if aerr := s.ollamaModel(req.Model); aerr != nil {
		fail(aerr)
		return
	}
	if req.Prompt == "" {
		writeJSON(w, http.StatusOK, map[string][]float32{"embedding": {}})
		return
	}
	p := parsedRequest{normalize: false, noTruncate: s.opt.NoTruncate}
	p.texts = []string{req.Prompt}
	vecs, _, aerr := s.embed(r.Context(), w, "/api/embeddings", p)
	if aerr != nil {
		fail(aerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]float32{"embedding": vecs[0]})
}
