package gembedbeam

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/gembed-dev/gembed/beam/internal/records"
	"github.com/gembed-dev/gembed/embed"
)

type doc struct {
	ID   string
	Text string
}

// corpus is the test input: documents of many lengths (some longer than
// the test's maximum length), spread over two files.
func corpus() [][]doc {
	words := strings.Fields("the capital of China is Beijing gravity is a force that attracts two bodies towards each other " +
		"it gives weight to physical objects and is responsible for the movement of planets around the sun 北京 是 中国 的 首都 🙂")
	var files [2][]doc
	for i := range 24 {
		n := 1 + (i*7)%len(words)
		if i%6 == 5 {
			n = 3 * len(words) // longer than maxLength tokens
		}
		var b strings.Builder
		for w := range n {
			if w > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[(i+w)%len(words)])
		}
		files[i%2] = append(files[i%2], doc{ID: fmt.Sprintf("doc-%02d", i), Text: b.String()})
	}
	files[0] = append(files[0], doc{ID: "empty", Text: ""})
	return files[:]
}

const maxLength = 40

// writeInputs writes the corpus as JSONL, with bad lines and a duplicate
// (same id, same text) mixed in. It returns the pattern and the ids the
// bad lines must be reported under.
func writeInputs(t *testing.T, dir string, files [][]doc) (pattern string, badIDs map[string]string) {
	badIDs = map[string]string{}
	for f, docs := range files {
		path := filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", f))
		var b bytes.Buffer
		line := 0
		add := func(s string) { b.WriteString(s + "\n"); line++ }
		for i, d := range docs {
			j, _ := json.Marshal(map[string]string{"id": d.ID, "text": d.Text})
			add(string(j))
			if i == 2 && f == 0 {
				add(string(j)) // the same document twice
				add("")        // a blank line is skipped
				add(`{"id": "x", "text": 12}`)
				badIDs[records.LineID(path, line)] = `field "text" must be a string`
				add(`{"text": "no id"}`)
				badIDs[records.LineID(path, line)] = `no "id" field`
			}
			if i == 3 && f == 1 {
				add(`{"id": "broken", "text": "unterminated}`)
				badIDs[records.LineID(path, line)] = "not valid JSON"
				add(`["id", "text"]`)
				badIDs[records.LineID(path, line)] = "want a JSON object"
			}
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "part-*.jsonl"), badIDs
}

// runPipeline runs the gembed-beam pipeline on Prism, in this process.
func runPipeline(t *testing.T, pattern, format, prefix string, shards int, opts Options) {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	docs, bad := ReadDocuments(s, pattern, format)
	vectors, failed := Embed(s, docs, opts)
	unwritable := WriteJSONL(s, prefix, shards, vectors)
	WriteDeadLetters(s, prefix+"-errors.jsonl", beam.Flatten(s, bad, failed, unwritable))
	if _, err := prism.Execute(context.Background(), p); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
}

type outLine struct {
	ID        string    `json:"id"`
	Embedding []float32 `json:"embedding"`
	Error     string    `json:"error"`
}

// readLines reads JSONL output; every line must parse.
func readLines(t *testing.T, paths ...string) []outLine {
	t.Helper()
	var out []outLine
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<24)
		for n := 1; sc.Scan(); n++ {
			var l outLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s line %d: %v", p, n, err)
			}
			out = append(out, l)
		}
	}
	return out
}

// cliEmbeddings runs `gembed embed --format jsonl` on texts.
func cliEmbeddings(t *testing.T, texts []string, args ...string) [][]float32 {
	t.Helper()
	var in bytes.Buffer
	for _, s := range texts {
		j, _ := json.Marshal(map[string]string{"text": s})
		in.Write(append(j, '\n'))
	}
	cmd := exec.Command(gembedCLI, append([]string{"embed", "--model", tinyModel, "--format", "jsonl", "--no-progress"}, args...)...)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gembed embed: %v\n%s", err, stderr.String())
	}
	lines := readLines(t, writeTemp(t, out))
	vs := make([][]float32, len(lines))
	for i, l := range lines {
		vs[i] = l.Embedding
	}
	if len(vs) != len(texts) {
		t.Fatalf("gembed embed: %d vectors for %d texts", len(vs), len(texts))
	}
	return vs
}

