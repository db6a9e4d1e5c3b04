package gembedbeam

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// Made once by TestMain from the gembed repository: the gembed CLI (the
// reference the pipeline's vectors are compared with) and a tiny
// random-weight Qwen3 model in the exact Hugging Face layout.
var (
	gembedCLI string
	tinyModel string
)

func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	dir, err := os.MkdirTemp("", "gembedbeam-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func setup(dir string) error {
	root := filepath.Join("..", "..")
	gembedCLI = filepath.Join(dir, "gembed")
	for _, args := range [][]string{
		{"build", "-o", gembedCLI, "./cmd/gembed"},
		{"run", "./testdata/genmodel", "-out", filepath.Join(dir, "models"), "-variant", "qwen3-f32"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %v: %v\n%s", args, err, out)
		}
	}
	tinyModel = filepath.Join(dir, "models", "qwen3-f32")
	return nil
}
