package embed_test

import (
	"path/filepath"
	"testing"

	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TestRotaryFamiliesEndToEnd runs the rotary encoder families from text to
// vector — tokenizer, truncation to max_seq_length, forward pass, the
// folder's pooling and Normalize — against their references: ModernBERT and
// GTE v1.5 through sentence-transformers (transformers' own models),
// NomicBERT through llama.cpp (fed the Hugging Face tokenizer's ids, which
// must also be ours).
func TestRotaryFamiliesEndToEnd(t *testing.T) {
	for _, tc := range []struct{ golden, variant string }{
		{"st/tiny/modernbert-mean", "modernbert-mean"},
		{"st/tiny/modernbert-bias-cls", "modernbert-bias-cls"},
		{"st/tiny/gte-cls", "gte-cls"},
		{"st/tiny/gte-types-mean", "gte-types-mean"},
		{"st/tiny/nomic-mean", "nomic-mean"},
		{"llamacpp/nomic-mean", "nomic-mean"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "golden", filepath.FromSlash(tc.golden)+".json.gz")
			checkSTGolden(t, path, modelgen.TestModel(t, tc.variant), 1)
		})
	}
}
