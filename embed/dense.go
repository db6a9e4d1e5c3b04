package embed

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/gembed-dev/gembed/weights"
)

// dense is a loaded sentence-transformers Dense module: y = act(W·x + b).
type dense struct {
	in, out int
	w, b    []float32 // w [out, in]; b nil without bias
	act     func(float64) float64
}

var denseActivations = map[string]func(float64) float64{
	"Identity": func(x float64) float64 { return x },
	"Tanh":     math.Tanh,
	"ReLU":     func(x float64) float64 { return math.Max(x, 0) },
	"GELU":     func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
	"Sigmoid":  func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"SiLU":     func(x float64) float64 { return x / (1 + math.Exp(-x)) },
}

// loadDense reads a Dense module's weights (model.safetensors in its
// folder: "linear.weight" [out, in] and, with bias, "linear.bias").
func loadDense(dir string, m DenseModule) (*dense, error) {
	act, ok := denseActivations[m.Activation]
	if !ok {
		return nil, fmt.Errorf("%s: Dense activation %q is not supported", filepath.Join(dir, m.Path, "config.json"), m.Activation)
	}
	st, err := weights.Open(filepath.Join(dir, filepath.FromSlash(m.Path)))
	if err != nil {
		return nil, fmt.Errorf("Dense module %s: %w", m.Path, err)
	}
	defer st.Close()
	d := &dense{in: m.In, out: m.Out, act: act}
	load := func(name string, shape []int) ([]float32, error) {
		info, err := st.Info(name)
		if err != nil {
			return nil, fmt.Errorf("Dense module %s: %w", m.Path, err)
		}
		if !slices.Equal(info.Shape, shape) {
			return nil, fmt.Errorf("Dense module %s: tensor %q in %s has shape %v, its config.json implies %v", m.Path, name, info.File, info.Shape, shape)
		}
		return st.Float32(name)
	}
	if d.w, err = load("linear.weight", []int{m.Out, m.In}); err != nil {
		return nil, err
	}
	if m.Bias {
		if d.b, err = load("linear.bias", []int{m.Out}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// apply returns act(W·x + b), accumulated in float64.
func (d *dense) apply(x []float32) ([]float32, error) {
	if len(x) != d.in {
		return nil, fmt.Errorf("Dense module expects %d values, got %d", d.in, len(x))
	}
	y := make([]float32, d.out)
	for o := range d.out {
		s := 0.0
		row := d.w[o*d.in : (o+1)*d.in]
		for i, v := range row {
			s += float64(v) * float64(x[i])
		}
		if d.b != nil {
			s += float64(d.b[o])
		}
		y[o] = float32(d.act(s))
	}
	return y, nil
}
