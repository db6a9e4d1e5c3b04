package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncodeSentencePiece: any string encodes without panic through the SentencePiece
// families, offsets stay inside the text, and decoding gives back what the normalizer made
// of it: the text itself for the byte-fallback BPE files (▁ reads back as a space), the
// normalized text with its leading space dropped for the Unigram file with byte fallback.
func FuzzEncodeSentencePiece(f *testing.F) {
	for _, s := range []string{"", " ", "hello world", "  two  spaces ", "Cafe\u0301 ﬁ\u0301 ™\x1e", "\xff\xfe", "\x00\u200b\u00ad",
		"👨‍👩‍👧‍👦 ｶﾞ", "İı ß ς", strings.Repeat("x", 300), "日本語のテキスト", "▁a▁", "\t\r\n", "\u001eabc"} {
		f.Add(s)
	}
	names := []string{"unigram-bytefb", "xlmr-unigram", "llama2", "gemma3"}
	toks := make([]*Tokenizer, len(names))
	for i, n := range names {
		toks[i] = loadTestTokenizer(f, n)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, tok := range toks {
			enc, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true, MaxLength: 64, TruncateLeft: len(s)%2 == 0})
			if err != nil {
				t.Fatalf("%s: Encode(%q): %v", names[i], s, err)
			}
			if len(enc.IDs) > 64 || len(enc.IDs) != len(enc.Tokens) || len(enc.IDs) != len(enc.Offsets) {
				t.Fatalf("%s: Encode(%q): %d ids, %d tokens, %d offsets", names[i], s, len(enc.IDs), len(enc.Tokens), len(enc.Offsets))
			}
			for _, o := range enc.Offsets {
				if o[0] < 0 || o[0] > o[1] || o[1] > len(s) {
					t.Fatalf("%s: Encode(%q): offsets %v outside the text", names[i], s, o)
				}
			}
		}
		if !utf8.ValidString(s) || strings.Contains(s, "<") {
			return // invalid bytes became U+FFFD; added tokens may appear
		}
		for i, tok := range toks {
			if names[i] == "xlmr-unigram" {
				continue // no byte fallback: unknown characters decode as <unk>
			}
			full, err := tok.Encode(s, EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tok.Decode(full.IDs, false)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.ReplaceAll(s, "▁", " ")
			if names[i] == "unigram-bytefb" {
				n, _ := tok.normalizer.normalize(s)
				want = strings.TrimPrefix(strings.ReplaceAll(n, "▁", " "), " ")
			}
			if got != want {
				t.Fatalf("%s: Decode(Encode(%q)) = %q, want %q", names[i], s, got, want)
			}
		}
	})
}

// FuzzByteFallbackBPE: any word goes through the Llama 2 and Gemma 3 BPE models (byte
// fallback, fused unknowns) without panic, into tokens that cover it in order and spell it
// back, and cutting it before ▁ (tokenizeChunks) gives the tokens of the whole word.
func FuzzByteFallbackBPE(f *testing.F) {
	var models []*bpeModel
	for _, name := range []string{"llama2", "gemma3"} {
		models = append(models, loadTestTokenizer(f, name).model.(*bpeModel))
	}
	for _, s := range []string{"▁hello", "▁x\u0301y", "日本語", "\x00", "▁▁▁", strings.Repeat("ab", 200), "👨‍👩‍👧", "\U0010FFFD",
		"<b>▁</b>▁a>▁</", strings.Repeat("▁the▁cat>▁</▁▁x", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		if !utf8.ValidString(word) {
			return
		}
		for _, m := range models {
			checkBPEWord(t, m, word)
		}
	})
}

func checkBPEWord(t *testing.T, m *bpeModel, word string) {
	t.Helper()
	toks, err := m.tokenize(word, nil)
	if err != nil {
		t.Fatalf("tokenize(%q): %v", word, err)
	}
	var spelled []byte
	at := int32(0)
	for i, tk := range toks {
		if tk.start > at || tk.end <= tk.start || int(tk.end) > len(word) {
			t.Fatalf("tokenize(%q): token %d spans [%d,%d) after %d", word, i, tk.start, tk.end, at)
		}
		at = tk.end
		s, _ := m.idToToken(tk.id)
		if b, ok := byteToken(s); ok {
			spelled = append(spelled, b)
		} else {
			spelled = append(spelled, s...)
		}
	}
	if int(at) != len(word) || string(spelled) != word {
		t.Fatalf("tokenize(%q): tokens spell %q, cover up to %d", word, spelled, at)
	}
	if !m.splitsBeforeMetaspace() {
		t.Fatalf("the SentencePiece vocabulary is not cut before ▁")
	}
	whole, err := m.tokenizeUncached(word, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	chunked, err := m.tokenizeChunks(word, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != len(chunked) {
		t.Fatalf("%q: %d tokens whole, %d cut before ▁", word, len(whole), len(chunked))
	}
	for i := range whole {
		if whole[i] != chunked[i] {
			t.Fatalf("%q: token %d is %v whole, %v cut before ▁", word, i, whole[i], chunked[i])
		}
	}
}

// TestBPECutBeforeMetaspace: cutting long words before ▁ changes no token, on every golden
// text as the Llama 2 and Gemma 3 models see it (Gemma 3's ">" + "▁</" merge included).
func TestBPECutBeforeMetaspace(t *testing.T) {
	g := loadGolden(t, "gemma3")
	texts := []string{"<b>▁</b>>▁</x▁>▁</▁</", strings.Repeat("a>▁</b▁c", 100)}
	for _, c := range g.Cases {
		texts = append(texts, c.Text)
	}
	for _, name := range []string{"llama2", "gemma3"} {
		tok := loadTestTokenizer(t, name)
		m := tok.model.(*bpeModel)
		for _, s := range texts {
			if !utf8.ValidString(s) {
				continue
			}
			n, _ := tok.normalizer.normalize(s)
			checkBPEWord(t, m, n)
		}
	}
}
