package tokenizer

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// unigramModel is the library's Unigram model (SentencePiece's unigram language model):
// the tokenization of a word is the path of vocabulary pieces with the highest total score,
// found by Viterbi over a byte trie of the vocabulary, as the library's encode_optimized
// does it — same candidate order, same strict "better score" test, so ties resolve alike.
// A character no piece covers is the unknown token (score: the lowest score minus 10);
// consecutive unknowns are fused; with byte_fallback a fused unknown becomes its <0xXX>
// tokens.
type unigramModel struct {
	vocab        *vocabTable
	dupTokens    map[int32]string // tokens of ids whose text a later id repeats
	scores       []float64
	n            int // entries of the vocabulary, duplicates included
	unkID        int32
	byteFallback bool
	byteIDs      [256]int32 // <0xXX> ids, -1 where absent
	unkScore     float64
	// The vocabulary's trie is cut into parts built in parallel (a 250k vocabulary takes
	// most of the load time otherwise), by the first byte of a token, or by its fourth for
	// tokens that start with ▁ (most of them); "▁" alone is in every part.
	tries     []byteTrie
	partPlain [256]uint8
	partMeta  [256]uint8
	cache     *wordCache
}

// byteTrie is the vocabulary as a trie over bytes: node 0 is the root, each transition a
// slot of an open-addressing table keyed by (node, byte), leaf[n] the id of the token
// ending at node n (-1 for none; a repeated token keeps its last id, as the library's map).
type byteTrie struct {
	slots []uint64 // (node<<8 | byte) << 32 | child; 0 = empty (no edge leads to the root)
	mask  uint64
	shift uint // 64 - log2(len(slots))
	leaf  []int32
}

// hash is Fibonacci hashing: the product's top bits.
func (t *byteTrie) hash(k uint64) uint64 { return ((k * trieHashMul) >> t.shift) & t.mask }

const trieHashMul = 0x9E3779B97F4A7C15

func (t *byteTrie) child(node int32, c byte) int32 {
	k := uint64(node)<<8 | uint64(c)
	for i := t.hash(k); ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if s>>32 == k {
			return int32(uint32(s))
		}
	}
}

func (t *byteTrie) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	t.shift--
	for _, s := range old {
		if s == 0 {
			continue
		}
		for i := t.hash(s >> 32); ; i = (i + 1) & t.mask {
			if t.slots[i] == 0 {
				t.slots[i] = s
				break
			}
		}
	}
}

// insertFirst adds tok unless it is already there.
func (t *byteTrie) insertFirst(tok string, id int32) {
	t.insertWith(tok, id, false)
}

// insert adds tok; a token inserted twice keeps the later id.
func (t *byteTrie) insert(tok string, id int32) { t.insertWith(tok, id, true) }

func (t *byteTrie) insertWith(tok string, id int32, replace bool) {
	node := int32(0)
	for i := 0; i < len(tok); i++ {
		node = t.walk(node, tok[i])
	}
	if len(tok) > 0 && (replace || t.leaf[node] < 0) { // the library's trie never yields the empty token
		t.leaf[node] = id
	}
}

// walk returns node's child by c, adding it if it is missing.
func (t *byteTrie) walk(node int32, c byte) int32 {
	k := uint64(node)<<8 | uint64(c)
	j := t.hash(k)
	for ; t.slots[j] != 0 && t.slots[j]>>32 != k; j = (j + 1) & t.mask {
	}
	if t.slots[j] != 0 {
		return int32(uint32(t.slots[j]))
	}
	child := int32(len(t.leaf))
	t.leaf = append(t.leaf, -1)
	t.slots[j] = k<<32 | uint64(uint32(child))
	if 3*len(t.leaf) > 2*len(t.slots) { // keep the load factor under 2/3
		t.grow()
	}
	return child
}

func newByteTrie(expectedNodes int) byteTrie {
	size, bits := 1024, uint(10)
	for 2*size < 3*expectedNodes {
		size <<= 1
		bits++
	}
	t := byteTrie{slots: make([]uint64, size), mask: uint64(size - 1), shift: 64 - bits, leaf: make([]int32, 1, expectedNodes+1)}
	t.leaf[0] = -1
	return t
}

// unigramPiece is one entry of the vocabulary while it is read.
type unigramPiece struct {
	tok   strRef
	score float64
}

