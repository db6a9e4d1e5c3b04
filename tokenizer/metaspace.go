package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// prependScheme is Metaspace's prepend_scheme: when a replacement character is put in front
// of a piece that does not start with one.
type prependScheme int

const (
	prependAlways prependScheme = iota // every piece
	prependFirst                       // only a piece that starts the input
	prependNever
)

// metaspaceConfig is the JSON of the Metaspace pre-tokenizer and decoder, read as the
// library reads it: prepend_scheme defaults to "always"; the legacy add_prefix_space false
// means "never" (and contradicts any other declared scheme); split defaults to true.
type metaspaceConfig struct {
	Replacement    *string `json:"replacement"`
	AddPrefixSpace *bool   `json:"add_prefix_space"`
	PrependScheme  *string `json:"prepend_scheme"`
	Split          *bool   `json:"split"`
}

func parseMetaspace(raw string) (repl rune, scheme prependScheme, split bool, err error) {
	var c metaspaceConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return 0, 0, false, err
	}
	if c.Replacement == nil {
		return 0, 0, false, fmt.Errorf("replacement: missing")
	}
	if utf8.RuneCountInString(*c.Replacement) != 1 {
		return 0, 0, false, fmt.Errorf("replacement %q is not one character", *c.Replacement)
	}
	repl, _ = utf8.DecodeRuneInString(*c.Replacement)
	scheme = prependAlways
	if c.PrependScheme != nil {
		switch *c.PrependScheme {
		case "always":
		case "first":
			scheme = prependFirst
		case "never":
			scheme = prependNever
		default:
			return 0, 0, false, fmt.Errorf("prepend_scheme %q is not always, first or never", *c.PrependScheme)
		}
	}
	if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
		if scheme != prependNever {
			return 0, 0, false, fmt.Errorf("add_prefix_space false does not match prepend_scheme %q", *c.PrependScheme)
		}
		scheme = prependNever
	}
	return repl, scheme, c.Split == nil || *c.Split, nil
}

// metaspacePreTokenizer is the library's Metaspace pre-tokenizer (SentencePiece's
// whitespace handling): spaces become the replacement character ▁, a ▁ is prepended as
// prepend_scheme says, and with split the piece is cut before every ▁.
type metaspacePreTokenizer struct {
	repl   string
	scheme prependScheme
	cut    bool
}

func buildMetaspacePreTokenizer(_ *Tokenizer, raw string) (preTokenizer, error) {
	r, scheme, split, err := parseMetaspace(raw)
	if err != nil {
		return nil, err
	}
	return &metaspacePreTokenizer{repl: string(r), scheme: scheme, cut: split}, nil
}

func (m *metaspacePreTokenizer) split(dst []piece, p piece) []piece {
	if p.text == "" {
		return dst
	}
	var b alignBuilder
	b.sb.Grow(len(p.text) + 2*strings.Count(p.text, " ") + len(m.repl))
	startsWithRepl := p.text[0] == ' ' || strings.HasPrefix(p.text, m.repl)
	if !startsWithRepl && (m.scheme == prependAlways || m.scheme == prependFirst && p.first) {
		// The library's prepend gives the new character the alignment of the first one.
		_, n := utf8.DecodeRuneInString(p.text)
		s0, e0 := p.srcSpan(0, n)
		b.add(m.repl, s0, e0)
	}
	linear := p.al == nil && p.pre == 0
	copyRun := func(a, c int) {
		if a == c {
			return
		}
		if linear {
			b.addIdentity(p.text[a:c], p.off+a)
			return
		}
		for i := a; i < c; {
			_, n := utf8.DecodeRuneInString(p.text[i:])
			s, e := p.srcSpan(i, i+n)
			b.add(p.text[i:i+n], s, e)
			i += n
		}
	}
	last := 0
	for i := 0; i < len(p.text); i++ {
		if p.text[i] == ' ' {
			copyRun(last, i)
			s, e := p.srcSpan(i, i+1)
			b.add(m.repl, s, e)
			last = i + 1
		}
	}
	copyRun(last, len(p.text))
	text, al := b.result()
	np := piece{text: text, al: al, first: p.first}
	if !m.cut {
		return append(dst, np)
	}
	// Cut before every replacement character (the library's MergedWithNext split).
	start := 0
	for i := 0; i < len(text); {
		k := strings.Index(text[i:], m.repl)
		if k < 0 {
			break
		}
		at := i + k
		if at > start {
			dst = append(dst, np.sub(start, at))
			start = at
		}
		i = at + len(m.repl)
	}
	return append(dst, np.sub(start, len(text)))
}

// metaspaceDecoder is the library's Metaspace decoder: the replacement character becomes a
// space, except in the first token (where every one of them is dropped) unless
// prepend_scheme is "never".
type metaspaceDecoder struct {
	repl        rune
	dropInFirst bool
}

func buildMetaspaceDecoder(_ *Tokenizer, raw string) (decoder, error) {
	r, scheme, _, err := parseMetaspace(raw)
	if err != nil {
		return nil, err
	}
	return metaspaceDecoder{repl: r, dropInFirst: scheme != prependNever}, nil
}

func (d metaspaceDecoder) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, tok := range toks {
		if !strings.ContainsRune(tok, d.repl) {
			out[i] = tok
			continue
		}
		with := " "
		if i == 0 && d.dropInFirst {
			with = ""
		}
		out[i] = strings.ReplaceAll(tok, string(d.repl), with)
	}
	return out
}

func init() {
	registerPreTokenizer("Metaspace", buildMetaspacePreTokenizer)
	registerDecoder("Metaspace", buildMetaspaceDecoder)
}
