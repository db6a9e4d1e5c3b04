package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/rerank"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

func TestRerankCommand(t *testing.T) {
	model := modelgen.TestModel(t, "bert-cross-encoder")
	r, err := rerank.New(model, embed.WithMaxLength(32))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	docs := []string{"the cat sat on the mat", "stock prices fell", "a cat is an animal"}
	want, err := r.Scores(context.Background(), "cats", docs)
	if err != nil {
		t.Fatal(err)
	}
	rawWant, err := r.RerankDetailed(context.Background(), "cats", docs, rerank.Options{RawScores: true})
	if err != nil {
		t.Fatal(err)
	}

	// JSONL: one {"score"} per line, input order; raw scores on request.
	var in strings.Builder
	for _, d := range docs {
		b, _ := json.Marshal(map[string]string{"query": "cats", "text": d})
		in.Write(append(b, '\n'))
	}
	for _, raw := range []bool{false, true} {
		args := []string{"rerank", "--model", model, "--format", "jsonl", "--max-length", "32"}
		ref := want
		if raw {
			args = append(args, "--raw-scores")
			ref = rawWant.Scores
		}
		res := gembed(t, in.String(), nil, args...)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		got := make([]float32, len(lines))
		for i, l := range lines {
			var v struct{ Score *float32 }
			if err := json.Unmarshal([]byte(l), &v); err != nil || v.Score == nil {
				t.Fatalf("line %d %q: %v", i+1, l, err)
			}
			got[i] = *v.Score
		}
		if err := numtest.Check(got, ref, numtest.Tol{Abs: 1e-6}); err != nil {
			t.Errorf("raw %v: %v", raw, err)
		}
	}

	// Human-readable: ranked, best first, from arguments or stdin lines.
	for _, res := range []result{
		gembed(t, "", nil, append([]string{"rerank", "--model", model, "--query", "cats", "--max-length", "32"}, docs...)...),
		gembed(t, strings.Join(docs, "\n")+"\n", nil, "rerank", "--model", model, "--query", "cats", "--max-length", "32"),
	} {
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if len(lines) != len(docs) {
			t.Fatalf("%d lines: %q", len(lines), res.stdout)
		}
		best := 0
		for i := range want {
			if want[i] > want[best] {
				best = i
			}
		}
		if !strings.HasPrefix(lines[0], "1. ") || !strings.HasSuffix(lines[0], docs[best]) {
			t.Errorf("first line %q, want the best document %q", lines[0], docs[best])
		}
	}

	// Long pairs: a warning when truncated, an error with --no-truncate.
	long := strings.Repeat("word ", 100)
	res := gembed(t, "", nil, "rerank", "--model", model, "--query", "cats", "--max-length", "32", long)
	if res.code != 0 || !strings.Contains(res.stderr, "truncated") {
		t.Errorf("long document: exit %d, stderr %q", res.code, res.stderr)
	}
	wantError(t, gembed(t, "", nil, "rerank", "--model", model, "--query", "cats", "--max-length", "32", "--no-truncate", "short", long), "argument 2", "--no-truncate")

	// Input errors name the line or the flag.
	wantError(t, gembed(t, `{"query":"q","text":"a"}`+"\n"+`{"query":"q"}`+"\n", nil, "rerank", "--model", model, "--format", "jsonl"), "line 2", `"text"`)
	wantError(t, gembed(t, "not json\n", nil, "rerank", "--model", model, "--format", "jsonl"), "line 1")
	wantError(t, gembed(t, "", nil, "rerank", "--model", model, "a doc"), "--query")
	wantError(t, gembed(t, "", nil, "rerank", "--model", model, "--format", "jsonl", "--query", "q"), "--query")
	wantError(t, gembed(t, "", nil, "rerank", "--model", model, "--query", "q", "--instruction", "x", "a"), "instruction")
	wantError(t, gembed(t, "", nil, "rerank", "--model", modelgen.TestModel(t, "bert-mean"), "--query", "q", "a"), "not a reranking model")
}

func FuzzParsePairLine(f *testing.F) {
	for _, s := range []string{`{"query":"q","text":"t"}`, `{"query":1}`, `[]`, ``, `{"text":"a","query":null}`, "{\"query\":\"\xff\",\"text\":\"\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok, err := parsePairLine(b)
		if err != nil && ok {
			t.Fatalf("ok with an error: %v", err)
		}
		if !ok && (p.Query != "" || p.Document != "") {
			t.Fatalf("not ok but a pair %+v", p)
		}
	})
}

// gembed serve loads a reranker as it is: /rerank and /v1/rerank answer,
// the embedding routes refuse.
func TestServeReranker(t *testing.T) {
	model := modelgen.TestModel(t, "xlmr-cross-encoder")
	addr := freePort(t)
	cmd := exec.Command(gembedBinary(t), "serve", "--model", model, "--addr", addr, "--log-format", "json")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/ready") // /health is liveness only
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
	post := func(path, body string) (int, string) {
		resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := post("/rerank", `{"query":"q","texts":["a","b c"]}`); code != 200 || !strings.Contains(body, `"index"`) {
		t.Errorf("/rerank: %d %s", code, body)
	}
	if code, body := post("/v1/rerank", `{"query":"q","documents":["a","b c"],"top_n":1}`); code != 200 || !strings.Contains(body, `"relevance_score"`) {
		t.Errorf("/v1/rerank: %d %s", code, body)
	}
	if code, body := post("/v1/embeddings", `{"input":"a"}`); code != 400 || !strings.Contains(body, "reranker") {
		t.Errorf("/v1/embeddings on a reranker: %d %s", code, body)
	}
}
