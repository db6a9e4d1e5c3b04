package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/rerank"
)

// Reranker is what the rerank routes need from a model; *rerank.Reranker
// has it.
type Reranker interface {
	RerankDetailed(ctx context.Context, query string, docs []string, opt rerank.Options) (rerank.Scored, error)
	Info() rerank.Info
}

type rerankerBox struct{ r Reranker }

// SetReranker makes the server ready, serving r on POST /rerank (TEI) and
// POST /v1/rerank (Cohere/Jina); the embedding routes then answer 400.
func (s *Server) SetReranker(r Reranker) { s.rr.Store(&rerankerBox{r}) }

func (s *Server) reranker() Reranker {
	if b := s.rr.Load(); b != nil {
		return b.r
	}
	return nil
}

func (s *Server) registerRerank() {
	s.mux.HandleFunc("/rerank", s.instrument("/rerank", s.handleRerankTEI))
	s.mux.HandleFunc("/v1/rerank", s.instrument("/v1/rerank", s.handleRerankV1))
}

// notAReranker and notAnEmbedder are the 400s of a route the loaded model
// cannot serve.
func (s *Server) notAReranker() *apiError {
	return &apiError{status: http.StatusBadRequest, teiType: "Validation", code: "model_not_reranker",
		msg: "model " + s.modelName() + " is an embedding model: it cannot rerank (serve a cross-encoder or a Qwen3-Reranker)"}
}

func (s *Server) notAnEmbedder() *apiError {
	return &apiError{status: http.StatusBadRequest, teiType: "Validation", code: "model_not_embedder",
		msg: "model " + s.modelName() + " is a reranker: it does not embed (use POST /rerank or /v1/rerank)"}
}

// rerank runs one request against the loaded reranker.
func (s *Server) rerank(ctx context.Context, query string, docs []string, opt rerank.Options) (rerank.Scored, *apiError) {
	r := s.reranker()
	if r == nil {
		if s.embedder() != nil {
			return rerank.Scored{}, s.notAReranker()
		}
		return rerank.Scored{}, &apiError{status: http.StatusServiceUnavailable, msg: errLoading.Error(), teiType: "Unhealthy"}
	}
	logOf(ctx).inputs = len(docs)
	if len(docs) == 0 {
		return rerank.Scored{}, validation(http.StatusBadRequest, "documents", "no documents to rerank")
	}
	if len(docs) > s.opt.MaxInputs {
		s.metrics.rejected.WithLabelValues("too_many_inputs").Inc()
		return rerank.Scored{}, validation(http.StatusRequestEntityTooLarge, "documents",
			"%d documents is more than the limit of %d per request", len(docs), s.opt.MaxInputs)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.RequestTimeout)
	defer cancel()
	scored, err := r.RerankDetailed(ctx, query, docs, opt)
	var tooLong *embed.TooLongError
	switch {
	case errors.As(err, &tooLong):
		return rerank.Scored{}, validation(http.StatusRequestEntityTooLarge, "documents",
			"document %d with the query has %d tokens, more than the maximum %d (truncation is off)", tooLong.Index, tooLong.Tokens, tooLong.Max)
	case err != nil && ctx.Err() != nil:
		return rerank.Scored{}, &apiError{status: http.StatusServiceUnavailable, msg: "request timed out or was cancelled", teiType: "Overloaded"}
	case err != nil:
		return rerank.Scored{}, s.internal(ctx, err, "Backend")
	}
	logOf(ctx).tokens = scored.TotalTokens
	return scored, nil
}

type teiRerankRequest struct {
	Query     *string  `json:"query"`
	Texts     []string `json:"texts"`
	RawScores bool     `json:"raw_scores"`
	ReturnTxt bool     `json:"return_text"`
	Truncate  *bool    `json:"truncate"`
}

type teiRank struct {
	Index int     `json:"index"`
	Score float32 `json:"score"`
	Text  *string `json:"text,omitempty"`
}

