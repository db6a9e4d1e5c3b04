package server

import (
	"context"
	"sync"

	"github.com/gembed-dev/gembed/embed"
)

const fakeHidden = 8

// fakeEmbedder tokenizes bytes (+ an end token 256) and makes vectors that
// depend only on the sequence.
type fakeEmbedder struct {
	maxLength int
	block     chan struct{} // when set, EmbedTokens waits for it
	started   chan struct{} // when set, EmbedTokens reports each call
	mu        sync.Mutex
	batches   []int // inputs per EmbedTokens call
}

func (f *fakeEmbedder) Info() embed.Info {
	return embed.Info{ID: "fake/model", Hidden: fakeHidden, Dimensions: fakeHidden, MaxLength: f.max(), MaxPositions: 64, Vocab: 300,
		SentenceTransformers: embed.SentenceTransformers{Pooling: embed.PoolLastToken, Normalize: true,
			Prompts: map[string]string{"query": "Q:"}}}
}

func (f *fakeEmbedder) max() int {
	if f.maxLength == 0 {
		return 32
	}
	return f.maxLength
}

func (f *fakeEmbedder) Tokenize(ctx context.Context, texts []string, opt embed.EmbedOptions) ([]embed.Tokenized, error) {
	prompt := ""
	switch {
	case opt.Prompt != "":
		prompt = opt.Prompt
	case opt.Instruction != "":
		prompt = embed.InstructionPrompt(opt.Instruction)
	case opt.PromptName == "query":
		prompt = "Q:"
	case opt.PromptName != "":
		return nil, &embed.UnknownPromptError{Name: opt.PromptName, Known: []string{"query"}}
	}
	out := make([]embed.Tokenized, len(texts))
	for i, t := range texts {
		ids := fakeIDs(prompt + t)
		tk := embed.Tokenized{IDs: ids, OriginalTokens: len(ids)}
		if len(ids) > f.max() {
			if opt.NoTruncate {
				return nil, &embed.TooLongError{Index: i, Tokens: len(ids), Max: f.max()}
			}
			tk.IDs = append(ids[:f.max()-1:f.max()-1], 256)
			tk.Truncated = true
		}
		out[i] = tk
	}
	return out, nil
}

func fakeIDs(s string) []int {
	ids := make([]int, 0, len(s)+1)
	for _, b := range []byte(s) {
		ids = append(ids, int(b))
	}
	return append(ids, 256)
}

func (f *fakeEmbedder) EmbedTokens(ctx context.Context, seqs [][]int) ([][]float32, error) {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.batches = append(f.batches, len(seqs))
	f.mu.Unlock()
	out := make([][]float32, len(seqs))
	for i, s := range seqs {
		out[i] = fakeVector(s)
	}
	return out, nil
}

func fakeVector(seq []int) []float32 {
	v := make([]float32, fakeHidden)
	for k := range v {
		v[k] = float32(k + 1)
		for p, id := range seq {
			v[k] += float32((id*(k+3)+p)%17) - 8
		}
	}
	return v
}

// want is what the server should answer for text.
func want(text string, dims int, normalize bool) []float32 {
	return embed.Finish(fakeVector(fakeIDs(text)), dims, normalize)
}
