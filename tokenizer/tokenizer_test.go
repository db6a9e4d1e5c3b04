package tokenizer

import (
	"context"
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// Rust's String::from_utf8_lossy replaces each maximal prefix of an invalid sequence by
// one U+FFFD (the cases of the Rust documentation and of Unicode's "best practice").
func TestLossyUTF8(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"hello", "hello"},
		{"Hello \xF0\x90\x80World", "Hello \uFFFDWorld"},
		{"\xE2\x82", "\uFFFD"},
		{"\xC0\x80", "\uFFFD\uFFFD"},
		{"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"\xE0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xF0\x9F\x98", "\uFFFD"},
		{"\xF0\x9F\x98x", "\uFFFDx"},
		{"a\x80b\xFF", "a\uFFFDb\uFFFD"},
		{"\xE2\x82\xAC\xE2\x82", "€\uFFFD"},
		{"\uFFFD", "\uFFFD"},
	} {
		got, al := lossyUTF8(c.in)
		if got != c.want {
			t.Errorf("lossyUTF8(%q) = %q, want %q", c.in, got, c.want)
		}
		if s, e := al.span(0, len(got)); s != 0 || e != len(c.in) {
			t.Errorf("lossyUTF8(%q): alignment covers [%d,%d), want [0,%d)", c.in, s, e, len(c.in))
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	tok := loadTestTokenizer(t, "qwen3-embedding")
	in := "ok \xE2\x82 fine\xFF"
	enc, err := tok.Encode(in, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clean, _ := tok.Encode("ok \uFFFD fine\uFFFD", EncodeOptions{})
	if !reflect.DeepEqual(enc.IDs, clean.IDs) {
		t.Errorf("ids %v, want those of the U+FFFD text %v", enc.IDs, clean.IDs)
	}
	last := enc.Offsets[len(enc.Offsets)-1]
	if last[1] != len(in) {
		t.Errorf("offsets %v do not end at len(text) %d", enc.Offsets, len(in))
	}
}

func TestEncodeBatchMatchesEncode(t *testing.T) {
	tok := loadTestTokenizer(t, "qwen3-embedding")
	g := loadGolden(t, "qwen3-embedding")
	var texts []string
	for _, c := range g.Cases {
		texts = append(texts, c.Text)
	}
	opt := EncodeOptions{AddSpecialTokens: true, MaxLength: 100, TruncateLeft: true}
	encs, err := tok.EncodeBatch(context.Background(), texts, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		one, _ := tok.Encode(s, opt)
		if !reflect.DeepEqual(one, encs[i]) {
			t.Fatalf("text %d: batch and single encodings differ", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tok.EncodeBatch(ctx, texts, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled batch: err %v", err)
	}
}

func TestTruncationAndPadding(t *testing.T) {
	tok := loadTestTokenizer(t, "qwen3-embedding")
	if tok.PadID() != 151643 || tok.VocabSize() != 151669 || tok.SpecialTokensCount() != 1 {
		t.Fatalf("PadID %d VocabSize %d SpecialTokensCount %d", tok.PadID(), tok.VocabSize(), tok.SpecialTokensCount())
	}
	text := "one two three four five six"
	full, _ := tok.Encode(text, EncodeOptions{AddSpecialTokens: true})
	for _, left := range []bool{false, true} {
		enc, err := tok.Encode(text, EncodeOptions{AddSpecialTokens: true, MaxLength: 4, TruncateLeft: left})
		if err != nil {
			t.Fatal(err)
		}
		if len(enc.IDs) != 4 || enc.IDs[3] != 151643 || !enc.Truncated || enc.OriginalLength != len(full.IDs) {
			t.Errorf("left %v: %v truncated %v original %d", left, enc.IDs, enc.Truncated, enc.OriginalLength)
		}
		want := full.IDs[:3]
		if left {
			want = full.IDs[len(full.IDs)-4 : len(full.IDs)-1]
		}
		if !reflect.DeepEqual(enc.IDs[:3], want) {
			t.Errorf("left %v: kept %v, want %v", left, enc.IDs[:3], want)
		}
	}
	if enc, _ := tok.Encode(text, EncodeOptions{AddSpecialTokens: true, MaxLength: 100}); enc.Truncated {
		t.Error("short text reported truncated")
	}
	if _, err := tok.Encode(text, EncodeOptions{AddSpecialTokens: true, MaxLength: -1}); err == nil {
		t.Error("negative MaxLength accepted")
	}
	a, _ := tok.Encode("a", EncodeOptions{AddSpecialTokens: true})
	ids, mask, err := tok.Pad([]Encoding{a, full}, Padding{Left: true, Multiple: 4})
	if err != nil {
		t.Fatal(err)
	}
	n := len(ids[0])
	if n%4 != 0 || n < len(full.IDs) || ids[0][0] != 151643 || mask[0][0] != 0 || mask[0][n-1] != 1 || ids[0][n-1] != 151643 {
		t.Errorf("padded %v mask %v", ids[0], mask[0])
	}
}

func TestDecodeSpecial(t *testing.T) {
	tok := loadTestTokenizer(t, "qwen3-embedding")
	enc, _ := tok.Encode("hi<|im_start|><think>", EncodeOptions{AddSpecialTokens: true})
	all, _ := tok.Decode(enc.IDs, false)
	skip, _ := tok.Decode(enc.IDs, true)
	if all != "hi<|im_start|><think><|endoftext|>" || skip != "hi<think>" {
		t.Errorf("decode %q / skipping special %q", all, skip)
	}
	if !tok.IsSpecial(151643) || tok.IsSpecial(151667) {
		t.Error("IsSpecial")
	}
	if _, err := tok.Decode([]int{-1}, false); err == nil {
		t.Error("negative id accepted")
	}
}

// The short-word merge loop and the priority queue must agree (the library uses the queue).
func TestMergeLoopsAgree(t *testing.T) {
	tok := loadTestTokenizer(t, "qwen3")
	m := tok.model.(*bpeModel)
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", "e", "t", "h", " ", "in", "er", "日", "本", "é", "\n", "!", "0"}
	for range 3000 {
		var sb strings.Builder
		for range 1 + rng.Intn(40) {
			sb.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		w := sb.String()
		mk := func() []symbol {
			syms := make([]symbol, len(w))
			for i := range syms {
				syms[i] = symbol{id: m.byteIDs[w[i]], start: int32(i), end: int32(i + 1), prev: int32(i - 1), next: int32(i + 1)}
			}
			syms[len(syms)-1].next = -1
			return syms
		}
		collect := func(syms []symbol) (ids []int32) {
			for i := int32(0); i >= 0; i = syms[i].next {
				ids = append(ids, syms[i].id)
			}
			return ids
		}
		if len(w) > 48 {
			continue
		}
		a, b := mk(), mk()
		m.mergeSmall(a)
		m.mergeHeap(b)
		if !reflect.DeepEqual(collect(a), collect(b)) {
			t.Fatalf("%q: small %v, heap %v", w, collect(a), collect(b))
		}
	}
}

func TestLoadErrors(t *testing.T) {
	model := `"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}`
	for _, c := range []struct{ json, want string }{
		{`{` + model + `,"normalizer":{"type":"Nope"}}`, `normalizer: type "Nope" is not supported`},
		{`{` + model + `,"pre_tokenizer":{"type":"Nope"}}`, `pre_tokenizer: type "Nope" is not supported`},
		{`{` + model + `,"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Nope"}]}}`, `pretokenizers[0]: type "Nope"`},
		{`{` + model + `,"post_processor":{"type":"Foo"}}`, `post_processor: type "Foo" is not supported`},
		{`{` + model + `,"decoder":{"type":"Nope"}}`, `decoder: type "Nope" is not supported`},
		{`{"model":{"type":"Nope","vocab":{}}}`, `model type "Nope" is not supported`},
		{`{"model":{"type":"BPE","dropout":0.1,"vocab":{"a":0},"merges":[]}}`, `dropout`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":["a c"]}}`, `merges[0] "a c": token not in the vocabulary`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":["ac"]}}`, `merges[0]`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"unk_token":"<unk>"}}`, `unk_token "<unk>"`},
		{`{"model":{"type":"BPE","vocab":{"a":99999999},"merges":[]}}`, `ids must be dense`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}`, `unexpected end`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}} x`, `data after`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}, "pre_tokenizer":{"type":"Split","pattern":{"Regex":"(("},"behavior":"Isolated"}}`, `split regex`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}, "pre_tokenizer":{"type":"Split","pattern":{"String":"x"},"behavior":"Nope"}}`, `behavior "Nope"`},
		{`{}`, `no "model"`},
		// With continuing_subword_prefix before the merges, they are resolved while read.
		{`{"model":{"type":"BPE","continuing_subword_prefix":null,"vocab":{"a":0},"merges":["a c"]}}`, `merges[0] "a c": token not in the vocabulary`},
		{`{"model":{"type":"BPE","continuing_subword_prefix":null,"vocab":{"a":0,"b":1},"merges":["a b"]}}`, `merged token "ab" not in the vocabulary`},
		{`{"model":{"type":"BPE","continuing_subword_prefix":null,"vocab":{"a":99999999},"merges":[]}}`, `ids must be dense`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"vocab":{"a":0},"merges":[]}}`, `duplicate field "vocab"`},
		{`{"model":{"type":"BPE","continuing_subword_prefix":null,"vocab":{"a":0},"merges":[],"merges":[]}}`, `duplicate field "merges"`},
	} {
		_, err := Load(strings.NewReader(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.json, err, c.want)
		}
	}
}

func TestUnknownCharacterIsAnError(t *testing.T) {
	tok, err := Load(strings.NewReader(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if enc, err := tok.Encode("abab", EncodeOptions{}); err != nil || !reflect.DeepEqual(enc.IDs, []int{2}) && !reflect.DeepEqual(enc.IDs, []int{2, 2}) {
		t.Errorf("abab: %v %v", enc.IDs, err)
	}
	if _, err := tok.Encode("abc", EncodeOptions{}); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("unknown character without unk_token: err %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	if _, err := LoadFile("does/not/exist/tokenizer.json"); err == nil || !strings.Contains(err.Error(), "does/not/exist") {
		t.Errorf("missing file: %v", err)
	}
	tok := loadTestTokenizer(t, "qwen3")
	if tok.PadID() != -1 || tok.ModelMaxLength() != 0 {
		t.Errorf("qwen3 without tokenizer_config.json: PadID %d ModelMaxLength %d", tok.PadID(), tok.ModelMaxLength())
	}
	if id, ok := tok.TokenToID("<|endoftext|>"); !ok || id != 151643 {
		t.Errorf("TokenToID: %d %v", id, ok)
	}
	if s, ok := tok.IDToToken(151667); !ok || s != "<think>" {
		t.Errorf("IDToToken: %q %v", s, ok)
	}
}

func TestEncodePairBatchMatchesEncodePair(t *testing.T) {
	tok := loadTestTokenizer(t, "minilm")
	g := loadGolden(t, "minilm")
	var pairs [][2]string
	for i, c := range g.Cases {
		pairs = append(pairs, [2]string{c.Text, g.Cases[(i*7+1)%len(g.Cases)].Text})
	}
	opt := EncodeOptions{AddSpecialTokens: true, MaxLength: 64, Strategy: LongestFirst}
	encs, err := tok.EncodePairBatch(context.Background(), pairs, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		one, err := tok.EncodePair(p[0], p[1], opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, encs[i]) {
			t.Fatalf("pair %d: batch and single encodings differ", i)
		}
	}
	if tok.SpecialTokensCount() != 2 || tok.SpecialTokensCountPair() != 3 {
		t.Errorf("special tokens: %d single, %d pair; want 2, 3", tok.SpecialTokensCount(), tok.SpecialTokensCountPair())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tok.EncodePairBatch(ctx, pairs, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled batch: err %v", err)
	}
}

func TestFileTruncationMiniLM(t *testing.T) {
	tok := loadTestTokenizer(t, "minilm")
	ft := tok.FileTruncation()
	if ft == nil || ft.MaxLength != 128 || ft.TruncateLeft || ft.Strategy != LongestFirst {
		t.Fatalf("FileTruncation = %+v, want max 128, right, LongestFirst", ft)
	}
	if tok.PadID() != 0 || tok.PadToken() != "[PAD]" || tok.VocabSize() != 30522 {
		t.Errorf("PadID %d PadToken %q VocabSize %d", tok.PadID(), tok.PadToken(), tok.VocabSize())
	}
}
