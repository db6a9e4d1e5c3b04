package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/tokenizer"
)

// TokenizerSource is implemented by embedders that expose their tokenizer
// (*embed.Embedder does). It enables TEI's /tokenize and /decode and
// "truncation_direction": "Left"; without it those answer 501.
type TokenizerSource interface {
	Tokenizer() *tokenizer.Tokenizer
}

func (s *Server) tokenizerOf(e Embedder) *tokenizer.Tokenizer {
	if ts, ok := e.(TokenizerSource); ok {
		return ts.Tokenizer()
	}
	return nil
}

// errNoTokenizer is a new error each time: handlers adjust the errors they get.
func errNoTokenizer() *apiError {
	return &apiError{status: http.StatusNotImplemented, teiType: "Backend", msg: "this embedder does not expose its tokenizer"}
}

// teiToken is one token as TEI's /tokenize lists it: start and stop are
// byte offsets into the input (null for special tokens).
type teiToken struct {
	ID      int    `json:"id"`
	Text    string `json:"text"`
	Special bool   `json:"special"`
	Start   *int   `json:"start"`
	Stop    *int   `json:"stop"`
}

type teiTokenizeRequest struct {
	Inputs           json.RawMessage `json:"inputs"`
	AddSpecialTokens *bool           `json:"add_special_tokens"`
	PromptName       *string         `json:"prompt_name"`
}

// handleTokenize is TEI's POST /tokenize: the tokens of each input, with
// the prompt (prompt_name) applied and special tokens added by default.
func (s *Server) handleTokenize(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeTEIError(w, e) }
	var req teiTokenizeRequest
	if aerr := s.readTEIPost(w, r, &req); aerr != nil {
		fail(aerr)
		return
	}
	e := s.embedder()
	if e == nil {
		fail(&apiError{status: http.StatusServiceUnavailable, msg: errLoading.Error(), teiType: "Unhealthy"})
		return
	}
	tok := s.tokenizerOf(e)
	if tok == nil {
		fail(errNoTokenizer())
		return
	}
	in, aerr := parseInputs(req.Inputs, "inputs")
	if aerr == nil && in.ids != nil {
		aerr = validation(http.StatusUnprocessableEntity, "inputs", `"inputs" must be a string or an array of strings`)
	}
	if aerr == nil && in.len() > s.opt.MaxInputs {
		aerr = validation(http.StatusRequestEntityTooLarge, "inputs", "%d inputs is more than the limit of %d per request", in.len(), s.opt.MaxInputs)
	}
	if aerr != nil {
		fail(tei422(aerr))
		return
	}
	prompt := ""
	if req.PromptName != nil {
		var err error
		if prompt, err = s.promptText(e, embed.EmbedOptions{PromptName: *req.PromptName}); err != nil {
			fail(validation(http.StatusUnprocessableEntity, "prompt_name", "%v", err))
			return
		}
	}
	special := req.AddSpecialTokens == nil || *req.AddSpecialTokens
	out := make([][]teiToken, len(in.texts))
	for i, text := range in.texts {
		full := prompt + text
		enc, err := tok.Encode(full, tokenizer.EncodeOptions{AddSpecialTokens: special})
		if err != nil {
			fail(s.internal(r.Context(), err, "Tokenizer"))
			return
		}
		toks := make([]teiToken, len(enc.IDs))
		for k, id := range enc.IDs {
			t := teiToken{ID: id, Special: tok.IsSpecial(id)}
			if k < len(enc.Offsets) && !t.Special {
				start, stop := enc.Offsets[k][0], enc.Offsets[k][1]
				t.Start, t.Stop = &start, &stop
				if start >= 0 && stop <= len(full) && start <= stop {
					t.Text = full[start:stop]
				}
			} else if name, ok := tok.IDToToken(id); ok {
				t.Text = name
			}
			toks[k] = t
		}
		out[i] = toks
	}
	writeJSON(w, http.StatusOK, out)
}

type teiDecodeRequest struct {
	IDs               json.RawMessage `json:"ids"`
	SkipSpecialTokens *bool           `json:"skip_special_tokens"`
}

// handleDecode is TEI's POST /decode: token ids back to text, one string
// per sequence, special tokens skipped by default.
func (s *Server) handleDecode(w http.ResponseWriter, r *http.Request) {
	lg := logOf(r.Context())
	fail := func(e *apiError) { lg.err = e; writeTEIError(w, e) }
	var req teiDecodeRequest
	if aerr := s.readTEIPost(w, r, &req); aerr != nil {
		fail(aerr)
		return
	}
	e := s.embedder()
	if e == nil {
		fail(&apiError{status: http.StatusServiceUnavailable, msg: errLoading.Error(), teiType: "Unhealthy"})
		return
	}
	tok := s.tokenizerOf(e)
	if tok == nil {
		fail(errNoTokenizer())
		return
	}
	in, aerr := parseInputs(req.IDs, "ids")
	if aerr == nil && in.texts != nil {
		aerr = validation(http.StatusUnprocessableEntity, "ids", `"ids" must be an array of token ids or an array of such arrays`)
	}
	if aerr != nil {
		fail(tei422(aerr))
		return
	}
	skip := req.SkipSpecialTokens == nil || *req.SkipSpecialTokens
	out := make([]string, len(in.ids))
	for i, ids := range in.ids {
		text, err := tok.Decode(ids, skip)
		if err != nil {
			fail(validation(http.StatusUnprocessableEntity, "ids", "ids[%d]: %v", i, err))
			return
		}
		out[i] = text
	}
	writeJSON(w, http.StatusOK, out)
}

// promptText is the prompt an embedder applies under opt.
func (s *Server) promptText(e Embedder, opt embed.EmbedOptions) (string, error) {
	if p, ok := e.(interface {
		Prompt(embed.EmbedOptions) (string, error)
	}); ok {
		return p.Prompt(opt)
	}
	if opt.PromptName == "" {
		return opt.Prompt, nil
	}
	if text, ok := e.Info().Prompts[opt.PromptName]; ok {
		return text, nil
	}
	return "", &embed.UnknownPromptError{Name: opt.PromptName, Known: e.Info().PromptNames(), Dir: e.Info().Dir}
}

// tokenizeLeft is Tokenize with TEI's "truncation_direction": "Left": the
// start of a too-long input (prompt first) is dropped instead of its end;
// the special tokens stay.
func (s *Server) tokenizeLeft(ctx context.Context, e Embedder, texts []string, opt embed.EmbedOptions) ([]embed.Tokenized, error) {
	tok := s.tokenizerOf(e)
	if tok == nil {
		return nil, errNoTokenizer()
	}
	prompt, err := s.promptText(e, opt)
	if err != nil {
		return nil, err
	}
	full := make([]string, len(texts))
	for i, t := range texts {
		full[i] = prompt + t
	}
	maxLen := e.Info().MaxLength
	encs, err := tok.EncodeBatch(ctx, full, tokenizer.EncodeOptions{AddSpecialTokens: true, MaxLength: maxLen, TruncateLeft: true})
	if err != nil {
		return nil, err
	}
	out := make([]embed.Tokenized, len(encs))
	for i, enc := range encs {
		orig := max(enc.OriginalLength, len(enc.IDs))
		if enc.Truncated && opt.NoTruncate {
			return nil, &embed.TooLongError{Index: i, Tokens: orig, Max: maxLen}
		}
		out[i] = embed.Tokenized{IDs: enc.IDs, Truncated: enc.Truncated, OriginalTokens: orig}
	}
	return out, nil
}
