package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// The split patterns of GPT-2, Llama 3 and Qwen2/Qwen3 need look-ahead and Unicode \s,
// which Go's regexp lacks. They are recognised by their exact text and run by hand-written
// scanners with the semantics of the library's backtracking (Oniguruma) engine:
// alternatives are tried in order at the current position, quantifiers are greedy and give
// characters back only as far as the rest of the alternative needs. Any other pattern goes
// to dlclark/regexp2.

const (
	patternQwen   = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patternLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patternGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

// matcher calls fn for each successive non-overlapping match in s, leftmost first.
type matcher interface {
	findAll(s string, fn func(start, end int))
}

func newMatcher(pattern string, isRegex bool) (matcher, error) {
	if !isRegex {
		return literalMatcher(pattern), nil
	}
	switch pattern {
	case patternQwen:
		return qwenScanner{maxDigits: 1}, nil
	case patternLlama3:
		return qwenScanner{maxDigits: 3}, nil
	case patternGPT2:
		return gpt2Scanner{}, nil
	}
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("split regex %q: %w", pattern, err)
	}
	return &regexMatcher{re: re}, nil
}

// runeAt decodes the (valid UTF-8) rune at s[i] and its class bits.
func runeAt(s string, i int) (r rune, n int, cls uint8) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1, asciiClass[c]
	}
	r, n = utf8.DecodeRuneInString(s[i:])
	return r, n, runeClass(r)
}

var asciiClass = func() (t [128]uint8) {
	for c := range t {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = clsLetter
		case c >= '0' && c <= '9':
			t[c] = clsNumber
		case c == ' ' || (c >= '\t' && c <= '\r'):
			t[c] = clsSpace
		}
	}
	return t
}()

const clsLNS = clsLetter | clsNumber | clsSpace

// run returns the end of the longest run starting at i of runes whose class has a bit of want
// (or, with none, has no bit of LNS).
func run(s string, i int, want uint8) int {
	for i < len(s) {
		_, n, cls := runeAt(s, i)
		if want == 0 {
			if cls&clsLNS != 0 {
				break
			}
		} else if cls&want == 0 {
			break
		}
		i += n
	}
	return i
}

// whitespace handles the shared tail of the patterns at a whitespace rune:
// \s*[\r\n]+ (when withNewline), then \s+(?!\S), then \s+.
func whitespace(s string, i int, withNewline bool) int {
	end := run(s, i, clsSpace)
	if withNewline {
		// \s* takes the whole run, then gives back until [\r\n]+ can match: the match
		// ends after the last CR or LF of the run. (Multi-byte spaces never contain
		// the bytes \r or \n.)
		for k := end - 1; k >= i; k-- {
			if s[k] == '\r' || s[k] == '\n' {
				return k + 1
			}
		}
	}
	if end == len(s) {
		return end
	}
	// \s+(?!\S): give back the last whitespace rune so a non-space follows the match.
	_, last := utf8.DecodeLastRuneInString(s[i:end])
	if end-last > i {
		return end - last
	}
	return end
}

// contraction matches 's|'t|'re|'ve|'m|'ll|'d after the apostrophe at s[i-1]; fold makes
// it case-insensitive the way the regex engine folds: S, s and ſ (U+017F) are all "s".
func contraction(s string, i int, fold bool) int {
	if i >= len(s) {
		return -1
	}
	lower := func(c byte) byte {
		if fold && c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return c
	}
	c := lower(s[i])
	switch c {
	case 's', 't', 'm', 'd':
		return i + 1
	case 'r', 'v':
		if i+1 < len(s) && lower(s[i+1]) == 'e' {
			return i + 2
		}
	case 'l':
		if i+1 < len(s) && lower(s[i+1]) == 'l' {
			return i + 2
		}
	case 0xC5:
		if fold && i+1 < len(s) && s[i+1] == 0xBF { // ſ U+017F
			return i + 2
		}
	}
	return -1
}

