package embed_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// BenchmarkEmbedTiny measures the public path (tokenize, plan, forward,
// normalize) on the tiny model, where the model is cheap and overheads show.
func BenchmarkEmbedTiny(b *testing.B) {
	e, err := embed.New(modelgen.TestModel(b, "qwen3-f32"))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for _, n := range []int{1, 64} {
		texts := make([]string, n)
		for i := range texts {
			texts[i] = fmt.Sprintf("text %d: %s", i, strings.Repeat("lorem ipsum ", i%17+1))
		}
		b.Run(fmt.Sprintf("texts=%d", n), func(b *testing.B) {
			tokens := 0
			for b.Loop() {
				r, err := e.EmbedDetailed(context.Background(), texts, embed.EmbedOptions{})
				if err != nil {
					b.Fatal(err)
				}
				tokens = r.TotalTokens
			}
			b.ReportMetric(float64(tokens*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
