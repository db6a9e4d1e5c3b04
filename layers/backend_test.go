package layers

import (
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/layers/internal/kernels"
)

// TestKernelsNamesBF16Path checks that the kernel name says which bfloat16
// path runs: the paths give different bits, and the name is how users tell
// whether two vectors can be compared bit for bit.
func TestKernelsNamesBF16Path(t *testing.T) {
	name := Kernels()
	amx, dot := strings.Contains(name, "amx_bf16"), strings.Contains(name, "avx512_bf16")
	switch {
	case kernels.Best.HasAMX():
		if !amx || dot {
			t.Errorf("AMX in use, but the kernel name is %q", name)
		}
	case kernels.Best.HasBF16Dot():
		if amx || !dot {
			t.Errorf("VDPBF16PS in use, but the kernel name is %q", name)
		}
	default:
		if amx || dot {
			t.Errorf("bf16 weights widened, but the kernel name is %q", name)
		}
	}
	t.Logf("kernels: %s", name)
}
