package layers

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opBase carries what every custom op shares: the Gorgonia Op boilerplate
// (type, shape, hash) and the runtime whose arena holds the output buffer.
//
// The ops are not differentiable and report CallsExtern() == false on purpose:
// the tape machine would otherwise insert an alloc instruction that makes a new
// output tensor on every run after Reset. Instead each op returns a view of its
// arena slot (or, for in-place ops, its input), so a steady-state forward pass
// allocates no activation memory.
type opBase struct {
	name   string
	id     uint64
	rt     *Runtime
	inDims []int
	shape  tensor.Shape // output shape
	out    slotTensor   // output buffer; unused by in-place ops
}

func newOpBase(rt *Runtime, name string, shape tensor.Shape, inputs ...*G.Node) opBase {
	dims := make([]int, len(inputs))
	for i, n := range inputs {
		dims[i] = n.Dims()
	}
	return opBase{name: name, id: rt.nextID(), rt: rt, inDims: dims, shape: shape}
}

func (o *opBase) Arity() int { return len(o.inDims) }

func (o *opBase) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make(hm.Types, 0, len(o.inDims)+1)
	for _, d := range o.inDims {
		ts = append(ts, G.TensorType{Dims: d, Of: a})
	}
	ts = append(ts, G.TensorType{Dims: len(o.shape), Of: a})
	return hm.NewFnType(ts...)
}

func (o *opBase) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.shape.Clone(), nil }
func (o *opBase) ReturnsPtr() bool                               { return true }
func (o *opBase) CallsExtern() bool                              { return false }
func (o *opBase) OverwritesInput() int                           { return -1 }

// WriteHash includes a per-runtime instance id: Gorgonia merges nodes whose
// hashes are equal, and two layers' ops must never be merged.
func (o *opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gembed.%s#%d", o.name, o.id) }
func (o *opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}
func (o *opBase) String() string { return fmt.Sprintf("%s#%d", o.name, o.id) }

// floats returns the float32 data of input i, checking its length.
func (o *opBase) floats(inputs []G.Value, i, want int) ([]float32, error) {
	if i >= len(inputs) {
		return nil, fmt.Errorf("%s: missing input %d", o.name, i)
	}
	var d []float32
	switch t := inputs[i].(type) {
	case *tensor.Dense:
		if t.Dtype() != tensor.Float32 {
			return nil, fmt.Errorf("%s: input %d is %v, not float32", o.name, i, t.Dtype())
		}
		d = t.Float32s() // unlike Data(), no boxing allocation
	case tensor.Tensor:
		var ok bool
		if d, ok = t.Data().([]float32); !ok {
			return nil, fmt.Errorf("%s: input %d holds %T, not float32", o.name, i, t.Data())
		}
	default:
		return nil, fmt.Errorf("%s: input %d is a %T, not a tensor", o.name, i, inputs[i])
	}
	if want >= 0 && len(d) != want {
		return nil, fmt.Errorf("%s: input %d has %d values, want %d", o.name, i, len(d), want)
	}
	return d, nil
}

// uint16s returns the bfloat16 bits of input i, checking its length.
func (o *opBase) uint16s(inputs []G.Value, i, want int) ([]uint16, error) {
	if i >= len(inputs) {
		return nil, fmt.Errorf("%s: missing input %d", o.name, i)
	}
	t, ok := inputs[i].(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s: input %d is a %T, not a tensor", o.name, i, inputs[i])
	}
	d, ok := t.Data().([]uint16)
	if !ok {
		return nil, fmt.Errorf("%s: input %d holds %T, not bfloat16 bits ([]uint16)", o.name, i, t.Data())
	}
	if want >= 0 && len(d) != want {
		return nil, fmt.Errorf("%s: input %d has %d values, want %d", o.name, i, len(d), want)
	}
	return d, nil
}

func apply(op G.Op, name string, inputs ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, inputs...)
	if err != nil {
		return nil, fmt.Errorf("layers: %s: %w", name, err)
	}
	return n, nil
}

// checkMatrix verifies a node is 2-D and returns its shape.
func checkMatrix(n *G.Node, what string) (rows, cols int, err error) {
	s := n.Shape()
	if len(s) != 2 {
		return 0, 0, fmt.Errorf("layers: %s %q must be a matrix, has shape %v", what, n.Name(), s)
	}
	return s[0], s[1], nil
}

func checkVector(n *G.Node, what string, size int) error {
	s := n.Shape()
	if s.TotalSize() != size || len(s) != 1 {
		return fmt.Errorf("layers: %s %q must be a vector of %d, has shape %v", what, n.Name(), size, s)
	}
	return nil
}
