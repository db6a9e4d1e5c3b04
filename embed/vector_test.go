package embed

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
)

func TestCosineLengths(t *testing.T) {
	tests := []struct {
		name string
		a, b []float32
		want float64 // NaN: no cosine
	}{
		{"equal", []float32{1, 0}, []float32{1, 0}, 1},
		{"orthogonal", []float32{1, 0}, []float32{0, 3}, 0},
		{"zero", []float32{0, 0}, []float32{1, 0}, 0},
		{"longer b", []float32{1, 0}, []float32{1, 0, 5}, math.NaN()},
		{"longer a", []float32{1, 2, 3}, []float32{1}, math.NaN()},
		{"empty b", []float32{1}, nil, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, f := range map[string]func(a, b []float32) float64{"Cosine": Cosine, "Dot": Dot} {
				got := f(tt.a, tt.b)
				if math.IsNaN(tt.want) {
					if !math.IsNaN(got) {
						t.Fatalf("%s = %v, want NaN", name, got)
					}
					continue
				}
				if name == "Dot" {
					continue // Dot's values are checked below
				}
				if math.IsNaN(got) || math.Abs(got-tt.want) > 1e-12 {
					t.Fatalf("%s = %v, want %v", name, got, tt.want)
				}
			}
		})
	}
	if d := Dot([]float32{1, 2}, []float32{3, -4}); d != -5 {
		t.Fatalf("Dot = %v, want -5", d)
	}
}

// quantizeGolden is testdata/quantize/quantize_golden.json, made by
// make_golden.py with sentence-transformers' quantize_embeddings.
type quantizeGolden struct {
	Version    string      `json:"sentence_transformers"`
	Embeddings [][]float32 `json:"embeddings"`
	Int8       [][]int     `json:"int8"`
	Uint8      [][]int     `json:"uint8"`
	Binary     [][]int     `json:"binary"`
	Ubinary    [][]int     `json:"ubinary"`
}

func TestQuantizeGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/quantize/quantize_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g quantizeGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[Precision][][]int{PrecisionInt8: g.Int8, PrecisionUint8: g.Uint8, PrecisionBinary: g.Binary, PrecisionUbinary: g.Ubinary} {
		if len(want) != len(g.Embeddings) {
			t.Fatalf("%s: golden has %d rows for %d embeddings", p, len(want), len(g.Embeddings))
		}
		got, err := Quantize(g.Embeddings, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s (sentence-transformers %s):\ngot  %v\nwant %v", p, g.Version, got, want)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	one := [][]float32{{0.5, -0.5}}
	if _, err := Quantize(one, PrecisionInt8); err == nil {
		t.Error("int8 of one vector: no error (it has no range)")
	}
	if got, err := Quantize(one, PrecisionUbinary); err != nil || !reflect.DeepEqual(got, [][]int{{0x80}}) {
		t.Errorf("ubinary of one vector = %v, %v", got, err)
	}
	if _, err := Quantize([][]float32{{1, 2}, {1}}, PrecisionUint8); err == nil {
		t.Error("uint8 of ragged vectors: no error")
	}
	if _, err := Quantize([][]float32{{1, float32(math.NaN())}, {1, 2}}, PrecisionUint8); err == nil {
		t.Error("uint8 with a NaN: no error")
	}
	if _, err := ParsePrecision("int4"); err == nil {
		t.Error(`ParsePrecision("int4"): no error`)
	}
}

func TestPromptConflict(t *testing.T) {
	e := newFake(t, &fakeModel{})
	for _, opt := range []EmbedOptions{
		{PromptName: "query", Instruction: "Find it"},
		{Prompt: "query: ", PromptName: "query"},
		{Prompt: "query: ", Instruction: "Find it"},
	} {
		_, err := e.Prompt(opt)
		var pc *PromptConflictError
		if !errors.As(err, &pc) {
			t.Errorf("%+v: err = %v, want a *PromptConflictError", opt, err)
		}
	}
	if p, err := e.Prompt(EmbedOptions{Prompt: "search: "}); err != nil || p != "search: " {
		t.Errorf("free prompt = %q, %v", p, err)
	}
	var up *UnknownPromptError
	if _, err := e.Prompt(EmbedOptions{PromptName: "nope"}); !errors.As(err, &up) {
		t.Errorf("unknown prompt name: err = %v, want *UnknownPromptError", err)
	}
}
