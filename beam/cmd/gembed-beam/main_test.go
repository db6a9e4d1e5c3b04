package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

var tinyModel string

func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	dir, err := os.MkdirTemp("", "gembed-beam-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gen := exec.Command("go", "run", "./testdata/genmodel", "-out", dir, "-variant", "qwen3-f32")
	gen.Dir = filepath.Join("..", "..", "..")
	code := 1
	if out, err := gen.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "genmodel: %v\n%s", err, out)
	} else {
		tinyModel = filepath.Join(dir, "qwen3-f32")
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// setFlags sets the command's flags for one test and restores them after.
func setFlags(t *testing.T, kv map[string]string) {
	t.Helper()
	for name, v := range kv {
		f := flag.Lookup(name)
		if f == nil {
			t.Fatalf("no flag --%s", name)
		}
		old := f.Value.String()
		if err := flag.Set(name, v); err != nil {
			t.Fatalf("--%s %s: %v", name, v, err)
		}
		t.Cleanup(func() { flag.Set(name, old) })
	}
}

func TestFlagErrors(t *testing.T) {
	ok := map[string]string{"input": "in/*.jsonl", "output": "out/v", "model": "m"}
	tests := []struct {
		change map[string]string
		want   string
	}{
		{map[string]string{"input": ""}, "--input is required"},
		{map[string]string{"output": ""}, "--output is required"},
		{map[string]string{"model": ""}, "--model is required"},
		{map[string]string{"format": "csv"}, `--format "csv"`},
		{map[string]string{"shards": "0"}, "--shards 0"},
		{map[string]string{"batch-tokens": "-1"}, "--batch-tokens -1"},
		{map[string]string{"dimensions": "-3"}, "--dimensions -3"},
		{map[string]string{"max-length": "-1"}, "--max-length -1"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			setFlags(t, ok)
			setFlags(t, tt.change)
			if _, err := pipeline(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRun runs the command's own pipeline on Prism: JSONL in, one shard
// file per --shards and the errors file out.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "docs.jsonl")
	input := `{"id": "a", "text": "The capital of China is Beijing."}` + "\n" +
		`{"id": 2, "text": "Gravity is a force."}` + "\n" +
		`not json` + "\n"
	if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(dir, "out", "vectors")
	setFlags(t, map[string]string{"input": in, "output": prefix, "model": tinyModel, "shards": "2", "dimensions": "16"})
	if err := run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, name := range []string{prefix + "-00000-of-00002.jsonl", prefix + "-00001-of-00002.jsonl"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var l struct {
				ID        string    `json:"id"`
				Embedding []float32 `json:"embedding"`
			}
			if err := json.Unmarshal(line, &l); err != nil || len(l.Embedding) != 16 {
				t.Fatalf("%s: %q: %v, %d values", name, line, err, len(l.Embedding))
			}
			ids[l.ID]++
		}
	}
	if len(ids) != 2 || ids["a"] != 1 || ids["2"] != 1 {
		t.Errorf("ids %v, want a and 2 once each", ids)
	}
	errs, err := os.ReadFile(prefix + "-errors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"id":%q,"error":`, in+":3"); !bytes.HasPrefix(errs, []byte(want)) || bytes.Count(errs, []byte("\n")) != 1 {
		t.Errorf("errors file %q, want one line starting %s", errs, want)
	}
}
