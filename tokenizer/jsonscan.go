package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a minimal JSON reader over one string. tokenizer.json is ~11 MB, almost
// all of it the vocabulary and the merges; reading those two by hand (strings sliced from
// the file text, no reflection) is several times faster than encoding/json. Everything
// else is small and goes through encoding/json as raw slices.
type jsonScanner struct {
	s   string
	pos int
}

var errJSONEnd = errors.New("unexpected end of JSON")

func (j *jsonScanner) ws() { j.pos = skipSpace(j.s, j.pos) }

// skipSpace returns the position of the first byte at or after i that is not JSON
// whitespace. Pretty-printed files (Gemma 3's is 57% indentation) have runs of spaces after
// each newline: those are counted eight bytes at a time.
func skipSpace(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c > ' ' { // every byte that can follow whitespace in JSON
			return i
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return i
		}
		i++
		for i+8 <= len(s) {
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			x ^= 0x2020202020202020 // spaces become zero bytes
			if x != 0 {
				i += bits.TrailingZeros64(x) / 8
				break
			}
			i += 8
		}
	}
	return i
}

func (j *jsonScanner) errorf(format string, a ...any) error {
	line := 1
	for i := 0; i < j.pos && i < len(j.s); i++ {
		if j.s[i] == '\n' {
			line++
		}
	}
	return fmt.Errorf("JSON line %d (byte %d): %s", line, j.pos, fmt.Sprintf(format, a...))
}

// peek returns the next non-space byte without consuming it.
func (j *jsonScanner) peek() (byte, error) {
	j.ws()
	if j.pos >= len(j.s) {
		return 0, errJSONEnd
	}
	return j.s[j.pos], nil
}

func (j *jsonScanner) expect(c byte) error {
	b, err := j.peek()
	if err != nil {
		return err
	}
	if b != c {
		return j.errorf("expected %q, found %q", c, b)
	}
	j.pos++
	return nil
}

// str reads a JSON string. Without escapes it is a substring of the file text (no copy).
func (j *jsonScanner) str() (string, error) {
	s, _, err := j.strAt()
	return s, err
}

// strAt is str that also tells where the string's text starts in the file text, or -1
// when it had escapes (and so is a new string).
func (j *jsonScanner) strAt() (string, int, error) {
	if err := j.expect('"'); err != nil {
		return "", -1, err
	}
	start := j.pos
	s, err := j.strBody(start)
	// Every escape is longer than what it stands for, so an unchanged length means the
	// string is the file text itself.
	if err != nil || j.pos-1-start != len(s) {
		return s, -1, err
	}
	return s, start, nil
}

func (j *jsonScanner) strBody(start int) (string, error) {
	for i := start; i < len(j.s); i++ {
		switch c := j.s[i]; {
		case c == '"':
			j.pos = i + 1
			return j.s[start:i], nil
		case c == '\\':
			return j.strEscaped(start)
		case c < 0x20:
			j.pos = i
			return "", j.errorf("control character in string")
		}
	}
	return "", errJSONEnd
}

func (j *jsonScanner) strEscaped(start int) (string, error) {
	buf := []byte{}
	i := start
	for i < len(j.s) {
		c := j.s[i]
		switch {
		case c == '"':
			j.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			j.pos = i
			return "", j.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(j.s) {
			return "", errJSONEnd
		}
		e := j.s[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, err := j.hex4(i)
			if err != nil {
				return "", err
			}
			i = n
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(j.s) && j.s[i] == '\\' && j.s[i+1] == 'u' {
					if x, n2, err := j.hex4(i + 2); err == nil {
						if d := utf16.DecodeRune(r, x); d != utf8.RuneError {
							r2, i = d, n2
						}
					}
				}
				if r2 < 0 {
					r2 = utf8.RuneError
				}
				r = r2
			}
			buf = utf8.AppendRune(buf, r)
		default:
			j.pos = i - 1
			return "", j.errorf("bad escape \\%c", e)
		}
	}
	return "", errJSONEnd
}

func (j *jsonScanner) hex4(i int) (rune, int, error) {
	if i+4 > len(j.s) {
		return 0, 0, errJSONEnd
	}
	v, err := strconv.ParseUint(j.s[i:i+4], 16, 32)
	if err != nil {
		j.pos = i
		return 0, 0, j.errorf("bad \\u escape")
	}
	return rune(v), i + 4, nil
}

// integer reads a non-negative JSON integer.
func (j *jsonScanner) integer() (int, error) {
	j.ws()
	start := j.pos
	v := 0
	for j.pos < len(j.s) && j.s[j.pos] >= '0' && j.s[j.pos] <= '9' {
		v = v*10 + int(j.s[j.pos]-'0')
		if v > 1<<31 {
			return 0, j.errorf("number too large")
		}
		j.pos++
	}
	if j.pos == start {
		return 0, j.errorf("expected a non-negative integer")
	}
	if j.pos < len(j.s) && (j.s[j.pos] == '.' || j.s[j.pos] == 'e' || j.s[j.pos] == 'E') {
		return 0, j.errorf("expected an integer")
	}
	return v, nil
}

