package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/graphemes"
)

// precompiledNormalizer is SentencePiece's normalization rule as tokenizer.json carries it
// (the "Precompiled" normalizer): a darts-clone double-array trie over UTF-8 byte strings
// whose leaves point into a blob of NUL-terminated replacement strings. XLM-RoBERTa, T5,
// mBART and most other SentencePiece conversions have one (nmt_nfkc: NFKC plus removal of
// control characters and mapping of odd spaces).
//
// The library applies it in an unusual way that has to be followed to the letter: per
// extended grapheme cluster, a cluster shorter than 6 bytes is looked up whole, and the
// shortest key that is a prefix of the cluster replaces the whole cluster (so "ﬁ" plus a
// combining accent loses the accent); otherwise, or without a match, each character is
// looked up alone.
type precompiledNormalizer struct {
	trie       []uint32 // the double array's units
	normalized string   // the replacement blob (NUL-separated)
}

// newPrecompiled parses a precompiled_charsmap: a little-endian uint32 giving the trie's
// size in bytes, the trie (size/4 units), then the replacement blob, which must be UTF-8.
func newPrecompiled(charsmap []byte) (*precompiledNormalizer, error) {
	if len(charsmap) < 4 {
		return nil, fmt.Errorf("precompiled_charsmap: %d bytes, too short for the trie size", len(charsmap))
	}
	size := binary.LittleEndian.Uint32(charsmap)
	units := int(size / 4)
	rest := charsmap[4:]
	if units > len(rest)/4 {
		return nil, fmt.Errorf("precompiled_charsmap: trie of %d bytes, but only %d bytes follow", size, len(rest))
	}
	p := &precompiledNormalizer{trie: make([]uint32, units)}
	for i := range p.trie {
		p.trie[i] = binary.LittleEndian.Uint32(rest[4*i:])
	}
	// Like the library, the blob starts right after the trie's whole units (a size that is
	// not a multiple of 4 leaves its extra bytes at the head of the blob).
	blob := rest[4*units:]
	if !utf8.Valid(blob) {
		return nil, fmt.Errorf("precompiled_charsmap: the replacement strings are not valid UTF-8")
	}
	p.normalized = string(blob)
	return p, nil
}

// buildPrecompiled reads {"type": "Precompiled", "precompiled_charsmap": base64}.
func buildPrecompiled(raw string) (normalizer, error) {
	charsmap, err := stringField(raw, "precompiled_charsmap")
	if err != nil {
		return nil, err
	}
	if charsmap == nil {
		return nil, fmt.Errorf("precompiled_charsmap: missing")
	}
	data, err := base64.StdEncoding.DecodeString(*charsmap)
	if err != nil {
		return nil, fmt.Errorf("precompiled_charsmap: %w", err)
	}
	return newPrecompiled(data)
}

// Fields of a double-array unit, as darts-clone packs them.
func dartsHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func dartsValue(u uint32) uint32  { return u & (1<<31 - 1) }
func dartsLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func dartsOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// lookup returns the replacement of the shortest key that is a prefix of key (the library
// takes the first result of a common-prefix search). A NUL byte ends the key. Positions
// outside the arrays, which only a corrupt map produces (the library panics there), are
// "no match".
func (p *precompiledNormalizer) lookup(key string) (string, bool) {
	if len(p.trie) == 0 {
		return "", false
	}
	pos := dartsOffset(p.trie[0])
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			break
		}
		pos ^= uint32(c)
		if int(pos) >= len(p.trie) {
			return "", false
		}
		u := p.trie[pos]
		if dartsLabel(u) != uint32(c) {
			return "", false
		}
		pos ^= dartsOffset(u)
		if dartsHasLeaf(u) {
			if int(pos) >= len(p.trie) {
				return "", false
			}
			at := int(dartsValue(p.trie[pos]))
			if at > len(p.normalized) {
				return "", false
			}
			end := strings.IndexByte(p.normalized[at:], 0)
			if end < 0 {
				end = len(p.normalized) - at
			}
			if at < len(p.normalized) && !utf8.RuneStart(p.normalized[at]) {
				return "", false
			}
			return p.normalized[at : at+end], true
		}
	}
	return "", false
}

