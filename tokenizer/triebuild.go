package tokenizer

import (
	"math/bits"
	"slices"
	"strings"
)

// Building a large vocabulary's byte trie token by token misses the cache once per node
// (a 250k vocabulary has 0.6M nodes in a table of 8 MB): most of the load time of a
// Unigram tokenizer. Built from the tokens in sorted order, it needs no lookups at all, and
// its table is filled in slot order.

// trieKey is a token while the trie is built: its first 16 bytes as two big-endian
// numbers (zero-padded, so they order like the token), its length and its id.
type trieKey struct {
	hi, lo uint64
	n, id  uint32
}

func newTrieKey(tok string, id uint32) trieKey {
	k := trieKey{n: uint32(len(tok)), id: id}
	if len(tok) >= 8 {
		k.hi = bigEndian8(tok)
		if len(tok) >= 16 {
			k.lo = bigEndian8(tok[8:])
		} else {
			k.lo = bigEndianShort(tok[8:])
		}
	} else {
		k.hi = bigEndianShort(tok)
	}
	return k
}

// bigEndian8 reads s[:8] as a big-endian number (one load where the machine allows it).
func bigEndian8(s string) uint64 {
	_ = s[7]
	return uint64(s[7]) | uint64(s[6])<<8 | uint64(s[5])<<16 | uint64(s[4])<<24 |
		uint64(s[3])<<32 | uint64(s[2])<<40 | uint64(s[1])<<48 | uint64(s[0])<<56
}

// bigEndianShort reads s, shorter than 8 bytes, as the top bytes of a big-endian number.
func bigEndianShort(s string) uint64 {
	var x uint64
	for i := 0; i < len(s); i++ {
		x |= uint64(s[i]) << (56 - 8*i)
	}
	return x
}

// byteAt returns the token's byte i (i < 16).
func (k *trieKey) byteAt(i int) byte {
	if i < 8 {
		return byte(k.hi >> (56 - 8*i))
	}
	return byte(k.lo >> (56 - 8*(i-8)))
}

// sortTrieKeys sorts keys by token, and a repeated token's keys by id: a radix sort by the
// first 8 bytes, 16 bits at a time, least significant first, then a comparison sort of each
// run that shares them. toks gives the token of an id.
func sortTrieKeys(keys []trieKey, toks func(id uint32) string) {
	if len(keys) == 0 {
		return
	}
	src, dst := keys, make([]trieKey, len(keys))
	// The four digits' counts, in one pass.
	counts := make([]int32, 4<<16)
	for i := range keys {
		h := keys[i].hi
		counts[uint16(h)]++
		counts[1<<16+int(uint16(h>>16))]++
		counts[2<<16+int(uint16(h>>32))]++
		counts[3<<16+int(uint16(h>>48))]++
	}
	for shift := uint(0); shift < 64; shift += 16 {
		start := counts[shift/16<<16:][:1<<16]
		if int(start[uint16(src[0].hi>>shift)]) == len(src) {
			continue // every token has these bytes
		}
		sum := int32(0)
		for b, n := range start {
			start[b] = sum
			sum += n
		}
		for i := range src {
			d := uint16(src[i].hi >> shift)
			dst[start[d]] = src[i]
			start[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	for lo := 0; lo < len(keys); {
		hi := lo + 1
		for hi < len(keys) && keys[hi].hi == keys[lo].hi {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(keys[lo:hi], func(a, b trieKey) int {
				if a.lo != b.lo {
					if a.lo < b.lo {
						return -1
					}
					return 1
				}
				if a.n != b.n && (a.n <= 16 || b.n <= 16) { // equal first 16 bytes: the shorter is first
					return int(a.n) - int(b.n)
				}
				if a.n > 16 {
					if c := strings.Compare(toks(a.id), toks(b.id)); c != 0 {
						return c
					}
				}
				return int(a.id) - int(b.id)
			})
		}
		lo = hi
	}
}

// trieBucket is the top 12 bits of byteTrie.hash's product: slots in increasing order
// have these in increasing order, for a table of any size.
func trieBucket(key uint64) uint64 { return (key * trieHashMul) >> (64 - trieBucketBits) }

const trieBucketBits = 12

// buildSorted adds the tokens of keys, sorted by sortTrieKeys, to an empty trie; a repeated
// token keeps its later id, as with insert. A token shares the nodes of the one before as
// far as their common prefix, and every byte after that is a new node; the edges are then
// put in the table in the order of their slots, so that the writes sweep the table. toks
// gives the token of an id; it is read only past the 16th byte. The table is made for the
// number of nodes once it is known, with insert's load factor (a guess made before would
// be too large or grown).
func (t *byteTrie) buildSorted(keys []trieKey, toks func(id uint32) string) {
	edges := make([]uint64, 0, cap(t.leaf)) // each edge as its slot: (node<<8 | byte) << 32 | child
	path := make([]int32, 1, 64)            // path[d]: the node after the previous token's first d bytes
	var prev trieKey
	prevTok := ""
	// The edges are put in the table sorted by their slot's top bits (whatever the table's
	// size, those are the hash product's top bits): counted here, placed by a counting sort.
	var start [1<<trieBucketBits + 1]int32
	for ki := range keys {
		k := &keys[ki]
		if k.n == 0 {
			continue // the library's trie never yields the empty token
		}
		// The common prefix with the previous token: from the keys as far as they go.
		var n int
		if x := k.hi ^ prev.hi; x != 0 {
			n = bits.LeadingZeros64(x) / 8
		} else if x := k.lo ^ prev.lo; x != 0 {
			n = 8 + bits.LeadingZeros64(x)/8
		} else {
			n = 16
		}
		n = min(n, int(k.n), int(prev.n))
		tok := ""
		if k.n > 16 {
			tok = toks(k.id)
			for n >= 16 && n < len(tok) && n < len(prevTok) && tok[n] == prevTok[n] {
				n++
			}
		}
		path = path[:n+1]
		node := path[n]
		for i := n; i < int(k.n); i++ {
			c := byte(0)
			if i < 16 {
				c = k.byteAt(i)
			} else {
				c = tok[i]
			}
			child := int32(len(t.leaf))
			t.leaf = append(t.leaf, -1)
			key := uint64(node)<<8 | uint64(c)
			edges = append(edges, key<<32|uint64(child))
			start[trieBucket(key)+1]++
			node = child
			path = append(path, node)
		}
		t.leaf[node] = int32(k.id)
		prev, prevTok = *k, tok
	}
	size, bits := 1024, uint(10)
	for 3*len(t.leaf) > 2*size {
		size, bits = size<<1, bits+1
	}
	if len(t.slots) != size {
		t.slots, t.mask, t.shift = make([]uint64, size), uint64(size-1), 64-bits
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	sorted := make([]uint64, len(edges))
	for _, e := range edges {
		b := trieBucket(e >> 32)
		sorted[start[b]] = e
		start[b]++
	}
	for _, e := range sorted {
		j := t.hash(e >> 32)
		for t.slots[j] != 0 {
			j = (j + 1) & t.mask
		}
		t.slots[j] = e
	}
}
