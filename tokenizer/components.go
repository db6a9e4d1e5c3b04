package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The smaller normalizers, pre-tokenizers and decoders of the library. Character classes
// are the library's (bert_tables.go, generated from it).

func init() {
	registerNormalizer("Replace", buildReplaceNormalizer)
	registerNormalizer("Prepend", buildPrependNormalizer)
	registerNormalizer("Strip", buildStripNormalizer)
	registerNormalizer("StripAccents", func(*Tokenizer, string) (normalizer, error) { return stripAccentsNormalizer{}, nil })

	registerPreTokenizer("Whitespace", func(*Tokenizer, string) (preTokenizer, error) { return whitespacePreTokenizer{}, nil })
	registerPreTokenizer("WhitespaceSplit", func(*Tokenizer, string) (preTokenizer, error) {
		return &splitPreTokenizer{m: charMatcher(isRustWhitespace), behavior: behaviorRemoved}, nil
	})
	registerPreTokenizer("Punctuation", buildPunctuationPreTokenizer)
	registerPreTokenizer("Digits", buildDigitsPreTokenizer)
	registerPreTokenizer("CharDelimiterSplit", buildCharDelimiterSplit)

	registerDecoder("BPEDecoder", buildBPEDecoder)
}

// readPattern reads the {"String": ...} or {"Regex": ...} pattern of Replace and Split.
func readPattern(raw json.RawMessage) (matcher, error) {
	var p struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	switch {
	case p.Regex != nil:
		return newMatcher(*p.Regex, true)
	case p.String != nil:
		return newMatcher(*p.String, false)
	}
	return nil, fmt.Errorf("pattern: neither String nor Regex")
}

// replaceNormalizer is the library's Replace: every match becomes content. The new
// characters align with the last character of the match, as the library aligns them.
type replaceNormalizer struct {
	m       matcher
	content string
}