func writeTemp(t *testing.T, b []byte) string {
	p := filepath.Join(t.TempDir(), "out.jsonl")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cosine fails (returns NaN, which compares false) on any NaN.
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
	for _, bad := range [][]float32{{float32(math.NaN()), 0}, {1}, {}} {
		if c := cosine(v, bad); c >= 0.99999 {
			t.Errorf("cosine(%v, %v) = %v passes", v, bad, c)
		}
	}
	if c := cosine(v, v); !(c >= 0.99999) {
		t.Errorf("cosine(v, v) = %v", c)
	}
}

// TestPipelineMatchesCLI runs the real pipeline on Prism: every vector
// equals gembed embed's for the same text, every id comes out exactly
// once, bad lines and too-long documents reach the dead letter, the model
// is loaded once in this process, and a re-run writes the same bytes.
func TestPipelineMatchesCLI(t *testing.T) {
	dir := t.TempDir()
	files := corpus()
	pattern, badIDs := writeInputs(t, dir, files)
	opts := Options{Model: tinyModel, MaxLength: maxLength, NoTruncate: true, BatchTokens: 96}
	prefix := filepath.Join(dir, "out", "vectors")
	const shards = 3

	loadsBefore, setupsBefore := ModelLoads(), setups.Load()
	runPipeline(t, pattern, FormatJSONL, prefix, shards, opts)
	first := snapshot(t, filepath.Join(dir, "out"))
	runPipeline(t, pattern, FormatJSONL, prefix, shards, opts)
	if again := snapshot(t, filepath.Join(dir, "out")); !equalFiles(first, again) {
		t.Error("a re-run wrote different files")
	}
	if len(first) != shards+1 {
		t.Errorf("wrote %d files, want %d shards and the errors file", len(first), shards)
	}
	// Two runs, each with at least one DoFn instance per file's bundles:
	// one load at most (none if an earlier test loaded this model), and
	// never one model loaded twice in this process.
	if n := ModelLoads() - loadsBefore; n > 1 {
		t.Errorf("%d model loads by two runs, want at most 1", n)
	}
	if n := setups.Load() - setupsBefore; n < 2 {
		t.Errorf("%d DoFn setups by two runs: the test does not exercise sharing", n)
	}
	if loaded := loadedModels(); ModelLoads() != loaded {
		t.Errorf("%d loads in this process for %d models", ModelLoads(), loaded)
	}

	got := map[string][]float32{}
	for _, l := range readLines(t, ShardNames(prefix, shards)...) {
		if _, dup := got[l.ID]; dup {
			t.Errorf("id %q written twice", l.ID)
		}
		got[l.ID] = l.Embedding
	}
	errs := map[string]string{}
	for _, l := range readLines(t, prefix+"-errors.jsonl") {
		if _, dup := errs[l.ID]; dup {
			t.Errorf("dead letter %q written twice", l.ID)
		}
		errs[l.ID] = l.Error
	}

	// The reference: gembed embed on the documents that fit, one call; it
	// refuses the long ones (--no-truncate), which must be dead letters.
	var short []doc
	for _, d := range append(files[0], files[1]...) {
		if n := tokens(t, d.Text); n > maxLength {
			if !strings.Contains(errs[d.ID], fmt.Sprintf("%d tokens, more than the maximum length %d", n, maxLength)) {
				t.Errorf("%s (%d tokens): dead letter %q, want the too-long error", d.ID, n, errs[d.ID])
			}
			if _, ok := got[d.ID]; ok {
				t.Errorf("%s (%d tokens) has a vector despite --no-truncate", d.ID, n)
			}
			delete(errs, d.ID)
			continue
		}
		short = append(short, d)
	}
	if len(short) < 15 || len(short) == len(files[0])+len(files[1]) {
		t.Fatalf("%d short documents: the corpus does not exercise both paths", len(short))
	}
	texts := make([]string, len(short))
	for i, d := range short {
		texts[i] = d.Text
	}
	want := cliEmbeddings(t, texts, "--max-length", fmt.Sprint(maxLength), "--no-truncate")
	for i, d := range short {
		v, ok := got[d.ID]
		if !ok {
			t.Errorf("%s: no vector (dead letter %q)", d.ID, errs[d.ID])
			continue
		}
		if c := cosine(v, want[i]); !(c >= 0.99999) {
			t.Errorf("%s: cosine with gembed embed %v", d.ID, c)
		}
		delete(got, d.ID)
	}
	for id := range got {
		t.Errorf("unexpected output id %q", id)
	}
	for id, wantMsg := range badIDs {
		if !strings.Contains(errs[id], wantMsg) {
			t.Errorf("dead letter %s: %q, want %q", id, errs[id], wantMsg)
		}
		delete(errs, id)
	}
	for id, msg := range errs {
		t.Errorf("unexpected dead letter %s: %s", id, msg)
	}
}

