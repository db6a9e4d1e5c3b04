package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Decode turns ids back into text. With skipSpecial, added tokens marked special are
// left out. Like the library, ids that are neither in the vocabulary nor added tokens are
// skipped (the library's own templates may name such ids); a negative id is an error.
// Without a decoder the tokens are joined by spaces, as in the library.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) (string, error) {
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if a, ok := t.addedByID[id]; ok {
			if skipSpecial && a.Special {
				continue
			}
			toks = append(toks, a.Content)
			continue
		}
		if id < 0 {
			return "", fmt.Errorf("tokenizer: decode: negative id %d", id)
		}
		tok, ok := t.IDToToken(id)
		if !ok {
			continue
		}
		if skipSpecial {
			if a, ok := t.addedByContent[tok]; ok && a.Special {
				continue
			}
		}
		toks = append(toks, tok)
	}
	if t.decoder == nil {
		return strings.Join(toks, " "), nil
	}
	return strings.Join(t.decoder.decodeChain(toks), ""), nil
}

// decoderSequence is the library's Sequence decoder: each decoder's output is the next one's
// input.
type decoderSequence []decoder

func (q decoderSequence) decodeChain(toks []string) []string {
	for _, d := range q {
		toks = d.decodeChain(toks)
	}
	return toks
}

// byteLevelDecoder is the library's ByteLevel decoder: the tokens' characters mapped back to
// bytes (a token with a character outside the byte map keeps its own bytes), all of them read
// as one lossy UTF-8 string.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(toks []string) []string {
	var buf []byte
	for _, tok := range toks {
		start := len(buf)
		ok := true
		for _, r := range tok {
			b, in := runeToByte[r]
			if !in {
				ok = false
				break
			}
			buf = append(buf, b)
		}
		if !ok {
			buf = append(buf[:start], tok...)
		}
	}
	s, _ := lossyUTF8(string(buf))
	return []string{s}
}

func init() {
	registerDecoder("ByteLevel", func(*Tokenizer, string) (decoder, error) { return byteLevelDecoder{}, nil })
	registerDecoder("Sequence", buildDecoderSequence)
}

func buildDecoderSequence(t *Tokenizer, raw string) (decoder, error) {
	var c struct {
		Decoders []rawJSON `json:"decoders"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, err
	}
	var seq decoderSequence
	for i, sub := range c.Decoders {
		d, err := t.buildDecoder(string(sub))
		if err != nil {
			return nil, fmt.Errorf("decoders[%d]: %w", i, err)
		}
		if d != nil {
			seq = append(seq, d)
		}
	}
	return seq, nil
}
