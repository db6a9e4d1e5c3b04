package tokenizer

import (
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"unicode/utf8"
)

// token is one model token of a word: its id and the byte range it covers in the word.
type token struct{ id, start, end int32 }

// mergeTable maps a pair of token ids to the merge's rank and the merged token's id, in an
// open-addressing hash table (faster to build and probe than a Go map for 150k merges).
type mergeTable struct {
	keys []uint64
	vals []uint64 // (rank+1)<<32 | newID; 0 = empty slot
	mask uint64
}

func newMergeTable(n int) *mergeTable {
	size := 1
	for size < n+n/2+1 { // load factor < 2/3 (a smaller table misses the cache less), never full
		size <<= 1
	}
	return &mergeTable{keys: make([]uint64, size), vals: make([]uint64, size), mask: uint64(size - 1)}
}

func mergeHash(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> 17 }

// put records a merge; a pair listed twice keeps its last entry, as the library's map does.
func (t *mergeTable) put(a, b int32, rank int, newID int32) {
	k := uint64(uint32(a))<<32 | uint64(uint32(b))
	for i := mergeHash(k) & t.mask; ; i = (i + 1) & t.mask {
		if t.vals[i] == 0 || t.keys[i] == k {
			t.keys[i] = k
			t.vals[i] = uint64(rank+1)<<32 | uint64(uint32(newID))
			return
		}
	}
}

func (t *mergeTable) get(a, b int32) (rank int32, newID int32, ok bool) {
	k := uint64(uint32(a))<<32 | uint64(uint32(b))
	for i := mergeHash(k) & t.mask; ; i = (i + 1) & t.mask {
		v := t.vals[i]
		if v == 0 {
			return 0, 0, false
		}
		if t.keys[i] == k {
			return int32(v>>32) - 1, int32(uint32(v)), true
		}
	}
}

// bpeModel is the library's BPE model (without dropout).
type bpeModel struct {
	vocab        *vocabTable
	merges       *mergeTable
	unkID        int32 // -1 without an unknown token
	unkToken     string
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	prefix       string     // continuing_subword_prefix
	suffix       string     // end_of_word_suffix
	byteIDs      [256]int32 // id of the byte-level character of each byte, -1 if absent
	fastBytes    bool       // every byte has an id and there is no prefix/suffix
	cache        *wordCache
	byteLevel    bool // words are bytes, read through the GPT-2 byte-to-unicode map
}

// symbol is a node of the doubly linked list the merges work on.
type symbol struct {
	id, start, end, prev, next int32
}

// byteLevelModel is a model that can read words as byte-level text (a ByteLevel
// pre-tokenizer maps bytes to characters; the model does it on the fly instead).
type byteLevelModel interface{ setByteLevel() }

func (m *bpeModel) setByteLevel() { m.byteLevel = true }

func (m *bpeModel) tokenToID(tok string) (int32, bool) { return m.vocab.get(tok) }
func (m *bpeModel) idToToken(id int32) (string, bool)  { return m.vocab.token(id) }
func (m *bpeModel) size() int                          { return m.vocab.size() }
func (m *bpeModel) maxID() int                         { return m.vocab.maxID() }

func init() { registerModel("BPE", parseBPE) }

// tokenize returns the tokens of one pre-tokenized word. With byteLevel, the word's bytes
// are the model's characters (through the GPT-2 byte-to-unicode map).
func (m *bpeModel) tokenize(word string, dst []token) ([]token, error) {
	byteLevel := m.byteLevel
	if word == "" {
		return dst, nil
	}
	useCache := len(word) <= maxCachedWord
	if useCache {
		if toks, ok := m.cache.get(word); ok {
			return append(dst, toks...), nil
		}
	}
	start := len(dst)
	dst, err := m.tokenizeUncached(word, byteLevel, dst)
	if err != nil {
		return dst, err
	}
	if useCache {
		m.cache.put(word, dst[start:])
	}
	return dst, nil
}

