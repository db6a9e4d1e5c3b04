package tokenizer

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

// align maps a transformed string back to the string it came from, as a sorted list of
// chunks of the output. A nil *align is the identity.
type align struct{ chunks []alignChunk }

// alignChunk maps output bytes [out, out+n) either byte for byte to source bytes from src
// (whole), or all of them to the source range [src, srcEnd).
type alignChunk struct {
	out, n, src, srcEnd int32
	whole               bool
}

// at returns the source range of output byte k.
func (al *align) at(k int) (int, int) {
	cs := al.chunks
	i := sort.Search(len(cs), func(i int) bool { return int(cs[i].out+cs[i].n) > k })
	if i == len(cs) {
		if i == 0 {
			return 0, 0
		}
		c := cs[i-1]
		e := int(c.srcEnd)
		if !c.whole {
			e = int(c.src + c.n)
		}
		return e, e
	}
	c := cs[i]
	if c.whole {
		return int(c.src), int(c.srcEnd)
	}
	x := int(c.src) + k - int(c.out)
	return x, x + 1
}

// alignCursor maps positions that mostly increase (the tokens of a text, in order) by
// walking the chunks from the previous position instead of searching them each time.
type alignCursor struct {
	al *align
	i  int // chunk of the last position
}

func (c *alignCursor) at(k int) (int, int) {
	cs := c.al.chunks
	if c.i >= len(cs) || int(cs[c.i].out) > k {
		return c.al.at(k)
	}
	for c.i < len(cs) && int(cs[c.i].out+cs[c.i].n) <= k {
		c.i++
	}
	if c.i == len(cs) {
		c.i = 0
		return c.al.at(k)
	}
	ch := cs[c.i]
	if ch.whole {
		return int(ch.src), int(ch.srcEnd)
	}
	x := int(ch.src) + k - int(ch.out)
	return x, x + 1
}

// span is align.span through the cursor.
func (c *alignCursor) span(a, b int) (int, int) {
	if c.al == nil {
		return a, b
	}
	s, _ := c.at(a)
	if a >= b {
		return s, s
	}
	_, e := c.at(b - 1)
	return s, e
}

// span maps the transformed byte range [a, b) back to the source.
func (al *align) span(a, b int) (int, int) {
	if al == nil {
		return a, b
	}
	s, _ := al.at(a)
	if a >= b {
		return s, s
	}
	_, e := al.at(b - 1)
	return s, e
}

// compose returns the alignment of a second transformation (second, relative to the output
// of al) back to the original source. It walks both chunk lists in step: a whole chunk of
// second maps to the span of its range; an identity chunk maps byte for byte through the
// chunks of al it overlaps (identity stays identity, a whole chunk of al gives its range).
func (al *align) compose(second *align) *align {
	if al == nil {
		return second
	}
	if second == nil {
		return al
	}
	var b alignBuilder
	cs := al.chunks
	for _, c := range second.chunks {
		if c.whole {
			s, e := al.span(int(c.src), int(c.srcEnd))
			b.addRange(int(c.n), s, e)
			continue
		}
		x, end := int(c.src), int(c.src+c.n)
		i := sort.Search(len(cs), func(i int) bool { return int(cs[i].out+cs[i].n) > x })
		for x < end {
			if i == len(cs) { // past the end of al's output: the end of its source
				s, e := al.at(x)
				b.addRange(end-x, s, e)
				break
			}
			f := cs[i]
			stop := min(end, int(f.out+f.n))
			if f.whole {
				b.addRange(stop-x, int(f.src), int(f.srcEnd))
			} else {
				b.addIdentityMap(stop-x, int(f.src)+x-int(f.out))
			}
			x = stop
			i++
		}
	}
	return &b.al
}

// alignBuilder builds a transformed string piece by piece with its alignment.
type alignBuilder struct {
	sb  strings.Builder
	al  align
	out int32
}

// addRange records n output bytes that all map to the source range [srcStart, srcEnd).
func (b *alignBuilder) addRange(n, srcStart, srcEnd int) {
	cs := b.al.chunks
	if l := len(cs); l > 0 && cs[l-1].whole && cs[l-1].src == int32(srcStart) && cs[l-1].srcEnd == int32(srcEnd) {
		cs[l-1].n += int32(n)
	} else {
		b.al.chunks = append(cs, alignChunk{out: b.out, n: int32(n), src: int32(srcStart), srcEnd: int32(srcEnd), whole: true})
	}
	b.out += int32(n)
}

