package tokenizer

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// align maps each byte of a transformed string back to the byte range [start, end) of the
// string it came from. A nil *align is the identity.
type align struct{ start, end []int32 }

// span maps the transformed byte range [a, b) back to the source.
func (al *align) span(a, b int) (int, int) {
	if al == nil {
		return a, b
	}
	if a >= b {
		if a >= len(al.start) {
			if len(al.end) == 0 {
				return 0, 0
			}
			e := int(al.end[len(al.end)-1])
			return e, e
		}
		s := int(al.start[a])
		return s, s
	}
	return int(al.start[a]), int(al.end[b-1])
}

// compose returns the alignment of a second transformation (second, relative to the output
// of al) back to the original source.
func (al *align) compose(second *align) *align {
	if al == nil {
		return second
	}
	if second == nil {
		return al
	}
	out := &align{start: make([]int32, len(second.start)), end: make([]int32, len(second.end))}
	for k := range second.start {
		a, b := int(second.start[k]), int(second.end[k])
		s, e := al.span(a, b)
		out.start[k], out.end[k] = int32(s), int32(e)
	}
	return out
}

// alignBuilder builds a transformed string piece by piece with its alignment.
type alignBuilder struct {
	sb strings.Builder
	al align
}

func (b *alignBuilder) add(out string, srcStart, srcEnd int) {
	b.sb.WriteString(out)
	for range len(out) {
		b.al.start = append(b.al.start, int32(srcStart))
		b.al.end = append(b.al.end, int32(srcEnd))
	}
}

// addMapped appends out, the transformation of src (which starts at srcOff), mapping the
// k-th output rune to the k-th source rune (the last one when the output is longer). This is
// how the library aligns composed/decomposed characters: "e\u0301" → "é" maps to the "e".
func (b *alignBuilder) addMapped(out, src string, srcOff int) {
	var bounds []int // source rune boundaries
	for i := range src {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(src))
	k := 0
	for _, r := range out {
		j := min(k, len(bounds)-2)
		b.add(string(r), srcOff+bounds[j], srcOff+bounds[j+1])
		k++
	}
}

// addIdentity appends an unchanged source range, byte for byte.
func (b *alignBuilder) addIdentity(src string, srcOff int) {
	b.sb.WriteString(src)
	for k := range len(src) {
		b.al.start = append(b.al.start, int32(srcOff+k))
		b.al.end = append(b.al.end, int32(srcOff+k+1))
	}
}

func (b *alignBuilder) result() (string, *align) { return b.sb.String(), &b.al }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizer transforms text before pre-tokenization, like the library's normalizers.
type normalizer interface {
	normalize(s string) (string, *align)
}

type sequenceNormalizer []normalizer

func (q sequenceNormalizer) normalize(s string) (string, *align) {
	var al *align
	for _, n := range q {
		var a2 *align
		s, a2 = n.normalize(s)
		al = al.compose(a2)
	}
	return s, al
}

// Unicode normalization. The library uses the unicode-normalization-alignments crate, whose
// tables are Unicode 9.0; golang.org/x/text is newer. Normalization data of characters that
// already existed never changes (Unicode's stability policy), so the two agree on every
// character assigned in Unicode 9.0. A character assigned later is, for the library, an
// unassigned code point: combining class 0, no decomposition, composes with nothing — a
// barrier that normalization passes unchanged. unicodeNormalizer therefore cuts the text at
// every such character, normalizes the pieces between with x/text and keeps the newer
// characters as they are. The tests check this against the library for every code point.
type unicodeNormalizer struct {
	form norm.Form
}

var (
	assigned9Once sync.Once
	assigned9     []uint64 // bit set over all code points: assigned in Unicode 9.0
)

func isAssigned9(r rune) bool {
	assigned9Once.Do(func() {
		assigned9 = make([]uint64, (unicode.MaxRune+64)/64)
		rangetable.Visit(rangetable.Assigned("9.0.0"), func(r rune) {
			assigned9[r>>6] |= 1 << (r & 63)
		})
	})
	if r < 0 || r > unicode.MaxRune {
		return false
	}
	return assigned9[r>>6]&(1<<(r&63)) != 0
}

// maxSegmentRunes bounds what is handed to x/text in one piece: x/text follows the
// Stream-Safe Text Format and inserts U+034F after 30 non-starters, which the library
// never does, so longer segments are normalized by canonicalSegment instead.
const maxSegmentRunes = 30

