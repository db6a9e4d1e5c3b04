package tokenizer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var (
	formNFC  = norm.NFC
	formNFKC = norm.NFKC
	formNFD  = norm.NFD
	formNFKD = norm.NFKD
)

// Tokenizer is a loaded tokenizer.json. It is safe for concurrent use.
type Tokenizer struct {
	model         model
	normalizer    normalizer
	preTokenizers []preTokenizer // a Sequence is flattened
	byteLevel     bool           // a ByteLevel pre-tokenizer maps bytes to the model's characters
	post          postProcessor
	decoder       decoder // nil: tokens joined by spaces

	added           []addedToken
	addedByID       map[int]*addedToken
	addedByContent  map[string]*addedToken
	addedPlain      *addedMatcher // matched in the raw text
	addedNormalized *addedMatcher // matched in the normalized text

	padID          int
	padToken       string
	padLeft        bool
	truncateLeft   bool // tokenizer_config.json's truncation_side
	modelMaxLength int
	fileTruncation *EncodeOptions
	vocabSize      int
}

// EncodeOptions controls one encoding.
type EncodeOptions struct {
	// AddSpecialTokens runs the post-processor's template (Qwen3-Embedding: appends
	// <|endoftext|>; BERT: [CLS] A [SEP] B [SEP]). Added tokens written in the text are
	// recognised either way.
	AddSpecialTokens bool
	// MaxLength truncates to at most this many tokens, the post-processor's included
	// (their room is kept); 0 means no truncation.
	MaxLength int
	// TruncateLeft drops tokens from the start instead of the end.
	TruncateLeft bool
	// Strategy says which sequence of a pair loses tokens (the zero value is the library's
	// default, longest_first). It does not matter for a single text.
	Strategy TruncationStrategy
}

// TruncationStrategy is the library's truncation strategy for pairs.
type TruncationStrategy int

const (
	// LongestFirst shortens the longer sequence first, then both alike.
	LongestFirst TruncationStrategy = iota
	// OnlyFirst shortens only the first sequence (an error if it is too short).
	OnlyFirst
	// OnlySecond shortens only the second sequence (an error if it is too short, or for a
	// single text).
	OnlySecond
)

// Encoding is the result of Encode and EncodePair.
type Encoding struct {
	IDs []int
	// TypeIDs are the token type (segment) ids: for BERT, 0 for [CLS] A [SEP] and 1 for
	// B [SEP]; as the post-processor says.
	TypeIDs []int
	Tokens  []string // the vocabulary strings (byte-level characters for byte-level BPE)
	// Offsets are byte ranges [start, end) into the input text (for a pair, into the text
	// the token came from); a token that holds part of a multi-byte character covers the
	// whole character, as in the library. Tokens added by the post-processor have [0, 0].
	Offsets [][2]int
	// SpecialTokensMask is 1 for the tokens the post-processor added, else 0.
	SpecialTokensMask []int
	// Truncated reports that MaxLength dropped tokens; OriginalLength is the length the
	// encoding would have had without truncation (post-processor tokens included).
	Truncated      bool
	OriginalLength int
}

// PadID returns the padding id: the padding section of tokenizer.json, else the pad_token
// of tokenizer_config.json; -1 if neither names one. Qwen3-Embedding: 151643.
func (t *Tokenizer) PadID() int { return t.padID }

// PadToken returns the padding token's text ("" if unknown).
func (t *Tokenizer) PadToken() string { return t.padToken }

// VocabSize returns one more than the largest id, added tokens included (Qwen3: 151669).
func (t *Tokenizer) VocabSize() int { return t.vocabSize }

// PaddingLeft reports whether the files ask for padding on the left (the padding section's
// direction, or tokenizer_config.json's padding_side).
func (t *Tokenizer) PaddingLeft() bool { return t.padLeft }

// TruncationLeft reports whether tokenizer_config.json's truncation_side is "left" (callers
// pass it as EncodeOptions.TruncateLeft).
func (t *Tokenizer) TruncationLeft() bool { return t.truncateLeft }

// ModelMaxLength returns tokenizer_config.json's model_max_length, 0 if unknown.
func (t *Tokenizer) ModelMaxLength() int { return t.modelMaxLength }

// FileTruncation returns the truncation section of tokenizer.json, nil if it has none.
// It is informational: Encode truncates only as EncodeOptions say.
func (t *Tokenizer) FileTruncation() *EncodeOptions { return t.fileTruncation }

