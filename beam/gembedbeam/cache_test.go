package gembedbeam

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gembed-dev/gembed/embed"
)

// loadedModels counts the models this process holds.
func loadedModels() int64 {
	modelsMu.Lock()
	defer modelsMu.Unlock()
	var n int64
	for _, m := range models {
		if m.e != nil {
			n++
		}
	}
	return n
}

// TestSharedEmbedderLoadsOnce: DoFn instances set up at the same time on a
// worker wait for one load and share it.
func TestSharedEmbedderLoadsOnce(t *testing.T) {
	key := modelKey{Model: tinyModel, Threads: 1} // a key no other test uses
	before := ModelLoads()
	const callers = 8
	got := make([]*embed.Embedder, callers)
	loaders := make([]bool, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			e, loaded, err := sharedEmbedder(context.Background(), key)
			if err != nil {
				t.Error(err)
			}
			got[i], loaders[i] = e, loaded
		})
	}
	wg.Wait()
	if n := ModelLoads() - before; n != 1 {
		t.Errorf("%d loads for %d concurrent callers, want 1", n, callers)
	}
	if n := len(slices.DeleteFunc(loaders, func(l bool) bool { return !l })); n != 1 {
		t.Errorf("%d callers report they loaded the model, want 1", n)
	}
	for i, e := range got {
		if e == nil || e != got[0] {
			t.Fatalf("caller %d got another Embedder", i)
		}
	}
	// The shared model works.
	v, err := got[0].Embed(context.Background(), []string{"hello"})
	if err != nil || len(v) != 1 || len(v[0]) != got[0].Info().Dimensions {
		t.Fatalf("Embed: %v, %d vectors", err, len(v))
	}
}

// TestSharedEmbedderRemembersFailure: a model that fails to load fails
// every later Setup the same way, without a second attempt.
func TestSharedEmbedderRemembersFailure(t *testing.T) {
	key := modelKey{Model: t.TempDir()} // an empty folder: no config.json
	_, _, err1 := sharedEmbedder(context.Background(), key)
	_, _, err2 := sharedEmbedder(context.Background(), key)
	if err1 == nil || err2 != err1 {
		t.Fatalf("errors %v and %v, want the same load error twice", err1, err2)
	}
}
