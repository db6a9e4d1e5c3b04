package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/embed"
	"github.com/gembed-dev/gembed/internal/numtest"
	"github.com/gembed-dev/gembed/server"
	"github.com/gembed-dev/gembed/testdata/genmodel/modelgen"
)

// TestBatchInvariantUnderLoad: many clients at once send batches of random
// texts, some holding one fixed text, to the OpenAI route (base64: the raw
// bits) and to TEI's /embed (JSON numbers, which round-trip float32). The
// server batches requests together in whatever way the load falls; the
// fixed text's vector must have the bits the library gives it alone.
func TestBatchInvariantUnderLoad(t *testing.T) {
	for _, variant := range []string{"qwen3-f32", "bert-mean"} {
		t.Run(variant, func(t *testing.T) {
			dir := modelgen.TestModel(t, variant)
			alone, err := embed.New(dir, embed.WithThreads(1))
			if err != nil {
				t.Fatal(err)
			}
			defer alone.Close()
			const target = "the same text under any load"
			want, err := alone.Embed(context.Background(), []string{target})
			if err != nil {
				t.Fatal(err)
			}
			e, err := embed.New(dir, embed.WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			s := server.New(e, server.Options{ModelName: "tiny", MaxBatchTokens: 512,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			ts := httptest.NewServer(s)
			defer ts.Close()
			defer s.Shutdown(context.Background())

			words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor 東京 über")
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for client := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewSource(int64(client)))
					for req := range 6 {
						texts := make([]string, 1+r.Intn(12))
						for i := range texts {
							n := r.Intn(30)
							var b strings.Builder
							for range n {
								b.WriteString(words[r.Intn(len(words))] + " ")
							}
							texts[i] = b.String()
						}
						at := r.Intn(len(texts))
						texts[at] = target
						got, err := embedOver(ts.URL, req%2 == 0, texts)
						if err != nil {
							errs <- err
							return
						}
						if err := numtest.SameBits(got[at], want[0]); err != nil {
							errs <- fmt.Errorf("client %d request %d (%d texts, fixed one at %d): %w", client, req, len(texts), at, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// embedOver posts texts to the OpenAI route with base64 vectors, or to TEI's
// /embed, and returns the vectors.
func embedOver(url string, openAI bool, texts []string) ([][]float32, error) {
	var body []byte
	path := "/embed"
	if openAI {
		path = "/v1/embeddings"
		body, _ = json.Marshal(map[string]any{"model": "tiny", "input": texts, "encoding_format": "base64"})
	} else {
		body, _ = json.Marshal(map[string]any{"inputs": texts})
	}
	resp, err := http.Post(url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%s: %s: %s", path, resp.Status, msg)
	}
	if !openAI {
		var out [][]float32
		return out, json.NewDecoder(resp.Body).Decode(&out)
	}
	var out struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	vecs := make([][]float32, len(out.Data))
	for i, d := range out.Data {
		raw, err := base64.StdEncoding.DecodeString(d.Embedding)
		if err != nil {
			return nil, err
		}
		vecs[i] = make([]float32, len(raw)/4)
		for k := range vecs[i] {
			vecs[i][k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
		}
	}
	return vecs, nil
}
