package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzEncode: any string encodes without panic, offsets stay inside the text, and for
// valid UTF-8 without added-token text, decoding gives back the NFC form of the text.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "hello world", "Cafe\u0301 ", "a\u0301\u0316 <|endoftext|>", "\xff\xfe", "\xe2\x82", "  \n\r\n x",
		"👨‍👩‍👧‍👦 ｶﾀｶﾅ", "it'S 'ſt", "\u1AC1\u0316", strings.Repeat("a", 300), "日本語のテキスト", "\u0000\u200b"} {
		f.Add(s)
	}
	tok := loadTestTokenizer(f, "qwen3-embedding")
	nfc := unicodeNormalizer{form: formNFC}
	f.Fuzz(func(t *testing.T, s string) {
		enc, err := tok.Encode(s, EncodeOptions{AddSpecialTokens: true, MaxLength: 64, TruncateLeft: len(s)%2 == 0})
		if err != nil {
			t.Fatalf("Encode(%q): %v", s, err)
		}
		if len(enc.IDs) > 64 || len(enc.IDs) != len(enc.Tokens) || len(enc.IDs) != len(enc.Offsets) {
			t.Fatalf("Encode(%q): %d ids, %d tokens, %d offsets", s, len(enc.IDs), len(enc.Tokens), len(enc.Offsets))
		}
		for _, o := range enc.Offsets {
			if o[0] < 0 || o[0] > o[1] || o[1] > len(s) {
				t.Fatalf("Encode(%q): offsets %v outside the text", s, o)
			}
		}
		full, err := tok.Encode(s, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(s) || strings.Contains(s, "<") {
			return // added tokens may appear; invalid bytes became U+FFFD
		}
		got, err := tok.Decode(full.IDs, false)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := nfc.normalize(s)
		if got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want NFC %q", s, got, want)
		}
		// Where Unicode 9.0 suffices and x/text's Stream-Safe rule cannot apply, the
		// library's NFC is x/text's.
		if old := func() bool {
			for _, r := range s {
				if r >= 0x300 && !isAssigned9(r) {
					return false
				}
			}
			return true
		}(); old && len(s) < 30 && norm.NFC.String(s) != want {
			t.Fatalf("NFC(%q) = %q, x/text says %q", s, want, norm.NFC.String(s))
		}
	})
}