// pcEntry is one step of the library's transformation list: a character with its change
// (0 replaces the next source character, -n also swallows n more, +1 is inserted), or a run
// of unchanged source characters [a, b) (each a change 0).
type pcEntry struct {
	r      rune
	change int32
	run    bool
	a, b   int32
}

func (p *precompiledNormalizer) normalize(s string) (string, *align) {
	var entries []pcEntry
	modified := false
	// replace appends the transformation of source part old (at off) into repl, as the
	// library's replace does.
	replace := func(old string, off int, repl string) {
		if !modified {
			modified = true
			if off > 0 {
				entries = append(entries, pcEntry{run: true, a: 0, b: int32(off)})
			}
		}
		oldN := utf8.RuneCountInString(old)
		newN := 0
		for _, r := range repl {
			entries = append(entries, pcEntry{r: r})
			newN++
		}
		diff := newN - oldN
		switch {
		case diff > 0:
			for k := len(entries) - diff; k < len(entries); k++ {
				entries[k].change = 1
			}
		case diff < 0 && len(entries) > 0:
			last := &entries[len(entries)-1]
			if last.run { // the run's last character takes the change
				r, size := utf8.DecodeLastRuneInString(s[last.a:last.b])
				last.b -= int32(size)
				if last.a == last.b {
					entries = entries[:len(entries)-1]
				}
				entries = append(entries, pcEntry{r: r, change: int32(diff)})
			} else {
				last.change += int32(diff)
			}
		}
	}
	keep := func(a, b int) {
		if !modified || a == b {
			return
		}
		if l := len(entries); l > 0 && entries[l-1].run && entries[l-1].b == int32(a) {
			entries[l-1].b = int32(b)
			return
		}
		entries = append(entries, pcEntry{run: true, a: int32(a), b: int32(b)})
	}
	g := graphemes.FromString(s)
	for g.Next() {
		start, end := g.Start(), g.End()
		gr := s[start:end]
		if len(gr) < 6 {
			if repl, ok := p.lookup(gr); ok {
				replace(gr, start, repl)
				continue
			}
		}
		for i := start; i < end; {
			_, size := utf8.DecodeRuneInString(s[i:])
			if repl, ok := p.lookup(s[i : i+size]); ok {
				replace(s[i:i+size], i, repl)
			} else {
				keep(i, i+size)
			}
			i += size
		}
	}
	if !modified {
		return s, nil
	}
	return applyTransformations(s, entries)
}

// applyTransformations builds the output of a transformation list with the alignments the
// library's NormalizedString::transform gives it: walking the source, an entry with change
// c ≤ 0 takes the alignment of the source character at the walk's position and moves past
// it and -c more; an inserted one shares the alignment of the source character before.
// When the list swallowed characters without an entry to charge them to (a removal at the
// very start), the walk lags behind, and the library's alignments with it.
func applyTransformations(s string, entries []pcEntry) (string, *align) {
	var b alignBuilder
	off := 0
	var buf [utf8.UTFMax]byte
	emit := func(r rune, change int32) {
		out := string(buf[:utf8.EncodeRune(buf[:], r)])
		if change > 0 {
			if off == 0 {
				b.add(out, 0, 0)
				return
			}
			_, size := utf8.DecodeLastRuneInString(s[:off])
			b.add(out, off-size, off)
			return
		}
		if off >= len(s) { // cannot happen for a well-formed list; keep the end
			b.add(out, len(s), len(s))
			return
		}
		_, size := utf8.DecodeRuneInString(s[off:])
		b.add(out, off, off+size)
		off += size
		for n := -change; n > 0 && off < len(s); n-- {
			_, size := utf8.DecodeRuneInString(s[off:])
			off += size
		}
	}
	for _, e := range entries {
		if !e.run {
			emit(e.r, e.change)
			continue
		}
		if int(e.a) == off { // in step with the source: the run maps byte for byte
			b.addIdentity(s[e.a:e.b], off)
			off = int(e.b)
			continue
		}
		for _, r := range s[e.a:e.b] {
			emit(r, 0)
		}
	}
	return b.result()
}

func init() {
	registerNormalizer("Precompiled", func(_ *Tokenizer, raw string) (normalizer, error) { return buildPrecompiled(raw) })
}
