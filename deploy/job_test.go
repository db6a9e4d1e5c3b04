package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestIndexedJobRecipe runs the Job's own script, as each of its pods
// would, with a local sh for busybox: the parts cover every input line
// exactly once, carry the input's id and line number, and hold the same
// vectors as one unsharded `gembed embed`.
func TestIndexedJobRecipe(t *testing.T) {
	const count = 3
	o := mustRender(t, values("batch.enabled", true, "batch.count", count, "batch.parallelism", count, "hfToken.existingSecret", "hf"))
	spec := o.job.Spec.Template.Spec
	c := container(t, spec.Containers, "embed")
	checkCommand(t, container(t, spec.InitContainers, "download"), "download")
	if len(c.Command) != 2 || c.Command[0] != "/busybox/sh" || c.Command[1] != "-c" || len(c.Args) < 2 {
		t.Fatalf("command %q args %q: want /busybox/sh -c SCRIPT NAME ARGS...", c.Command, c.Args)
	}
	if *o.job.Spec.Completions != count || *o.job.Spec.Parallelism != count {
		t.Errorf("completions %d, parallelism %d, want %d", *o.job.Spec.Completions, *o.job.Spec.Parallelism, count)
	}
	script := c.Args[0]
	flags, envs := helpNames(t, "embed")
	line := regexp.MustCompile(`(?m)^\s*gembed embed .*$`).FindString(script)
	if line == "" {
		t.Fatalf("no gembed embed line in the script:\n%s", script)
	}
	for _, m := range regexp.MustCompile(`\s(--[a-z][a-z0-9-]*)`).FindAllStringSubmatch(line, -1) {
		if !flags[m[1]] {
			t.Errorf("%s is not a flag of gembed embed", m[1])
		}
	}
	checkEnv(t, c, envs, script)

	// The input: JSON lines, some with an id.
	dir := t.TempDir()
	var in bytes.Buffer
	var texts []string
	const lines = 10
	for i := range lines {
		text := fmt.Sprintf("document %d: %s", i+1, strings.Repeat("words ", i))
		texts = append(texts, text)
		rec := map[string]any{"text": text}
		if i%3 == 0 {
			rec["id"] = fmt.Sprintf("doc-%d", i+1)
		}
		b, _ := json.Marshal(rec)
		in.Write(append(b, '\n'))
	}
	input := filepath.Join(dir, "corpus.jsonl")
	if err := os.WriteFile(input, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	env := []string{"PATH=" + filepath.Dir(gembedBin) + string(os.PathListSeparator) + os.Getenv("PATH"), "HF_HOME=" + t.TempDir()}
	for _, e := range c.Env {
		switch e.Name {
		case "GEMBED_MODEL":
			env = append(env, e.Name+"="+tinyModel)
		case "JOB_INPUT":
			env = append(env, e.Name+"="+input)
		case "JOB_OUTPUT_DIR":
			env = append(env, e.Name+"="+outDir)
		case "HF_HOME":
		default:
			if e.ValueFrom != nil {
				env = append(env, e.Name+"=secret")
			} else {
				env = append(env, e.Name+"="+e.Value)
			}
		}
	}
	for i := range count {
		cmd := exec.Command("sh", append([]string{"-c"}, c.Args...)...)
		cmd.Env = append(env, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("index %d: %v\n%s", i, err, out)
		}
	}

	// The reference: the whole input in one run.
	ref := exec.Command(gembedBin, "embed", "--model", tinyModel, "--format", "jsonl", "--no-progress")
	ref.Stdin = bytes.NewReader(in.Bytes())
	ref.Env = append(os.Environ(), "HF_HUB_OFFLINE=1")
	refOut, err := ref.Output()
	if err != nil {
		t.Fatalf("gembed embed: %v", err)
	}
	want := parseOutput(t, refOut)

	seen := map[int]bool{}
	for i := range count {
		part := filepath.Join(outDir, fmt.Sprintf("part-%05d-of-%05d.jsonl", i, count))
		b, err := os.ReadFile(part)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range parseOutput(t, b) {
			n := got.Line
			if n < 1 || n > lines || seen[n] {
				t.Fatalf("%s: line %d out of range or seen twice", part, n)
			}
			seen[n] = true
			if (n-1)%count != i {
				t.Errorf("%s has line %d, which belongs to shard %d", part, n, (n-1)%count)
			}
			wantID := ""
			if (n-1)%3 == 0 {
				wantID = fmt.Sprintf(`"doc-%d"`, n)
			}
			if string(got.ID) != wantID {
				t.Errorf("line %d: id %s, want %s", n, got.ID, wantID)
			}
			if cos := cosine(got.Embedding, want[n-1].Embedding); !(cos >= 0.99999) {
				t.Errorf("line %d: cosine %v with the unsharded run", n, cos)
			}
		}
	}
	if len(seen) != lines {
		t.Errorf("%d of %d lines embedded", len(seen), lines)
	}
	if tmp, _ := filepath.Glob(filepath.Join(outDir, "*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

type embedLine struct {
	ID        json.RawMessage `json:"id"`
	Line      int             `json:"line"`
	Embedding []float32       `json:"embedding"`
}

func parseOutput(t *testing.T, b []byte) []embedLine {
	t.Helper()
	var out []embedLine
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var e embedLine
		if err := json.Unmarshal(l, &e); err != nil || len(e.Embedding) == 0 {
			t.Fatalf("output line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// cosine is NaN, which fails every comparison, on NaN input or a length
// mismatch.
func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.NaN()
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func TestCosineFailsOnNaN(t *testing.T) {
	v := []float32{1, 0}
	for _, bad := range [][]float32{{float32(math.NaN()), 0}, {1}, nil} {
		if c := cosine(v, bad); c >= 0.99999 {
			t.Errorf("cosine(%v, %v) = %v passes", v, bad, c)
		}
	}
}
