package graph

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkMistral7BRSS measures the memory of a 7B Mistral embedder on a
// model with e5-mistral-7b-instruct's exact shapes but fewer layers (written
// by go run ./testdata/genmodel -mistral7b DIR -layers N; set
// GEMBED_MISTRAL7B_MODEL=DIR): a fresh process loads it and embeds one
// 512-token text, reporting peak RSS after loading and after the forward
// pass, and the float32 weight bytes it holds. Two layer counts give the
// per-layer slope; the real model has 32 layers.
func BenchmarkMistral7BRSS(b *testing.B) {
	dir := os.Getenv("GEMBED_MISTRAL7B_MODEL")
	if dir == "" {
		b.Skip("set GEMBED_MISTRAL7B_MODEL to a folder written by genmodel -mistral7b")
	}
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMistral7BRSSChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "GEMBED_MISTRAL7B_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		got := map[string]int{}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 2 && strings.HasSuffix(f[0], "-MB") {
				got[f[0]], _ = strconv.Atoi(f[1])
			}
		}
		for _, k := range []string{"load-RSS-MB", "peak-RSS-MB", "weights-f32-MB"} {
			if got[k] == 0 {
				b.Fatalf("child printed no %s:\n%s", k, out)
			}
			b.ReportMetric(float64(got[k]), k)
		}
	}
}

// TestMistral7BRSSChild is the child process of BenchmarkMistral7BRSS.
func TestMistral7BRSSChild(t *testing.T) {
	if os.Getenv("GEMBED_MISTRAL7B_CHILD") == "" {
		t.Skip("only run by BenchmarkMistral7BRSS")
	}
	m, err := Load(os.Getenv("GEMBED_MISTRAL7B_MODEL"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	fmt.Printf("load-RSS-MB %d\n", vmHWM(t))
	c := m.Config()
	perLayer := 2*c.Hidden*c.Heads*c.HeadDim + 2*c.Hidden*c.KVHeads*c.HeadDim + 3*c.Hidden*c.Intermediate + 2*c.Hidden
	fmt.Printf("weights-f32-MB %d\n", (c.Layers*perLayer+c.Hidden)*4>>20)
	ids := make([]int, 512)
	for i := range ids {
		ids[i] = (i*7919 + 1) % c.Vocab
	}
	if _, err := m.Forward(context.Background(), [][]int{ids}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("peak-RSS-MB %d\n", vmHWM(t))
}
