package tokenizer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestMergeResolutionPaths loads one BPE model with its fields in the library's order
// (merges resolved while they are read, in several chunks) and with the merges first
// (resolved after reading): both must hold every merge at its rank and merged id, and
// encode alike.
func TestMergeResolutionPaths(t *testing.T) {
	var toks []string
	ids := map[string]int{}
	add := func(tok string) { ids[tok] = len(toks); toks = append(toks, tok) }
	for c := 'a'; c <= 'z'; c++ {
		add(string(c))
	}
	add("é") // two bytes, and an escaped token below
	add("\n")
	type merge struct{ left, right string }
	var merges []merge
	seen := map[merge]bool{}
	x := uint32(1)
	next := func() int { x = x*1664525 + 1013904223; return int(x >> 8) }
	for len(merges) < 3*mergeChunk+5 {
		mg := merge{toks[next()%len(toks)], toks[next()%len(toks)]}
		if seen[mg] || len(mg.left)+len(mg.right) > 24 {
			continue
		}
		seen[mg] = true
		if _, ok := ids[mg.left+mg.right]; !ok {
			add(mg.left + mg.right)
		}
		merges = append(merges, mg)
	}
	var vocabJSON, mergesJSON strings.Builder
	for i, tok := range toks {
		q, _ := json.Marshal(tok)
		fmt.Fprintf(&vocabJSON, "%s%s: %d", map[bool]string{true: "", false: ",\n    "}[i == 0], q, i)
	}
	for i, mg := range merges {
		l, _ := json.Marshal(mg.left)
		r, _ := json.Marshal(mg.right)
		if i%2 == 0 {
			fmt.Fprintf(&mergesJSON, "%s[\n      %s,\n      %s\n    ]", map[bool]string{true: "", false: ","}[i == 0], l, r)
		} else {
			q, _ := json.Marshal(mg.left + " " + mg.right)
			fmt.Fprintf(&mergesJSON, ",%s", q)
		}
	}
	vocab, mergeList := "{"+vocabJSON.String()+"}", "["+mergesJSON.String()+"]"
	files := map[string]string{
		"library order": `{"model": {"type": "BPE", "continuing_subword_prefix": null, "vocab": ` + vocab + `, "merges": ` + mergeList + `}}`,
		"merges first":  `{"model": {"merges": ` + mergeList + `, "type": "BPE", "vocab": ` + vocab + `}}`,
	}
	texts := []string{"", "a", "abcabcabc", "éé\nzzyx", strings.Repeat("qwertyuiopasdfghjkl", 7)}
	var want [][]int
	for _, name := range []string{"library order", "merges first"} {
		tok, err := Load(strings.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := tok.model.(*bpeModel)
		for rank, mg := range merges {
			r, id, ok := m.merges.get(int32(ids[mg.left]), int32(ids[mg.right]))
			if !ok || int(r) != rank || int(id) != ids[mg.left+mg.right] {
				t.Fatalf("%s: merges[%d] %q: rank %d id %d (%v), want rank %d id %d", name, rank, mg, r, id, ok, rank, ids[mg.left+mg.right])
			}
		}
		for i, s := range texts {
			enc, err := tok.Encode(s, EncodeOptions{})
			if err != nil {
				t.Fatalf("%s: %q: %v", name, s, err)
			}
			if want == nil || len(want) <= i {
				want = append(want, enc.IDs)
			} else if !slices.Equal(enc.IDs, want[i]) {
				t.Errorf("%s: %q: ids %v, the other order gave %v", name, s, enc.IDs, want[i])
			}
		}
	}
}

// TestVocabLookup checks the vocabulary index on tokens around the packed-slot length,
// the empty token, and a token listed twice (the later id wins; the earlier has no token).
func TestVocabLookup(t *testing.T) {
	toks := []string{"", "a", "abcdefg", "abcdefgh", "abcdefghijklmnop", "▁", "▁▁▁", "x\x00", "dup"}
	var entries []vocabEntry
	pool := &strPool{}
	for i, tok := range toks {
		entries = append(entries, vocabEntry{pool.ref(tok, -1), int32(i)})
	}
	entries = append(entries, vocabEntry{pool.ref("dup", -1), int32(len(toks))})
	v := buildVocab(entries, pool, len(toks))
	for i, tok := range toks {
		want := int32(i)
		if tok == "dup" {
			want = int32(len(toks))
		}
		if got, ok := v.get(tok); !ok || got != want {
			t.Errorf("get(%q) = %d, %v; want %d", tok, got, ok, want)
		}
	}
	if _, ok := v.token(int32(slices.Index(toks, "dup"))); ok {
		t.Errorf("the first id of a token listed twice still has a token")
	}
	for _, tok := range []string{"b", "abcdef", "abcdefgi", "abcdefghi", "x", "x\x00\x00", "▁▁", "du"} {
		if id, ok := v.get(tok); ok {
			t.Errorf("get(%q) = %d, want absent", tok, id)
		}
	}
}
