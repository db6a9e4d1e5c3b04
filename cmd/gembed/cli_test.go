package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
	"github.com/gembed-dev/gembed/tokenizer"
)

// The CLI tests build the binary once per test process (on first use, so
// fuzzing workers never build) and run it as scripts would.
var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildDir  string
)

func gembedBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "gembed-cli-test"); buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "gembed")
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// gembed runs the binary with a clean GEMBED_/HF_ environment plus env.
func gembed(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gembedBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GEMBED_") && !strings.HasPrefix(kv, "HF_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HF_HUB_OFFLINE=1", "HF_HUB_CACHE="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// wantError checks the error contract: non-zero exit, at most 3 lines on
// stderr, no stack trace, naming what is wrong.
func wantError(t *testing.T, r result, mentions ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("exit 0, want an error; stdout %q", r.stdout)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) > 3 || r.stderr == "" {
		t.Fatalf("stderr has %d lines, want 1..3:\n%s", len(lines), r.stderr)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, ".go:") {
		t.Fatalf("stack trace on stderr:\n%s", r.stderr)
	}
	for _, m := range mentions {
		if !strings.Contains(r.stderr, m) {
			t.Fatalf("stderr does not mention %q:\n%s", m, r.stderr)
		}
	}
}

func jsonlVectors(t *testing.T, out string) [][]float32 {
	t.Helper()
	var vecs [][]float32
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		var v struct {
			Embedding []float32 `json:"embedding"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil || v.Embedding == nil {
			t.Fatalf("output line %d %q: %v", i+1, line, err)
		}
		vecs = append(vecs, v.Embedding)
	}
	return vecs
}

func l2(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestEmbedJSONL(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	long := strings.Repeat("long text ", 8000) // ~80 KB line
	texts := []string{"The capital of China is Beijing.", "", "x\u00e9\u4e2d", long}
	var in strings.Builder
	for i, s := range texts {
		b, _ := json.Marshal(map[string]any{"text": s, "id": i})
		in.Write(b)
		in.WriteString("\n")
	}
	e, err := embed.New(model)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	tests := []struct {
		name   string
		args   []string
		env    []string
		dims   int
		opt    embed.EmbedOptions
		warned bool
	}{
		{name: "default", args: []string{"--max-length", "512"}, dims: 64, opt: embed.EmbedOptions{MaxLength: 512}, warned: true},
		{name: "dimensions", args: []string{"--dimensions", "16", "--max-length", "512"}, dims: 16, opt: embed.EmbedOptions{Dimensions: 16, MaxLength: 512}, warned: true},
		{name: "env flags", env: []string{"GEMBED_DIMENSIONS=8", "GEMBED_MAX_LENGTH=256"}, dims: 8, opt: embed.EmbedOptions{Dimensions: 8, MaxLength: 256}, warned: true},
		{name: "query prompt", args: []string{"--prompt-name", "query", "--max-length", "512"}, dims: 64, opt: embed.EmbedOptions{PromptName: "query", MaxLength: 512}, warned: true},
		{name: "instruction", args: []string{"--instruction", "Find it", "--max-length", "512"}, dims: 64, opt: embed.EmbedOptions{Instruction: "Find it", MaxLength: 512}, warned: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"embed", "--model", model, "--format", "jsonl"}, tt.args...)
			r := gembed(t, in.String(), tt.env, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			vecs := jsonlVectors(t, r.stdout)
			want, err := e.EmbedDetailed(context.Background(), texts, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(vecs) != len(texts) {
				t.Fatalf("%d output lines for %d inputs", len(vecs), len(texts))
			}
			for i, v := range vecs {
				if len(v) != tt.dims || math.Abs(l2(v)-1) > 1e-5 {
					t.Fatalf("vector %d: %d dims, norm %v", i, len(v), l2(v))
				}
				if c := embed.Cosine(v, want.Embeddings[i]); c < 0.99999 {
					t.Fatalf("vector %d: cosine %v with the library", i, c)
				}
			}
			if got := strings.Contains(r.stderr, "truncated: line 4"); got != tt.warned {
				t.Fatalf("truncation warning %v, stderr %q", got, r.stderr)
			}
		})
	}
}

func TestEmbedErrors(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	broken := t.TempDir()
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "model.safetensors"} {
		os.Symlink(filepath.Join(model, f), filepath.Join(broken, f))
	}
	os.WriteFile(filepath.Join(broken, "config.json"), []byte(`{"model_type":"qwen3","hidden_size":"big"}`), 0o644)
	noWeights := t.TempDir()
	for _, f := range []string{"tokenizer.json", "config.json"} {
		os.Symlink(filepath.Join(model, f), filepath.Join(noWeights, f))
	}

	tests := []struct {
		name     string
		stdin    string
		args     []string
		mentions []string
	}{
		{"not json", "{\"text\":\"a\"}\n{\"text\": oops}\n", []string{"embed", "--model", model, "--format", "jsonl"}, []string{"line 2"}},
		{"no text field", "{\"text\":\"a\"}\n{\"text\":\"c\"}\n{\"txt\":\"b\"}\n", []string{"embed", "--model", model, "--format", "jsonl"}, []string{"line 3", `"text"`}},
		{"blank line", "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n", []string{"embed", "--model", model, "--format", "jsonl"}, []string{"line 2", "blank"}},
		{"not an object", "[1]\n", []string{"embed", "--model", model, "--format", "jsonl"}, []string{"line 1"}},
		{"no truncate", "{\"text\":\"a\"}\n{\"text\":\"" + strings.Repeat("word ", 100) + "\"}\n",
			[]string{"embed", "--model", model, "--format", "jsonl", "--max-length", "16", "--no-truncate"}, []string{"line 2", "tokens", "maximum length 16"}},
		{"dimensions too big", "", []string{"embed", "--model", model, "--dimensions", "65", "x"}, []string{"dimensions 65"}},
		{"dimensions zero", "{\"text\":\"a\"}\n", []string{"embed", "--model", model, "--format", "jsonl", "--dimensions", "0"}, []string{"--dimensions 0"}},
		{"dimensions negative", "", []string{"embed", "--model", model, "--dimensions", "-3", "x"}, []string{"dimensions -3"}},
		{"max length zero", "{\"text\":\"a\"}\n", []string{"embed", "--model", model, "--format", "jsonl", "--max-length", "0"}, []string{"--max-length 0"}},
		{"max length beyond the model", "", []string{"embed", "--model", model, "--max-length", "40000", "x"}, []string{"max length 40000", "max_position_embeddings"}},
		{"threads negative", "", []string{"embed", "--model", model, "--threads", "-1", "x"}, []string{"--threads -1"}},
		{"similarity dimensions zero", "", []string{"similarity", "--model", model, "--dimensions", "0"}, []string{"--dimensions 0"}},
		{"unknown prompt", "", []string{"embed", "--model", model, "--prompt-name", "nope", "x"}, []string{"nope"}},
		{"missing folder", "", []string{"embed", "--model", "./no/such/dir", "x"}, []string{"no/such/dir"}},
		{"broken config", "", []string{"embed", "--model", broken, "x"}, []string{"config.json", "hidden_size"}},
		{"no weights", "", []string{"embed", "--model", noWeights, "x"}, []string{"model.safetensors"}},
		{"offline unknown repo", "", []string{"embed", "--model", "nobody/nothing", "x"}, []string{"nobody/nothing"}},
		{"unknown flag", "", []string{"embed", "--frobnicate", "x"}, []string{"frobnicate"}},
		{"unknown command", "", []string{"frobnicate"}, []string{"frobnicate"}},
		{"bad format", "", []string{"embed", "--model", model, "--format", "xml", "x"}, []string{"xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gembed(t, tt.stdin, nil, tt.args...)
			wantError(t, r, tt.mentions...)
			if tt.name != "unknown command" && r.stdout != "" {
				t.Fatalf("stdout on error: %q", r.stdout)
			}
		})
	}
}

func TestEmbedHumanAndJSON(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	r := gembed(t, "", nil, "embed", "--model", model, "hello", "world")
	if r.code != 0 || !strings.Contains(r.stdout, `[0] "hello"`) || !strings.Contains(r.stdout, `[1] "world"`) {
		t.Fatalf("human output: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = gembed(t, "one\ntwo\n", nil, "embed", "--model", model, "--format", "json")
	var arr []struct {
		Index     int       `json:"index"`
		Text      string    `json:"text"`
		Embedding []float32 `json:"embedding"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &arr); err != nil || len(arr) != 2 || arr[1].Text != "two" || len(arr[1].Embedding) != 64 {
		t.Fatalf("json output %q: %v", r.stdout, err)
	}
}

