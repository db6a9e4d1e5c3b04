package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want shard
		err  bool
	}{
		{"", shard{}, false},
		{"0/1", shard{0, 1}, false},
		{"3/4", shard{3, 4}, false},
		{"4/4", shard{}, true},
		{"-1/4", shard{}, true},
		{"0/0", shard{}, true},
		{"1", shard{}, true},
		{"a/b", shard{}, true},
		{"1/2/3", shard{}, true},
		{" 1/2", shard{}, true},
	}
	for _, tt := range tests {
		got, err := parseShard(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseShard(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "", "9/x", "-0/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := parseShard(s)
		if err == nil && s != "" && (sh.count < 1 || sh.index < 0 || sh.index >= sh.count) {
			t.Fatalf("parseShard(%q) accepted %v", s, sh)
		}
	})
}

// TestEmbedShards: the shards of --shard I/N together are the unsharded
// output, each line once, carrying its line number and id.
func TestEmbedShards(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	var in strings.Builder
	const lines, count = 7, 3
	for i := range lines {
		rec := map[string]any{"text": fmt.Sprintf("text %d %s", i+1, strings.Repeat("word ", i))}
		if i%2 == 0 {
			rec["id"] = i + 100
		}
		b, _ := json.Marshal(rec)
		in.Write(append(b, '\n'))
	}
	all := gembed(t, in.String(), nil, "embed", "--model", model, "--format", "jsonl")
	if all.code != 0 {
		t.Fatalf("unsharded: %s", all.stderr)
	}
	want := jsonlVectors(t, all.stdout)
	seen := map[int]bool{}
	for i := range count {
		r := gembed(t, in.String(), []string{fmt.Sprintf("GEMBED_SHARD=%d/%d", i, count)}, "embed", "--model", model, "--format", "jsonl")
		if r.code != 0 {
			t.Fatalf("shard %d: %s", i, r.stderr)
		}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var got struct {
				ID        *int      `json:"id"`
				Line      int       `json:"line"`
				Embedding []float32 `json:"embedding"`
			}
			if err := json.Unmarshal([]byte(l), &got); err != nil {
				t.Fatal(err)
			}
			n := got.Line
			if n < 1 || n > lines || (n-1)%count != i || seen[n] {
				t.Fatalf("shard %d: line %d out of place or repeated", i, n)
			}
			seen[n] = true
			if hasID := got.ID != nil; hasID != ((n-1)%2 == 0) || (hasID && *got.ID != n-1+100) {
				t.Errorf("line %d: id %v", n, got.ID)
			}
			if c := embed.Cosine(got.Embedding, want[n-1]); !(c >= 0.99999) {
				t.Errorf("line %d: cosine %v with the unsharded run", n, c)
			}
		}
	}
	if len(seen) != lines {
		t.Errorf("%d of %d lines", len(seen), lines)
	}
	wantError(t, gembed(t, "", nil, "embed", "--model", model, "--shard", "3/3", "--format", "jsonl"), "--shard", "INDEX/COUNT")
	wantError(t, gembed(t, "", nil, "embed", "--model", model, "--shard", "0/2", "a text"), "--shard needs --format jsonl")
}