// TestPlainLines: with FormatLines every line is a document named FILE:LINE,
// and the vectors are gembed embed's for the same lines (truncated, as the
// CLI does by default).
func TestPlainLines(t *testing.T) {
	dir := t.TempDir()
	texts := []string{"first line", "", "   spaced  ", "北京 是 中国 的 首都", strings.Repeat("long text ", 40)}
	in := filepath.Join(dir, "lines.txt")
	if err := os.WriteFile(in, []byte(strings.Join(texts, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(dir, "out")
	runPipeline(t, in, FormatLines, prefix, 1, Options{Model: tinyModel, MaxLength: maxLength})
	got := readLines(t, ShardNames(prefix, 1)...)
	want := cliEmbeddings(t, texts, "--max-length", fmt.Sprint(maxLength))
	ids := make([]string, len(texts))
	for i := range texts {
		ids[i] = records.LineID(in, i+1)
	}
	sort.Strings(ids) // shards are sorted by id
	if len(got) != len(texts) {
		t.Fatalf("%d vectors for %d lines", len(got), len(texts))
	}
	for _, l := range got {
		var line int
		if _, err := fmt.Sscanf(strings.TrimPrefix(l.ID, in+":"), "%d", &line); err != nil || line < 1 || line > len(texts) {
			t.Fatalf("id %q is not %s:LINE", l.ID, in)
		}
		if c := cosine(l.Embedding, want[line-1]); !(c >= 0.99999) {
			t.Errorf("line %d: cosine with gembed embed %v", line, c)
		}
	}
	if errs := readLines(t, prefix+"-errors.jsonl"); len(errs) != 0 {
		t.Errorf("dead letters %+v", errs)
	}
}

// TestBadModelFailsThePipeline: a model that cannot load is the pipeline's
// error, not a dead letter per document.
func TestBadModelFailsThePipeline(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"id":"a","text":"hello"}`+"\n"), 0o644)
	p, s := beam.NewPipelineWithRoot()
	docs, _ := ReadDocuments(s, in, FormatJSONL)
	vectors, _ := Embed(s, docs, Options{Model: filepath.Join(dir, "no-such-model")})
	WriteJSONL(s, filepath.Join(dir, "out"), 1, vectors)
	_, err := prism.Execute(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "no-such-model") {
		t.Fatalf("error %v, want one naming the model folder", err)
	}
}

// tokens counts a document's tokens as the pipeline does.
func tokens(t *testing.T, text string) int {
	t.Helper()
	e, _, err := sharedEmbedder(context.Background(), modelKey{Model: tinyModel})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Tokenize(context.Background(), []string{text}, embed.EmbedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tok[0].OriginalTokens
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
