package tokenizer

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// token is one model token of a word: its id and the byte range it covers in the word.
type token struct{ id, start, end int32 }

// mergeTable maps a pair of token ids to the merge's rank and the merged token's id, in an
// open-addressing hash table (faster to build and probe than a Go map for 150k merges).
type mergeTable struct {
	keys  []uint64
	vals  []uint64 // (rank+1)<<32 | newID; 0 = empty slot
	mask  uint64
	shift uint // 64 - log2(len(keys)): the slot is the product's top bits
}

func newMergeTable(n int) *mergeTable {
	size, bits := 1, uint(0)
	for size < n+n/2+1 { // load factor < 2/3 (a smaller table misses the cache less), never full
		size <<= 1
		bits++
	}
	return &mergeTable{keys: make([]uint64, size), vals: make([]uint64, size), mask: uint64(size - 1), shift: 64 - max(bits, 1)}
}

// slot hashes a pair by Fibonacci hashing. It takes the product's top bits: its middle bits
// would depend on the second id alone (the first sits 32 bits up), clustering every pair
// that shares a second token.
func (t *mergeTable) slot(k uint64) uint64 { return ((k * 0x9E3779B97F4A7C15) >> t.shift) & t.mask }

// put records a merge; a pair listed twice keeps its last entry, as the library's map does.
func (t *mergeTable) put(a, b int32, rank int, newID int32) {
	k := uint64(uint32(a))<<32 | uint64(uint32(b))
	for i := t.slot(k); ; i = (i + 1) & t.mask {
		if t.vals[i] == 0 || t.keys[i] == k {
			t.keys[i] = k
			t.vals[i] = uint64(rank+1)<<32 | uint64(uint32(newID))
			return
		}
	}
}

