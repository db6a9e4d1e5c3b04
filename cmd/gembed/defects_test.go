package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/server"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
	"github.com/gembed-dev/gembed/tokenizer"
	"github.com/urfave/cli/v2"
)

// Flags are read anywhere; a word starting with "-" is text only after "--".
func TestFlagsAfterTexts(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	tests := []struct {
		name   string
		env    []string
		args   []string
		inputs []string // texts embedded, in order
		dims   int
	}{
		{"flag after text", []string{"GEMBED_MODEL=" + model}, []string{"embed", "-f", "jsonl-args", "x", "--dimensions", "8"}, []string{"x"}, 8},
		{"model after text", nil, []string{"embed", "x", "-m", model}, []string{"x"}, 64},
		{"flags between texts", nil, []string{"embed", "a", "--model=" + model, "b", "--dimensions", "16"}, []string{"a", "b"}, 16},
		{"dash text after --", nil, []string{"embed", "-m", model, "--format", "json", "--", "--dimensions", "-x"}, []string{"--dimensions", "-x"}, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			switch {
			case args[2] == "jsonl-args": // human output is checked through --format json
				args = append([]string{"embed", "-f", "json"}, args[3:]...)
			case strings.Contains(tt.name, "--"):
			default:
				args = append(args, "--format", "json")
			}
			r := gembed(t, "", tt.env, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got []jsonEmbeddingOut
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout %q: %v", r.stdout, err)
			}
			if len(got) != len(tt.inputs) {
				t.Fatalf("%d vectors for %q", len(got), tt.inputs)
			}
			for i, g := range got {
				if g.Text != tt.inputs[i] || len(g.Embedding) != tt.dims {
					t.Fatalf("vector %d: text %q, %d dims; want %q, %d", i, g.Text, len(g.Embedding), tt.inputs[i], tt.dims)
				}
			}
		})
	}

	t.Run("tokenize --no-special after the text", func(t *testing.T) {
		r := gembed(t, "", nil, "tokenize", "-m", model, "-f", "jsonl", "Hello", "--no-special")
		tok, err := tokenizer.LoadFile(filepath.Join(model, "tokenizer.json"))
		if err != nil {
			t.Fatal(err)
		}
		enc, err := tok.Encode("Hello", tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(enc.IDs)
		if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, `"ids":`+string(want)) {
			t.Fatalf("exit %d, stdout %q (want one line with ids %s), stderr %s", r.code, r.stdout, want, r.stderr)
		}
	})
	t.Run("unknown flag after text", func(t *testing.T) {
		wantError(t, gembed(t, "", nil, "embed", "-m", model, "x", "--dimension", "8"), "--dimension", `"--"`)
	})
	t.Run("flag without its value", func(t *testing.T) {
		wantError(t, gembed(t, "", nil, "embed", "-m", model, "x", "--dimensions"), "--dimensions", "value")
	})
}

type jsonEmbeddingOut struct {
	Index     int             `json:"index"`
	ID        json.RawMessage `json:"id"`
	Text      string          `json:"text"`
	Embedding []float64       `json:"embedding"`
}