func (m *bpeModel) tokenizeUncached(word string, byteLevel bool, dst []token) ([]token, error) {
	if m.ignoreMerges {
		key := word
		if byteLevel {
			key = byteLevelString(word)
		}
		if id, ok := m.vocab.get(key); ok {
			return append(dst, token{id, 0, int32(len(word))}), nil
		}
	}
	var stack [64]symbol
	syms := stack[:0]
	if byteLevel && m.fastBytes {
		for i := 0; i < len(word); i++ {
			syms = append(syms, symbol{id: m.byteIDs[word[i]], start: int32(i), end: int32(i + 1)})
		}
	} else {
		var err error
		if syms, err = m.initialSymbols(word, byteLevel, syms); err != nil {
			return dst, err
		}
	}
	for i := range syms {
		syms[i].prev = int32(i - 1)
		syms[i].next = int32(i + 1)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	if len(syms) <= 48 {
		m.mergeSmall(syms)
	} else {
		m.mergeHeap(syms)
	}
	for i := int32(0); i >= 0 && int(i) < len(syms); i = syms[i].next {
		s := syms[i]
		dst = append(dst, token{s.id, s.start, s.end})
	}
	return dst, nil
}

// initialSymbols splits a word into the model's characters, applying the subword
// prefix/suffix, byte fallback and the unknown token as the library does.
func (m *bpeModel) initialSymbols(word string, byteLevel bool, syms []symbol) ([]symbol, error) {
	type unit struct {
		text       string
		start, end int
	}
	var units []unit
	if byteLevel {
		for i := 0; i < len(word); i++ {
			units = append(units, unit{byteToRune[word[i]], i, i + 1})
		}
	} else {
		for i, r := range word {
			n := utf8.RuneLen(r)
			units = append(units, unit{word[i : i+n], i, i + n})
		}
	}
	for k, u := range units {
		s := u.text
		if k > 0 {
			s = m.prefix + s
		}
		if k == len(units)-1 {
			s += m.suffix
		}
		if id, ok := m.vocab.get(s); ok {
			syms = append(syms, symbol{id: id, start: int32(u.start), end: int32(u.end)})
			continue
		}
		if m.byteFallback {
			ids := make([]int32, 0, 4)
			for i := 0; i < len(u.text); i++ {
				id, ok := m.vocab.get(fmt.Sprintf("<0x%02X>", u.text[i]))
				if !ok {
					break
				}
				ids = append(ids, id)
			}
			if len(ids) == len(u.text) {
				for _, id := range ids {
					syms = append(syms, symbol{id: id, start: int32(u.start), end: int32(u.end)})
				}
				continue
			}
		}
		if m.unkID < 0 {
			return syms, fmt.Errorf("character %q is not in the vocabulary and the BPE model has no unk_token", u.text)
		}
		if m.fuseUnk && len(syms) > 0 && syms[len(syms)-1].id == m.unkID {
			syms[len(syms)-1].end = int32(u.end)
			continue
		}
		syms = append(syms, symbol{id: m.unkID, start: int32(u.start), end: int32(u.end)})
	}
	return syms, nil
}

// mergeSmall applies the merges to a short word: repeatedly merge the lowest-ranked pair,
// the leftmost one on ties — the order the library's priority queue produces.
func (m *bpeModel) mergeSmall(syms []symbol) {
	if len(syms) < 2 {
		return
	}
	const none = int32(1<<31 - 1)
	var rankBuf, newBuf [48]int32
	rank, newID := rankBuf[:len(syms)], newBuf[:len(syms)]
	pair := func(i int32) {
		j := syms[i].next
		rank[i] = none
		if j >= 0 {
			if r, id, ok := m.merges.get(syms[i].id, syms[j].id); ok {
				rank[i], newID[i] = r, id
			}
		}
	}
	for i := range syms {
		pair(int32(i))
	}
	for {
		best, bestRank := int32(-1), none
		for i := int32(0); i >= 0; i = syms[i].next {
			if rank[i] < bestRank {
				best, bestRank = i, rank[i]
			}
		}
		if best < 0 {
			return
		}
		j := syms[best].next
		syms[best].id = newID[best]
		syms[best].end = syms[j].end
		syms[best].next = syms[j].next
		if n := syms[j].next; n >= 0 {
			syms[n].prev = best
		}
		pair(best)
		if p := syms[best].prev; p >= 0 {
			pair(p)
		}
	}
}

// mergeItem is a candidate merge; key packs (rank, position) so one comparison orders
// them as the library's queue does.
type mergeItem struct {
	key   uint64
	newID int32
}

func newMergeItem(rank, pos, newID int32) mergeItem {
	return mergeItem{uint64(uint32(rank))<<32 | uint64(uint32(pos)), newID}
}

func (a mergeItem) rank() int32 { return int32(a.key >> 32) }
func (a mergeItem) pos() int32  { return int32(uint32(a.key)) }

func (a mergeItem) less(b mergeItem) bool { return a.key < b.key }

// mergeQueue is a binary min-heap of merge candidates (typed: container/heap would box
// every item).
type mergeQueue []mergeItem

func (h *mergeQueue) push(x mergeItem) {
	q := append(*h, x)
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
	*h = q
}

func (h *mergeQueue) pop() mergeItem {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].less(q[m]) {
			m = l
		}
		if r < len(q) && q[r].less(q[m]) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// mergeHeap is the library's algorithm for long words: a priority queue of candidate
// merges ordered by (rank, position), stale entries skipped when popped.
func (m *bpeModel) mergeHeap(syms []symbol) {
	h := make(mergeQueue, 0, len(syms))
	for i := 0; i+1 < len(syms); i++ {
		if r, id, ok := m.merges.get(syms[i].id, syms[i+1].id); ok {
			h.push(newMergeItem(r, int32(i), id))
		}
	}
	dead := int32(-2)
	for len(h) > 0 {
		top := h.pop()
		pos := top.pos()
		s := &syms[pos]
		if s.next == dead || s.next < 0 {
			continue
		}
		j := s.next
		if r, id, ok := m.merges.get(s.id, syms[j].id); !ok || id != top.newID || r != top.rank() {
			continue
		}
		s.id = top.newID
		s.end = syms[j].end
		s.next = syms[j].next
		syms[j].next = dead
		if n := s.next; n >= 0 {
			syms[n].prev = pos
		}
		if p := s.prev; p >= 0 {
			if r, id, ok := m.merges.get(syms[p].id, s.id); ok {
				h.push(newMergeItem(r, p, id))
			}
		}
		if n := s.next; n >= 0 {
			if r, id, ok := m.merges.get(s.id, syms[n].id); ok {
				h.push(newMergeItem(r, pos, id))
			}
		}
	}
}

// byteToRune is GPT-2's byte-to-unicode map: printable bytes stand for themselves, the
// others are shifted to U+0100 and up, so every byte is a visible character.
var byteToRune, runeToByte = func() (b2r [256]string, r2b map[rune]byte) {
	r2b = make(map[rune]byte, 256)
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF) {
			r = rune(256 + n)
			n++
		}
		b2r[b] = string(r)
		r2b[r] = byte(b)
	}
	return b2r, r2b
}()

