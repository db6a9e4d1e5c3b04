package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
			selected, indexes, err := SelectFiles("a/b", append(append([]string(nil), base...), c.files...), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]string(nil), base...), c.weights)
			sharded := len(indexes) == 1 && indexes[0] == c.weights
			if !reflect.DeepEqual(selected, want) || sharded != c.sharded || len(indexes) > 1 {
				t.Errorf("SelectFiles = %v, sharded %v; want %v, sharded %v", selected, sharded, want, c.sharded)
			}
		})
	}
	_, _, err := SelectFiles("a/b", append(base, "tf_model.h5", "model.onnx"), nil)
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

// TestDownloadModules fetches an EmbeddingGemma-shaped repo: modules.json
// names a Pooling module and two Dense modules (one with safetensors, one
// with only pytorch_model.bin, one sharded), whose files are fetched beside
// the transformer's; an offline client then finds the snapshot complete,
// and incomplete once a module's weights are gone.
func TestDownloadModules(t *testing.T) {
	fh := newFakeHub(t)
	modules := `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
 {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
 {"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"},
 {"idx":3,"name":"3","path":"3_Dense","type":"sentence_transformers.models.Dense"},
 {"idx":4,"name":"4","path":"4_Dense","type":"sentence_transformers.models.Dense"},
 {"idx":5,"name":"5","path":"5_Normalize","type":"sentence_transformers.models.Normalize"}]`
	files := map[string]fakeFile{
		"config.json":                          {data: []byte(`{}`)},
		"tokenizer.json":                       {data: []byte(`{}`)},
		"model.safetensors":                    {data: []byte("weights"), lfs: true},
		"modules.json":                         {data: []byte(modules)},
		"sentence_bert_config.json":            {data: []byte(`{"max_seq_length":2048}`)},
		"1_Pooling/config.json":                {data: []byte(`{"pooling_mode_mean_tokens":true}`)},
		"2_Dense/config.json":                  {data: []byte(`{"in_features":4,"out_features":8}`)},
		"2_Dense/model.safetensors":            {data: []byte("dense one"), lfs: true},
		"2_Dense/pytorch_model.bin":            {data: []byte("not fetched"), lfs: true},
		"3_Dense/config.json":                  {data: []byte(`{"in_features":8,"out_features":4}`)},
		"3_Dense/pytorch_model.bin":            {data: []byte("dense two"), lfs: true},
		"4_Dense/config.json":                  {data: []byte(`{"in_features":4,"out_features":4}`)},
		"4_Dense/model.safetensors.index.json": {data: []byte(`{"weight_map":{"linear.weight":"w-1.safetensors","linear.bias":"w-2.safetensors"}}`)},
		"4_Dense/w-1.safetensors":              {data: []byte("shard one"), lfs: true},
		"4_Dense/w-2.safetensors":              {data: []byte("shard two"), lfs: true},
		"5_Normalize/README.md":                {data: []byte("not fetched")},
	}
	fh.addRepo(testRepo, files)
	c := testClient(t, fh)
	dir, err := c.Download(context.Background(), testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors",
		"3_Dense/config.json", "3_Dense/pytorch_model.bin", "4_Dense/config.json",
		"4_Dense/model.safetensors.index.json", "4_Dense/w-1.safetensors", "4_Dense/w-2.safetensors",
		"config.json", "model.safetensors", "modules.json", "sentence_bert_config.json", "tokenizer.json"}
	if got := snapshotFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot holds %v, want %v", got, want)
	}
	offline := &Client{CacheDir: c.CacheDir, Offline: true}
	if got, err := offline.Download(context.Background(), testRepo, "main"); err != nil || got != dir {
		t.Fatalf("offline: %q, %v; want %q", got, err, dir)
	}
	if err := os.Remove(filepath.Join(dir, "3_Dense", "pytorch_model.bin")); err != nil {
		t.Fatal(err)
	}
	if _, err := offline.Download(context.Background(), testRepo, "main"); err == nil || !strings.Contains(err.Error(), "3_Dense/model.safetensors") {
		t.Fatalf("offline without 3_Dense's weights: %v", err)
	}

	// A module whose files the repo lacks is an error naming them.
	delete(files, "3_Dense/pytorch_model.bin")
	fh.addRepo("acme/broken", files)
	if _, err := c.Download(context.Background(), "acme/broken", "main"); !errors.Is(err, ErrEntryNotFound) || !strings.Contains(err.Error(), "3_Dense") {
		t.Fatalf("repo without 3_Dense's weights: %v", err)
	}
}
