package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// wordPieceModel is the library's WordPiece model: each word is cut greedily into the
// longest vocabulary entries from the left, every piece after the first looked up with
// continuing_subword_prefix; a word longer than max_input_chars_per_word characters, or
// with any part no entry matches, is the unknown token alone.
type wordPieceModel struct {
	vocab    *vocabTable
	cont     map[string]int32 // the entries that start with the prefix, keyed without it
	prefix   string
	unkID    int32 // -1: unk_token is not in the vocabulary
	unkToken string
	maxChars int
	maxLen   int // the longest entry, in bytes: no longer piece can match
	maxCont  int // the longest continuation entry without its prefix
}

// errMissingUnk is the library's MissingUnkToken: a word needs the unknown token and the
// vocabulary has none.
var errMissingUnk = errors.New("the word needs the unknown token, which is not in the vocabulary")

func init() { registerModel("WordPiece", parseWordPiece) }

func parseWordPiece(j *jsonScanner) (model, error) {
	var entries []vocabEntry
	pool := &strPool{base: j.s}
	rest := map[string]rawJSON{}
	err := j.object(func(key string) error {
		if key == "vocab" {
			entries = make([]vocabEntry, 0, 1024)
			return j.objectAt(func(tok string, at int) error {
				id, err := j.integer()
				if err != nil {
					return fmt.Errorf("vocab[%q]: %w", tok, err)
				}
				entries = append(entries, vocabEntry{pool.ref(tok, at), int32(id)})
				return nil
			})
		}
		v, err := j.raw()
		rest[key] = rawJSON(v)
		return err
	})
	if err != nil {
		return nil, err
	}
	restJSON, _ := json.Marshal(rest)
	var cfg struct {
		UnkToken *string `json:"unk_token"`
		Prefix   *string `json:"continuing_subword_prefix"`
		MaxChars *int    `json:"max_input_chars_per_word"`
	}
	if err := json.Unmarshal(restJSON, &cfg); err != nil {
		return nil, err
	}
	if entries == nil {
		return nil, fmt.Errorf("WordPiece model without \"vocab\"")
	}
	m := &wordPieceModel{prefix: "##", unkToken: "[UNK]", maxChars: 100}
	if cfg.UnkToken != nil {
		m.unkToken = *cfg.UnkToken
	}
	if cfg.Prefix != nil {
		m.prefix = *cfg.Prefix
	}
	if cfg.MaxChars != nil {
		if *cfg.MaxChars < 0 {
			return nil, fmt.Errorf("max_input_chars_per_word %d is negative", *cfg.MaxChars)
		}
		m.maxChars = *cfg.MaxChars
	}
	if err := m.index(entries, pool); err != nil {
		return nil, err
	}
	return m, nil
}

// newWordPiece builds the model from a token list in id order (a vocab.txt).
func newWordPiece(tokens []string, unkToken, prefix string, maxChars int) (*wordPieceModel, error) {
	pool := &strPool{}
	entries := make([]vocabEntry, len(tokens))
	for i, t := range tokens {
		entries[i] = vocabEntry{pool.ref(t, -1), int32(i)}
	}
	m := &wordPieceModel{prefix: prefix, unkToken: unkToken, maxChars: maxChars}
	return m, m.index(entries, pool)
}

func (m *wordPieceModel) index(entries []vocabEntry, pool *strPool) error {
	maxID := int32(-1)
	for _, e := range entries {
		if e.id < 0 {
			return fmt.Errorf("vocab[%q]: negative id %d", pool.get(e.tok), e.id)
		}
		maxID = max(maxID, e.id)
	}
	if int(maxID) >= 4*len(entries)+1024 {
		return fmt.Errorf("vocab: id %d is far beyond the %d entries (ids must be dense)", maxID, len(entries))
	}
	m.vocab = buildVocab(entries, pool, int(maxID))
	m.cont = map[string]int32{}
	for id := 0; id <= m.vocab.maxID(); id++ {
		tok, ok := m.vocab.token(int32(id))
		if !ok {
			continue
		}
		m.maxLen = max(m.maxLen, len(tok))
		if rest, ok := strings.CutPrefix(tok, m.prefix); ok {
			m.cont[rest] = int32(id)
			m.maxCont = max(m.maxCont, len(rest))
		}
	}
	m.unkID = -1
	if id, ok := m.vocab.get(m.unkToken); ok {
		m.unkID = id
	}
	return nil
}

func (m *wordPieceModel) tokenToID(tok string) (int32, bool) { return m.vocab.get(tok) }
func (m *wordPieceModel) idToToken(id int32) (string, bool)  { return m.vocab.token(id) }
func (m *wordPieceModel) size() int                          { return m.vocab.size() }
func (m *wordPieceModel) maxID() int                         { return m.vocab.maxID() }

func (m *wordPieceModel) unknown(word string, dst []token) ([]token, error) {
	if m.unkID < 0 {
		return dst, fmt.Errorf("WordPiece unk_token %q: %w", m.unkToken, errMissingUnk)
	}
	return append(dst, token{m.unkID, 0, int32(len(word))}), nil
}

func (m *wordPieceModel) tokenize(word string, dst []token) ([]token, error) {
	if word == "" {
		return dst, nil
	}
	// A character is at least one byte: only a word with more bytes than the limit can
	// have more characters.
	if len(word) > m.maxChars && utf8.RuneCountInString(word) > m.maxChars {
		return m.unknown(word, dst)
	}
	base := len(dst)
	for start := 0; start < len(word); {
		limit := m.maxLen
		if start > 0 {
			limit = m.maxCont
		}
		end := len(word)
		if end-start > limit {
			end = start + limit
			for end > start && !utf8.RuneStart(word[end]) {
				end--
			}
		}
		found := false
		for end > start {
			var id int32
			var ok bool
			if start == 0 {
				id, ok = m.vocab.get(word[:end])
			} else {
				id, ok = m.cont[word[start:end]]
			}
			if ok {
				dst = append(dst, token{id, int32(start), int32(end)})
				found = true
				break
			}
			_, n := utf8.DecodeLastRuneInString(word[start:end])
			end -= n
		}
		if !found {
			return m.unknown(word, dst[:base])
		}
		start = end
	}
	return dst, nil
}

// wordPieceDecoder is the library's WordPiece decoder: pieces with the prefix are glued to
// the previous token, others get a space; cleanup undoes the spaces BERT puts before
// punctuation and in English contractions.
type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

func init() { registerDecoder("WordPiece", buildWordPieceDecoder) }

func buildWordPieceDecoder(_ *Tokenizer, raw string) (decoder, error) {
	var c struct {
		Prefix  *string `json:"prefix"`
		Cleanup *bool   `json:"cleanup"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	d := wordPieceDecoder{prefix: "##", cleanup: orTrue(c.Cleanup)}
	if c.Prefix != nil {
		d.prefix = *c.Prefix
	}
	return d, nil
}

func (d wordPieceDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		if i > 0 {
			if rest, ok := strings.CutPrefix(t, d.prefix); ok {
				t = rest
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = cleanupDecoded(t)
		}
		out[i] = t
	}
	return out
}

// cleanupDecoded is the library's decoder cleanup: these replacements, in this order, each
// over the whole string (so an earlier one can create a match for a later one).
func cleanupDecoded(s string) string {
	for _, r := range [...][2]string{{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}} {
		if strings.Contains(s, r[0]) {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
	}
	return s
}