// handleRerankTEI is text-embeddings-inference's POST /rerank:
// {"query", "texts", "raw_scores"?, "return_text"?, "truncate"?} →
// [{"index", "score", "text"?}] sorted by score.
func (s *Server) handleRerankTEI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeTEIError(w, methodNotAllowed())
		return
	}
	var req teiRerankRequest
	if e := decodeBody(w, r, s.opt.MaxBodyBytes, &req); e != nil {
		writeTEIError(w, e)
		return
	}
	if req.Query == nil {
		writeTEIError(w, validation(http.StatusBadRequest, "query", `missing field "query"`))
		return
	}
	opt := rerank.Options{RawScores: req.RawScores, NoTruncate: s.opt.NoTruncate}
	if req.Truncate != nil {
		opt.NoTruncate = !*req.Truncate
	}
	scored, e := s.rerank(r.Context(), *req.Query, req.Texts, opt)
	if e != nil {
		writeTEIError(w, e)
		return
	}
	out := make([]teiRank, 0, len(scored.Scores))
	for _, res := range scored.Ranked() {
		t := teiRank{Index: res.Index, Score: res.Score}
		if req.ReturnTxt {
			t.Text = &req.Texts[res.Index]
		}
		out = append(out, t)
	}
	writeJSON(w, http.StatusOK, out)
}

type v1RerankRequest struct {
	Model           string            `json:"model"`
	Query           *string           `json:"query"`
	Documents       []json.RawMessage `json:"documents"`
	TopN            *int              `json:"top_n"`
	ReturnDocuments bool              `json:"return_documents"`
}

type v1Document struct {
	Text string `json:"text"`
}

type v1Rank struct {
	Index          int         `json:"index"`
	RelevanceScore float32     `json:"relevance_score"`
	Document       *v1Document `json:"document,omitempty"`
}

type v1RerankResponse struct {
	Results []v1Rank      `json:"results"`
	Model   string        `json:"model"`
	Usage   v1RerankUsage `json:"usage"`
}

type v1RerankUsage struct {
	TotalTokens int `json:"total_tokens"`
}

// handleRerankV1 is the Cohere/Jina-style POST /v1/rerank: {"model",
// "query", "documents": [text | {"text"}], "top_n"?, "return_documents"?}
// → {"results": [{"index", "relevance_score", "document"?}], "model",
// "usage"}; errors are OpenAI error objects, like every /v1/ route.
func (s *Server) handleRerankV1(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeOpenAIError(w, methodNotAllowed())
		return
	}
	var req v1RerankRequest
	if e := decodeBody(w, r, s.opt.MaxBodyBytes, &req); e != nil {
		writeOpenAIError(w, e)
		return
	}
	if req.Query == nil {
		writeOpenAIError(w, validation(http.StatusBadRequest, "query", `missing field "query"`))
		return
	}
	if req.Model != "" && s.modelName() != "" && req.Model != s.modelName() {
		writeOpenAIError(w, &apiError{status: http.StatusNotFound, param: "model", code: "model_not_found",
			msg: "model " + req.Model + " is not served here (this server serves " + s.modelName() + ")"})
		return
	}
	docs := make([]string, len(req.Documents))
	for i, raw := range req.Documents {
		text, ok := documentText(raw)
		if !ok {
			writeOpenAIError(w, validation(http.StatusBadRequest, "documents",
				`documents[%d] is neither a string nor an object {"text": string}`, i))
			return
		}
		docs[i] = text
	}
	if req.TopN != nil && *req.TopN < 1 {
		writeOpenAIError(w, validation(http.StatusBadRequest, "top_n", "top_n %d must be at least 1", *req.TopN))
		return
	}
	scored, e := s.rerank(r.Context(), *req.Query, docs, rerank.Options{NoTruncate: s.opt.NoTruncate})
	if e != nil {
		writeOpenAIError(w, e)
		return
	}
	ranked := scored.Ranked()
	if req.TopN != nil && *req.TopN < len(ranked) {
		ranked = ranked[:*req.TopN]
	}
	resp := v1RerankResponse{Results: make([]v1Rank, len(ranked)), Model: s.modelName(), Usage: v1RerankUsage{TotalTokens: scored.TotalTokens}}
	for k, res := range ranked {
		resp.Results[k] = v1Rank{Index: res.Index, RelevanceScore: res.Score}
		if req.ReturnDocuments {
			resp.Results[k].Document = &v1Document{Text: docs[res.Index]}
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// documentText reads a document given as a string or as {"text": string}
// (Cohere's and Jina's object form).
func documentText(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	if t := strings.TrimSpace(string(raw)); !strings.HasPrefix(t, "{") {
		return "", false
	}
	var d struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Text == nil {
		return "", false
	}
	return *d.Text, true
}
