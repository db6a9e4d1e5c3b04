package embed

import (
	"fmt"
	"strings"

	"github.com/gembed-dev/gembed/graph"
)

// DType is the precision the model's projection matrices are kept and
// multiplied in.
type DType = graph.DType

const (
	// Float32 (the default) is exact: every weight is converted to float32.
	Float32 = graph.Float32
	// BFloat16 keeps the matrices of the linear layers as bfloat16 (read in
	// place from a BF16 checkpoint, rounded to nearest even once otherwise)
	// and rounds their inputs to bfloat16, summing in float32; embeddings,
	// norms, softmax, RoPE, pooling and Dense modules stay float32. It halves
	// the weights' memory and, on CPUs with AVX512_BF16, speeds up the
	// matrix products; vectors differ from float32's by cos ≥ 0.999.
	BFloat16 = graph.BFloat16
)

// DTypeNames are the names ParseDType accepts ("float32", "bfloat16").
func DTypeNames() []string { return append([]string(nil), graph.DTypeNames...) }

// ParseDType reads a dtype name as given to --dtype or GEMBED_DTYPE; an
// unknown name is an error listing the choices.
func ParseDType(s string) (DType, error) { return graph.ParseDType(s) }

// WithDType selects the precision (default Float32). New fails on a value
// that is neither Float32 nor BFloat16.
func WithDType(d DType) Option { return func(s *settings) { s.dtype = d } }

func checkDType(d DType) error {
	if d != Float32 && d != BFloat16 {
		return fmt.Errorf("unknown dtype %v (choices: %s)", d, strings.Join(graph.DTypeNames, ", "))
	}
	return nil
}