func byteLevelString(s string) string {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, byteToRune[s[i]]...)
	}
	return string(out)
}

// maxCachedWord bounds the words kept in the cache (longer ones are rare and costly to keep).
const maxCachedWord = 256

// wordCache remembers the tokens of recent words: a direct-mapped table of atomic
// pointers, so goroutines encoding in parallel never wait on a lock, bounded by its size (a
// word that lands on an occupied slot replaces the word there).
type wordCache struct {
	seed    maphash.Seed
	entries []atomic.Pointer[cacheEntry]
	mask    uint64
}

type cacheEntry struct {
	word string
	toks []token
}

func newWordCache(capacity int) *wordCache {
	size := 1
	for size < capacity {
		size <<= 1
	}
	return &wordCache{seed: maphash.MakeSeed(), entries: make([]atomic.Pointer[cacheEntry], size), mask: uint64(size - 1)}
}

func (c *wordCache) slot(w string) *atomic.Pointer[cacheEntry] {
	return &c.entries[maphash.String(c.seed, w)&c.mask]
}

func (c *wordCache) get(w string) ([]token, bool) {
	if c == nil {
		return nil, false
	}
	if e := c.slot(w).Load(); e != nil && e.word == w {
		return e.toks, true
	}
	return nil, false
}

func (c *wordCache) put(w string, toks []token) {
	if c == nil {
		return
	}
	// Copies: the caller's buffer is reused, and the word must not pin a (possibly huge) text.
	c.slot(w).Store(&cacheEntry{word: string([]byte(w)), toks: append([]token(nil), toks...)})
}
