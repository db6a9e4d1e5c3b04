package tokenizer

import (
	"fmt"
	"math"
	"strconv"
	"testing"
)

// FuzzParseJSONFloat: the score reader with its fast digit loops gives the bits and errors
// of the straightforward reader it replaced (parseJSONFloatRef, checked against the
// library's readings by TestUnigramScoreParsing), and where serde_json's algorithm is exact
// (at most 15 significant digits, a decimal exponent within ±22) the bits of strconv.
func FuzzParseJSONFloat(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "-1.2594458438287153", "3.25e-2", "1E+2", "18446744073709551615",
		"18446744073709551616.5", "0.000000000000000000000000123456789012345678901234567890", "1e308", "1e309",
		"4.9e-324", "1e-400", "123456789012345678901234567890e-10", "01", "1.", ".5", "1e", "--1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseJSONFloat(s)
		want, wantErr := parseJSONFloatRef(s)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("%q: error %v, want %v", s, err, wantErr)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v (%#x), want %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
		if err != nil {
			if isJSONNumber(s) && err.Error() != "number out of range" {
				if exact, e := strconv.ParseFloat(s, 64); e == nil && !math.IsInf(exact, 0) {
					t.Fatalf("%q: %v, but it is a JSON number strconv reads as %v", s, err, exact)
				}
			}
			return
		}
		if !isJSONNumber(s) {
			t.Fatalf("%q: read as %v but it is not a JSON number", s, got)
		}
		if digits, exp := decimalShape(s); digits <= 15 && exp >= -22 && exp <= 22 {
			exact, e := strconv.ParseFloat(s, 64)
			if e != nil || math.Float64bits(exact) != math.Float64bits(got) {
				t.Fatalf("%q: %v, strconv reads %v (%v)", s, got, exact, e)
			}
		}
	})
}

// decimalShape returns the significant digits of a JSON number and the decimal exponent
// of its last one (a huge exponent is clamped far outside ±22).
func decimalShape(s string) (digits, exp int) {
	i, seen := 0, false
	if s[i] == '-' {
		i++
	}
	count := func(frac bool) {
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if s[i] != '0' || seen {
				seen = true
				digits++
			}
			if frac {
				exp--
			}
		}
	}
	count(false)
	if i < len(s) && s[i] == '.' {
		i++
		count(true)
	}
	if i < len(s) {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return digits, 1 << 20
		}
		exp += e
	}
	return digits, exp
}

// parseJSONFloatRef is parseJSONFloat as it was before its digit loops were made fast
// (with the same check for characters after an exponent too large to read).
func parseJSONFloatRef(s string) (float64, error) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, fmt.Errorf("not a number")
	}
	var sig uint64
	exp := 0
	overflowed := false
	digit := func(c byte) {
		d := uint64(c - '0')
		if overflowed || sig > (math.MaxUint64-d)/10 {
			overflowed = true
			return
		}
		sig = sig*10 + d
	}
	if s[i] == '0' {
		i++
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			return 0, fmt.Errorf("leading zero")
		}
	} else {
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digit(s[i])
			if overflowed {
				exp++
			}
		}
	}
	if i < len(s) && s[i] == '.' {
		// serde_json checks the fraction's digits for overflow afresh.
		i++
		overflowed = false
		n := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digit(s[i])
			if !overflowed {
				exp--
			}
			n++
		}
		if n == 0 {
			return 0, fmt.Errorf("no digit after the decimal point")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("no digit in the exponent")
		}
		e := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if e > (math.MaxInt32-int(s[i]-'0'))/10 {
				if sig != 0 && !expNeg {
					return 0, fmt.Errorf("number out of range")
				}
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					i++
				}
				if i != len(s) {
					return 0, fmt.Errorf("trailing characters")
				}
				if neg {
					return math.Copysign(0, -1), nil
				}
				return 0, nil
			}
			e = e*10 + int(s[i]-'0')
		}
		if expNeg {
			exp -= e
		} else {
			exp += e
		}
	}
	if i != len(s) {
		return 0, fmt.Errorf("trailing characters")
	}
	f := float64(sig)
	for {
		a := exp
		if a < 0 {
			a = -a
		}
		if a <= 308 {
			if exp >= 0 {
				f *= pow10[a]
				if math.IsInf(f, 0) {
					return 0, fmt.Errorf("number out of range")
				}
			} else {
				f /= pow10[a]
			}
			break
		}
		if f == 0 {
			break
		}
		if exp >= 0 {
			return 0, fmt.Errorf("number out of range")
		}
		f /= 1e308
		exp += 308
	}
	if neg {
		f = -f
	}
	return f, nil
}