// qwenScanner runs the Qwen2/Qwen3 pattern (maxDigits 1) and the Llama 3 one (maxDigits 3).
type qwenScanner struct{ maxDigits int }

func (q qwenScanner) findAll(s string, fn func(start, end int)) {
	for i := 0; i < len(s); {
		e := q.matchAt(s, i)
		fn(i, e)
		i = e
	}
}

func (q qwenScanner) matchAt(s string, i int) int {
	c, n, cls := runeAt(s, i)
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if c == '\'' {
		if e := contraction(s, i+1, true); e > 0 {
			return e
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if cls&clsLetter != 0 {
		return run(s, i+n, clsLetter)
	}
	if c != '\r' && c != '\n' && cls&clsNumber == 0 && i+n < len(s) {
		if _, n2, cls2 := runeAt(s, i+n); cls2&clsLetter != 0 {
			return run(s, i+n+n2, clsLetter)
		}
	}
	// \p{N} or \p{N}{1,3}
	if cls&clsNumber != 0 {
		j := i + n
		for k := 1; k < q.maxDigits && j < len(s); k++ {
			_, n2, cls2 := runeAt(s, j)
			if cls2&clsNumber == 0 {
				break
			}
			j += n2
		}
		return j
	}
	// ` ?[^\s\p{L}\p{N}]+[\r\n]*`
	j := i
	if c == ' ' {
		j = i + 1
	}
	if j < len(s) {
		if _, _, cls2 := runeAt(s, j); cls2&clsLNS == 0 {
			j = run(s, j, 0)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
	}
	if cls&clsSpace != 0 {
		return whitespace(s, i, true)
	}
	return i + n // unreachable: every rune is a letter, number, space or other
}

// gpt2Scanner runs the GPT-2 pattern (also ByteLevel's use_regex).
type gpt2Scanner struct{}

func (gpt2Scanner) findAll(s string, fn func(start, end int)) {
	for i := 0; i < len(s); {
		e := gpt2MatchAt(s, i)
		fn(i, e)
		i = e
	}
}

func gpt2MatchAt(s string, i int) int {
	c, n, cls := runeAt(s, i)
	if c == '\'' {
		if e := contraction(s, i+1, false); e > 0 {
			return e
		}
	}
	j := i
	if c == ' ' && i+1 < len(s) {
		j = i + 1
	}
	_, n2, cls2 := runeAt(s, j)
	switch {
	case cls2&clsLetter != 0:
		return run(s, j+n2, clsLetter)
	case cls2&clsNumber != 0:
		return run(s, j+n2, clsNumber)
	case cls2&clsLNS == 0:
		return run(s, j+n2, 0)
	}
	if cls&clsSpace != 0 {
		return whitespace(s, i, false)
	}
	return i + n
}

type literalMatcher string

func (l literalMatcher) findAll(s string, fn func(start, end int)) {
	if l == "" {
		return
	}
	for from := 0; ; {
		k := strings.Index(s[from:], string(l))
		if k < 0 {
			return
		}
		fn(from+k, from+k+len(l))
		from += k + len(l)
	}
}

// regexMatcher serves any other pattern. regexp2 works on runes and follows Go's Unicode
// tables, so classes may differ from the library's for characters newer than Unicode 15.
type regexMatcher struct{ re *regexp2.Regexp }

func (m *regexMatcher) findAll(s string, fn func(start, end int)) {
	runes := []rune(s)
	// byteAt[k] is the byte offset of rune k (regexp2 reports rune indices).
	byteAt := make([]int, len(runes)+1)
	b := 0
	for k, r := range runes {
		byteAt[k] = b
		b += utf8.RuneLen(r)
	}
	byteAt[len(runes)] = b
	mt, err := m.re.FindRunesMatch(runes)
	for err == nil && mt != nil {
		fn(byteAt[mt.Index], byteAt[mt.Index+mt.Length])
		mt, err = m.re.FindNextMatch(mt)
	}
}