func TestTokenize(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	tokPath := filepath.Join(model, "tokenizer.json")
	tok, err := tokenizer.LoadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"Hello world", "", "北京 🙂", strings.Repeat("a b ", 20000)}
	var in strings.Builder
	for _, s := range texts {
		b, _ := json.Marshal(map[string]string{"text": s})
		in.Write(b)
		in.WriteString("\n")
	}
	for _, tt := range []struct {
		args    []string
		special bool
	}{
		{[]string{"tokenize", "--tokenizer", tokPath}, true},
		{[]string{"tokenize", "--tokenizer", tokPath, "--no-special"}, false},
		{[]string{"tokenize", "--model", model}, true},
		{[]string{"tokenize", "--model", model, "--format", "json"}, true},
	} {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			r := gembed(t, in.String(), nil, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			if len(lines) != len(texts) {
				t.Fatalf("%d lines for %d inputs", len(lines), len(texts))
			}
			for i, line := range lines {
				var got struct {
					IDs []int `json:"ids"`
				}
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatal(err)
				}
				want, _ := tok.Encode(texts[i], tokenizer.EncodeOptions{AddSpecialTokens: tt.special})
				if fmt.Sprint(got.IDs) != fmt.Sprint(want.IDs) {
					t.Fatalf("line %d: ids %v, want %v", i+1, got.IDs, want.IDs)
				}
			}
		})
	}
	wantError(t, gembed(t, "{\"text\":\"a\"}\nnope\n", nil, "tokenize", "--tokenizer", tokPath), "line 2")
	wantError(t, gembed(t, "", nil, "tokenize", "--tokenizer", "/no/such/tokenizer.json"), "/no/such/tokenizer.json")
}