// SpecialTokensCount returns how many tokens the post-processor adds to one sequence.
func (t *Tokenizer) SpecialTokensCount() int { return t.specialCount(false) }

// SpecialTokensCountPair returns how many tokens the post-processor adds to a pair.
func (t *Tokenizer) SpecialTokensCountPair() int { return t.specialCount(true) }

func (t *Tokenizer) specialCount(pair bool) int {
	if t.post == nil {
		return 0
	}
	return t.post.added(pair)
}

// TokenToID returns the id of a token (added tokens first, then the vocabulary).
func (t *Tokenizer) TokenToID(tok string) (int, bool) {
	if a, ok := t.addedByContent[tok]; ok {
		return a.ID, true
	}
	if id, ok := t.model.tokenToID(tok); ok {
		return int(id), true
	}
	return 0, false
}

// IDToToken returns the token of an id.
func (t *Tokenizer) IDToToken(id int) (string, bool) {
	if a, ok := t.addedByID[id]; ok {
		return a.Content, true
	}
	if id >= 0 && id <= t.model.maxID() {
		if tok, ok := t.model.idToToken(int32(id)); ok {
			return tok, true
		}
	}
	return "", false
}

// IsSpecial reports whether id is an added token marked special (skipped by Decode with
// skipSpecial).
func (t *Tokenizer) IsSpecial(id int) bool {
	a, ok := t.addedByID[id]
	return ok && a.Special
}

// out is one token of an encoding under construction.
type out struct {
	id         int32
	start, end int32 // into the input text
	text       string
}

