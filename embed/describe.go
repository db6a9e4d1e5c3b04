package embed

import (
	"fmt"
	"path/filepath"

	"github.com/gembed-dev/gembed/graph"
	"github.com/gembed-dev/gembed/modelfolder"
	"github.com/gembed-dev/gembed/weights"
)

// Description describes a model folder without loading its weights: what
// `gembed info` shows.
type Description struct {
	Dir           string
	ModelType     string
	Architectures []string
	Hidden        int
	Intermediate  int
	Layers        int
	Heads         int
	KVHeads       int
	HeadDim       int
	Vocab         int
	MaxPositions  int
	MaxLength     int // the default maximum tokens per input
	Dimensions    int // length of the vectors (pooling and Dense modules applied)

	Tensors    int
	Parameters int64
	DTypes     map[string]int // dtype → tensors

	SentenceTransformers
}

// Describe reads a local model folder (see New for ids: resolve first) and
// its weights' headers.
func Describe(dir string) (Description, error) {
	f, err := modelfolder.Read(dir)
	if err != nil {
		return Description{}, err
	}
	c, err := graph.ParseConfig(f.Config)
	if err != nil {
		return Description{}, fmt.Errorf("%s: %w", filepath.Join(dir, modelfolder.ConfigFile), err)
	}
	st := sentenceTransformers(f)
	d := Description{
		Dir: dir, ModelType: c.ModelType, Architectures: c.Architectures, Hidden: c.Hidden, Intermediate: c.Intermediate,
		Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim, Vocab: c.Vocab,
		MaxPositions: c.MaxPositions, MaxLength: min(DefaultMaxLength, c.MaxPositions),
		DTypes: map[string]int{}, SentenceTransformers: st,
	}
	d.Dimensions = outputDimensions(c.Hidden, st)
	if st.MaxSeqLength > 0 { // as New does
		d.MaxLength = min(st.MaxSeqLength, c.MaxPositions)
	}
	ws, err := weights.Open(dir)
	if err != nil {
		return Description{}, err
	}
	defer ws.Close()
	for _, name := range ws.Names() {
		ti, err := ws.Info(name)
		if err != nil {
			return Description{}, err
		}
		d.DTypes[string(ti.DType)]++
		d.Parameters += int64(ti.Elems())
		d.Tensors++
	}
	return d, nil
}

// outputDimensions is the vector length the pipeline produces: the hidden
// size times the pooling modes, or the last Dense module's output.
func outputDimensions(hidden int, st SentenceTransformers) int {
	if n := len(st.Dense); n > 0 {
		return st.Dense[n-1].Out
	}
	modes := 1
	for _, r := range st.Pooling {
		if r == '+' {
			modes++
		}
	}
	return hidden * modes
}