// object calls fn for each key; fn must consume the value.
func (j *jsonScanner) object(fn func(key string) error) error {
	return j.objectAt(func(key string, _ int) error { return fn(key) })
}

// objectAt is object that also passes where the key's text starts (see strAt).
func (j *jsonScanner) objectAt(fn func(key string, at int) error) error {
	if err := j.expect('{'); err != nil {
		return err
	}
	if b, err := j.peek(); err != nil {
		return err
	} else if b == '}' {
		j.pos++
		return nil
	}
	for {
		k, at, err := j.strAt()
		if err != nil {
			return err
		}
		if err := j.expect(':'); err != nil {
			return err
		}
		if err := fn(k, at); err != nil {
			return err
		}
		b, err := j.peek()
		if err != nil {
			return err
		}
		j.pos++
		switch b {
		case ',':
		case '}':
			return nil
		default:
			j.pos--
			return j.errorf("expected ',' or '}' in object")
		}
	}
}

// array calls fn for each element; fn must consume it.
func (j *jsonScanner) array(fn func() error) error {
	if err := j.expect('['); err != nil {
		return err
	}
	if b, err := j.peek(); err != nil {
		return err
	} else if b == ']' {
		j.pos++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		b, err := j.peek()
		if err != nil {
			return err
		}
		j.pos++
		switch b {
		case ',':
		case ']':
			return nil
		default:
			j.pos--
			return j.errorf("expected ',' or ']' in array")
		}
	}
}

// raw skips one value and returns its text (for encoding/json).
func (j *jsonScanner) raw() (string, error) {
	b, err := j.peek()
	if err != nil {
		return "", err
	}
	start := j.pos
	switch b {
	case '{':
		err = j.object(func(string) error { _, e := j.raw(); return e })
	case '[':
		err = j.array(func() error { _, e := j.raw(); return e })
	case '"':
		_, err = j.str()
	default:
		for j.pos < len(j.s) {
			c := j.s[j.pos]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				break
			}
			j.pos++
		}
		if lit := j.s[start:j.pos]; lit != "true" && lit != "false" && lit != "null" && !isJSONNumber(lit) {
			j.pos = start
			return "", j.errorf("expected a value, found %q", lit)
		}
	}
	if err != nil {
		return "", err
	}
	return j.s[start:j.pos], nil
}

// isJSONNumber tells whether s is a number as JSON writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() bool {
		n := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// fieldValues returns the raw values of the fields of the JSON object raw named key as
// encoding/json matches a struct field to a name (ignoring case), in the file's order, or
// none for null. A component's builder reads its few small fields with encoding/json from
// these instead of from the whole object: a Precompiled normalizer carries a charsmap of
// some 300 KB, which encoding/json would check and decode several times over.
func fieldValues(raw, key string) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	j := &jsonScanner{s: raw}
	var vals []string
	err := j.object(func(k string) error {
		v, err := j.raw()
		if err == nil && strings.EqualFold(k, key) {
			vals = append(vals, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if j.ws(); j.pos != len(raw) {
		return nil, j.errorf("unexpected text after the object")
	}
	return vals, nil
}

// unmarshalField is json.Unmarshal of the field key of the object raw into v: each value
// of the field in turn, the first error returned (as encoding/json does with a whole object).
func unmarshalField(raw, key string, v any) error {
	vals, err := fieldValues(raw, key)
	if err != nil {
		return err
	}
	var first error
	for _, val := range vals {
		if err := json.Unmarshal([]byte(val), v); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// arrayField is unmarshalField into a []json.RawMessage, with the elements' text not copied.
func arrayField(raw, key string) ([]string, error) {
	vals, err := fieldValues(raw, key)
	if err != nil {
		return nil, err
	}
	var elems []string
	for _, val := range vals {
		elems = nil // a later field replaces an earlier, as with encoding/json
		if isNull(val) {
			continue
		}
		j := &jsonScanner{s: val}
		if err := j.array(func() error {
			e, err := j.raw()
			elems = append(elems, e)
			return err
		}); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return elems, nil
}

// stringField is unmarshalField into a *string, with a string that has no escapes not copied.
func stringField(raw, key string) (*string, error) {
	vals, err := fieldValues(raw, key)
	if err != nil {
		return nil, err
	}
	var s *string
	for _, val := range vals {
		s = nil
		if isNull(val) {
			continue
		}
		j := &jsonScanner{s: val}
		v, err := j.str()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		s = &v
	}
	return s, nil
}
