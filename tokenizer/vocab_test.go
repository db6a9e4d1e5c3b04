package tokenizer

import (
	"strings"
	"testing"
)

// sameVocab reports the first lookup where a and b differ: every id's token, every token's
// id and the lookups of probes.
func sameVocab(t *testing.T, a, b *vocabTable, toks, probes []string) {
	t.Helper()
	if a.size() != b.size() || a.maxID() != b.maxID() {
		t.Fatalf("size %d and %d, max id %d and %d", a.size(), b.size(), a.maxID(), b.maxID())
	}
	for id := range a.maxID() + 1 {
		x, okx := a.token(int32(id))
		y, oky := b.token(int32(id))
		if x != y || okx != oky {
			t.Fatalf("token(%d) = %q, %v and %q, %v", id, x, okx, y, oky)
		}
	}
	for _, tok := range append(toks, probes...) {
		x, okx := a.get(tok)
		y, oky := b.get(tok)
		if x != y || okx != oky {
			t.Fatalf("get(%q) = %d, %v and %d, %v", tok, x, okx, y, oky)
		}
	}
}

// TestBuildVocabLarge: Gemma 3's vocabulary, with two tokens listed again under new ids,
// indexes as it does one entry at a time.
func TestBuildVocabLarge(t *testing.T) {
	g := loadTestTokenizer(t, "gemma3").model.(*bpeModel)
	pool := &strPool{}
	var toks []string
	var entries []vocabEntry
	for id := 0; id <= g.vocab.maxID(); id++ {
		tok, _ := g.vocab.token(int32(id))
		toks = append(toks, tok)
		entries = append(entries, vocabEntry{pool.ref(tok, -1), int32(id)})
	}
	n := int32(len(entries))
	entries = append(entries, vocabEntry{pool.ref(toks[5], -1), n}, vocabEntry{pool.ref(toks[300000%len(toks)], -1), n + 1})
	probes := []string{"", "▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁", "not a token", toks[1000] + "x"}
	sameVocab(t, buildVocab(entries, pool, int(n+1)), buildVocabInOrder(entries, pool, int(n+1)), toks, probes)
}

// FuzzBuildVocab: any vocabulary (tokens split at '|', ids from the bytes after '#': each
// the id of one entry, repeats allowed) indexes the same both ways.
func FuzzBuildVocab(f *testing.F) {
	f.Add("a|b|a|abcdefgh|abcdefgh|x\x00|", "\x00\x01\x02\x03\x04")
	f.Add("dup|dup|dup", "\x02\x02\x05")
	f.Add("|a||a", "")
	f.Fuzz(func(t *testing.T, vocab, ids string) {
		toks := strings.Split(vocab, "|")
		if len(toks) > 300 {
			toks = toks[:300]
		}
		pool := &strPool{base: vocab}
		var entries []vocabEntry
		maxID := 0
		for i, tok := range toks {
			id := i
			if i < len(ids) {
				id = int(ids[i])
			}
			maxID = max(maxID, id)
			entries = append(entries, vocabEntry{pool.ref(tok, -1), int32(id)})
		}
		probes := []string{"", "zz", "abcdefghi"}
		sameVocab(t, buildVocab(entries, pool, maxID), buildVocabInOrder(entries, pool, maxID), toks, probes)
	})
}