func TestSimilarityAndInfo(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	r := gembed(t, "", nil, "similarity", "--model", model)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "tensor([[") || strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("card example: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = gembed(t, "", nil, "similarity", "--model", model, "--format", "json", "-q", "a", "-q", "b", "-q", "c", "-d", "x", "-d", "y")
	var m [][]float64
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || len(m) != 3 || len(m[0]) != 2 {
		t.Fatalf("json matrix %q: %v", r.stdout, err)
	}
	// Commas belong to the texts: one query, two documents.
	r = gembed(t, "", nil, "similarity", "--model", model, "--format", "json", "-q", "Hello, world", "-d", "one, two", "-d", "x")
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || len(m) != 1 || len(m[0]) != 2 {
		t.Fatalf("texts with commas: matrix %q: %v %s", r.stdout, err, r.stderr)
	}
	r = gembed(t, "", nil, "info", "--format", "json", model)
	var info modelInfo
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("info %q: %v %s", r.stdout, err, r.stderr)
	}
	if info.Architecture != "qwen3" || info.Dimensions != 64 || info.Layers != 3 || info.Pooling != "lasttoken" ||
		info.DTypes["F32"] == 0 || info.SizeBytes == 0 || info.MaxLength != 8192 || info.Prompts["query"] == "" {
		t.Fatalf("info %+v", info)
	}
	// The argument names the model even with GEMBED_MODEL exported.
	r = gembed(t, "", []string{"GEMBED_MODEL=nobody/nothing"}, "info", model)
	for _, s := range []string{"architecture:   qwen3", "dimensions:     64", "pooling:", "size on disk:", "dtype:          F32"} {
		if !strings.Contains(r.stdout, s) {
			t.Fatalf("info text lacks %q:\n%s", s, r.stdout)
		}
	}
}

