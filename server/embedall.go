package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// TokenVectorSource is implemented by embedders that return per-token
// vectors (*embed.Embedder does). It enables TEI's /embed_all; without it
// the route answers 501.
type TokenVectorSource interface {
	// TokenVectors returns, per token sequence, one vector per token: the
	// model's final hidden states, not pooled, not normalized.
	TokenVectors(ctx context.Context, seqs [][]int) ([][][]float32, error)
}

// handleEmbedAll is TEI's POST /embed_all: {"inputs", "truncate"?,
// "truncation_direction"?, "prompt_name"?} → per input, the vector of each
// of its tokens (prompt and special tokens included), as TEI answers
// [[[f32]]]. The answer is tokens × hidden floats, so one request may hold
// at most MaxBatchTokens tokens (413 beyond). It runs the model directly,
// not through the pooled-vector queue.
func (s *Server) handleEmbedAll(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeTEIError(w, e) }
	var req teiRequest
	if aerr := s.readTEIPost(w, r, &req); aerr != nil {
		fail(aerr)
		return
	}
	// Per-token vectors are the raw hidden states: nothing to cut or normalize.
	if req.Dimensions != nil {
		fail(validation(http.StatusUnprocessableEntity, "dimensions", `"dimensions" does not apply to /embed_all`))
		return
	}
	if req.Normalize != nil && *req.Normalize {
		fail(validation(http.StatusUnprocessableEntity, "normalize", "/embed_all returns the hidden states as they are; \"normalize\": true does not apply"))
		return
	}
	p, aerr := req.parsed(!s.opt.NoTruncate)
	if aerr != nil {
		fail(aerr)
		return
	}
	lg.inputs = p.len()
	e := s.embedder()
	if e == nil {
		fail(&apiError{status: http.StatusServiceUnavailable, msg: errLoading.Error(), teiType: "Unhealthy"})
		return
	}
	src, ok := e.(TokenVectorSource)
	if !ok {
		fail(&apiError{status: http.StatusNotImplemented, teiType: "Backend", msg: "this embedder does not return per-token vectors"})
		return
	}
	if p.len() > s.opt.MaxInputs {
		s.metrics.rejected.WithLabelValues("too_many_inputs").Inc()
		fail(validation(http.StatusRequestEntityTooLarge, "inputs", "%d inputs is more than the limit of %d per request", p.len(), s.opt.MaxInputs))
		return
	}
	if p.ids == nil && p.prompt == "" && p.promptName == "" {
		p.prompt, p.promptName = s.opt.DefaultPrompt, s.opt.DefaultPromptName
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.RequestTimeout)
	defer cancel()
	toks, aerr := s.tokenize(ctx, e, p)
	if aerr != nil {
		fail(tei422(aerr))
		return
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
	lg.tokens, lg.truncated = tokens, len(truncated)
	if tokens > s.opt.MaxBatchTokens {
		s.metrics.rejected.WithLabelValues("too_many_tokens").Inc()
		fail(validation(http.StatusRequestEntityTooLarge, "inputs",
			"%d tokens in all is more than the limit of %d per /embed_all request (max batch tokens)", tokens, s.opt.MaxBatchTokens))
		return
	}
	vecs, err := src.TokenVectors(ctx, seqs)
	if err != nil {
		var given *apiError
		if !errors.As(err, &given) {
			given = s.internal(ctx, err, "Backend")
		}
		fail(given)
		return
	}
	s.metrics.tokens.WithLabelValues("/embed_all").Add(float64(tokens))
	s.metrics.inputs.WithLabelValues("/embed_all").Add(float64(len(seqs)))
	if len(truncated) > 0 {
		w.Header().Set(TruncatedHeader, strings.Join(truncated, ","))
	}
	writeJSON(w, http.StatusOK, vecs)
}
