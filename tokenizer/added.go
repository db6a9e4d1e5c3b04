package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// addedMatcher finds added tokens in text, leftmost-longest like the library's Aho-Corasick
// automaton: at each position where some token may start, a walk down a byte trie of the
// tokens finds the longest one there (Gemma 3 has 6,000 tokens starting with '<').
type addedMatcher struct {
	first [256]bool // a token starts with this byte
	trie  byteTrie  // leaves index pats
	pats  []string
	toks  []*addedToken
	any   bool
}

func newAddedMatcher(toks []*addedToken, content func(*addedToken) string) *addedMatcher {
	m := &addedMatcher{}
	total := 0
	for _, t := range toks {
		c := content(t)
		if c == "" {
			continue
		}
		m.pats = append(m.pats, c)
		m.toks = append(m.toks, t)
		m.first[c[0]] = true
		m.any = true
		total += len(c)
	}
	m.trie = newByteTrie(total + 1)
	for i, c := range m.pats {
		m.trie.insertFirst(c, int32(i)) // two tokens that normalize alike: the first wins
	}
	return m
}

// longestAt returns the index of the longest token that starts s, or -1.
func (m *addedMatcher) longestAt(s string) int {
	best, node := -1, int32(0)
	for k := 0; k < len(s); k++ {
		if node = m.trie.child(node, s[k]); node < 0 {
			break
		}
		if id := m.trie.leaf[node]; id >= 0 {
			best = int(id)
		}
	}
	return best
}

// segment is a part of the text: either an added token (tok != nil) or text for the model.
type segment struct {
	start, end int
	tok        *addedToken
}

// split cuts s into segments the way the library's AddedVocabulary::find_matches does,
// honouring single_word, lstrip and rstrip.
func (m *addedMatcher) split(s string, dst []segment) []segment {
	if m == nil || !m.any {
		return append(dst, segment{0, len(s), nil})
	}
	startOffset := 0
	for i := 0; i < len(s); {
		if !m.first[s[i]] {
			i++
			continue
		}
		k := m.longestAt(s[i:])
		if k < 0 {
			i++
			continue
		}
		t := m.toks[k]
		start, stop := i, i+len(m.pats[k])
		i = stop
		if t.SingleWord {
			startSpace := start == 0 || !endsWithWord(s[:start])
			stopSpace := stop == len(s) || !startsWithWord(s[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if t.LStrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), startOffset)
		}
		if t.RStrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
			i = max(i, stop)
		}
		if startOffset < start {
			dst = append(dst, segment{startOffset, start, nil})
		}
		dst = append(dst, segment{start, stop, t})
		startOffset = stop
	}
	if startOffset != len(s) || len(s) == 0 {
		dst = append(dst, segment{startOffset, len(s), nil})
	}
	return dst
}

// isWordRune is the Rust regex crate's Unicode \w.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me, unicode.Nl, unicode.Pc, unicode.Other_Alphabetic) || r == 0x200C || r == 0x200D
}

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordRune(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordRune(r)
}
