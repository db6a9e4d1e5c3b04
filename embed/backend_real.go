package embed

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gembed-dev/gembed/graph"
	"github.com/gembed-dev/gembed/hub"
	"github.com/gembed-dev/gembed/modelfolder"
	"github.com/gembed-dev/gembed/tokenizer"
)

// WithHubClient uses c (its cache folder, token, endpoint, progress
// callback...) to fetch models; WithRevision still applies, while
// WithCacheDir, WithToken, WithOffline and WithEndpoint are ignored.
func WithHubClient(c *hub.Client) Option { return func(s *settings) { s.hubClient = c } }

func resolveModel(ctx context.Context, id string, s settings) (string, error) {
	if isLocalDir(id) {
		return filepath.Abs(id)
	}
	var c hubClient = s.hubClient
	if s.hubClient == nil {
		hc := hub.NewClient()
		if s.cacheDir != "" {
			hc.CacheDir = s.cacheDir
		}
		if s.token != "" {
			hc.Token = s.token
		}
		if s.offline {
			hc.Offline = true
		}
		if s.endpoint != "" {
			hc.Endpoint = s.endpoint
		}
		if s.httpClient != nil {
			hc.HTTPClient = s.httpClient
		}
		c = hc
	}
	dir, err := c.Resolve(ctx, id, s.revision)
	if err != nil {
		return "", fmt.Errorf("model %s: %w", id, err)
	}
	return dir, nil
}

func readShape(f *modelfolder.Folder) (modelShape, error) {
	c, err := graph.ParseConfig(f.Config)
	if err != nil {
		return modelShape{}, fmt.Errorf("%s: %w", filepath.Join(f.Dir, modelfolder.ConfigFile), err)
	}
	return modelShape{
		modelType: c.ModelType, hidden: c.Hidden, intermediate: c.Intermediate, layers: c.Layers,
		heads: c.Heads, kvHeads: c.KVHeads, headDim: c.HeadDim, vocab: c.Vocab, maxPos: c.MaxPositions,
	}, nil
}

type hfTokenizer struct{ t *tokenizer.Tokenizer }

func loadTokenizer(dir string) (textEncoder, error) {
	t, err := tokenizer.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	return hfTokenizer{t}, nil
}

func (h hfTokenizer) encodeBatch(ctx context.Context, texts []string, maxLen int) ([]encoded, error) {
	encs, err := h.t.EncodeBatch(ctx, texts, tokenizer.EncodeOptions{AddSpecialTokens: true, MaxLength: maxLen})
	if err != nil {
		return nil, err
	}
	out := make([]encoded, len(encs))
	for i, e := range encs {
		out[i] = encoded{ids: e.IDs, typeIDs: e.TypeIDs, truncated: e.Truncated, originalLen: e.OriginalLength}
	}
	return out, nil
}

func loadModel(f *modelfolder.Folder, s settings) (forwarder, error) {
	m, err := graph.LoadFolder(f, graph.Options{Threads: s.threads, MaxBatchTokens: s.batchTokens, DType: s.dtype})
	if err != nil {
		return nil, err
	}
	return m, nil
}
