package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The decoders of SentencePiece-style tokenizers (Llama, Mistral, Gemma, T5): ByteFallback,
// Fuse, Strip and Replace, each as the library's decode_chain.

// byteFallbackDecoder turns runs of <0xXX> tokens back into text: a run that is valid UTF-8
// becomes one string, any other run one U+FFFD per byte.
type byteFallbackDecoder struct{}

// byteToken reads a <0xXX> token as the library does (u8::from_str_radix on the two
// characters, which also takes "+F").
func byteToken(tok string) (byte, bool) {
	if len(tok) != 6 || !strings.HasPrefix(tok, "<0x") || tok[5] != '>' {
		return 0, false
	}
	h := tok[3:5]
	if h[0] == '+' {
		h = h[1:]
	}
	v := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		v = v*16 + d
	}
	return byte(v), true
}

func (byteFallbackDecoder) decodeChain(toks []string) []string {
	out := make([]string, 0, len(toks))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, tok := range toks {
		if b, ok := byteToken(tok); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, tok)
	}
	flush()
	return out
}

// fuseDecoder joins all tokens into one.
type fuseDecoder struct{}

func (fuseDecoder) decodeChain(toks []string) []string { return []string{strings.Join(toks, "")} }

// stripDecoder removes up to start leading and stop trailing content characters of every
// token. (The library panics when the two cuts cross or stop exceeds a token's length;
// here the token becomes empty or the cut stops at its start.)
type stripDecoder struct {
	content     rune
	start, stop int
}

func buildStripDecoder(_ *Tokenizer, raw string) (decoder, error) {
	var c struct {
		Content *string `json:"content"`
		Start   *int    `json:"start"`
		Stop    *int    `json:"stop"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	if c.Content == nil || utf8.RuneCountInString(*c.Content) != 1 {
		return nil, fmt.Errorf("content must be one character")
	}
	if c.Start == nil || c.Stop == nil || *c.Start < 0 || *c.Stop < 0 {
		return nil, fmt.Errorf("start and stop must be non-negative integers")
	}
	r, _ := utf8.DecodeRuneInString(*c.Content)
	return stripDecoder{content: r, start: *c.Start, stop: *c.Stop}, nil
}

func (d stripDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, tok := range toks {
		rs := []rune(tok)
		a := 0
		for k := 0; k < d.start && k < len(rs) && rs[k] == d.content; k++ {
			a = k + 1
		}
		b := len(rs)
		for k := 0; k < d.stop && len(rs)-k-1 >= 0 && rs[len(rs)-k-1] == d.content; k++ {
			b = len(rs) - k - 1
		}
		if b < a {
			b = a
		}
		out[i] = string(rs[a:b])
	}
	return out
}

// replaceDecoder replaces every match of a pattern (a literal string or a regex) in each
// token.
type replaceDecoder struct {
	m       matcher
	content string
}

func buildReplaceDecoder(_ *Tokenizer, raw string) (decoder, error) {
	var c struct {
		Pattern struct {
			Regex  *string `json:"Regex"`
			String *string `json:"String"`
		} `json:"pattern"`
		Content *string `json:"content"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	if c.Content == nil {
		return nil, fmt.Errorf("content: missing")
	}
	var m matcher
	var err error
	switch {
	case c.Pattern.String != nil:
		m, err = newMatcher(*c.Pattern.String, false)
	case c.Pattern.Regex != nil:
		m, err = newMatcher(*c.Pattern.Regex, true)
	default:
		err = fmt.Errorf("pattern: neither String nor Regex")
	}
	if err != nil {
		return nil, err
	}
	return replaceDecoder{m: m, content: *c.Content}, nil
}

func (d replaceDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, tok := range toks {
		var sb strings.Builder
		last, matched := 0, false
		d.m.findAll(tok, func(a, b int) {
			sb.WriteString(tok[last:a])
			sb.WriteString(d.content)
			last, matched = b, true
		})
		if !matched {
			out[i] = tok
			continue
		}
		sb.WriteString(tok[last:])
		out[i] = sb.String()
	}
	return out
}

func init() {
	registerDecoder("ByteFallback", func(*Tokenizer, string) (decoder, error) { return byteFallbackDecoder{}, nil })
	registerDecoder("Fuse", func(*Tokenizer, string) (decoder, error) { return fuseDecoder{}, nil })
	registerDecoder("Strip", buildStripDecoder)
	registerDecoder("Replace", buildReplaceDecoder)
}
