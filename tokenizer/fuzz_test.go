package tokenizer

import (
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
	f.Add(`{"model":{"type":"WordPiece"}}`)
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
