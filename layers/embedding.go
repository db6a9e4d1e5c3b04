package layers

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RowSource gathers rows of an embedding table by index into dst (len(ids)
// rows back to back). A memory-mapped checkpoint tensor is one: the table
// need not be converted to float32 as a whole.
type RowSource interface {
	GatherRows(ids []int, dst []float32) error
}

// EmbeddingSpec describes the input embeddings of a sequence.
type EmbeddingSpec struct {
	Words RowSource // [vocab, hidden], rows picked by the Batch's IDs
	// Positions, when non-nil, is an absolute position table [max, hidden];
	// token p (counting real tokens from 0) adds row p + PositionOffset
	// (RoBERTa-style models start at padding_idx + 1).
	Positions      *G.Node
	PositionOffset int
	// Types, when non-nil, is a token type table [types, hidden]; the Batch's
	// TypeIDs pick the rows (nil TypeIDs = type 0).
	Types *G.Node
	// Scale, when non-zero, multiplies the word embedding (Gemma: √hidden).
	Scale float32
}

type embeddingOp struct {
	opBase
	spec                   EmbeddingSpec
	hasPositions, hasTypes bool
}

// Embeddings writes the input embeddings of the runtime's Batch into in's
// buffer ([B·T, hidden], the graph's input node), in place: word rows
// (scaled) + position rows + type rows for real tokens, zeros for padding.
func Embeddings(rt *Runtime, in *G.Node, spec EmbeddingSpec) (*G.Node, error) {
	n, h, err := checkMatrix(in, "embedding output")
	if err != nil {
		return nil, err
	}
	if spec.Words == nil {
		return nil, fmt.Errorf("layers: embeddings without a word table")
	}
	inputs := []*G.Node{in}
	for _, t := range []*G.Node{spec.Positions, spec.Types} {
		if t == nil {
			continue
		}
		if s := t.Shape(); len(s) != 2 || s[1] != h {
			return nil, fmt.Errorf("layers: embedding table %q has shape %v, want [·, %d]", t.Name(), s, h)
		}
		inputs = append(inputs, t)
	}
	if spec.PositionOffset < 0 {
		return nil, fmt.Errorf("layers: negative position offset %d", spec.PositionOffset)
	}
	op := &embeddingOp{opBase: newOpBase(rt, "Embeddings", tensor.Shape{n, h}, inputs...), spec: spec,
		hasPositions: spec.Positions != nil, hasTypes: spec.Types != nil}
	return apply(op, "Embeddings", inputs...)
}

func (o *embeddingOp) Do(inputs ...G.Value) (G.Value, error) {
	n, H := o.shape[0], o.shape[1]
	out, err := o.floats(inputs, 0, n*H)
	if err != nil {
		return nil, err
	}
	next := 1
	var pos, typ []float32
	if o.hasPositions {
		if pos, err = o.floats(inputs, next, -1); err != nil {
			return nil, err
		}
		next++
	}
	if o.hasTypes {
		if typ, err = o.floats(inputs, next, -1); err != nil {
			return nil, err
		}
	}
	bt := o.rt.Batch
	if bt.Size*bt.Length != n || len(bt.IDs) != bt.Size {
		return nil, fmt.Errorf("%s: batch layout %d×%d with %d id lists does not match %d rows", o.name, bt.Size, bt.Length, len(bt.IDs), n)
	}
	T := bt.Length
	for b := range bt.Size {
		rows := out[b*T*H : (b+1)*T*H]
		first, L := bt.Start[b], bt.Len[b]
		ids := bt.IDs[b]
		if len(ids) != L {
			return nil, fmt.Errorf("%s: sequence %d has %d ids, layout says %d", o.name, b, len(ids), L)
		}
		clear(rows[:first*H])
		clear(rows[(first+L)*H:])
		real := rows[first*H : (first+L)*H]
		if err := o.spec.Words.GatherRows(ids, real); err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
		if s := o.spec.Scale; s != 0 {
			for i := range real {
				real[i] *= s
			}
		}
		// transformers' order: words + types, then + positions.
		if typ != nil {
			var tids []int
			if b < len(bt.TypeIDs) {
				tids = bt.TypeIDs[b]
			}
			for t := range L {
				id := 0
				if tids != nil {
					id = tids[t]
				}
				if id < 0 || (id+1)*H > len(typ) {
					return nil, fmt.Errorf("%s: sequence %d, position %d: token type %d out of range [0, %d)", o.name, b, t, id, len(typ)/H)
				}
				row := real[t*H : (t+1)*H]
				for i, v := range typ[id*H : (id+1)*H] {
					row[i] += v
				}
			}
		}
		if pos != nil {
			if last := L - 1 + o.spec.PositionOffset; (last+1)*H > len(pos) {
				return nil, fmt.Errorf("%s: sequence %d needs position %d, the table has %d", o.name, b, last, len(pos)/H)
			}
			p := pos[o.spec.PositionOffset*H:]
			for i := range real {
				real[i] += p[i]
			}
		}
	}
	return inputs[0], nil
}
