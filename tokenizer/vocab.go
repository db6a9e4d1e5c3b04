package tokenizer

import (
	"hash/maphash"
	"strings"
)

// vocabTable maps tokens to ids and back. Every token's text sits in one compact string,
// addressed by offsets, and the string-to-id index is an open-addressing table of
// (fingerprint, id, span) slots: no per-token pointers, so a loaded tokenizer costs the
// garbage collector nothing to scan and does not pin the 11 MB file text; building it is
// several times faster than a Go map of 150k strings.
type vocabTable struct {
	text  string   // all tokens, concatenated
	spans []uint32 // spans[2*id], spans[2*id+1]: the token's [start, end) in text; absent = ^0
	slots []vocabSlot
	mask  uint64
	seed  maphash.Seed
	n     int // distinct tokens
}

// vocabSlot is one entry of the string-to-id index. It carries the token itself (short
// tokens, packed by packShort) or its span in text, so that a lookup checks the token
// without a detour through spans, or for short tokens without touching text: loading
// Gemma 3 makes a million lookups (both sides of 515k merges), each a cache miss per
// array touched.
type vocabSlot struct {
	key  uint64 // fingerprint<<32 | id+1; 0 = empty
	data uint64 // packShort(token), or start<<32 | end in text
}

// packShort packs a token of at most 7 bytes with its length in the top byte, whose high
// bit tells it from a span (text is far shorter than 2 GB); ok is false for longer tokens.
func packShort(tok string) (p uint64, ok bool) {
	if len(tok) > 7 {
		return 0, false
	}
	p = uint64(0x80|len(tok)) << 56
	for i := 0; i < len(tok); i++ {
		p |= uint64(tok[i]) << (8 * i)
	}
	return p, true
}

const absentSpan = ^uint32(0)

func vocabHash(seed maphash.Seed, s string) (fp uint32, h uint64) {
	h = maphash.String(seed, s)
	return uint32(h>>32) | 1, h
}