type scratch struct {
	segs, nsegs []segment
	pieces      []piece
	pieces2     []piece
	toks        []token
	outs        []out
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Encode tokenizes text. Invalid UTF-8 is read the way Rust's String::from_utf8_lossy reads
// it: each maximal invalid sequence becomes one U+FFFD (offsets still index text).
func (t *Tokenizer) Encode(text string, opt EncodeOptions) (Encoding, error) {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	outs, err := t.encodeTokens(text, sc)
	if err != nil {
		return Encoding{}, err
	}
	return t.finish(outs, nil, false, opt)
}

// EncodePair tokenizes a pair of texts (a query and a document for a cross-encoder; BERT's
// sentence A and B): each text is encoded alone, the pair is truncated as opt says, and the
// post-processor's pair template joins them (type ids 0 for the first, 1 for the second).
func (t *Tokenizer) EncodePair(text, pair string, opt EncodeOptions) (Encoding, error) {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	outs, err := t.encodeTokens(text, sc)
	if err != nil {
		return Encoding{}, err
	}
	first := append([]out(nil), outs...)
	second, err := t.encodeTokens(pair, sc)
	if err != nil {
		return Encoding{}, fmt.Errorf("pair: %w", err)
	}
	return t.finish(first, second, true, opt)
}

func (t *Tokenizer) encodeTokens(text string, sc *scratch) ([]out, error) {
	src, lossAl := lossyUTF8(text)
	outs := sc.outs[:0]
	emit := func(id int32, a, b int, tok string) {
		a, b = lossAl.span(a, b)
		outs = append(outs, out{id, int32(a), int32(b), tok})
	}
	unkAsText := int32(-1)
	if u, ok := t.model.(unknownAsText); ok {
		unkAsText = u.unknownID()
	}
	sc.segs = t.addedPlain.split(src, sc.segs[:0])
	for _, seg := range sc.segs {
		if seg.tok != nil {
			emit(int32(seg.tok.ID), seg.start, seg.end, src[seg.start:seg.end])
			continue
		}
		ns, nal := src[seg.start:seg.end], (*align)(nil)
		if t.normalizer != nil {
			ns, nal = t.normalizer.normalize(ns)
		}
		ncur := alignCursor{al: nal}
		sc.nsegs = t.addedNormalized.split(ns, sc.nsegs[:0])
		for _, nseg := range sc.nsegs {
			if nseg.tok != nil {
				a, b := nal.span(nseg.start, nseg.end)
				emit(int32(nseg.tok.ID), seg.start+a, seg.start+b, ns[nseg.start:nseg.end])
				continue
			}
			if nseg.end == nseg.start {
				continue
			}
			first := seg.start == 0 && nseg.start == 0
			pieces := append(sc.pieces[:0], piece{text: ns[nseg.start:nseg.end], off: nseg.start, first: first})
			for _, pt := range t.preTokenizers {
				next := sc.pieces2[:0]
				for _, p := range pieces {
					next = pt.split(next, p)
				}
				sc.pieces, sc.pieces2 = next, pieces
				pieces = next
			}
			for _, p := range pieces {
				var err error
				sc.toks, err = t.model.tokenize(p.text, sc.toks[:0])
				if err != nil {
					return nil, fmt.Errorf("tokenizer: word %q: %w", p.text, err)
				}
				for _, tk := range sc.toks {
					na, nb := p.srcSpan(int(tk.start), int(tk.end))
					// A token holding part of a character covers the whole character.
					for na > 0 && na < len(ns) && !utf8.RuneStart(ns[na]) {
						na--
					}
					for nb < len(ns) && nb > 0 && !utf8.RuneStart(ns[nb]) {
						nb++
					}
					a, b := ncur.span(na, nb)
					tok, _ := t.model.idToToken(tk.id)
					if tk.id == unkAsText {
						tok = p.text[tk.start:tk.end]
					}
					emit(tk.id, seg.start+a, seg.start+b, tok)
				}
			}
		}
	}
	sc.outs = outs
	return outs, nil
}

// ErrTruncation is returned when MaxLength cannot be met: it leaves no room for the special
// tokens, OnlyFirst or OnlySecond cannot remove enough tokens from the sequence they may
// shorten, or OnlySecond has no second sequence.
var ErrTruncation = errors.New("tokenizer: truncation")

// finish truncates, runs the post-processor and builds the Encoding.
func (t *Tokenizer) finish(outsA, outsB []out, pair bool, opt EncodeOptions) (Encoding, error) {
	added := 0
	if opt.AddSpecialTokens {
		added = t.specialCount(pair)
	}
	total := len(outsA) + len(outsB) + added
	if opt.MaxLength < 0 {
		return Encoding{}, fmt.Errorf("tokenizer: MaxLength %d is negative", opt.MaxLength)
	}
	truncated := false
	if opt.MaxLength > 0 {
		// The library subtracts the special tokens from max_length in unsigned arithmetic:
		// when they do not fit, the limit wraps around and nothing is cut, so the result is
		// longer than max_length. That is an error here.
		if opt.MaxLength < added {
			return Encoding{}, fmt.Errorf("%w: MaxLength %d leaves no room for the %d special tokens of the post-processor", ErrTruncation, opt.MaxLength, added)
		}
		var err error
		na, nb := len(outsA), len(outsB)
		if outsA, outsB, err = truncatePair(outsA, outsB, pair, opt.MaxLength-added, opt); err != nil {
			return Encoding{}, err
		}
		truncated = len(outsA) != na || len(outsB) != nb
	}
	encs := make([]Encoding, 1, 2)
	encs[0] = makeEncoding(outsA, 0, added)
	if pair {
		encs = append(encs, makeEncoding(outsB, 1, 0))
	}
	if t.post != nil {
		var err error
		if encs, err = t.post.process(encs, opt.AddSpecialTokens); err != nil {
			return Encoding{}, fmt.Errorf("tokenizer: %w", err)
		}
	}
	enc := encs[0]
	for _, e := range encs[1:] {
		enc.IDs = append(enc.IDs, e.IDs...)
		enc.TypeIDs = append(enc.TypeIDs, e.TypeIDs...)
		enc.Tokens = append(enc.Tokens, e.Tokens...)
		enc.Offsets = append(enc.Offsets, e.Offsets...)
		enc.SpecialTokensMask = append(enc.SpecialTokensMask, e.SpecialTokensMask...)
	}
	enc.Truncated, enc.OriginalLength = truncated, total
	return enc, nil
}

// makeEncoding turns the tokens of one sequence into an Encoding with room for extra
// tokens, every type id typeID.
func makeEncoding(outs []out, typeID, extra int) Encoding {
	n := len(outs) + extra
	e := Encoding{IDs: make([]int, len(outs), n), TypeIDs: make([]int, len(outs), n), Tokens: make([]string, len(outs), n),
		Offsets: make([][2]int, len(outs), n), SpecialTokensMask: make([]int, len(outs), n)}
	for i, o := range outs {
		e.IDs[i] = int(o.id)
		e.TypeIDs[i] = typeID
		e.Tokens[i] = o.text
		e.Offsets[i] = [2]int{int(o.start), int(o.end)}
	}
	return e
}

// truncatePair is the library's truncate_encodings with stride 0: the sequences keep at
// most limit tokens together.
func truncatePair(a, b []out, pair bool, limit int, opt EncodeOptions) ([]out, []out, error) {
	cut := func(s []out, n int) []out {
		if n >= len(s) {
			return s
		}
		if opt.TruncateLeft {
			return s[len(s)-n:]
		}
		return s[:n]
	}
	if limit == 0 {
		return a[:0], b[:0], nil
	}
	total := len(a) + len(b)
	if total <= limit {
		return a, b, nil
	}
	toRemove := total - limit
	switch opt.Strategy {
	case LongestFirst:
		if !pair {
			return cut(a, limit), b, nil
		}
		n1, n2 := len(a), len(b)
		swap := n1 > n2
		if swap {
			n1, n2 = n2, n1
		}
		if n1 > limit {
			n2 = n1
		} else {
			n2 = max(n1, limit-n1)
		}
		if n1+n2 > limit {
			n1 = limit / 2
			n2 = n1 + limit%2
		}
		if swap {
			n1, n2 = n2, n1
		}
		return cut(a, n1), cut(b, n2), nil
	case OnlyFirst, OnlySecond:
		target := &a
		if opt.Strategy == OnlySecond {
			if !pair {
				return nil, nil, fmt.Errorf("%w: OnlySecond without a second sequence", ErrTruncation)
			}
			target = &b
		}
		if len(*target) <= toRemove {
			return nil, nil, fmt.Errorf("%w: the sequence to shorten has %d tokens, %d must go", ErrTruncation, len(*target), toRemove)
		}
		*target = cut(*target, len(*target)-toRemove)
		return a, b, nil
	}
	return nil, nil, fmt.Errorf("tokenizer: unknown truncation strategy %d", opt.Strategy)
}

// EncodeBatch encodes texts in parallel (one goroutine per CPU) and returns the encodings in
// input order. It stops early when ctx is done.
func (t *Tokenizer) EncodeBatch(ctx context.Context, texts []string, opt EncodeOptions) ([]Encoding, error) {
	return parallel(ctx, len(texts), func(i int) (Encoding, error) { return t.Encode(texts[i], opt) })
}

// EncodePairBatch encodes pairs (for a cross-encoder: query and document) in parallel, like
// EncodeBatch.
func (t *Tokenizer) EncodePairBatch(ctx context.Context, pairs [][2]string, opt EncodeOptions) ([]Encoding, error) {
	return parallel(ctx, len(pairs), func(i int) (Encoding, error) { return t.EncodePair(pairs[i][0], pairs[i][1], opt) })
}

func parallel(ctx context.Context, n int, encode func(i int) (Encoding, error)) ([]Encoding, error) {
	res := make([]Encoding, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				enc, err := encode(i)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("text %d: %w", i, err) })
					return
				}
				res[i] = enc
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return res, nil
}

