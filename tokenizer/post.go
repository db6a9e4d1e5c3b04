package tokenizer

import (
	"encoding/json"
	"fmt"
	"unicode"
)

// postProcessor adds the special tokens of a template and adjusts offsets.
type postProcessor interface {
	added() int // tokens added to a single sequence when AddSpecialTokens is set
	apply(enc *Encoding, addSpecial bool)
}

type postSequence []postProcessor

func (q postSequence) added() int {
	n := 0
	for _, p := range q {
		n += p.added()
	}
	return n
}

func (q postSequence) apply(enc *Encoding, addSpecial bool) {
	for _, p := range q {
		p.apply(enc, addSpecial)
	}
}

// postByteLevel is the library's ByteLevel post-processor: with trim_offsets, token offsets
// leave out the spaces at the token's ends.
type postByteLevel struct{ trimOffsets, addPrefixSpace bool }

func (postByteLevel) added() int { return 0 }

func (p postByteLevel) apply(enc *Encoding, _ bool) {
	if !p.trimOffsets {
		return
	}
	isSpace := func(r rune) bool { return r == 'Ġ' || unicode.IsSpace(r) }
	for i, tok := range enc.Tokens {
		rs := []rune(tok)
		lead, trail := 0, 0
		for lead < len(rs) && isSpace(rs[lead]) {
			lead++
		}
		for trail < len(rs) && isSpace(rs[len(rs)-1-trail]) {
			trail++
		}
		o := &enc.Offsets[i]
		if lead > 0 {
			if (i == 0 || o[0] == 0) && p.addPrefixSpace && lead == 1 {
				lead = 0
			}
			o[0] = min(o[0]+lead, o[1])
		}
		if trail > 0 && o[1] >= trail {
			o[1] = max(o[1]-trail, o[0])
		}
	}
}

// templateItem is the sequence itself or the special tokens of a template.
type templateItem struct {
	sequence bool
	ids      []int
	tokens   []string
}

// postTemplate is TemplateProcessing's single template (also Bert/Roberta's cls A sep).
type postTemplate struct{ items []templateItem }

func (p postTemplate) added() int {
	n := 0
	for _, it := range p.items {
		n += len(it.ids)
	}
	return n
}

func (p postTemplate) apply(enc *Encoding, addSpecial bool) {
	if !addSpecial {
		return
	}
	if len(p.items) > 0 && p.items[0].sequence {
		// The common shape (Qwen3-Embedding: A <|endoftext|>): append in place; finish
		// reserved the room.
		for _, it := range p.items[1:] {
			if it.sequence {
				goto general
			}
		}
		for _, it := range p.items[1:] {
			enc.IDs = append(enc.IDs, it.ids...)
			enc.Tokens = append(enc.Tokens, it.tokens...)
			for range it.ids {
				enc.Offsets = append(enc.Offsets, [2]int{0, 0})
			}
		}
		return
	}
general:
	n := len(enc.IDs) + p.added()
	ids, toks, offs := make([]int, 0, n), make([]string, 0, n), make([][2]int, 0, n)
	for _, it := range p.items {
		if it.sequence {
			ids = append(ids, enc.IDs...)
			toks = append(toks, enc.Tokens...)
			offs = append(offs, enc.Offsets...)
			continue
		}
		ids = append(ids, it.ids...)
		toks = append(toks, it.tokens...)
		for range it.ids {
			offs = append(offs, [2]int{0, 0})
		}
	}
	enc.IDs, enc.Tokens, enc.Offsets = ids, toks, offs
}

func init() {
	registerPostProcessor("Sequence", buildPostSequence)
	registerPostProcessor("ByteLevel", buildPostByteLevel)
	registerPostProcessor("TemplateProcessing", buildPostTemplate)
	registerPostProcessor("RobertaProcessing", buildPostBertLike)
	registerPostProcessor("BertProcessing", buildPostBertLike)
}

func buildPostSequence(t *Tokenizer, raw string) (postProcessor, error) {
	var c componentJSON
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	var seq postSequence
	for i, sub := range c.Processors {
		p, err := t.buildPost(string(sub))
		if err != nil {
			return nil, fmt.Errorf("processors[%d]: %w", i, err)
		}
		if p != nil {
			seq = append(seq, p)
		}
	}
	return seq, nil
}

func buildPostByteLevel(_ *Tokenizer, raw string) (postProcessor, error) {
	var c componentJSON
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	return postByteLevel{trimOffsets: orTrue(c.TrimOffsets), addPrefixSpace: orTrue(c.AddPrefixSpace)}, nil
}

func buildPostTemplate(_ *Tokenizer, raw string) (postProcessor, error) {
	var c componentJSON
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	var tp postTemplate
	for i, p := range c.Single {
		switch {
		case p.Sequence != nil:
			if p.Sequence.ID != "A" {
				return nil, fmt.Errorf("single[%d]: sequence %q in a single template", i, p.Sequence.ID)
			}
			tp.items = append(tp.items, templateItem{sequence: true})
		case p.SpecialToken != nil:
			st, ok := c.SpecialTokens[p.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("single[%d]: special token %q missing from special_tokens", i, p.SpecialToken.ID)
			}
			if len(st.IDs) != len(st.Tokens) {
				return nil, fmt.Errorf("special_tokens[%q]: %d ids but %d tokens", p.SpecialToken.ID, len(st.IDs), len(st.Tokens))
			}
			tp.items = append(tp.items, templateItem{ids: st.IDs, tokens: st.Tokens})
		default:
			return nil, fmt.Errorf("single[%d]: neither Sequence nor SpecialToken", i)
		}
	}
	return tp, nil
}

func buildPostBertLike(_ *Tokenizer, raw string) (postProcessor, error) {
	var c componentJSON
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	var sep, cls templateItem
	for _, x := range []struct {
		name string
		raw  []rawJSON
		dst  *templateItem
	}{{"sep", c.Sep, &sep}, {"cls", c.Cls, &cls}} {
		var tok string
		var id int
		if len(x.raw) != 2 || json.Unmarshal(x.raw[0], &tok) != nil || json.Unmarshal(x.raw[1], &id) != nil {
			return nil, fmt.Errorf("%s: want [token, id]", x.name)
		}
		*x.dst = templateItem{ids: []int{id}, tokens: []string{tok}}
	}
	tp := postTemplate{items: []templateItem{cls, {sequence: true}, sep}}
	if c.Type == "RobertaProcessing" && orTrue(c.TrimOffsets) {
		return postSequence{postByteLevel{trimOffsets: true, addPrefixSpace: orTrue(c.AddPrefixSpace)}, tp}, nil
	}
	return tp, nil
}