func (b *alignBuilder) add(out string, srcStart, srcEnd int) {
	b.sb.WriteString(out)
	b.addRange(len(out), srcStart, srcEnd)
}

// addIdentity appends an unchanged source range, byte for byte.
func (b *alignBuilder) addIdentity(src string, srcOff int) { b.addIdentityAs(src, srcOff) }

// addIdentityAs appends out, aligned byte for byte with the source bytes at srcOff (as many
// as out has: a same-length replacement such as an ASCII lowercase letter).
func (b *alignBuilder) addIdentityAs(out string, srcOff int) {
	src := out
	if src == "" {
		return
	}
	b.sb.WriteString(src)
	b.addIdentityMap(len(src), srcOff)
}

// addIdentityMap records n output bytes that map byte for byte to the source from srcOff.
func (b *alignBuilder) addIdentityMap(n, srcOff int) {
	if n <= 0 {
		return
	}
	cs := b.al.chunks
	if l := len(cs); l > 0 && !cs[l-1].whole && cs[l-1].src+cs[l-1].n == int32(srcOff) {
		cs[l-1].n += int32(n)
	} else {
		b.al.chunks = append(cs, alignChunk{out: b.out, n: int32(n), src: int32(srcOff)})
	}
	b.out += int32(n)
}

// addChanges appends the normalized characters rs of the source segment src (at srcOff),
// aligned the library's way: walking the source positionally, a character with change 0
// takes the next source character, one with change -n takes it and skips n more, one with
// change +1 (inserted) shares the alignment of the source character before.
func (b *alignBuilder) addChanges(rs []rune, changes []int, src string, srcOff int) {
	var bounds []int // source character boundaries
	for i := range src {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(src))
	nsrc := len(bounds) - 1
	cur := 0
	for k, r := range rs {
		j := cur
		if changes[k] > 0 {
			j = cur - 1
		}
		j = max(min(j, nsrc-1), 0)
		b.add(string(r), srcOff+bounds[j], srcOff+bounds[j+1])
		if changes[k] <= 0 {
			cur += 1 - changes[k]
		}
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

func (u unicodeNormalizer) normalize(s string) (string, *align) {
	if isASCII(s) {
		return s, nil
	}
	// x/text's quick check finds the already-normalized spans; they end at segment
	// boundaries. A span x/text calls normalized is normalized for the library too (a
	// newer character only stops things from changing), so only the segments x/text
	// flags go through canonicalSegment, which cuts at newer characters.
	n := u.form.QuickSpanString(s)
	if n == len(s) {
		return s, nil
	}
	var b alignBuilder
	b.addIdentity(s[:n], 0)
	for i := n; i < len(s); {
		// One segment: a rune, then every rune that may combine with what precedes it.
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		if r < 0x300 || isAssigned9(r) {
			for j < len(s) {
				r2, size2 := utf8.DecodeRuneInString(s[j:])
				if (r2 >= 0x300 && !isAssigned9(r2)) || u.form.PropertiesString(s[j:]).BoundaryBefore() {
					break
				}
				j += size2
			}
		}
		seg := s[i:j]
		if j == i+size && r >= 0x300 && !isAssigned9(r) {
			b.addIdentity(seg, i) // unassigned for the library: left as it is
		} else if rs, changes := canonicalSegment(seg, u.form); string(rs) == seg {
			b.addIdentity(seg, i)
		} else {
			b.addChanges(rs, changes, seg, i)
		}
		i = j
		if i < len(s) {
			n := u.form.QuickSpanString(s[i:])
			b.addIdentity(s[i:i+n], i)
			i += n
		}
	}
	return b.result()
}

const (
	hangulSBase, hangulLBase, hangulVBase, hangulTBase = 0xAC00, 0x1100, 0x1161, 0x11A7
	hangulLCount, hangulVCount, hangulTCount           = 19, 21, 28
	hangulNCount                                       = hangulVCount * hangulTCount
	hangulSCount                                       = hangulLCount * hangulNCount
)

// canonicalSegment normalizes one segment by the textbook algorithm — full decomposition,
// canonical ordering, canonical composition for the composing forms — and reports for each
// output character the "change" the library's normalizer reports: 0 for a character that
// replaces one source character, +1 for an inserted one, -n for one that absorbed n
// others. The library aligns output to source positionally from these, and so do we.
// (x/text's own String is not used here: it also inserts U+034F after 30 non-starters,
// the Stream-Safe Text Format, which the library never does.)
func canonicalSegment(seg string, form norm.Form) ([]rune, []int) {
	decForm := norm.NFD
	compose := form == norm.NFC || form == norm.NFKC
	if form == norm.NFKC || form == norm.NFKD {
		decForm = norm.NFKD
	}
	var rs []rune
	var changes []int
	var decompose func(r rune, first bool)
	emit := func(r rune, first bool) {
		rs = append(rs, r)
		if first {
			changes = append(changes, 0)
		} else {
			changes = append(changes, 1)
		}
	}
	decompose = func(r rune, first bool) {
		if r >= hangulSBase && r < hangulSBase+hangulSCount {
			si := r - hangulSBase
			emit(hangulLBase+si/hangulNCount, first)
			emit(hangulVBase+(si%hangulNCount)/hangulTCount, false)
			if t := si % hangulTCount; t != 0 {
				emit(hangulTBase+t, false)
			}
			return
		}
		if d := decForm.PropertiesString(string(r)).Decomposition(); d != nil {
			k := 0
			for _, x := range string(d) {
				decompose(x, first && k == 0)
				k++
			}
			return
		}
		emit(r, first)
	}
	for _, r := range seg {
		decompose(r, true)
	}
	ccc := func(r rune) uint8 { return norm.NFD.PropertiesString(string(r)).CCC() }
	// Canonical ordering: stable sort of each run of non-starters by combining class; the
	// changes travel with their characters.
	for i := 0; i < len(rs); {
		if ccc(rs[i]) == 0 {
			i++
			continue
		}
		j := i
		for j < len(rs) && ccc(rs[j]) != 0 {
			j++
		}
		idx := make([]int, j-i)
		for k := range idx {
			idx[k] = i + k
		}
		sort.SliceStable(idx, func(a, b int) bool { return ccc(rs[idx[a]]) < ccc(rs[idx[b]]) })
		r2, c2 := make([]rune, len(idx)), make([]int, len(idx))
		for k, x := range idx {
			r2[k], c2[k] = rs[x], changes[x]
		}
		copy(rs[i:j], r2)
		copy(changes[i:j], c2)
		i = j
	}
	if !compose || len(rs) == 0 {
		return rs, changes
	}
	outR, outC := rs[:1], changes[:1]
	starterPos := 0
	lastClass := int(ccc(rs[0]))
	if lastClass != 0 {
		lastClass = 256 // no starter yet: nothing can compose
	}
	for k := 1; k < len(rs); k++ {
		c := rs[k]
		cc := int(ccc(c))
		if lastClass < cc || lastClass == 0 {
			if p, ok := composePair(outR[starterPos], c); ok {
				outR[starterPos] = p
				outC[starterPos] += changes[k] - 1
				continue
			}
		}
		if cc == 0 {
			starterPos = len(outR)
		}
		lastClass = cc
		outR = append(outR, c)
		outC = append(outC, changes[k])
	}
	return outR, outC
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

func init() {
	registerNormalizer("NFC", unicodeForm(formNFC))
	registerNormalizer("NFKC", unicodeForm(formNFKC))
	registerNormalizer("NFD", unicodeForm(formNFD))
	registerNormalizer("NFKD", unicodeForm(formNFKD))
	registerNormalizer("Lowercase", func(*Tokenizer, string) (normalizer, error) { return lowercaseNormalizer{}, nil })
	registerNormalizer("Sequence", buildSequenceNormalizer)
}

func unicodeForm(f norm.Form) componentBuilder[normalizer] {
	return func(*Tokenizer, string) (normalizer, error) { return unicodeNormalizer{form: f}, nil }
}

func buildSequenceNormalizer(t *Tokenizer, raw string) (normalizer, error) {
	subs, err := arrayField(raw, "normalizers")
	if err != nil {
		return nil, err
	}
	var seq sequenceNormalizer
	for i, sub := range subs {
		n, err := t.buildNormalizer(sub)
		if err != nil {
			return nil, fmt.Errorf("normalizers[%d]: %w", i, err)
		}
		if n != nil {
			seq = append(seq, n)
		}
	}
	return seq, nil
}
