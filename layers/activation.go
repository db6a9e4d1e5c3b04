package layers

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// Activation is an elementwise non-linearity.
type Activation int

// Activations, named as transformers' ACT2FN does in comments.
const (
	ActIdentity Activation = iota
	ActSiLU                // "silu", "swish": x·σ(x)
	ActGELU                // "gelu": exact, x·Φ(x) with erf
	ActGELUTanh            // "gelu_new", "gelu_pytorch_tanh": the tanh approximation
	ActReLU                // "relu"
	ActTanh                // "tanh" (sentence-transformers' Dense default)
)

var activationNames = map[string]Activation{
	"identity": ActIdentity, "linear": ActIdentity,
	"silu": ActSiLU, "swish": ActSiLU,
	"gelu":     ActGELU,
	"gelu_new": ActGELUTanh, "gelu_pytorch_tanh": ActGELUTanh,
	"relu": ActReLU,
	"tanh": ActTanh,
}

// ParseActivation maps a Hugging Face activation name (config.json's
// hidden_act) to an Activation; unknown names are an error, never a guess.
func ParseActivation(name string) (Activation, error) {
	a, ok := activationNames[name]
	if !ok {
		return 0, fmt.Errorf("activation %q is not supported", name)
	}
	return a, nil
}

func (a Activation) String() string {
	switch a {
	case ActIdentity:
		return "identity"
	case ActSiLU:
		return "silu"
	case ActGELU:
		return "gelu"
	case ActGELUTanh:
		return "gelu_tanh"
	case ActReLU:
		return "relu"
	case ActTanh:
		return "tanh"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// activateRow applies a in place.
func activateRow(a Activation, x []float32) {
	switch a {
	case ActSiLU:
		for i, v := range x {
			x[i] = v / (1 + kernels.Expf(-v))
		}
	case ActGELU:
		gelu(x)
	case ActGELUTanh:
		const c = 0.7978845608028654 // √(2/π)
		for i, v := range x {
			f := float64(v)
			x[i] = float32(0.5 * f * (1 + math.Tanh(c*(f+0.044715*f*f*f))))
		}
	case ActReLU:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	case ActTanh:
		for i, v := range x {
			x[i] = float32(math.Tanh(float64(v)))
		}
	}
}

type activationOp struct {
	opBase
	act Activation
}

// Activate applies act to x [N, W] IN PLACE (x must not be read by anything
// else) and returns x's buffer.
func Activate(rt *Runtime, x *G.Node, act Activation) (*G.Node, error) {
	n, w, err := checkMatrix(x, "activation input")
	if err != nil {
		return nil, err
	}
	if act < ActIdentity || act > ActTanh {
		return nil, fmt.Errorf("layers: unknown activation %v", act)
	}
	op := &activationOp{opBase: newOpBase(rt, "Activate", tensor.Shape{n, w}, x), act: act}
	return apply(op, "Activate "+act.String(), x)
}

func (o *activationOp) Do(inputs ...G.Value) (G.Value, error) {
	n, w := o.shape[0], o.shape[1]
	x, err := o.floats(inputs, 0, n*w)
	if err != nil {
		return nil, err
	}
	parallelRange(o.rt.threadsFor(n*w), n, func(lo, hi int) {
		activateRow(o.act, x[lo*w:hi*w])
	})
	return inputs[0], nil
}
