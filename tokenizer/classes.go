package tokenizer

import (
	"sort"
	"sync"
)

// Character classes of the split regexes. Hugging Face runs Split patterns through
// Oniguruma, whose Unicode tables (16.0 in the library we match) are newer than Go's
// unicode package (15.0 in Go 1.26): Go would call U+1C89 or the CJK Extension I
// ideographs "not a letter" where the library says \p{L}. The tables in
// unicode_tables.go are taken from the library itself (scripts/hf-tokenizers), so the
// scanner below classifies every code point exactly as the library does.

const (
	clsLetter = 1 << iota // \p{L}
	clsNumber             // \p{N}
	clsSpace              // \s (Unicode White_Space)
)

type classRange struct {
	lo, hi rune
	bits   uint8
}

var (
	bmpClassOnce sync.Once
	bmpClass     []uint8 // class bits of every code point below 0x10000
)

func buildBMPClass() {
	bmpClass = make([]uint8, 0x10000)
	for _, r := range onigClassRanges {
		if r.lo >= 0x10000 {
			break
		}
		hi := min(r.hi, 0xFFFF)
		for c := r.lo; c <= hi; c++ {
			bmpClass[c] = r.bits
		}
	}
}

// runeClass returns the class bits of r as the library's regex engine sees them.
func runeClass(r rune) uint8 {
	if r < 0x10000 {
		if r < 0 {
			return 0
		}
		bmpClassOnce.Do(buildBMPClass)
		return bmpClass[r]
	}
	i := sort.Search(len(onigClassRanges), func(i int) bool { return onigClassRanges[i].hi >= r })
	if i < len(onigClassRanges) && onigClassRanges[i].lo <= r {
		return onigClassRanges[i].bits
	}
	return 0
}
