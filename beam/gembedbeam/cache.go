package gembedbeam

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gembed-dev/gembed/embed"
)

// A worker process runs many DoFn instances (one per bundle processor and
// per transform), and each would otherwise hold its own copy of the model.
// Models are therefore shared process-wide by their loading settings and
// kept for the life of the process: a worker reuses them bundle after
// bundle, and closing one between bundles would only reload it.
var (
	modelsMu sync.Mutex
	models   = map[modelKey]*sharedModel{}
	loads    atomic.Int64
	setups   atomic.Int64 // DoFn Setup calls, for tests
)

// modelKey is what changes the loaded model; everything else is a per-call
// option (embed.EmbedOptions), so transforms that differ only in those
// share one copy.
type modelKey struct {
	Model, Revision, CacheDir string
	Offline                   bool
	Threads                   int
}

type sharedModel struct {
	once sync.Once
	e    *embed.Embedder
	err  error
}

// ModelLoads reports how many models this process has loaded: one per
// distinct model setting, however many DoFn instances use it.
func ModelLoads() int64 { return loads.Load() }

// sharedEmbedder returns the process's Embedder for k, loading it on first
// use (loaded reports that this call did). Concurrent callers for the same
// k wait for one load. A failed load is remembered: every later Setup on
// this worker fails the same way instead of hammering the Hub.
func sharedEmbedder(ctx context.Context, k modelKey) (e *embed.Embedder, loaded bool, err error) {
	modelsMu.Lock()
	m, ok := models[k]
	if !ok {
		m = &sharedModel{}
		models[k] = m
	}
	modelsMu.Unlock()
	m.once.Do(func() {
		opts := []embed.Option{embed.WithRevision(k.Revision), embed.WithOffline(k.Offline)} // false keeps HF_HUB_OFFLINE
		if k.CacheDir != "" {
			opts = append(opts, embed.WithCacheDir(k.CacheDir))
		}
		if k.Threads > 0 {
			opts = append(opts, embed.WithThreads(k.Threads))
		}
		// The worker's lifetime, not one bundle's: the model outlives the
		// Setup call that happened to load it.
		m.e, m.err = embed.NewContext(context.WithoutCancel(ctx), k.Model, opts...)
		if m.err != nil {
			m.err = fmt.Errorf("loading model %s: %w", k.Model, m.err)
			return
		}
		loads.Add(1)
		loaded = true
	})
	return m.e, loaded, m.err
}