// buildVocab indexes the entries in file order; a token listed twice keeps its last id and
// its earlier id has no token, as when the library builds its map and the reverse map.
//
// The tokens are first copied into the table's text in file order, then put in the index
// in the order of their slots (a stable sort, so a repeated token still meets its earlier
// entry first), so that building a 262k-token index sweeps it instead of missing the cache
// once per token. A vocabulary that gives one id to two tokens takes buildVocabInOrder.
func buildVocab(entries []vocabEntry, pool *strPool, maxID int) *vocabTable {
	v := &vocabTable{seed: maphash.MakeSeed(), spans: make([]uint32, 2*(maxID+1))}
	for i := range v.spans {
		v.spans[i] = absentSpan
	}
	total := 0
	for _, e := range entries {
		total += pool.length(e.tok)
	}
	var sb strings.Builder
	sb.Grow(total)
	for _, e := range entries {
		if v.spans[2*e.id] != absentSpan {
			return buildVocabInOrder(entries, pool, maxID)
		}
		v.spans[2*e.id] = uint32(sb.Len())
		sb.WriteString(pool.get(e.tok))
		v.spans[2*e.id+1] = uint32(sb.Len())
	}
	v.text = sb.String()
	size, bits := 1, 0
	for size < 2*len(entries) {
		size, bits = size<<1, bits+1
	}
	v.slots, v.mask = make([]vocabSlot, size), uint64(size-1)
	// Each entry carries what its slot will hold, computed in file order, so that filling
	// the slots in their order reads neither spans nor text.
	type hashed struct {
		h, data uint64
		fp      uint32
		id      int32
	}
	const bucketBits = 12
	shift := max(bits-bucketBits, 0)
	var start [1<<bucketBits + 1]int32
	hs := make([]hashed, len(entries))
	for k, e := range entries {
		id := e.id
		begin, end := v.spans[2*id], v.spans[2*id+1]
		tok := v.text[begin:end]
		fp, h := vocabHash(v.seed, tok)
		data, short := packShort(tok)
		if !short {
			data = uint64(begin)<<32 | uint64(end)
		}
		hs[k] = hashed{h, data, fp, id}
		start[(h&v.mask)>>shift+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	sorted := make([]hashed, len(hs))
	for _, x := range hs {
		b := (x.h & v.mask) >> shift
		sorted[start[b]] = x
		start[b]++
	}
	for _, x := range sorted {
		data := x.data
		short := data>>63 == 1
		for i := x.h & v.mask; ; i = (i + 1) & v.mask {
			s := &v.slots[i]
			if s.key == 0 {
				*s = vocabSlot{uint64(x.fp)<<32 | uint64(x.id+1), data}
				v.n++
				break
			}
			if uint32(s.key>>32) != x.fp {
				continue
			}
			if same := s.data == data || (!short && s.data>>63 == 0 && v.text[uint32(s.data>>32):uint32(s.data)] == v.text[uint32(data>>32):uint32(data)]); same {
				old := int32(uint32(s.key)) - 1
				v.spans[2*old], v.spans[2*old+1] = absentSpan, absentSpan
				*s = vocabSlot{uint64(x.fp)<<32 | uint64(x.id+1), data}
				break
			}
		}
	}
	return v
}

// buildVocabInOrder is buildVocab for any vocabulary: the entries go in the index one by
// one, and an id given to two tokens keeps the later token (the earlier is not found).
func buildVocabInOrder(entries []vocabEntry, pool *strPool, maxID int) *vocabTable {
	size := 1
	for size < 2*len(entries) {
		size <<= 1
	}
	v := &vocabTable{slots: make([]vocabSlot, size), mask: uint64(size - 1), seed: maphash.MakeSeed()}
	refOfID := make([]strRef, maxID+1)
	has := make([]bool, maxID+1)
	for _, e := range entries {
		tok := pool.get(e.tok)
		fp, h := vocabHash(v.seed, tok)
		for i := h & v.mask; ; i = (i + 1) & v.mask {
			s := v.slots[i].key
			if s == 0 {
				v.slots[i].key = uint64(fp)<<32 | uint64(e.id+1)
				v.n++
				break
			}
			old := int32(uint32(s)) - 1
			if uint32(s>>32) == fp && has[old] && pool.get(refOfID[old]) == tok {
				has[old] = false
				v.slots[i].key = uint64(fp)<<32 | uint64(e.id+1)
				break
			}
		}
		refOfID[e.id], has[e.id] = e.tok, true
	}
	var sb strings.Builder
	total := 0
	for id := range refOfID {
		if has[id] {
			total += len(pool.get(refOfID[id]))
		}
	}
	sb.Grow(total)
	v.spans = make([]uint32, 2*(maxID+1))
	for id := range refOfID {
		if !has[id] {
			v.spans[2*id], v.spans[2*id+1] = absentSpan, absentSpan
			continue
		}
		start := sb.Len()
		sb.WriteString(pool.get(refOfID[id]))
		v.spans[2*id], v.spans[2*id+1] = uint32(start), uint32(sb.Len())
	}
	v.text = sb.String()
	for i := range v.slots {
		if s := &v.slots[i]; s.key != 0 {
			id := uint32(s.key) - 1
			start, end := v.spans[2*id], v.spans[2*id+1]
			if start == absentSpan { // the id went to a later token: a length no lookup has
				s.data = 1<<32 | 0
			} else if p, ok := packShort(v.text[start:end]); ok {
				s.data = p
			} else {
				s.data = uint64(start)<<32 | uint64(end)
			}
		}
	}
	return v
}

// token returns the token of id.
func (v *vocabTable) token(id int32) (string, bool) {
	if id < 0 || int(id) >= len(v.spans)/2 {
		return "", false
	}
	s, e := v.spans[2*id], v.spans[2*id+1]
	if s == absentSpan {
		return "", false
	}
	return v.text[s:e], true
}

// get returns the id of tok.
func (v *vocabTable) get(tok string) (int32, bool) {
	fp, h := vocabHash(v.seed, tok)
	short, isShort := packShort(tok)
	for i := h & v.mask; ; i = (i + 1) & v.mask {
		s := &v.slots[i]
		if s.key == 0 {
			return 0, false
		}
		if uint32(s.key>>32) != fp {
			continue
		}
		if isShort {
			if s.data == short {
				return int32(uint32(s.key)) - 1, true
			}
			continue
		}
		if start, end := uint32(s.data>>32), uint32(s.data); s.data>>63 == 0 && int(end-start) == len(tok) && v.text[start:end] == tok {
			return int32(uint32(s.key)) - 1, true
		}
	}
}

func (v *vocabTable) size() int  { return v.n }
func (v *vocabTable) maxID() int { return len(v.spans)/2 - 1 }
