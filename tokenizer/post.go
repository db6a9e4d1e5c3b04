package tokenizer

import "unicode"

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