func parseUnigram(j *jsonScanner) (model, error) {
	pool := &strPool{base: j.s}
	var pieces []unigramPiece
	var unkID *int
	byteFallback, sawVocab := false, false
	err := j.object(func(key string) error {
		switch key {
		case "type":
			typ, err := j.str()
			if err != nil {
				return err
			}
			if typ != "Unigram" {
				return fmt.Errorf("type %q where Unigram was expected", typ)
			}
			return nil
		case "unk_id":
			if b, err := j.peek(); err != nil {
				return err
			} else if b == 'n' {
				_, err := j.raw()
				return err
			}
			v, err := j.integer()
			if err != nil {
				return fmt.Errorf("unk_id: %w", err)
			}
			unkID = &v
			return nil
		case "byte_fallback":
			v, err := j.raw()
			if err != nil {
				return err
			}
			if v != "true" && v != "false" {
				return fmt.Errorf("byte_fallback: %q is not a boolean", v)
			}
			byteFallback = v == "true"
			return nil
		case "vocab":
			sawVocab = true
			pieces = make([]unigramPiece, 0, max(len(j.s)/30, 1024))
			return j.array(func() error {
				p, err := j.unigramEntry(pool)
				if err != nil {
					return fmt.Errorf("vocab[%d]: %w", len(pieces), err)
				}
				pieces = append(pieces, p)
				return nil
			})
		}
		_, err := j.raw()
		return err
	})
	if err != nil {
		return nil, err
	}
	if !sawVocab {
		return nil, fmt.Errorf("Unigram model without \"vocab\"")
	}
	return newUnigram(pieces, pool, unkID, byteFallback)
}

// unigramEntry reads one [token, score] pair of the vocabulary (a quarter of a million in
// XLM-RoBERTa's), without the general array reader's callbacks.
func (j *jsonScanner) unigramEntry(pool *strPool) (unigramPiece, error) {
	if p, ok := j.unigramEntryPlain(); ok {
		return p, nil
	}
	var p unigramPiece
	if err := j.expect('['); err != nil {
		return p, err
	}
	s, at, err := j.strAt()
	if err != nil {
		return p, err
	}
	if b, err := j.peek(); err != nil {
		return p, err
	} else if b != ',' {
		return p, j.errorf("want [token, score], found %q after the token", b)
	}
	j.pos++
	j.ws()
	start := j.pos
	for j.pos < len(j.s) && isNumberByte[j.s[j.pos]] {
		j.pos++
	}
	num := j.s[start:j.pos]
	if p.score, err = parseJSONFloat(num); err != nil {
		j.pos = start
		return p, j.errorf("score %q: %v", num, err)
	}
	if b, err := j.peek(); err != nil {
		return p, err
	} else if b != ']' {
		return p, j.errorf("want [token, score], found %q after the score", b)
	}
	j.pos++
	p.tok = pool.ref(s, at)
	return p, nil
}

// unigramEntryPlain reads an entry whose token has no escapes and whose score is a valid
// number, in one pass with no calls but for the score; for anything else it returns false
// without moving, and unigramEntry reads the entry (or reports the error) step by step.
func (j *jsonScanner) unigramEntryPlain() (unigramPiece, bool) {
	s := j.s
	i := skipSpace(s, j.pos)
	if i >= len(s) || s[i] != '[' {
		return unigramPiece{}, false
	}
	i = skipSpace(s, i+1)
	if i >= len(s) || s[i] != '"' {
		return unigramPiece{}, false
	}
	start := i + 1
	i = start
	for i < len(s) && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 {
		i++
	}
	if i >= len(s) || s[i] != '"' {
		return unigramPiece{}, false
	}
	tok := strRef{uint32(start), uint32(i - start)}
	i = skipSpace(s, i+1)
	if i >= len(s) || s[i] != ',' {
		return unigramPiece{}, false
	}
	i = skipSpace(s, i+1)
	score, n, err := readJSONFloat(s[i:])
	if err != nil || i+n < len(s) && isNumberByte[s[i+n]] { // "1.5.3" and the like: the slow reader's error
		return unigramPiece{}, false
	}
	i = skipSpace(s, i+n)
	if i >= len(s) || s[i] != ']' {
		return unigramPiece{}, false
	}
	j.pos = i + 1
	return unigramPiece{tok, score}, true
}

// isNumberByte tells the bytes a JSON number is made of.
var isNumberByte = func() (t [256]bool) {
	for _, c := range "0123456789+-.eE" {
		t[c] = true
	}
	return t
}()

const unigramUnkPenalty = 10.0

