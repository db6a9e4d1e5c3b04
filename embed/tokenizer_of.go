package embed

import "github.com/gembed-dev/gembed/tokenizer"

// Tokenizer returns the model's tokenizer, for callers that show tokens,
// decode ids or truncate from the left (the server's TEI routes); nil when
// the Embedder was built on another text encoder.
func (e *Embedder) Tokenizer() *tokenizer.Tokenizer {
	if h, ok := e.enc.(hfTokenizer); ok {
		return h.t
	}
	return nil
}
