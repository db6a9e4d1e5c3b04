package tokenizer

import (
	"fmt"
	"strings"
	"testing"
)

// sortedTrie builds the trie of toks (ids: indices) as buildTries does.
func sortedTrie(toks []string) byteTrie {
	keys := make([]trieKey, 0, len(toks))
	for i, s := range toks {
		if s != "" {
			keys = append(keys, newTrieKey(s, uint32(i)))
		}
	}
	get := func(id uint32) string { return toks[id] }
	sortTrieKeys(keys, get)
	t := newByteTrie(len(toks) + 1)
	t.buildSorted(keys, get)
	return t
}

// insertedTrie builds it one token at a time.
func insertedTrie(toks []string) byteTrie {
	t := newByteTrie(len(toks) + 1)
	for i, s := range toks {
		t.insert(s, int32(i))
	}
	return t
}

// sameTrie reports how a and b differ as tries (node numbering aside), visiting every byte
// of every node: for small tries.
func sameTrie(a, b *byteTrie) error {
	if len(a.leaf) != len(b.leaf) {
		return fmt.Errorf("%d nodes and %d", len(a.leaf), len(b.leaf))
	}
	type pair struct {
		x, y int32
		path string
	}
	stack := []pair{{0, 0, ""}}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if a.leaf[p.x] != b.leaf[p.y] {
			return fmt.Errorf("%q: id %d and %d", p.path, a.leaf[p.x], b.leaf[p.y])
		}
		for c := range 256 {
			x, y := a.child(p.x, byte(c)), b.child(p.y, byte(c))
			if (x < 0) != (y < 0) {
				return fmt.Errorf("%q: edge %#x in one trie only", p.path, c)
			}
			if x >= 0 {
				stack = append(stack, pair{x, y, p.path + string(rune(c))})
			}
		}
	}
	return nil
}

// TestTrieBuildSorted: the trie built from the sorted tokens is the one built token by
// token, in the cases the sort and the shared-prefix walk could get wrong.
func TestTrieBuildSorted(t *testing.T) {
	long := strings.Repeat("▁abcdefgh", 3) // 30 bytes
	for _, tc := range []struct {
		name string
		toks []string
	}{
		{"empty vocabulary", nil},
		{"empty token", []string{"", "a", ""}},
		{"repeated token keeps the later id", []string{"ab", "a", "ab", "b", "ab"}},
		{"prefix chain", []string{"abc", "a", "abcd", "ab"}},
		{"zero bytes equal to the padding", []string{"a\x00", "a", "a\x00\x00", "\x00", "a\x00b"}},
		{"zero bytes past 16", []string{"0123456789abcdef", "0123456789abcdef\x00", "0123456789abcdef\x00\x00x"}},
		{"8-byte boundary", []string{"12345678", "1234567", "123456789", "12345679", "1234567\xff"}},
		{"16-byte boundary", []string{"0123456789abcdef", "0123456789abcde", "0123456789abcdeg", "0123456789abcdefg"}},
		{"long tokens that differ late", []string{long + "x", long, long + "a", long[:17], long + "x", long[:16] + "z"}},
		{"high bytes", []string{"\xff\xff", "\xff", "\x80", "\xff\x00", "▁", "▁▁", "▁a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, i := sortedTrie(tc.toks), insertedTrie(tc.toks)
			if err := sameTrie(&s, &i); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTrieBuildSortedLarge: the same for Gemma 3's 262k tokens, compared by node count
// and by every token's path (both tries hold exactly the tokens' prefixes).
func TestTrieBuildSortedLarge(t *testing.T) {
	g := loadTestTokenizer(t, "gemma3").model.(*bpeModel)
	var toks []string
	for id := 0; id <= g.vocab.maxID(); id++ {
		tok, _ := g.vocab.token(int32(id))
		toks = append(toks, tok)
	}
	toks = append(toks, toks[1000], toks[77]) // repeated: the later id wins
	s, i := sortedTrie(toks), insertedTrie(toks)
	if len(s.leaf) != len(i.leaf) || len(s.leaf) < len(toks) {
		t.Fatalf("%d nodes and %d for %d tokens", len(s.leaf), len(i.leaf), len(toks))
	}
	for _, tok := range toks {
		x, y := int32(0), int32(0)
		for k := 0; k < len(tok) && x >= 0 && y >= 0; k++ {
			x, y = s.child(x, tok[k]), i.child(y, tok[k])
		}
		if x < 0 || y < 0 || s.leaf[x] != i.leaf[y] {
			t.Fatalf("%q: node %d and %d", tok, x, y)
		}
	}
	if id := i.leaf[nodeOf(&i, toks[1000])]; id != int32(len(toks)-2) {
		t.Fatalf("repeated token has id %d", id)
	}
}

func nodeOf(t *byteTrie, tok string) int32 {
	n := int32(0)
	for k := 0; k < len(tok) && n >= 0; k++ {
		n = t.child(n, tok[k])
	}
	return n
}

// FuzzTrieBuildSorted: any list of tokens (the input split at '|') gives the same trie
// both ways.
func FuzzTrieBuildSorted(f *testing.F) {
	for _, s := range []string{"", "a|ab|a", "a\x00|a|\x00", "0123456789abcdefX|0123456789abcdef|0123456789abcdefXY|0123456789abcdefX", "▁a|▁|▁ab|b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := strings.Split(s, "|")
		if len(toks) > 200 {
			toks = toks[:200]
		}
		a, b := sortedTrie(toks), insertedTrie(toks)
		if err := sameTrie(&a, &b); err != nil {
			t.Fatalf("%q: %v", toks, err)
		}
	})
}