func newUnigram(pieces []unigramPiece, pool *strPool, unkID *int, byteFallback bool) (*unigramModel, error) {
	m := &unigramModel{n: len(pieces), unkID: -1, byteFallback: byteFallback, scores: make([]float64, len(pieces))}
	if unkID != nil {
		if len(pieces) == 0 {
			return nil, fmt.Errorf("the vocabulary is empty but unk_id is set")
		}
		if *unkID >= len(pieces) {
			return nil, fmt.Errorf("unk_id %d is outside the vocabulary of %d pieces", *unkID, len(pieces))
		}
		m.unkID = int32(*unkID)
	}
	if len(pieces) >= math.MaxInt32 {
		return nil, fmt.Errorf("vocabulary of %d pieces is too large", len(pieces))
	}
	entries := make([]vocabEntry, len(pieces))
	minScore := math.Inf(1)
	for i, p := range pieces {
		entries[i] = vocabEntry{p.tok, int32(i)}
		m.scores[i] = p.score
		minScore = min(minScore, p.score)
	}
	m.unkScore = minScore - unigramUnkPenalty
	m.vocab = buildVocab(entries, pool, len(pieces)-1)
	for i, p := range pieces {
		if _, ok := m.vocab.token(int32(i)); !ok {
			if m.dupTokens == nil {
				m.dupTokens = map[int32]string{}
			}
			m.dupTokens[int32(i)] = pool.get(p.tok)
		}
	}
	parts := min(max(runtime.GOMAXPROCS(0), 1), 8)
	if len(pieces) < 20000 {
		parts = 1
	}
	m.buildTries(pieces, pool, parts)
	for b := range 256 {
		m.byteIDs[b] = -1
		if id, ok := m.vocab.get(fmt.Sprintf("<0x%02X>", b)); ok {
			m.byteIDs[b] = id
		}
	}
	m.cache = newWordCache(1 << 15)
	return m, nil
}

func (m *unigramModel) tokenToID(tok string) (int32, bool) { return m.vocab.get(tok) }

func (m *unigramModel) idToToken(id int32) (string, bool) {
	if tok, ok := m.vocab.token(id); ok {
		return tok, true
	}
	tok, ok := m.dupTokens[id]
	return tok, ok
}

// unknownAsText is a model whose unknown token's text in an encoding is the text it
// covers, not the vocabulary's (the library's Unigram).
type unknownAsText interface{ unknownID() int32 }

func (m *unigramModel) unknownID() int32 { return m.unkID }

func (m *unigramModel) size() int  { return m.n }
func (m *unigramModel) maxID() int { return m.n - 1 }

// partOf returns the part of the trie that holds the tokens s may start with.
func (m *unigramModel) partOf(s string) int {
	if len(s) > 3 && s[0] == 0xE2 && s[1] == 0x96 && s[2] == 0x81 {
		return int(m.partMeta[s[3]])
	}
	return int(m.partPlain[s[0]])
}

func (m *unigramModel) buildTries(pieces []unigramPiece, pool *strPool, parts int) {
	m.partPlain, m.partMeta = [256]uint8{}, [256]uint8{}
	sizes := []int{0}
	if parts == 1 {
		for _, p := range pieces {
			sizes[0] += pool.length(p.tok)
		}
	} else {
		// Balance the parts by the tokens' bytes per key, largest keys first.
		var load [2][256]int
		for _, p := range pieces {
			tok := pool.get(p.tok)
			if len(tok) > 3 && strings.HasPrefix(tok, metaspace) {
				load[1][tok[3]] += len(tok)
			} else if len(tok) > 0 {
				load[0][tok[0]] += len(tok)
			}
		}
		type key struct{ class, b, n int }
		keys := make([]key, 0, 512)
		for c := range 2 {
			for b := range 256 {
				keys = append(keys, key{c, b, load[c][b]})
			}
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].n > keys[j].n })
		sizes = make([]int, parts)
		for _, k := range keys {
			best := 0
			for p := range sizes {
				if sizes[p] < sizes[best] {
					best = p
				}
			}
			sizes[best] += k.n
			if k.class == 0 {
				m.partPlain[k.b] = uint8(best)
			} else {
				m.partMeta[k.b] = uint8(best)
			}
		}
	}
	m.tries = make([]byteTrie, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Tokens are read from the vocabulary's text (2 MB for XLM-RoBERTa's) where it has
			// them, rather than from the file's (17 MB): fewer cache misses.
			toks := func(id uint32) string {
				if tok, ok := m.vocab.token(int32(id)); ok {
					return tok
				}
				return pool.get(pieces[id].tok)
			}
			keys := make([]trieKey, 0, len(pieces)/parts+16)
			for i := range pieces {
				tok := toks(uint32(i))
				if tok != "" && (parts == 1 || tok == metaspace || m.partOf(tok) == p) {
					keys = append(keys, newTrieKey(tok, uint32(i)))
				}
			}
			sortTrieKeys(keys, toks)
			t := byteTrie{leaf: append(make([]int32, 0, sizes[p]/3+16), -1)} // buildSorted makes the table
			t.buildSorted(keys, toks)
			m.tries[p] = t
		}()
	}
	wg.Wait()
}

