package graph

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// withConfig copies a generated model's folder (weights linked) with
// config.json changed by edit.
func withConfig(t *testing.T, variant string, edit func(map[string]any)) string {
	t.Helper()
	src := modelgen.TestModel(t, variant)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "config.json" {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	if b, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestHeadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  func(t *testing.T) string
		opt  Options
		want string
	}{
		{"no classifier class", func(t *testing.T) string { return modelgen.TestModel(t, "bert-mean") }, Options{Head: ClassifierHead}, "names no sequence-classification head"},
		{"no tokens", func(t *testing.T) string { return modelgen.TestModel(t, "qwen3-reranker") }, Options{Head: TokenLogitsHead}, "no token ids"},
		{"token out of range", func(t *testing.T) string { return modelgen.TestModel(t, "qwen3-reranker") }, Options{Head: TokenLogitsHead, HeadTokens: []int{151669}}, "out of range"},
		{"untied without lm_head", func(t *testing.T) string {
			return withConfig(t, "qwen3-reranker", func(c map[string]any) { c["tie_word_embeddings"] = false })
		}, Options{Head: TokenLogitsHead, HeadTokens: []int{1}}, `no "lm_head.weight"`},
		{"encoder has no output matrix", func(t *testing.T) string { return modelgen.TestModel(t, "bert-mean") }, Options{Head: TokenLogitsHead, HeadTokens: []int{1}}, "no output matrix"},
		{"bad classifier_pooling", func(t *testing.T) string {
			return withConfig(t, "modernbert-cross-encoder", func(c map[string]any) { c["classifier_pooling"] = "max" })
		}, Options{Head: ClassifierHead}, "classifier_pooling"},
		{"missing classifier tensor", func(t *testing.T) string {
			return withConfig(t, "bert-cross-encoder", func(c map[string]any) { c["architectures"] = []string{"XLMRobertaForSequenceClassification"} })
		}, Options{Head: ClassifierHead}, "classifier.dense.weight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.dir(t), tc.opt)
			if err == nil {
				m.Close()
				t.Fatalf("loaded; want an error with %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// The token-logits head computes exactly what the tied embedding rows give
// against the last-token vector of the same model without a head.
func TestTokenLogitsHead(t *testing.T) {
	dir := modelgen.TestModel(t, "qwen3-reranker")
	ids := []int{9693, 2152, 0}
	head, err := Load(dir, Options{Head: TokenLogitsHead, HeadTokens: ids, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer head.Close()
	plain, err := Load(dir, Options{Pooling: PoolLastToken, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	seq := [][]int{{1, 2, 3, 4, 5}}
	got, err := head.Forward(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	h, err := plain.Forward(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]float32, len(ids)*plain.cfg.Hidden)
	if err := plain.arch.(*qwen).Embed.GatherRows(ids, rows); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, len(ids))
	for k := range ids {
		for j, x := range h[0] {
			want[k] += float64(x) * float64(rows[k*plain.cfg.Hidden+j])
		}
	}
	if head.Dimensions() != len(ids) {
		t.Errorf("Dimensions %d, want %d", head.Dimensions(), len(ids))
	}
	if err := numtest.Check(got[0], want, numtest.Tol{Abs: 1e-5, Rel: 1e-6}); err != nil {
		t.Error(err)
	}
}