func (u unicodeNormalizer) normalize(s string) (string, *align) {
	if isASCII(s) {
		return s, nil
	}
	clean := true
	for _, r := range s {
		if r >= 0x300 && !isAssigned9(r) {
			clean = false
			break
		}
	}
	if clean && u.form.IsNormalString(s) {
		return s, nil
	}
	var b alignBuilder
	segStart, runes := 0, 0
	prevNew := false
	flush := func(end int) {
		seg := s[segStart:end]
		if seg == "" {
			return
		}
		var out string
		switch {
		case prevNew && runes == 1:
			out = seg
		case runes > maxSegmentRunes:
			out = canonicalSegment(seg, u.form)
		default:
			out = u.form.String(seg)
		}
		if out == seg {
			b.addIdentity(seg, segStart)
		} else {
			b.addMapped(out, seg, segStart)
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		isNew := r >= 0x300 && !isAssigned9(r)
		if i > segStart && (isNew || prevNew || u.form.PropertiesString(s[i:]).BoundaryBefore()) {
			flush(i)
			segStart, runes = i, 0
		}
		prevNew = isNew
		runes++
		i += n
	}
	flush(len(s))
	return b.result()
}

const (
	hangulSBase, hangulLBase, hangulVBase, hangulTBase = 0xAC00, 0x1100, 0x1161, 0x11A7
	hangulLCount, hangulVCount, hangulTCount           = 19, 21, 28
	hangulNCount                                       = hangulVCount * hangulTCount
	hangulSCount                                       = hangulLCount * hangulNCount
)

// canonicalSegment normalizes a long segment by the textbook algorithm (full decomposition,
// canonical ordering, canonical composition for the composing forms), without the
// Stream-Safe limit of x/text. Pair compositions are asked of x/text one pair at a time.
func canonicalSegment(seg string, form norm.Form) string {
	decForm := norm.NFD
	compose := form == norm.NFC || form == norm.NFKC
	if form == norm.NFKC || form == norm.NFKD {
		decForm = norm.NFKD
	}
	var rs []rune
	var decompose func(r rune)
	decompose = func(r rune) {
		if r >= hangulSBase && r < hangulSBase+hangulSCount {
			si := r - hangulSBase
			rs = append(rs, hangulLBase+si/hangulNCount, hangulVBase+(si%hangulNCount)/hangulTCount)
			if t := si % hangulTCount; t != 0 {
				rs = append(rs, hangulTBase+t)
			}
			return
		}
		if d := decForm.PropertiesString(string(r)).Decomposition(); d != nil {
			for _, x := range string(d) {
				decompose(x)
			}
			return
		}
		rs = append(rs, r)
	}
	for _, r := range seg {
		decompose(r)
	}
	ccc := func(r rune) uint8 { return norm.NFD.PropertiesString(string(r)).CCC() }
	// Canonical ordering: stable sort of each run of non-starters by combining class.
	for i := 0; i < len(rs); {
		if ccc(rs[i]) == 0 {
			i++
			continue
		}
		j := i
		for j < len(rs) && ccc(rs[j]) != 0 {
			j++
		}
		run := rs[i:j]
		sort.SliceStable(run, func(a, b int) bool { return ccc(run[a]) < ccc(run[b]) })
		i = j
	}
	if compose {
		rs = composeRunes(rs, ccc)
	}
	return string(rs)
}

func composeRunes(rs []rune, ccc func(rune) uint8) []rune {
	if len(rs) == 0 {
		return rs
	}
	out := rs[:1]
	starterPos := 0
	lastClass := int(ccc(rs[0]))
	if lastClass != 0 {
		lastClass = 256 // no starter yet: nothing can compose
	}
	for _, c := range rs[1:] {
		cc := int(ccc(c))
		if lastClass < cc || lastClass == 0 {
			if p, ok := composePair(out[starterPos], c); ok {
				out[starterPos] = p
				continue
			}
		}
		if cc == 0 {
			starterPos = len(out)
		}
		lastClass = cc
		out = append(out, c)
	}
	return out
}

// composePair returns the primary composite of a and b, if any.
func composePair(a, b rune) (rune, bool) {
	s := norm.NFC.String(string([]rune{a, b}))
	r, n := utf8.DecodeRuneInString(s)
	if n == len(s) && r != a {
		return r, true
	}
	return 0, false
}

// lowercaseNormalizer is the library's Lowercase: Rust's char::to_lowercase on each
// character (no final-sigma rule), with its newer Unicode data patched in.
type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(s string) (string, *align) {
	changed := false
	for _, r := range s {
		if lowerRune(r) != string(r) {
			changed = true
			break
		}
	}
	if !changed {
		return s, nil
	}
	var b alignBuilder
	for i, r := range s {
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, n = utf8.DecodeRuneInString(s[i:])
		}
		b.add(lowerRune(r), i, i+n)
	}
	return b.result()
}

func lowerRune(r rune) string {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return string(r)
	}
	if p, ok := lowerPatch[r]; ok {
		return p
	}
	return string(unicode.ToLower(r))
}

// Rust's String::from_utf8_lossy: each maximal prefix of an invalid sequence (one to three
// bytes) becomes one U+FFFD. Go's own conversions differ (one U+FFFD per byte, or per run),
// so this is done by hand: the tokenizer sees invalid input exactly as a Rust caller would.
func lossyUTF8(s string) (string, *align) {
	if utf8.ValidString(s) {
		return s, nil
	}
	var b alignBuilder
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b.add(s[i:i+1], i, i+1)
			i++
			continue
		}
		if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
			b.add(s[i:i+n], i, i+n)
			i += n
			continue
		}
		n := invalidPrefixLen(s[i:])
		b.add("\uFFFD", i, i+n)
		i += n
	}
	return b.result()
}

// invalidPrefixLen returns the length of the maximal prefix of a well-formed UTF-8 sequence
// that s starts with (at least 1), given that s does not start with a valid rune.
func invalidPrefixLen(s string) int {
	c := s[0]
	lo, hi := byte(0x80), byte(0xBF)
	need := 0
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(s); k++ {
		x := s[n]
		if k > 0 {
			lo, hi = 0x80, 0xBF
		}
		if x < lo || x > hi {
			break
		}
		n++
	}
	return n
}