func buildReplaceNormalizer(_ *Tokenizer, raw string) (normalizer, error) {
	var c struct {
		Pattern json.RawMessage `json:"pattern"`
		Content string          `json:"content"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	m, err := readPattern(c.Pattern)
	if err != nil {
		return nil, err
	}
	return replaceNormalizer{m: m, content: c.Content}, nil
}

func (n replaceNormalizer) normalize(s string) (string, *align) {
	var b alignBuilder
	prev, any := 0, false
	n.m.findAll(s, func(a, e int) {
		if e == a {
			return
		}
		any = true
		b.addIdentity(s[prev:a], prev)
		if n.content != "" {
			_, size := utf8.DecodeLastRuneInString(s[a:e])
			b.add(n.content, e-size, e)
		}
		prev = e
	})
	if !any {
		return s, nil
	}
	b.addIdentity(s[prev:], prev)
	return b.result()
}

// prependNormalizer is the library's Prepend: a non-empty text gets the prefix, which aligns
// with the first character.
type prependNormalizer struct{ prefix string }

func buildPrependNormalizer(_ *Tokenizer, raw string) (normalizer, error) {
	var c struct {
		Prepend string `json:"prepend"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	return prependNormalizer{prefix: c.Prepend}, nil
}

func (n prependNormalizer) normalize(s string) (string, *align) {
	if s == "" || n.prefix == "" {
		return s, nil
	}
	var b alignBuilder
	_, size := utf8.DecodeRuneInString(s)
	b.add(n.prefix, 0, size)
	b.addIdentity(s, 0)
	return b.result()
}

// stripNormalizer is the library's Strip: whitespace (Rust's char::is_whitespace) removed
// from the left and/or right end.
type stripNormalizer struct{ left, right bool }

func buildStripNormalizer(_ *Tokenizer, raw string) (normalizer, error) {
	var c struct {
		Left  *bool `json:"strip_left"`
		Right *bool `json:"strip_right"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	return stripNormalizer{left: orTrue(c.Left), right: orTrue(c.Right)}, nil
}

func isRustWhitespace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.Is(bertWhitespace, r)
}

func (n stripNormalizer) normalize(s string) (string, *align) {
	a, e := 0, len(s)
	if n.left {
		for a < e {
			r, size := utf8.DecodeRuneInString(s[a:])
			if !isRustWhitespace(r) {
				break
			}
			a += size
		}
	}
	if n.right {
		for e > a {
			r, size := utf8.DecodeLastRuneInString(s[a:e])
			if !isRustWhitespace(r) {
				break
			}
			e -= size
		}
	}
	if a == 0 && e == len(s) {
		return s, nil
	}
	var b alignBuilder
	b.addIdentity(s[a:e], a)
	return b.result()
}

// stripAccentsNormalizer is the library's StripAccents: combining marks removed (all of
// them, not only BertNormalizer's nonspacing ones; no decomposition: put NFD before it).
type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) normalize(s string) (string, *align) {
	found := false
	for _, r := range s {
		if r >= 0x300 && unicode.Is(combiningMark, r) {
			found = true
			break
		}
	}
	if !found {
		return s, nil
	}
	var b alignBuilder
	for i, r := range s {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size = utf8.DecodeRuneInString(s[i:])
		}
		if r >= 0x300 && unicode.Is(combiningMark, r) {
			continue
		}
		b.addIdentity(s[i:i+size], i)
	}
	return b.result()
}

// charMatcher reports every character of a class as a match of its own (the library's
// split by a char predicate).
type charMatcher func(rune) bool

func (f charMatcher) findAll(s string, fn func(a, b int)) {
	for i, r := range s {
		if f(r) {
			fn(i, i+utf8.RuneLen(r))
		}
	}
}

func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiPunct[r]
	}
	return unicode.Is(bertPunctuation, r)
}

func buildPunctuationPreTokenizer(_ *Tokenizer, raw string) (preTokenizer, error) {
	var c struct {
		Behavior string `json:"behavior"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	b := behaviorIsolated
	if c.Behavior != "" {
		var ok bool
		if b, ok = splitBehaviors[c.Behavior]; !ok {
			return nil, fmt.Errorf("behavior %q is not supported", c.Behavior)
		}
	}
	return &splitPreTokenizer{m: charMatcher(isBertPunct), behavior: b}, nil
}

// isRustNumeric is Rust's char::is_numeric (general categories Nd, Nl, No).
func isRustNumeric(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9'
	}
	return unicode.Is(rustNumeric, r)
}

func buildDigitsPreTokenizer(_ *Tokenizer, raw string) (preTokenizer, error) {
	var c struct {
		Individual bool `json:"individual_digits"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	b := behaviorContiguous
	if c.Individual {
		b = behaviorIsolated
	}
	return &splitPreTokenizer{m: charMatcher(isRustNumeric), behavior: b}, nil
}

func buildCharDelimiterSplit(_ *Tokenizer, raw string) (preTokenizer, error) {
	var c struct {
		Delimiter string `json:"delimiter"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(c.Delimiter) != 1 {
		return nil, fmt.Errorf("delimiter %q is not one character", c.Delimiter)
	}
	d, _ := utf8.DecodeRuneInString(c.Delimiter)
	return &splitPreTokenizer{m: charMatcher(func(r rune) bool { return r == d }), behavior: behaviorRemoved}, nil
}

// whitespacePreTokenizer is the library's Whitespace: the matches of \w+|[^\w\s]+ with
// Oniguruma's classes, that is runs of word characters and runs of other non-space
// characters; spaces are dropped.
type whitespacePreTokenizer struct{}

func (whitespacePreTokenizer) split(dst []piece, p piece) []piece {
	const (
		none = iota
		word
		other
	)
	start, kind := 0, none
	for i := 0; i < len(p.text); {
		r, size := utf8.DecodeRuneInString(p.text[i:])
		k := other
		switch {
		case isOnigWord(r):
			k = word
		case isOnigSpace(r):
			k = none
		}
		if k != kind {
			if kind != none {
				dst = append(dst, p.sub(start, i))
			}
			start, kind = i, k
		}
		i += size
	}
	if kind != none {
		dst = append(dst, p.sub(start, len(p.text)))
	}
	return dst
}

func isOnigWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'z')
	}
	return unicode.Is(onigWord, r)
}

func isOnigSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.Is(onigSpace, r)
}

// bpeDecoder is the library's BPEDecoder: the end-of-word suffix becomes a space (nothing
// at the last token).
type bpeDecoder struct{ suffix string }

func buildBPEDecoder(_ *Tokenizer, raw string) (decoder, error) {
	var c struct {
		Suffix *string `json:"suffix"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	d := bpeDecoder{suffix: "</w>"}
	if c.Suffix != nil {
		d.suffix = *c.Suffix
	}
	return d, nil
}

func (d bpeDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		rep := " "
		if i == len(toks)-1 {
			rep = ""
		}
		out[i] = strings.ReplaceAll(t, d.suffix, rep) // an empty suffix matches between characters, as in Rust

	}
	return out
}
