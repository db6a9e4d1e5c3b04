package embed_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TestBFloat16Option runs the llama.cpp goldens through embed.New with
// WithDType(BFloat16): cos ≥ 0.999 to llama.cpp's float32 vectors.
func TestBFloat16Option(t *testing.T) {
	for _, name := range []string{"qwen3-bf16", "qwen3-f32"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "llamacpp", name+".json"))
			if err != nil {
				t.Fatalf("golden file missing: %v", err)
			}
			var g golden
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			texts := make([]string, len(g.Cases))
			for i, c := range g.Cases {
				texts[i] = c.Text
			}
			bf := load(t, name, embed.WithDType(embed.BFloat16))
			f32 := load(t, name)
			got, err := bf.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := f32.Embed(context.Background(), texts)
			if err != nil {
				t.Fatal(err)
			}
			differs := false
			for i, c := range g.Cases {
				if err := numtest.Check(got[i], c.Embedding, numtest.Tol{MinCos: 0.999}); err != nil {
					t.Errorf("case %d %.30q vs llama.cpp: %v", i, c.Text, err)
				}
				for k := range got[i] {
					differs = differs || got[i][k] != exact[i][k]
				}
			}
			if !differs {
				t.Error("bfloat16 vectors are bit-identical to float32's: the mode is not in effect")
			}
		})
	}
}

func TestDTypeErrors(t *testing.T) {
	for _, s := range []string{"bf16", "float16", "", "Float32"} {
		_, err := embed.ParseDType(s)
		if err == nil || !strings.Contains(err.Error(), "float32, bfloat16") {
			t.Errorf("ParseDType(%q) = %v, want an error listing float32, bfloat16", s, err)
		}
	}
	for _, s := range embed.DTypeNames() {
		d, err := embed.ParseDType(s)
		if err != nil || d.String() != s {
			t.Errorf("ParseDType(%q) = %v, %v", s, d, err)
		}
	}
	_, err := embed.New(modelgen.TestModel(t, "qwen3-f32"), embed.WithDType(embed.DType(9)))
	if err == nil || !strings.Contains(err.Error(), "choices: float32, bfloat16") {
		t.Errorf("New with DType(9): %v, want an error listing the choices", err)
	}
}
