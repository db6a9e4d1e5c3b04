package tokenizer

import (
	"encoding/json"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// bertNormalizer is the library's BertNormalizer, in its order: clean_text (drop NUL,
// U+FFFD and control characters, whitespace becomes a space), handle_chinese_chars (spaces
// around CJK ideographs), strip_accents (NFD, then drop nonspacing marks), lowercase (Rust's
// to_lowercase, which may expand). The character classes are the library's own
// (bert_tables.go, generated from it); NFD is the library's Unicode 9.0 one.
type bertNormalizer struct{ clean, chinese, strip, lower bool }

func init() {
	registerNormalizer("BertNormalizer", buildBertNormalizer)
	registerPreTokenizer("BertPreTokenizer", func(*Tokenizer, string) (preTokenizer, error) { return bertPreTokenizer{}, nil })
}

func buildBertNormalizer(_ *Tokenizer, raw string) (normalizer, error) {
	var c struct {
		Clean   *bool `json:"clean_text"`
		Chinese *bool `json:"handle_chinese_chars"`
		Strip   *bool `json:"strip_accents"`
		Lower   *bool `json:"lowercase"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	n := bertNormalizer{clean: orTrue(c.Clean), chinese: orTrue(c.Chinese), lower: orTrue(c.Lower)}
	n.strip = n.lower // null: follow lowercase
	if c.Strip != nil {
		n.strip = *c.Strip
	}
	return n, nil
}

// isBertChinese is the library's is_chinese_char: the CJK Unified Ideographs blocks it
// names (not Hangul, kana or the newer extensions).
func isBertChinese(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F, r >= 0x2B740 && r <= 0x2B81F, r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF, r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}

func (n bertNormalizer) normalize(s string) (string, *align) {
	if isASCII(s) {
		return n.normalizeASCII(s)
	}
	if out, al, ok := n.normalizeByChar(s); ok {
		return out, al
	}
	return n.normalizeInSteps(s)
}

// normalizeASCII: only clean_text (controls) and lowercase can change ASCII, byte for byte
// except for the dropped controls.
func (n bertNormalizer) normalizeASCII(s string) (string, *align) {
	changed, drops := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case n.clean && (c < 0x20 || c == 0x7F):
			if c == '\t' || c == '\n' || c == '\r' {
				changed = true
			} else {
				drops = true
			}
		case n.lower && 'A' <= c && c <= 'Z':
			changed = true
		}
	}
	if !changed && !drops {
		return s, nil
	}
	if drops {
		var b alignBuilder
		b.sb.Grow(len(s))
		for i := 0; i < len(s); i++ {
			c := s[i]
			if n.clean && (c < 0x20 || c == 0x7F) {
				if c != '\t' && c != '\n' && c != '\r' {
					continue
				}
				c = ' '
			}
			if n.lower && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			// One byte for one byte: the identity alignment, with the dropped bytes skipped.
			b.addIdentity(string(rune(c)), i)
		}
		return b.result()
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if n.clean && (c < 0x20 || c == 0x7F) {
			if c != '\t' && c != '\n' && c != '\r' {
				continue
			}
			c = ' '
		}
		if n.lower && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return string(buf), nil
}

// normalizeByChar does all four steps one source character at a time; every output
// character maps to the source character it came from, as the library's alignments do.
// This equals the library's whole-string NFD unless canonical reordering moves a character
// that strip_accents keeps (a non-starter that is not a nonspacing mark); then ok is false.
func (n bertNormalizer) normalizeByChar(s string) (string, *align, bool) {
	var b alignBuilder
	b.sb.Grow(len(s) + len(s)/4)
	var dec [32]rune
	var buf [64]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		src := s[i : i+size]
		at := i
		i += size
		if n.clean {
			if r == 0 || r == utf8.RuneError || (r >= 0x7F && unicode.Is(bertCleanRemoved, r)) || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
				continue
			}
			if r == '\t' || r == '\n' || r == '\r' || (r >= 0x80 && unicode.Is(bertCleanSpace, r)) {
				b.add(" ", at, i)
				continue
			}
		}
		if r < utf8.RuneSelf {
			c := byte(r)
			if n.lower && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.addIdentityAs(string(rune(c)), at) // one byte for one byte
			continue
		}
		cjk := n.chinese && isBertChinese(r)
		if cjk {
			b.add(" ", at, i)
		}
		rs := append(dec[:0], r)
		if n.strip {
			var ok bool
			if rs, ok = stripAccentsRune(src, r, dec[:0]); !ok {
				return "", nil, false
			}
		}
		out := buf[:0]
		for _, x := range rs {
			if !n.lower {
				out = utf8.AppendRune(out, x)
			} else if p, ok := lowerPatch[x]; ok {
				out = append(out, p...)
			} else {
				out = utf8.AppendRune(out, unicode.ToLower(x))
			}
		}
		if string(out) == src {
			b.addIdentityAs(src, at)
		} else if len(out) > 0 {
			b.add(string(out), at, i)
		}
		if cjk {
			b.add(" ", at, i)
		}
	}
	out, al := b.result()
	return out, al, true
}

// stripAccentsRune returns the NFD of r without nonspacing marks; ok is false when a kept
// character is a non-starter (canonical reordering could move it across characters).
func stripAccentsRune(src string, r rune, dst []rune) ([]rune, bool) {
	if !isAssigned9(r) {
		return append(dst, r), true // unassigned for the library's NFD: unchanged
	}
	d := norm.NFD.PropertiesString(src).Decomposition()
	if d == nil && r >= hangulSBase && r < hangulSBase+hangulSCount {
		d = []byte(norm.NFD.String(src))
	}
	if d == nil {
		d = []byte(src)
	}
	for k := 0; k < len(d); {
		x, n := utf8.DecodeRune(d[k:])
		k += n
		if unicode.Is(bertNonspacingMark, x) {
			continue
		}
		if norm.NFD.PropertiesString(string(x)).CCC() != 0 {
			return dst, false
		}
		dst = append(dst, x)
	}
	return dst, true
}

// normalizeInSteps runs the steps one after the other over the whole string, as the
// library does (used when canonical reordering matters).
func (n bertNormalizer) normalizeInSteps(s string) (string, *align) {
	first := bertNormalizer{clean: n.clean, chinese: n.chinese}
	out, al, _ := first.normalizeByChar(s)
	if n.strip {
		nfd, al2 := unicodeNormalizer{form: formNFD}.normalize(out)
		al = al.compose(al2)
		var b alignBuilder
		for i, x := range nfd {
			size := utf8.RuneLen(x)
			if !unicode.Is(bertNonspacingMark, x) {
				b.add(nfd[i:i+size], i, i+size)
			}
		}
		var al3 *align
		out, al3 = b.result()
		al = al.compose(al3)
	}
	if n.lower {
		var al4 *align
		out, al4 = lowercaseNormalizer{}.normalize(out)
		al = al.compose(al4)
	}
	return out, al
}

// bertPreTokenizer is the library's BertPreTokenizer: split on whitespace (dropped), then
// every punctuation character is a piece of its own.
type bertPreTokenizer struct{}

func (bertPreTokenizer) split(dst []piece, p piece) []piece {
	start := -1
	for i := 0; i < len(p.text); {
		c := p.text[i]
		var ws, punct bool
		size := 1
		if c < utf8.RuneSelf {
			ws = c == ' ' || (c >= '\t' && c <= '\r')
			punct = !ws && asciiPunct[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(p.text[i:])
			ws = unicode.Is(bertWhitespace, r)
			punct = !ws && unicode.Is(bertPunctuation, r)
		}
		if ws || punct {
			if start >= 0 {
				dst = append(dst, p.sub(start, i))
				start = -1
			}
			if punct {
				dst = append(dst, p.sub(i, i+size))
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	if start >= 0 {
		dst = append(dst, p.sub(start, len(p.text)))
	}
	return dst
}

// asciiPunct is Rust's is_ascii_punctuation (symbols such as $ + < = > ^ ` | ~ included).
var asciiPunct = func() (t [128]bool) {
	for _, c := range "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" {
		t[c] = true
	}
	return t
}()