// download prints the snapshot folder as the last stdout line (here from a
// prepared cache, offline).
func TestDownloadOffline(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	cache := t.TempDir()
	commit := strings.Repeat("ab", 20)
	repo := filepath.Join(cache, "models--tiny--qwen3")
	snap := filepath.Join(repo, "snapshots", commit)
	os.MkdirAll(snap, 0o755)
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	entries, _ := os.ReadDir(model)
	for _, en := range entries {
		os.Symlink(filepath.Join(model, en.Name()), filepath.Join(snap, en.Name()))
	}
	r := gembed(t, "", []string{"HF_HUB_CACHE=" + cache}, "download", "tiny/qwen3")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if r.code != 0 || lines[len(lines)-1] != snap {
		t.Fatalf("download: %d %q %s", r.code, r.stdout, r.stderr)
	}
	// The same cache serves embed by repo id.
	r = gembed(t, "{\"text\":\"a\"}\n", []string{"GEMBED_CACHE_DIR=" + cache, "GEMBED_MODEL=tiny/qwen3"}, "embed", "--format", "jsonl")
	if r.code != 0 || len(jsonlVectors(t, r.stdout)) != 1 {
		t.Fatalf("embed from cache: %d %s", r.code, r.stderr)
	}
	wantError(t, gembed(t, "", []string{"HF_HUB_CACHE=" + cache}, "download", "tiny/missing"), "tiny/missing")
	wantError(t, gembed(t, "", nil, "download"), "repo id")
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeAndSIGTERM(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	addr := freePort(t)
	cmd := exec.Command(gembedBinary(t), "serve", "--model", model, "--addr", addr, "--log-format", "json")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Post("http://"+addr+"/embed", "application/json", strings.NewReader(`{"inputs":["a","b"],"dimensions":8}`))
	if err != nil {
		t.Fatal(err)
	}
	var vecs [][]float32
	json.NewDecoder(resp.Body).Decode(&vecs)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(vecs) != 2 || len(vecs[0]) != 8 {
		t.Fatalf("/embed: %d %v", resp.StatusCode, vecs)
	}
	// The served name is the model folder's name, never its path; another
	// name is OpenAI's 404 model_not_found.
	served := filepath.Base(model)
	for _, tt := range []struct {
		model  string
		status int
	}{{served, 200}, {"", 200}, {"text-embedding-3-small", 404}} {
		resp, err := http.Post("http://"+addr+"/v1/embeddings", "application/json", strings.NewReader(`{"input":"a","model":"`+tt.model+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Model string `json:"model"`
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.status == 200 && body.Model != served) || (tt.status == 404 && body.Error.Code != "model_not_found") {
			t.Fatalf("model %q: %d %+v (served name %q)", tt.model, resp.StatusCode, body, served)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if !strings.Contains(errb.String(), `"msg":"stopped"`) {
		t.Fatalf("logs: %s", errb.String())
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"help", "embed"}, {"embed", "--help"}} {
		r := gembed(t, "", nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "USAGE") {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := gembed(t, "", nil, "help", "embed"); !strings.Contains(r.stdout, "--format") {
		t.Fatalf("help embed: %q", r.stdout)
	}
	wantError(t, gembed(t, "", nil, "help", "frobnicate"), "frobnicate")
}

func TestServeBadAddr(t *testing.T) {
	wantError(t, gembed(t, "", nil, "serve", "--model", "x", "--addr", "256.1.1.1:99999"), "256.1.1.1:99999")
}

// Limits of 0 or less would silently become the defaults; they are errors,
// reported before listening.
func TestServeBadLimits(t *testing.T) {
	for _, args := range [][]string{
		{"--max-body-bytes", "-1"}, {"--max-inputs", "0"}, {"--max-batch-tokens", "-5"},
		{"--max-queue-tokens", "0"}, {"--request-timeout", "0s"}, {"--shutdown-timeout", "-1s"},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := gembed(t, "", nil, append([]string{"serve", "--model", "x", "--addr", "127.0.0.1:0"}, args...)...)
			wantError(t, r, args[0])
			if strings.Contains(r.stderr, "listening") {
				t.Fatalf("listened before rejecting %v: %s", args, r.stderr)
			}
		})
	}
}

func TestTokenizePair(t *testing.T) {
	tokPath := filepath.Join("..", "..", "testdata", "tokenizer-golden", "minilm-tokenizer.json.gz")
	tok, err := tokenizer.LoadFile(tokPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tok.EncodePair("Hello world!", "How are you?", tokenizer.EncodeOptions{AddSpecialTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	r := gembed(t, `{"text":"Hello world!","pair":"How are you?"}`+"\n", nil, "tokenize", "--pair", "--tokenizer", tokPath)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got struct {
		IDs     []int `json:"ids"`
		TypeIDs []int `json:"type_ids"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.IDs) != fmt.Sprint(want.IDs) || fmt.Sprint(got.TypeIDs) != fmt.Sprint(want.TypeIDs) || !slices.Contains(got.TypeIDs, 1) {
		t.Fatalf("ids %v type ids %v, want %v %v", got.IDs, got.TypeIDs, want.IDs, want.TypeIDs)
	}
	wantError(t, gembed(t, `{"text":"a"}`+"\n", nil, "tokenize", "--pair", "--tokenizer", tokPath), `no "pair"`)
	wantError(t, gembed(t, "", nil, "tokenize", "--pair", "--tokenizer", tokPath, "one"), "two by two")
}

// serve's TEI-style flags reach the server: API key, served name, pooling,
// auto-truncate, CORS, default prompt; and the model as the argument.
func TestServeFlags(t *testing.T) {
	model := modelgen.TestModel(t, "qwen3-f32")
	addr := freePort(t)
	cmd := exec.Command(gembedBinary(t), "serve", model, "--addr", addr, "--api-key", "k3y", "--served-model-name", "my/name",
		"--pooling", "mean", "--auto-truncate=false", "--cors-allow-origin", "https://app.example", "--default-prompt-name", "query")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/ready") // open without the key
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	do := func(method, path, key, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		req.Header.Set("Origin", "https://app.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.Bytes()
	}
	if resp, _ := do("POST", "/v1/embeddings", "", `{"input":"a"}`); resp.StatusCode != 401 {
		t.Fatalf("no key: %d", resp.StatusCode)
	}
	resp, body := do("POST", "/v1/embeddings", "k3y", `{"input":"a","model":"my/name"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"model":"my/name"`) || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("with key: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	var info struct {
		ModelID   string `json:"model_id"`
		ModelType struct {
			Embedding struct{ Pooling string } `json:"embedding"`
		} `json:"model_type"`
		AutoTruncate bool   `json:"auto_truncate"`
		Build        string `json:"build"`
	}
	_, body = do("GET", "/info", "k3y", "")
	if err := json.Unmarshal(body, &info); err != nil || info.ModelID != "my/name" || info.ModelType.Embedding.Pooling != "mean" ||
		info.AutoTruncate || !strings.Contains(info.Build, buildName()) {
		t.Fatalf("/info %s (%v)", body, err)
	}
	// The default prompt name applies to requests that name none.
	e, err := embed.New(model, embed.WithPooling(embed.PoolMean))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want, _ := e.EmbedDetailed(context.Background(), []string{"a"}, embed.EmbedOptions{PromptName: "query"})
	_, body = do("POST", "/embed", "k3y", `{"inputs":"a"}`)
	var got [][]float32
	if err := json.Unmarshal(body, &got); err != nil || len(got) != 1 || !(embed.Cosine(got[0], want.Embeddings[0]) > 0.99999) {
		t.Fatalf("/embed %s: not the query-prompted mean-pooled vector (%v)", body, err)
	}
	if resp, _ := do("POST", "/embed", "k3y", `{"inputs":"`+strings.Repeat("word ", 9000)+`"}`); resp.StatusCode != 413 {
		t.Fatalf("--auto-truncate=false: a too-long input got %d", resp.StatusCode)
	}
}