// Padding describes how Pad lays out a batch.
type Padding struct {
	Length   int  // pad to this length; 0 = the longest encoding of the batch
	Multiple int  // then round the length up to a multiple of this (0 = no rounding)
	Left     bool // pad at the start instead of the end
}

// Pad returns the ids of encs padded to one length with PadID, and the attention masks
// (1 for real tokens, 0 for padding). Encodings longer than Padding.Length are kept whole.
func (t *Tokenizer) Pad(encs []Encoding, p Padding) (ids [][]int, mask [][]int, err error) {
	if t.padID < 0 {
		return nil, nil, fmt.Errorf("tokenizer: no pad token (neither a padding section nor a pad_token in tokenizer_config.json)")
	}
	n := p.Length
	for _, e := range encs {
		n = max(n, len(e.IDs))
	}
	if p.Multiple > 0 && n%p.Multiple != 0 {
		n += p.Multiple - n%p.Multiple
	}
	ids, mask = make([][]int, len(encs)), make([][]int, len(encs))
	for i, e := range encs {
		row, m := make([]int, n), make([]int, n)
		pad := n - len(e.IDs)
		at := 0
		if p.Left {
			at = pad
		}
		for k := range row {
			row[k] = t.padID
		}
		copy(row[at:], e.IDs)
		for k := at; k < at+len(e.IDs); k++ {
			m[k] = 1
		}
		ids[i], mask[i] = row, m
	}
	return ids, mask, nil
}