// Positional arguments a command does not use are errors; a model given as
// the argument is the model.
func TestPositionalArguments(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	for _, tt := range []struct {
		name     string
		env      []string
		args     []string
		mentions []string
	}{
		{"similarity texts", nil, []string{"similarity", "-m", model, "q", "d"}, []string{`"q"`, "--query"}},
		{"info two models", nil, []string{"info", "-m", model, "other/model"}, []string{"once", "other/model"}},
		{"info three arguments", nil, []string{"info", model, "a", "b"}, []string{"one model"}},
		{"serve model twice", nil, []string{"serve", "--addr", "127.0.0.1:0", "--model", "a/b", model}, []string{"once"}},
		{"bench model twice", nil, []string{"bench", "-m", "a/b", model}, []string{"once"}},
		{"version argument", nil, []string{"version", "x"}, []string{`"x"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := gembed(t, "", tt.env, tt.args...)
			wantError(t, r, tt.mentions...)
			if r.stdout != "" {
				t.Fatalf("stdout on error: %q", r.stdout)
			}
		})
	}
	t.Run("info argument wins over GEMBED_MODEL", func(t *testing.T) {
		r := gembed(t, "", []string{"GEMBED_MODEL=nobody/nothing"}, "info", "-f", "json", model)
		if r.code != 0 || !strings.Contains(r.stdout, `"dir": "`+model) {
			t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("bench model argument", func(t *testing.T) {
		r := gembed(t, "", nil, "bench", model, "--texts", "2", "--words", "3", "--runs", "1")
		if r.code != 0 || !strings.Contains(r.stdout, "run 1: 2 inputs") {
			t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
		}
	})
}

// An input error found late must not leave half a document: every input is
// checked before the first vector is written.
func TestNoHalfOutput(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	var in strings.Builder
	for i := 1; i <= 600; i++ {
		text := fmt.Sprintf("line %d", i)
		if i == 551 {
			text = strings.Repeat("too long ", 40)
		}
		b, _ := json.Marshal(map[string]string{"text": text})
		in.Write(b)
		in.WriteString("\n")
	}
	for _, format := range []string{"jsonl", "json", "text"} {
		t.Run(format, func(t *testing.T) {
			stdin := in.String()
			args := []string{"embed", "-m", model, "-f", format, "--max-length", "20", "--no-truncate"}
			if format != "jsonl" { // plain lines: the JSON text is the text
				stdin = strings.ReplaceAll(stdin, `{"text":"`, "")
				stdin = strings.ReplaceAll(stdin, `"}`, "")
			}
			r := gembed(t, stdin, nil, args...)
			wantError(t, r, "line 551")
			if r.stdout != "" {
				t.Fatalf("%d bytes on stdout before the error", len(r.stdout))
			}
		})
	}
}

func TestPromptConflicts(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	for _, args := range [][]string{
		{"--prompt-name", "query", "--instruction", "Find"},
		{"--prompt", "query: ", "--prompt-name", "query"},
		{"--prompt", "query: ", "--instruction", "Find"},
	} {
		r := gembed(t, "", nil, append([]string{"embed", "-m", model, "x"}, args...)...)
		wantError(t, r, args[0], args[2], "not several")
	}
	// A free prompt is prepended as given, like sentence-transformers' prompt=.
	r := gembed(t, "", nil, "embed", "-m", model, "-f", "json", "--prompt", "search_query: ", "x")
	e, err := embed.New(model)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want, err := e.Embed(context.Background(), []string{"search_query: x"})
	if err != nil {
		t.Fatal(err)
	}
	var got []jsonEmbeddingOut
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 {
		t.Fatalf("stdout %q: %v (%s)", r.stdout, err, r.stderr)
	}
	for k, x := range got[0].Embedding {
		if d := x - float64(want[0][k]); !(d < 1e-6 && d > -1e-6) {
			t.Fatalf("value %d: %v, want %v", k, x, want[0][k])
		}
	}
}

// One input rule for every command: JSONL lines map one to one to output
// lines, carrying "id"; lengths are positive everywhere.
func TestInputRules(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	in := "{\"text\":\"a\",\"id\":\"doc-1\"}\n{\"text\":\"b\"}\n{\"text\":\"c\",\"id\":{\"n\":3}}\n"
	for _, cmd := range []string{"embed", "tokenize"} {
		t.Run(cmd+" ids", func(t *testing.T) {
			r := gembed(t, in, nil, cmd, "-m", model, "-f", "jsonl")
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			if r.code != 0 || len(lines) != 3 {
				t.Fatalf("exit %d, %d lines: %s", r.code, len(lines), r.stderr)
			}
			for i, want := range []string{`"doc-1"`, ``, `{"n":3}`} {
				var l struct {
					ID json.RawMessage `json:"id"`
				}
				if err := json.Unmarshal([]byte(lines[i]), &l); err != nil || string(l.ID) != want {
					t.Fatalf("line %d id %s, want %s (%v)", i+1, l.ID, want, err)
				}
			}
		})
		t.Run(cmd+" blank line", func(t *testing.T) {
			wantError(t, gembed(t, "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n", nil, cmd, "-m", model, "-f", "jsonl"), "line 2", "blank")
		})
		t.Run(cmd+" max length zero", func(t *testing.T) {
			wantError(t, gembed(t, "{\"text\":\"a\"}\n", nil, cmd, "-m", model, "-f", "jsonl", "--max-length", "0"), "--max-length 0")
		})
	}
	t.Run("tokenize plain lines say how", func(t *testing.T) {
		wantError(t, gembed(t, "hello\n", nil, "tokenize", "-m", model), "line 1", "--format text")
		r := gembed(t, "hello\n\nworld\n", nil, "tokenize", "-m", model, "--format", "text")
		if r.code != 0 || strings.Count(r.stdout, " tokens: ") != 3 {
			t.Fatalf("exit %d: %q %s", r.code, r.stdout, r.stderr)
		}
	})
}

// The library, the CLI and the server share defaults and validation.
func TestSharedDefaults(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	var batch *cli.IntFlag
	for _, f := range serveCommand().Flags {
		if f.Names()[0] == "max-batch-tokens" {
			batch = f.(*cli.IntFlag)
		}
	}
	if batch == nil || batch.Value != server.DefaultMaxBatchTokens || server.DefaultMaxBatchTokens != embed.DefaultBatchTokens {
		t.Fatalf("serve --max-batch-tokens default %v, server %d, embed %d", batch, server.DefaultMaxBatchTokens, embed.DefaultBatchTokens)
	}
	for _, args := range [][]string{{"embed", "x"}, {"similarity"}, {"bench"}} {
		wantError(t, gembed(t, "", nil, append(args, "-m", model, "--threads", "-2")...), "--threads -2", "0 (all cores) or more")
	}
	if _, err := embed.New(model, embed.WithThreads(-1)); err == nil || !strings.Contains(err.Error(), "threads -1") {
		t.Fatalf("embed.WithThreads(-1): %v", err)
	}
}

// version, info and bench name the build and the kernels.
func TestBuildNamed(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	r := gembed(t, "", nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "build:   "+buildName()) || !strings.Contains(r.stdout, "kernels: ") {
		t.Fatalf("version: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := gembed(t, "", nil, "info", model); !strings.Contains(r.stdout, "runs on:        "+buildName()) {
		t.Fatalf("info: %q %s", r.stdout, r.stderr)
	}
	if r := gembed(t, "", nil, "bench", "-m", model, "--texts", "1", "--words", "1", "--runs", "1"); !strings.Contains(r.stdout, "build: "+buildName()) {
		t.Fatalf("bench: %q %s", r.stdout, r.stderr)
	}
	if r := gembed(t, "", nil, "--help"); !strings.Contains(r.stdout, "("+buildName()+" build)") {
		t.Fatalf("usage line does not match the build %q: %q", buildName(), r.stdout)
	}
}

// --precision quantizes as sentence-transformers' quantize_embeddings,
// over all inputs of the run; --similarity-fn dot scores dot products.
func TestPrecisionAndDot(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	texts := []string{"a", "bb", "the capital of China", "gravity"}
	e, err := embed.New(model)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for _, s := range texts {
		b, _ := json.Marshal(map[string]string{"text": s})
		in.Write(b)
		in.WriteString("\n")
	}
	for _, p := range []embed.Precision{embed.PrecisionInt8, embed.PrecisionUint8, embed.PrecisionBinary, embed.PrecisionUbinary} {
		t.Run(string(p), func(t *testing.T) {
			want, err := embed.Quantize(vecs, p)
			if err != nil {
				t.Fatal(err)
			}
			r := gembed(t, in.String(), nil, "embed", "-m", model, "-f", "jsonl", "--precision", string(p))
			var got [][]int
			for _, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
				var l struct{ Embedding []int }
				if err := json.Unmarshal([]byte(line), &l); err != nil {
					t.Fatalf("line %q: %v (%s)", line, err, r.stderr)
				}
				got = append(got, l.Embedding)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
	wantError(t, gembed(t, "", nil, "embed", "-m", model, "--precision", "int8", "x"), "int8", "at least 2")
	wantError(t, gembed(t, "", nil, "embed", "-m", model, "--precision", "int4", "x"), "int4")

	r := gembed(t, "", nil, "similarity", "-m", model, "--no-normalize", "--similarity-fn", "dot", "-f", "json", "-q", "a", "-d", "bb")
	var m [][]float64
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || len(m) != 1 || len(m[0]) != 1 {
		t.Fatalf("similarity: %q %v %s", r.stdout, err, r.stderr)
	}
	raw, err := embed.New(model, embed.WithNormalize(false))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	q, _ := raw.EmbedQueries(context.Background(), []string{"a"})
	d, _ := raw.Embed(context.Background(), []string{"bb"})
	if want := embed.Dot(q[0], d[0]); !(m[0][0]-want < 1e-4*abs(want) && want-m[0][0] < 1e-4*abs(want)) {
		t.Fatalf("dot %v, want %v", m[0][0], want)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// --dtype: bfloat16 gives the float32 vector within cos 0.999 (the weights
// rounded to bf16); an unknown dtype is an error listing the choices.
func TestDType(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	vector := func(env []string, args ...string) []float32 {
		t.Helper()
		r := gembed(t, `{"text":"The capital of China is Beijing."}`+"\n", env, append([]string{"embed", "-m", model, "-f", "jsonl"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		var line struct {
			Embedding []float32 `json:"embedding"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &line); err != nil {
			t.Fatalf("%v: %v: %q", args, err, r.stdout)
		}
		return line.Embedding
	}
	f32 := vector(nil)
	for _, bf16 := range [][]float32{vector(nil, "--dtype", "bfloat16"), vector([]string{"GEMBED_DTYPE=bfloat16"})} {
		if err := numtest.Check(bf16, f32, numtest.Tol{Abs: 1, MinCos: 0.999}); err != nil {
			t.Errorf("bfloat16 against float32: %v", err)
		}
	}
	wantError(t, gembed(t, "", nil, "embed", "-m", model, "--dtype", "fp8", "x"), "--dtype", "fp8", "float32", "bfloat16")
}
