package tokenizer

import (
	"encoding/json"
	"fmt"
)

// piece is a pre-tokenized word: text, the offset of text's first source byte in the
// normalized segment, and how many leading bytes were inserted (ByteLevel's prefix space).
// first reports that the piece starts at the start of the input (the library's
// offsets_original().0 == 0, which Metaspace's prepend_scheme "first" asks).
// A pre-tokenizer that rewrites text inside a piece (Metaspace) gives it an alignment
// instead: al maps text[i], at al's position alBase+i, to the normalized segment, and off and
// pre are unused.
type piece struct {
	text   string
	off    int
	pre    int
	first  bool
	al     *align
	alBase int
}

// sub returns the part [a, b) of p.
func (p piece) sub(a, b int) piece {
	if p.al != nil {
		s0, _ := p.srcSpan(0, 0)
		sa, _ := p.srcSpan(a, a)
		return piece{text: p.text[a:b], al: p.al, alBase: p.alBase + a, first: p.first && sa == s0}
	}
	return piece{text: p.text[a:b], off: p.off + max(a-p.pre, 0), pre: max(min(p.pre, b)-a, 0), first: p.first && a <= p.pre}
}

// srcSpan maps the byte range [a, b) of p.text to the normalized segment.
func (p piece) srcSpan(a, b int) (int, int) {
	if p.al != nil {
		return p.al.span(p.alBase+a, p.alBase+b)
	}
	return p.off + max(a-p.pre, 0), p.off + max(b-p.pre, 0)
}

type preTokenizer interface {
	// split appends the pieces p is cut into to dst.
	split(dst []piece, p piece) []piece
}

// splitBehavior is tokenizer.json's SplitDelimiterBehavior.
type splitBehavior int

