package tokenizer

import (
	"sort"
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
// automaton. Candidates are grouped by first byte, longest first.
type addedMatcher struct {
	byFirst [256][]int // indices into pats
	pats    []string
	toks    []*addedToken
	any     bool
}

func newAddedMatcher(toks []*addedToken, content func(*addedToken) string) *addedMatcher {
	m := &addedMatcher{}
	for _, t := range toks {
		c := content(t)
		if c == "" {
			continue
		}
		m.pats = append(m.pats, c)
		m.toks = append(m.toks, t)
		m.byFirst[c[0]] = append(m.byFirst[c[0]], len(m.pats)-1)
		m.any = true
	}
	for b := range m.byFirst {
		l := m.byFirst[b]
		sort.SliceStable(l, func(i, j int) bool { return len(m.pats[l[i]]) > len(m.pats[l[j]]) })
	}
	return m
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
		cands := m.byFirst[s[i]]
		if len(cands) == 0 {
			i++
			continue
		}
		k := -1
		for _, c := range cands {
			if strings.HasPrefix(s[i:], m.pats[c]) {
				k = c
				break
			}
		}
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