// FuzzLoad: tokenizer.json is outside input; no content may panic the loader.
func FuzzLoad(f *testing.F) {
	f.Add(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}`)
	f.Add(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]]},"added_tokens":[{"id":3,"content":"<x>","special":true}],` +
		`"normalizer":{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"}]},` +
		`"pre_tokenizer":{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Removed","invert":false},` +
		`"post_processor":{"type":"TemplateProcessing","single":[{"Sequence":{"id":"A"}},{"SpecialToken":{"id":"<x>"}}],"special_tokens":{"<x>":{"ids":[3],"tokens":["<x>"]}}},` +
		`"decoder":{"type":"ByteLevel"}}`)
	f.Add(`{"model":{"vocab":{"\u00e9":0},"merges":[]}}`)
	// The library's field order: the merges are resolved while they are read.
	f.Add(`{"model":{"type":"BPE","continuing_subword_prefix":null,"vocab":{"a":0,"b":1,"ab":2,"\u00e9":3,"abab":4},"merges":[["a","b"],"ab ab"]}}`)
	f.Add(`{"model":{"type":"WordPiece"}}`)
	f.Add(`{"model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":5,"vocab":{"[UNK]":0,"a":1,"##b":2,"<x>":3}},` +
		`"normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},` +
		`"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"BertPreTokenizer"},{"type":"Digits","individual_digits":true},{"type":"Punctuation"}]},` +
		`"post_processor":{"type":"BertProcessing","sep":["<x>",3],"cls":["a",1]},"decoder":{"type":"WordPiece","prefix":"##","cleanup":true}}`)
	f.Add(`{"model":{"type":"WordPiece","vocab":{"a":0}},"normalizer":{"type":"Sequence","normalizers":[{"type":"Replace","pattern":{"Regex":"a+"},"content":"b"},` +
		`{"type":"Strip"},{"type":"Prepend","prepend":"_"},{"type":"StripAccents"}]},"pre_tokenizer":{"type":"Whitespace"},"decoder":{"type":"BPEDecoder"}}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Load(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, text := range []string{"", "ab a b", "<x>ab\u00e9", "\xff"} {
			enc, err := tok.Encode(text, EncodeOptions{AddSpecialTokens: true})
			if err == nil {
				_, _ = tok.Decode(enc.IDs, true)
			}
		}
	})
}

// FuzzWordPiece: all-MiniLM-L6-v2's BERT pipeline on any text and pair: no panic or error,
// offsets inside the text they index, type ids and masks as long as the ids, truncation
// respected; and decoding gives back the normalized text (spaces aside) when no word became
// [UNK] and the decoder's cleanup cannot rewrite words.
func FuzzWordPiece(f *testing.F) {
	for _, s := range []string{"", "Hello, world!", "Café naïve İstanbul", "中文 ｶﾀｶﾅ", "\u0000\ufffd\u200b\t\r\n", strings.Repeat("é", 120),
		"[CLS] x [SEP]", "##ing don't", "x\U0001D165\u0301y", "\xff\xfe a"} {
		f.Add(s, "pair text", uint8(len(s)))
	}
	tok := loadTestTokenizer(f, "minilm")
	f.Fuzz(func(t *testing.T, a, b string, n uint8) {
		opt := EncodeOptions{AddSpecialTokens: true, MaxLength: 3 + int(n%64), TruncateLeft: n%2 == 1, Strategy: TruncationStrategy(n % 3)}
		for _, pair := range []bool{false, true} {
			var enc Encoding
			var err error
			if pair {
				enc, err = tok.EncodePair(a, b, opt)
			} else {
				enc, err = tok.Encode(a, opt)
			}
			if errors.Is(err, ErrTruncation) {
				continue // OnlySecond without a pair, or a sequence too short to cut
			}
			if err != nil {
				t.Fatalf("Encode(%q, %q): %v", a, b, err)
			}
			if len(enc.IDs) > opt.MaxLength || len(enc.TypeIDs) != len(enc.IDs) || len(enc.SpecialTokensMask) != len(enc.IDs) || len(enc.Offsets) != len(enc.IDs) {
				t.Fatalf("Encode(%q, %q): %d ids, %d type ids, %d mask, %d offsets (max %d)", a, b, len(enc.IDs), len(enc.TypeIDs), len(enc.SpecialTokensMask), len(enc.Offsets), opt.MaxLength)
			}
			for i, o := range enc.Offsets {
				src := a
				if enc.TypeIDs[i] == 1 {
					src = b
				}
				if o[0] < 0 || o[0] > o[1] || o[1] > len(src) {
					t.Fatalf("Encode(%q, %q): offsets %v outside the text", a, b, o)
				}
			}
		}
		if !utf8.ValidString(a) || strings.Contains(a, "[") || strings.Contains(a, "#") {
			return // added tokens or ## in the text
		}
		enc, err := tok.Encode(a, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range enc.IDs {
			if id == 100 { // [UNK]
				return
			}
		}
		got, err := tok.Decode(enc.IDs, false)
		if err != nil {
			t.Fatal(err)
		}
		norm, _ := tok.normalizer.normalize(a)
		if strings.Contains(norm, "do not") || strings.Contains(norm, "'") {
			return // the cleanup rewrites these
		}
		squash := func(s string) string { return strings.Join(strings.FieldsFunc(s, isRustWhitespace), "") }
		if squash(got) != squash(norm) {
			t.Fatalf("Decode(Encode(%q)) = %q; normalized %q", a, got, norm)
		}
	})
}

// FuzzBertNormalizer: the one-character-at-a-time path agrees with the whole-string steps
// (text and alignment) wherever it applies; alignments stay inside the source.
func FuzzBertNormalizer(f *testing.F) {
	for _, s := range []string{"Café", "a\u0301\u0316x", "İı ß Σσς", "中\uf900𠀀", "\u0000a\u00ad\ufeff", "한국어", "x\u0f71\u0f72\u0f80"} {
		f.Add(s, uint8(15))
	}
	f.Fuzz(func(t *testing.T, s string, flags uint8) {
		s, _ = lossyUTF8(s) // the tokenizer hands normalizers valid UTF-8
		n := bertNormalizer{clean: flags&1 != 0, chinese: flags&2 != 0, strip: flags&4 != 0, lower: flags&8 != 0}
		out, al := n.normalize(s)
		for i := 0; i < len(out); i++ {
			if a, b := al.span(i, i+1); a < 0 || a > b || b > len(s) {
				t.Fatalf("%q: byte %d maps to [%d,%d)", s, i, a, b)
			}
		}
		if got, gal, ok := n.normalizeByChar(s); ok {
			want, wal := n.normalizeInSteps(s)
			if got != want {
				t.Fatalf("%q: by character %q, in steps %q", s, got, want)
			}
			for i, r := range got { // character by character: tokens cover whole characters
				size := utf8.RuneLen(r)
				a1, b1 := gal.span(i, i+size)
				a2, b2 := wal.span(i, i+size)
				if a1 != a2 || b1 != b2 {
					t.Fatalf("%q byte %d: by character [%d,%d), in steps [%d,%d)", s, i, a1, b1, a2, b2)
				}
			}
		}
	})
}

// FuzzLoadDir: vocab.txt, vocab.json, merges.txt and tokenizer_config.json are outside
// input; no content may panic the folder loader or the tokenizer it builds.
func FuzzLoadDir(f *testing.F) {
	f.Add("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n", "", "", `{"do_lower_case": false}`)
	f.Add("", `{"a":0,"b":1,"ab":2}`, "#version: 0.2\na b\n", `{"tokenizer_class": "GPT2Tokenizer"}`)
	f.Add("x\r\n[CLS]\n[SEP]\n[CLS]\n", "", "", `{"added_tokens_decoder": {"5": {"content": "<x>", "special": true}}, "padding_side": "left"}`)
	f.Add("[UNK]\n[CLS]\n[SEP]\n<s>\n</s>\nhello\n", "", "", `{"tokenizer_class": "LlamaTokenizerFast", "add_eos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>"}}`)
	f.Fuzz(func(t *testing.T, vocabTxt, vocabJSON, merges, config string) {
		dir := t.TempDir()
		write := func(name, content string) {
			if content != "" {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		write("vocab.txt", vocabTxt)
		write("vocab.json", vocabJSON)
		write("merges.txt", merges)
		write("tokenizer_config.json", config)
		tok, err := LoadDir(dir)
		if err != nil {
			return
		}
		for _, text := range []string{"", "hello worlds", "ab a b <x>", "\xff"} {
			enc, err := tok.EncodePair(text, "hello", EncodeOptions{AddSpecialTokens: true, MaxLength: 8})
			if err == nil {
				_, _ = tok.Decode(enc.IDs, true)
			}
		}
	})
}