func (t *mergeTable) get(a, b int32) (rank int32, newID int32, ok bool) {
	k := uint64(uint32(a))<<32 | uint64(uint32(b))
	for i := t.slot(k); ; i = (i + 1) & t.mask {
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
	charsOnce    sync.Once
	splitOnce    sync.Once
	splitSafe    bool          // see splitsBeforeMetaspace
	noCutAfter   map[rune]bool // read-only once splitOnce is done
	asciiIDs     [256]int32    // id of each one-byte (ASCII) token, -1 if absent
	fallbackIDs  [256]int32    // id of each <0xXX> token, -1 if absent
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
	if len(word) > maxCachedWord && !m.byteLevel && !m.ignoreMerges && m.splitsBeforeMetaspace() {
		return m.tokenizeChunks(word, dst)
	}
	return m.tokenizeWord(word, dst)
}

// metaspace is SentencePiece's space character.
const metaspace = "\u2581"

// splitsBeforeMetaspace reports whether the word can be cut before a ▁ that follows
// another character c without changing its tokens. That holds unless some merge joins a
// token ending in c to one starting with ▁ (only such a merge could cross the cut): those
// characters are kept in noCutAfter (Gemma 3 has one merge, ">" + "▁</"). ▁ itself must be in
// the vocabulary (so no unknown is fused across a cut). SentencePiece BPE vocabularies
// (Llama, Mistral, Gemma) are like that. Files without a pre-tokenizer hand the model whole
// texts; cut, their words are short and cached, where the library merges a whole text at
// once.
func (m *bpeModel) splitsBeforeMetaspace() bool {
	m.splitOnce.Do(func() {
		if _, ok := m.vocab.get(metaspace); !ok || m.prefix != "" || m.suffix != "" {
			return
		}
		t := m.merges
		for i, v := range t.vals {
			if v == 0 {
				continue
			}
			a, _ := m.vocab.token(int32(t.keys[i] >> 32))
			b, _ := m.vocab.token(int32(uint32(t.keys[i])))
			if strings.HasPrefix(b, metaspace) && !strings.HasSuffix(a, metaspace) {
				r, _ := utf8.DecodeLastRuneInString(a)
				if m.noCutAfter == nil {
					m.noCutAfter = map[rune]bool{}
				}
				m.noCutAfter[r] = true
			}
		}
		m.splitSafe = true
	})
	return m.splitSafe
}

// tokenizeChunks tokenizes word piece by piece, cut before every ▁ that follows a
// character other than ▁ (see splitsBeforeMetaspace).
func (m *bpeModel) tokenizeChunks(word string, dst []token) ([]token, error) {
	start := 0
	for start < len(word) {
		end := len(word)
		for i := start + 1; i < len(word); {
			k := strings.Index(word[i:], metaspace)
			if k < 0 {
				break
			}
			at := i + k
			if r, _ := utf8.DecodeLastRuneInString(word[:at]); r != '\u2581' && !m.noCutAfter[r] {
				end = at
				break
			}
			i = at + len(metaspace)
		}
		first := len(dst)
		var err error
		if dst, err = m.tokenizeWord(word[start:end], dst); err != nil {
			return dst, err
		}
		for k := first; k < len(dst); k++ {
			dst[k].start += int32(start)
			dst[k].end += int32(start)
		}
		start = end
	}
	return dst, nil
}

// tokenizeWord tokenizes word as one unit, through the cache.
func (m *bpeModel) tokenizeWord(word string, dst []token) ([]token, error) {
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
	if len(word) > len(stack) {
		syms = make([]symbol, 0, len(word))
	}
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
	m.charsOnce.Do(m.indexChars)
	plain := m.prefix == "" && m.suffix == ""
	var buf []byte
	for i := 0; i < len(word); {
		var unit string
		if byteLevel {
			unit = byteToRune[word[i]]
		} else {
			_, n := utf8.DecodeRuneInString(word[i:])
			unit = word[i : i+n]
		}
		start := i
		if byteLevel {
			i++
		} else {
			i += len(unit)
		}
		var id int32
		ok := false
		switch {
		case plain && len(unit) == 1:
			id = m.asciiIDs[unit[0]]
			ok = id >= 0
		case plain:
			id, ok = m.vocab.get(unit)
		default:
			buf = buf[:0]
			if start > 0 {
				buf = append(buf, m.prefix...)
			}
			buf = append(buf, unit...)
			if i == len(word) {
				buf = append(buf, m.suffix...)
			}
			id, ok = m.vocab.get(string(buf))
		}
		if ok {
			syms = append(syms, symbol{id: id, start: int32(start), end: int32(i)})
			continue
		}
		if m.byteFallback {
			text := unit // the model's character: for byte-level words, the mapped one
			all := true
			for k := 0; k < len(text); k++ {
				if m.fallbackIDs[text[k]] < 0 {
					all = false
					break
				}
			}
			if all {
				for k := 0; k < len(text); k++ {
					syms = append(syms, symbol{id: m.fallbackIDs[text[k]], start: int32(start), end: int32(i)})
				}
				continue
			}
		}
		if m.unkID < 0 {
			return syms, fmt.Errorf("character %q is not in the vocabulary and the BPE model has no unk_token", unit)
		}
		if m.fuseUnk && len(syms) > 0 && syms[len(syms)-1].id == m.unkID {
			syms[len(syms)-1].end = int32(i)
			continue
		}
		syms = append(syms, symbol{id: m.unkID, start: int32(start), end: int32(i)})
	}
	return syms, nil
}

// indexChars looks up once the ids of the one-byte tokens and of the <0xXX> byte-fallback
// tokens (-1 where absent).
func (m *bpeModel) indexChars() {
	for b := range 256 {
		m.fallbackIDs[b] = -1
		if id, ok := m.vocab.get(fmt.Sprintf("<0x%02X>", b)); ok {
			m.fallbackIDs[b] = id
		}
		m.asciiIDs[b] = -1
		if id, ok := m.vocab.get(string([]byte{byte(b)})); ok && b < utf8.RuneSelf {
			m.asciiIDs[b] = id
		}
	}
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

// mergeQueue is a 4-ary min-heap of merge candidates (typed: container/heap would box
// every item; four children per node halve the levels a pop walks, as the library's
// d-ary heap does).
type mergeQueue []mergeItem

func (h *mergeQueue) push(x mergeItem) {
	q := append(*h, x)
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 4
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
	x := q[last]
	q = q[:last]
	i := 0
	for {
		c := 4*i + 1
		if c >= len(q) {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < len(q); k++ {
			if q[k].less(q[m]) {
				m = k
			}
		}
		if !q[m].less(x) {
			break
		}
		q[i] = q[m]
		i = m
	}
	if len(q) > 0 {
		q[i] = x
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