const (
	behaviorRemoved splitBehavior = iota
	behaviorIsolated
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

var splitBehaviors = map[string]splitBehavior{
	"Removed": behaviorRemoved, "Isolated": behaviorIsolated, "MergedWithPrevious": behaviorMergedWithPrevious,
	"MergedWithNext": behaviorMergedWithNext, "Contiguous": behaviorContiguous,
}

// splitPreTokenizer is the library's Split (and the regex part of ByteLevel).
type splitPreTokenizer struct {
	m        matcher
	behavior splitBehavior
	invert   bool
}

type part struct {
	a, b    int
	isMatch bool
}

func (sp *splitPreTokenizer) split(dst []piece, p piece) []piece {
	if sp.behavior == behaviorIsolated {
		// Matches and the gaps between them each become a piece; invert changes nothing.
		prev := 0
		sp.m.findAll(p.text, func(a, b int) {
			if a > prev {
				dst = append(dst, p.sub(prev, a))
			}
			if b > a {
				dst = append(dst, p.sub(a, b))
			}
			prev = b
		})
		if prev < len(p.text) {
			dst = append(dst, p.sub(prev, len(p.text)))
		}
		return dst
	}
	var parts []part
	prev := 0
	sp.m.findAll(p.text, func(a, b int) {
		if a > prev {
			parts = append(parts, part{prev, a, sp.invert})
		}
		parts = append(parts, part{a, b, !sp.invert})
		prev = b
	})
	if prev < len(p.text) || len(p.text) == 0 {
		parts = append(parts, part{prev, len(p.text), sp.invert})
	}
	type kept struct {
		a, b   int
		remove bool
	}
	var out []kept
	switch sp.behavior {
	case behaviorRemoved:
		for _, q := range parts {
			out = append(out, kept{q.a, q.b, q.isMatch})
		}
	case behaviorContiguous:
		prevMatch := false
		for _, q := range parts {
			if q.isMatch == prevMatch && len(out) > 0 {
				out[len(out)-1].b = q.b
			} else {
				out = append(out, kept{q.a, q.b, false})
			}
			prevMatch = q.isMatch
		}
	case behaviorMergedWithPrevious:
		prevMatch := false
		for _, q := range parts {
			if q.isMatch && !prevMatch && len(out) > 0 {
				out[len(out)-1].b = q.b
			} else {
				out = append(out, kept{q.a, q.b, false})
			}
			prevMatch = q.isMatch
		}
	case behaviorMergedWithNext:
		prevMatch := false
		for k := len(parts) - 1; k >= 0; k-- {
			q := parts[k]
			if q.isMatch && !prevMatch && len(out) > 0 {
				out[len(out)-1].a = q.a
			} else {
				out = append(out, kept{q.a, q.b, false})
			}
			prevMatch = q.isMatch
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	for _, k := range out {
		if !k.remove && k.b > k.a {
			dst = append(dst, p.sub(k.a, k.b))
		}
	}
	return dst
}

// byteLevelPreTokenizer is the library's ByteLevel pre-tokenizer. Mapping bytes to
// characters is left to the model (Tokenizer.byteLevel); here only the optional prefix
// space and the optional GPT-2 split happen.
type byteLevelPreTokenizer struct {
	addPrefixSpace bool
	useRegex       bool
}

func (bl byteLevelPreTokenizer) split(dst []piece, p piece) []piece {
	if bl.addPrefixSpace && len(p.text) > 0 && p.text[0] != ' ' {
		p = piece{text: " " + p.text, off: p.off, pre: p.pre + 1}
	}
	if !bl.useRegex {
		return append(dst, p)
	}
	return (&splitPreTokenizer{m: gpt2Scanner{}, behavior: behaviorIsolated}).split(dst, p)
}

// sequencePreTokenizer is the library's Sequence; the tokenizer flattens it (running the
// parts one after another over all pieces is the same as running the sequence).
type sequencePreTokenizer []preTokenizer

func (q sequencePreTokenizer) split(dst []piece, p piece) []piece {
	pieces := []piece{p}
	for _, pt := range q {
		var next []piece
		for _, x := range pieces {
			next = pt.split(next, x)
		}
		pieces = next
	}
	return append(dst, pieces...)
}

func flattenPreTokenizers(p preTokenizer, dst []preTokenizer) []preTokenizer {
	switch p := p.(type) {
	case nil:
		return dst
	case sequencePreTokenizer:
		for _, q := range p {
			dst = flattenPreTokenizers(q, dst)
		}
		return dst
	}
	return append(dst, p)
}

func init() {
	registerPreTokenizer("Sequence", buildSequencePreTokenizer)
	registerPreTokenizer("Split", buildSplitPreTokenizer)
	registerPreTokenizer("ByteLevel", buildByteLevelPreTokenizer)
}

func buildSequencePreTokenizer(t *Tokenizer, raw string) (preTokenizer, error) {
	var c struct {
		PreTokenizers []rawJSON `json:"pretokenizers"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	var seq sequencePreTokenizer
	for i, sub := range c.PreTokenizers {
		p, err := t.buildPreTokenizer(string(sub))
		if err != nil {
			return nil, fmt.Errorf("pretokenizers[%d]: %w", i, err)
		}
		if p != nil {
			seq = append(seq, p)
		}
	}
	return seq, nil
}

func buildSplitPreTokenizer(_ *Tokenizer, raw string) (preTokenizer, error) {
	var c componentJSON
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	var m matcher
	var err error
	switch {
	case c.Pattern.Regex != nil:
		m, err = newMatcher(*c.Pattern.Regex, true)
	case c.Pattern.String != nil:
		m, err = newMatcher(*c.Pattern.String, false)
	default:
		err = fmt.Errorf("Split without a pattern")
	}
	if err != nil {
		return nil, err
	}
	b, ok := splitBehaviors[c.Behavior]
	if !ok {
		return nil, fmt.Errorf("Split behavior %q is not supported", c.Behavior)
	}
	return &splitPreTokenizer{m: m, behavior: b, invert: c.Invert}, nil
}

func buildByteLevelPreTokenizer(t *Tokenizer, raw string) (preTokenizer, error) {
	var c componentJSON
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	t.byteLevel = true
	bl := byteLevelPreTokenizer{addPrefixSpace: orTrue(c.AddPrefixSpace), useRegex: orTrue(c.UseRegex)}
	if !bl.addPrefixSpace && !bl.useRegex {
		return nil, nil // only maps bytes, which the model does
	}
	return bl, nil
}
