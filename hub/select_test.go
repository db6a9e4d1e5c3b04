package hub

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestSelectWeights: PyTorch weights are picked only when a repo has no
// safetensors at all, single files before indexes.
func TestSelectWeights(t *testing.T) {
	base := []string{"config.json", "tokenizer.json"}
	cases := []struct {
		name    string
		files   []string
		weights string
		sharded bool
	}{
		{"safetensors beside bin", []string{"pytorch_model.bin", "model.safetensors"}, "model.safetensors", false},
		{"safetensors index beside bin", []string{"pytorch_model.bin", "model.safetensors.index.json"}, "model.safetensors.index.json", true},
		{"bin only", []string{"pytorch_model.bin", "tf_model.h5"}, "pytorch_model.bin", false},
		{"bin beside its index", []string{"pytorch_model.bin.index.json", "pytorch_model.bin"}, "pytorch_model.bin", false},
		{"bin index only", []string{"pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin"}, "pytorch_model.bin.index.json", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			selected, sharded, err := SelectFiles("a/b", append(append([]string(nil), base...), c.files...))
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]string(nil), base...), c.weights)
			if !reflect.DeepEqual(selected, want) || sharded != c.sharded {
				t.Errorf("SelectFiles = %v, sharded %v; want %v, sharded %v", selected, sharded, want, c.sharded)
			}
		})
	}
	_, _, err := SelectFiles("a/b", append(base, "tf_model.h5", "model.onnx"))
	if !errors.Is(err, ErrEntryNotFound) || !strings.Contains(err.Error(), "pytorch_model.bin") {
		t.Errorf("no weights: %v", err)
	}
}

// TestDownloadShardedBin fetches a repo whose only weights are sharded
// pytorch_model.bin files: the index first, then the shards it names.
func TestDownloadShardedBin(t *testing.T) {
	fh := newFakeHub(t)
	files := map[string]fakeFile{
		"config.json":    {data: []byte(`{}`)},
		"tokenizer.json": {data: []byte(`{}`)},
		"pytorch_model.bin.index.json": {data: []byte(`{"metadata":{"total_size":1},"weight_map":{
			"embeddings.word_embeddings.weight":"pytorch_model-00001-of-00002.bin",
			"pooler.dense.weight":"pytorch_model-00002-of-00002.bin"}}`)},
		"pytorch_model-00001-of-00002.bin": {data: []byte("shard one"), lfs: true},
		"pytorch_model-00002-of-00002.bin": {data: []byte("shard two"), lfs: true},
		"tf_model.h5":                      {data: []byte("not fetched"), lfs: true},
	}
	fh.addRepo(testRepo, files)
	dir, err := testClient(t, fh).Download(context.Background(), testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	want := "config.json pytorch_model-00001-of-00002.bin pytorch_model-00002-of-00002.bin pytorch_model.bin.index.json tokenizer.json"
	if got := strings.Join(snapshotFiles(t, dir), " "); got != want {
		t.Errorf("snapshot holds %s, want %s", got, want)
	}
}

// TestSelectModuleWeights: a sentence-transformers module folder's weights
// follow the same order, and the root's files do not count for it.
func TestSelectModuleWeights(t *testing.T) {
	cases := []struct {
		files   []string
		want    string
		sharded bool
		ok      bool
	}{
		{[]string{"2_Dense/config.json", "2_Dense/pytorch_model.bin"}, "2_Dense/pytorch_model.bin", false, true},
		{[]string{"2_Dense/pytorch_model.bin", "2_Dense/model.safetensors"}, "2_Dense/model.safetensors", false, true},
		{[]string{"2_Dense/pytorch_model.bin.index.json"}, "2_Dense/pytorch_model.bin.index.json", true, true},
		{[]string{"model.safetensors", "2_Dense/config.json", "3_Dense/pytorch_model.bin"}, "", false, false},
	}
	for _, c := range cases {
		for _, folder := range []string{"2_Dense", "2_Dense/"} {
			got, sharded, ok := SelectWeights(c.files, folder)
			if got != c.want || sharded != c.sharded || ok != c.ok {
				t.Errorf("SelectWeights(%v, %q) = %q, %v, %v; want %q, %v, %v", c.files, folder, got, sharded, ok, c.want, c.sharded, c.ok)
			}
		}
	}
}
