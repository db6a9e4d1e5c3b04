package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
)

// postProcessor adds the special tokens of a template and adjusts offsets and type ids.
// Like the library's process_encodings, it takes the encodings of the sequence and of the
// pair (if any) and returns encodings that Tokenizer concatenates.
type postProcessor interface {
	added(pair bool) int // tokens added when AddSpecialTokens is set
	process(encs []Encoding, addSpecial bool) ([]Encoding, error)
}

type postSequence []postProcessor

func (q postSequence) added(pair bool) int {
	n := 0
	for _, p := range q {
		n += p.added(pair)
	}
	return n
}

func (q postSequence) process(encs []Encoding, addSpecial bool) ([]Encoding, error) {
	for _, p := range q {
		var err error
		if encs, err = p.process(encs, addSpecial); err != nil {
			return nil, err
		}
	}
	return encs, nil
}

// postByteLevel is the library's ByteLevel post-processor: with trim_offsets, token offsets
// leave out the spaces at the token's ends.
type postByteLevel struct{ trimOffsets, addPrefixSpace bool }

func (postByteLevel) added(bool) int { return 0 }

func (p postByteLevel) process(encs []Encoding, _ bool) ([]Encoding, error) {
	if p.trimOffsets {
		for i := range encs {
			p.trim(&encs[i])
		}
	}
	return encs, nil
}