// viterbiNode is the best path ending at a byte position: its last piece's id and start,
// and its score. start < 0: no path reaches here yet.
type viterbiNode struct {
	score float64
	start int32
	id    int32
}

var viterbiPool = sync.Pool{New: func() any { return new([]viterbiNode) }}

// errUnigramNoUnk is the library's MissingUnkId: an unknown character without unk_id.
type errUnigramNoUnk struct{ char string }

func (e errUnigramNoUnk) Error() string {
	return fmt.Sprintf("character %q is not in the Unigram vocabulary and the model has no unk_id", e.char)
}

func (m *unigramModel) tokenize(word string, dst []token) ([]token, error) {
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
	dst, err := m.viterbi(word, dst)
	if err != nil {
		return dst[:start], err
	}
	if useCache {
		m.cache.put(word, dst[start:])
	}
	return dst, nil
}

func (m *unigramModel) viterbi(word string, dst []token) ([]token, error) {
	bp := viterbiPool.Get().(*[]viterbiNode)
	defer viterbiPool.Put(bp)
	if cap(*bp) < len(word)+1 {
		*bp = make([]viterbiNode, len(word)+1)
	}
	best := (*bp)[:len(word)+1]
	for i := range best {
		best[i] = viterbiNode{start: -1}
	}
	best[0].start = 0 // the library's root: score 0 (never a target)
	for at := 0; at < len(word); {
		base := best[at].score
		_, mblen := utf8.DecodeRuneInString(word[at:])
		hasSingle := false
		trie := &m.tries[m.partOf(word[at:])]
		node := int32(0)
		for k := at; k < len(word); k++ {
			if node = trie.child(node, word[k]); node < 0 {
				break
			}
			id := trie.leaf[node]
			if id < 0 {
				continue
			}
			end := k + 1
			cand := m.scores[id] + base
			if t := &best[end]; t.start < 0 || cand > t.score {
				*t = viterbiNode{score: cand, start: int32(at), id: id}
			}
			if end-at == mblen {
				hasSingle = true
			}
		}
		if !hasSingle {
			cand := m.unkScore + base
			if t := &best[at+mblen]; t.start < 0 || cand > t.score {
				if m.unkID < 0 {
					return dst, errUnigramNoUnk{word[at : at+mblen]}
				}
				*t = viterbiNode{score: cand, start: int32(at), id: m.unkID}
			}
		}
		at += mblen
	}
	// Walk back, fusing runs of unknowns, then reverse.
	first := len(dst)
	for end := len(word); end > 0; {
		n := best[end]
		if n.id == m.unkID && len(dst) > first && dst[len(dst)-1].id == m.unkID && dst[len(dst)-1].start == int32(end) {
			dst[len(dst)-1].start = n.start
		} else {
			dst = append(dst, token{n.id, n.start, int32(end)})
		}
		end = int(n.start)
	}
	for i, k := first, len(dst)-1; i < k; i, k = i+1, k-1 {
		dst[i], dst[k] = dst[k], dst[i]
	}
	// As the library's tokenize: a (fused) unknown is looked up as text, then split into
	// byte tokens, each covering the whole unknown, if every byte has one.
	for i := first; i < len(dst); i++ {
		t := dst[i]
		if t.id != m.unkID || m.unkID < 0 {
			continue
		}
		text := word[t.start:t.end]
		if id, ok := m.vocab.get(text); ok {
			dst[i].id = id
			continue
		}
		if !m.byteFallback {
			continue
		}
		ok := true
		for k := 0; k < len(text); k++ {
			if m.byteIDs[text[k]] < 0 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		rest := append([]token(nil), dst[i+1:]...)
		dst = dst[:i]
		for k := 0; k < len(text); k++ {
			dst = append(dst, token{m.byteIDs[text[k]], t.start, t.end})
		}
		i = len(dst) - 1
		dst = append(dst, rest...)
	}
	return dst, nil
}

// parseJSONFloat reads a JSON number as serde_json does without its float_roundtrip
// feature (the library's build): the decimal digits as an integer (digits beyond what a
// uint64 holds are dropped, the exponent adjusted), converted to float64, then one
// multiplication or division by a power of ten. That can differ from the correctly rounded
// value in the last bit, and Viterbi's ties depend on the exact bits.
func parseJSONFloat(s string) (float64, error) {
	f, n, err := readJSONFloat(s)
	if n >= 0 && n != len(s) {
		return 0, fmt.Errorf("trailing characters")
	}
	return f, err
}

// readJSONFloat is parseJSONFloat of the number at the start of s; it also returns where
// the number ends, or -1 with an error found before its end.
func readJSONFloat(s string) (float64, int, error) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, -1, fmt.Errorf("not a number")
	}
	var sig uint64
	exp := 0
	overflowed := false
	// A digit is appended to sig unless that overflows it; below sigSafe no digit can, so
	// the exact check runs only past it.
	const sigSafe = (math.MaxUint64 - 9) / 10
	const sigSafe8 = (math.MaxUint64 - 99999999) / 100000000 // the same for eight digits at once
	appendDigit := func(sig uint64, c byte) (uint64, bool) {
		d := uint64(c - '0')
		if sig > (math.MaxUint64-d)/10 {
			return sig, false
		}
		return sig*10 + d, true
	}
	if s[i] == '0' {
		i++
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			return 0, -1, fmt.Errorf("leading zero")
		}
	} else {
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if sig <= sigSafe && !overflowed {
				sig = sig*10 + uint64(s[i]-'0')
				continue
			}
			if !overflowed {
				var ok bool
				sig, ok = appendDigit(sig, s[i])
				overflowed = !ok
			}
			if overflowed {
				exp++
			}
		}
	}
	if i < len(s) && s[i] == '.' {
		// serde_json checks the fraction's digits for overflow afresh.
		i++
		overflowed = false
		n := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if sig <= sigSafe8 && !overflowed && i+8 <= len(s) {
				if v, ok := eightDigits(s[i : i+8]); ok {
					sig = sig*1e8 + v
					exp -= 8
					i += 7
					continue
				}
			}
			if sig <= sigSafe && !overflowed {
				sig = sig*10 + uint64(s[i]-'0')
				exp--
				continue
			}
			if !overflowed {
				var ok bool
				sig, ok = appendDigit(sig, s[i])
				overflowed = !ok
			}
			if !overflowed {
				exp--
			}
		}
		if i == n {
			return 0, -1, fmt.Errorf("no digit after the decimal point")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return 0, -1, fmt.Errorf("no digit in the exponent")
		}
		e := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if e > (math.MaxInt32-int(s[i]-'0'))/10 {
				if sig != 0 && !expNeg {
					return 0, -1, fmt.Errorf("number out of range")
				}
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					i++
				}
				if neg {
					return math.Copysign(0, -1), i, nil
				}
				return 0, i, nil
			}
			e = e*10 + int(s[i]-'0')
		}
		if expNeg {
			exp -= e
		} else {
			exp += e
		}
	}
	f := float64(sig)
	for {
		a := exp
		if a < 0 {
			a = -a
		}
		if a <= 308 {
			if exp >= 0 {
				f *= pow10[a]
				if math.IsInf(f, 0) {
					return 0, i, fmt.Errorf("number out of range")
				}
			} else {
				f /= pow10[a]
			}
			break
		}
		if f == 0 {
			break
		}
		if exp >= 0 {
			return 0, i, fmt.Errorf("number out of range")
		}
		f /= 1e308
		exp += 308
	}
	if neg {
		f = -f
	}
	return f, i, nil
}

// eightDigits reads s[:8] as a decimal number if those are eight digits (scores have about
// seventeen, and one at a time each waits for the previous multiplication).
func eightDigits(s string) (uint64, bool) {
	_ = s[7]
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	// Every byte is a digit if its high nibble is 3 and adding 6 keeps it so.
	const ones = 0x0101010101010101
	if x&(0xF0*ones) != 0x30*ones || (x+6*ones)&(0xF0*ones) != 0x30*ones {
		return 0, false
	}
	x -= 0x30 * ones
	// Pairs of digits, then fours, then all eight (the first digit is the lowest byte).
	x = (x*10 + x>>8) & (0x00FF00FF00FF00FF)
	x = (x*100 + x>>16) & (0x0000FFFF0000FFFF)
	x = (x*10000 + x>>32) & 0xFFFFFFFF
	return x, true
}

// pow10 holds 1e0 … 1e308, each correctly rounded (as Rust's literals are; math.Pow10
// multiplies two table entries for large powers).
var pow10 = func() (p [309]float64) {
	for i := range p {
		p[i], _ = strconv.ParseFloat("1e"+strconv.Itoa(i), 64)
	}
	return p
}()

func init() { registerModel("Unigram", parseUnigram) }