func (p postByteLevel) trim(enc *Encoding) {
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

// templateItem is a sequence of a template (A or B) or special tokens, with its type id.
type templateItem struct {
	sequence int // -1 for special tokens, else 0 (A) or 1 (B)
	typeID   int
	ids      []int
	tokens   []string
}

// postTemplate is TemplateProcessing (also the shape of Bert's and Roberta's processing):
// the single and pair templates, laid out with their type ids.
type postTemplate struct {
	single, pair []templateItem
	hasPair      bool
	// keepTypes leaves the sequences' type ids as they are (0 for A, 1 for B) when special
	// tokens are not added (BertProcessing); TemplateProcessing sets them either way.
	keepTypes bool
}

func countSpecial(items []templateItem) int {
	n := 0
	for _, it := range items {
		n += len(it.ids)
	}
	return n
}

func (p postTemplate) added(pair bool) int {
	if pair {
		return countSpecial(p.pair)
	}
	return countSpecial(p.single)
}

func (p postTemplate) process(encs []Encoding, addSpecial bool) ([]Encoding, error) {
	items := p.single
	if len(encs) == 2 {
		if !p.hasPair {
			return nil, errNoPairTemplate
		}
		items = p.pair
	}
	if !addSpecial && p.keepTypes {
		return encs, nil
	}
	if len(encs) == 1 && addSpecial {
		if e, ok := p.inPlace(encs[0], items); ok {
			return []Encoding{e}, nil
		}
	}
	n := 0
	for _, e := range encs {
		n += len(e.IDs)
	}
	if addSpecial {
		n += countSpecial(items)
	}
	out := Encoding{IDs: make([]int, 0, n), TypeIDs: make([]int, 0, n), Tokens: make([]string, 0, n),
		Offsets: make([][2]int, 0, n), SpecialTokensMask: make([]int, 0, n)}
	for _, it := range items {
		if it.sequence >= 0 {
			if it.sequence >= len(encs) {
				continue
			}
			e := &encs[it.sequence]
			out.IDs = append(out.IDs, e.IDs...)
			out.Tokens = append(out.Tokens, e.Tokens...)
			out.Offsets = append(out.Offsets, e.Offsets...)
			out.SpecialTokensMask = append(out.SpecialTokensMask, e.SpecialTokensMask...)
			for range e.IDs {
				out.TypeIDs = append(out.TypeIDs, it.typeID)
			}
			continue
		}
		if !addSpecial {
			continue
		}
		out.IDs = append(out.IDs, it.ids...)
		out.Tokens = append(out.Tokens, it.tokens...)
		for range it.ids {
			out.Offsets = append(out.Offsets, [2]int{0, 0})
			out.TypeIDs = append(out.TypeIDs, it.typeID)
			out.SpecialTokensMask = append(out.SpecialTokensMask, 1)
		}
	}
	return []Encoding{out}, nil
}

// inPlace lays out a single sequence's template within the room finish reserved after the
// tokens (the common case: BERT's [CLS] A [SEP], Qwen3-Embedding's A <|endoftext|>), sliding
// the tokens right by the prefix; ok is false when there is no room or no single A.
func (p postTemplate) inPlace(e Encoding, items []templateItem) (Encoding, bool) {
	pre, total, seqs := 0, len(e.IDs), 0
	for _, it := range items {
		if it.sequence >= 0 {
			seqs++
			continue
		}
		if seqs == 0 {
			pre += len(it.ids)
		}
		total += len(it.ids)
	}
	if seqs != 1 || cap(e.IDs) < total || cap(e.TypeIDs) < total || cap(e.Tokens) < total || cap(e.Offsets) < total || cap(e.SpecialTokensMask) < total {
		return e, false
	}
	n := len(e.IDs)
	e.IDs, e.TypeIDs, e.Tokens = e.IDs[:total], e.TypeIDs[:total], e.Tokens[:total]
	e.Offsets, e.SpecialTokensMask = e.Offsets[:total], e.SpecialTokensMask[:total]
	if pre > 0 {
		copy(e.IDs[pre:], e.IDs[:n])
		copy(e.Tokens[pre:], e.Tokens[:n])
		copy(e.Offsets[pre:], e.Offsets[:n])
		copy(e.SpecialTokensMask[pre:], e.SpecialTokensMask[:n])
	}
	at := 0
	for _, it := range items {
		if it.sequence >= 0 {
			for k := at; k < at+n; k++ {
				e.TypeIDs[k] = it.typeID
			}
			at += n
			continue
		}
		for k, id := range it.ids {
			e.IDs[at], e.Tokens[at], e.Offsets[at] = id, it.tokens[k], [2]int{0, 0}
			e.TypeIDs[at], e.SpecialTokensMask[at] = it.typeID, 1
			at++
		}
	}
	return e, true
}

// postRoberta is RobertaProcessing: <s> A </s> and </s> B </s>, every type id 0, offsets
// trimmed like ByteLevel's when trim_offsets is set.
type postRoberta struct {
	trim postByteLevel
	tmpl postTemplate
}

func (p postRoberta) added(pair bool) int { return p.tmpl.added(pair) }

func (p postRoberta) process(encs []Encoding, addSpecial bool) ([]Encoding, error) {
	if p.trim.trimOffsets {
		encs, _ = p.trim.process(encs, addSpecial)
	}
	for i := range encs {
		for k := range encs[i].TypeIDs {
			encs[i].TypeIDs[k] = 0
		}
	}
	if !addSpecial {
		return encs, nil
	}
	return p.tmpl.process(encs, true)
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

var errNoPairTemplate = errors.New("the post-processor has no template for pairs")

func buildPostTemplate(_ *Tokenizer, raw string) (postProcessor, error) {
	var c struct {
		Single        []templatePieceJSON `json:"single"`
		Pair          []templatePieceJSON `json:"pair"`
		SpecialTokens map[string]struct {
			IDs    []int    `json:"ids"`
			Tokens []string `json:"tokens"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	read := func(name string, pieces []templatePieceJSON, pair bool) ([]templateItem, error) {
		var items []templateItem
		for i, p := range pieces {
			switch {
			case p.Sequence != nil:
				seq := 0
				switch {
				case p.Sequence.ID == "B" && pair:
					seq = 1
				case p.Sequence.ID != "A":
					return nil, fmt.Errorf("%s[%d]: sequence %q", name, i, p.Sequence.ID)
				}
				items = append(items, templateItem{sequence: seq, typeID: p.Sequence.TypeID})
			case p.SpecialToken != nil:
				st, ok := c.SpecialTokens[p.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("%s[%d]: special token %q missing from special_tokens", name, i, p.SpecialToken.ID)
				}
				if len(st.IDs) != len(st.Tokens) {
					return nil, fmt.Errorf("special_tokens[%q]: %d ids but %d tokens", p.SpecialToken.ID, len(st.IDs), len(st.Tokens))
				}
				items = append(items, templateItem{sequence: -1, typeID: p.SpecialToken.TypeID, ids: st.IDs, tokens: st.Tokens})
			default:
				return nil, fmt.Errorf("%s[%d]: neither Sequence nor SpecialToken", name, i)
			}
		}
		return items, nil
	}
	var tp postTemplate
	var err error
	if tp.single, err = read("single", c.Single, false); err != nil {
		return nil, err
	}
	if c.Pair != nil {
		if tp.pair, err = read("pair", c.Pair, true); err != nil {
			return nil, err
		}
		tp.hasPair = true
	}
	return tp, nil
}

type templatePieceJSON struct {
	Sequence *struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	} `json:"Sequence"`
	SpecialToken *struct {
		ID     string `json:"id"`
		TypeID int    `json:"type_id"`
	} `json:"SpecialToken"`
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
		*x.dst = templateItem{sequence: -1, ids: []int{id}, tokens: []string{tok}}
	}
	a, b := templateItem{sequence: 0}, templateItem{sequence: 1}
	if c.Type == "RobertaProcessing" {
		tp := postTemplate{single: []templateItem{cls, a, sep}, pair: []templateItem{cls, a, sep, sep, b, sep}, hasPair: true}
		return postRoberta{trim: postByteLevel{trimOffsets: orTrue(c.TrimOffsets), addPrefixSpace: orTrue(c.AddPrefixSpace)}, tmpl: tp}, nil
	}
	b.typeID = 1
	sep1 := sep
	sep1.typeID = 1
	return postTemplate{single: []templateItem{cls, a, sep}, pair: []templateItem{cls, a, sep, b, sep1}, hasPair: true, keepTypes: true}, nil
}
