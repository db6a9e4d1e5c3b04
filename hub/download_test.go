package hub

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const testRepo = "acme/qwen3-embed"

func testClient(t testing.TB, fh *fakeHub) *Client {
	t.Helper()
	return &Client{
		Endpoint:   fh.hub.URL,
		CacheDir:   t.TempDir(),
		HTTPClient: &http.Client{Timeout: 20 * time.Second},
		MaxRetries: 3,
		backoff:    func(int) time.Duration { return time.Millisecond },
	}
}

// wantLink checks that dir/name is a relative symlink with exactly target.
func wantLink(t *testing.T, dir, name, target string) {
	t.Helper()
	got, err := os.Readlink(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got != target {
		t.Errorf("%s -> %q, want %q", name, got, target)
	}
}

func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func TestDownloadLayoutMatchesPython(t *testing.T) {
	for _, relative := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "relative-redirect"}[relative], func(t *testing.T) {
			fh := newFakeHub(t)
			fh.relativeRedirect = relative
			files := embeddingRepo(300 << 10)
			repo := fh.addRepo(testRepo, files)
			c := testClient(t, fh)
			c.Token = "secret"
			var events []ProgressEvent
			c.Progress = func(ev ProgressEvent) { events = append(events, ev) }

			dir, err := c.Download(context.Background(), testRepo, "")
			if err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(c.CacheDir, "models--acme--qwen3-embed")
			if want := filepath.Join(root, "snapshots", repo.commit); dir != want {
				t.Fatalf("dir %s, want %s", dir, want)
			}
			want := []string{"1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "merges.txt",
				"model.safetensors", "modules.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"}
			if got := snapshotFiles(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("snapshot holds %v, want %v", got, want)
			}
			wantLink(t, dir, "config.json", "../../blobs/"+gitBlobSHA1(files["config.json"].data))
			wantLink(t, dir, "1_Pooling/config.json", "../../../blobs/"+gitBlobSHA1(files["1_Pooling/config.json"].data))
			wantLink(t, dir, "model.safetensors", "../../blobs/"+sha256Hex(files["model.safetensors"].data))
			for _, name := range want {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || !bytes.Equal(got, files[name].data) {
					t.Errorf("%s: content differs (%v)", name, err)
				}
			}
			ref, err := os.ReadFile(filepath.Join(root, "refs", "main"))
			if err != nil || string(ref) != repo.commit {
				t.Errorf("refs/main = %q (%v), want %q without newline", ref, err, repo.commit)
			}
			blobs, _ := os.ReadDir(filepath.Join(root, "blobs"))
			for _, b := range blobs {
				if strings.HasSuffix(b.Name(), ".incomplete") {
					t.Errorf("left %s behind", b.Name())
				}
			}
			if len(blobs) != len(want) {
				t.Errorf("%d blobs, want %d", len(blobs), len(want))
			}
			if _, err := os.Stat(filepath.Join(c.CacheDir, ".locks", "models--acme--qwen3-embed", sha256Hex(files["model.safetensors"].data)+".lock")); err != nil {
				t.Errorf("lock file not where huggingface_hub puts it: %v", err)
			}
			fh.mu.Lock() // the servers stay up for the second download below
			if fh.authOnCDN {
				t.Error("the token was sent to the CDN")
			}
			if fh.cdnHeads != 0 {
				t.Error("a HEAD followed the redirect to the CDN")
			}
			heads, listings := fh.heads, fh.listings
			fh.mu.Unlock()
			var done int
			for _, ev := range events {
				if ev.Kind == ProgressDone {
					done++
				}
			}
			if done != len(want) {
				t.Errorf("%d done events, want %d", done, len(want))
			}

			// Again: everything is cached, only the listing is asked for.
			dir2, err := c.Download(context.Background(), testRepo, "main")
			if err != nil || dir2 != dir {
				t.Fatalf("second download: %q, %v", dir2, err)
			}
			fh.settle()
			if fh.heads != heads || fh.listings != listings+1 {
				t.Errorf("second download made %d HEADs and %d listings, want 0 and 1", fh.heads-heads, fh.listings-listings)
			}
		})
	}
}

func TestDownloadSharded(t *testing.T) {
	fh := newFakeHub(t)
	s1, s2 := bytes.Repeat([]byte{1}, 70<<10), bytes.Repeat([]byte{2}, 50<<10)
	fh.holdUntilHeads = 0
	fh.holdUntilInflight = 2 // the two shards are fetched at the same time
	fh.chunkDelay = 5 * time.Millisecond
	files := map[string]fakeFile{
		"config.json":    {data: []byte(`{}`)},
		"tokenizer.json": {data: []byte(`{}`)},
		indexFile: {data: []byte(`{"metadata":{"total_size":1},"weight_map":{
			"model.embed_tokens.weight":"model-00001-of-00002.safetensors",
			"model.layers.0.mlp.up_proj.weight":"model-00001-of-00002.safetensors",
			"model.norm.weight":"model-00002-of-00002.safetensors"}}`)},
		"model-00001-of-00002.safetensors": {data: s1, lfs: true},
		"model-00002-of-00002.safetensors": {data: s2, lfs: true},
	}
	fh.addRepo(testRepo, files)
	c := testClient(t, fh)
	dir, err := c.Download(context.Background(), testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	want := "config.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors model.safetensors.index.json tokenizer.json"
	if got := strings.Join(snapshotFiles(t, dir), " "); got != want {
		t.Errorf("snapshot holds %s, want %s", got, want)
	}
	fh.settle()
	if fh.maxInflight < 2 {
		t.Errorf("shards downloaded one at a time (max %d in flight)", fh.maxInflight)
	}
	if missing := missingFromSnapshot(dir); len(missing) != 0 {
		t.Errorf("snapshot reported incomplete: %v", missing)
	}
}

func TestDownloadRevisions(t *testing.T) {
	fh := newFakeHub(t)
	repo := fh.addRepo(testRepo, embeddingRepo(1000))
	repo.refs["refs/pr/1"] = repo.commit
	repo.refs["v1.0"] = repo.commit
	c := testClient(t, fh)
	root := filepath.Join(c.CacheDir, "models--acme--qwen3-embed")
	for _, rev := range []string{"refs/pr/1", "v1.0", repo.commit} {
		dir, err := c.Download(context.Background(), testRepo, rev)
		if err != nil {
			t.Fatalf("%s: %v", rev, err)
		}
		if filepath.Base(dir) != repo.commit {
			t.Errorf("%s: dir %s", rev, dir)
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "refs", "refs", "pr", "1")); err != nil || string(b) != repo.commit {
		t.Errorf("refs/refs/pr/1: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "refs", repo.commit)); err == nil {
		t.Error("a commit hash revision must not get a ref file")
	}
}

func TestResumeAfterCutConnection(t *testing.T) {
	for _, ignoreRange := range []bool{false, true} {
		t.Run(map[bool]string{false: "range", true: "server-ignores-range"}[ignoreRange], func(t *testing.T) {
			fh := newFakeHub(t)
			files := embeddingRepo(400 << 10)
			fh.addRepo(testRepo, files)
			fh.cutOnce["model.safetensors"] = 150 << 10
			fh.ignoreRange = ignoreRange
			c := testClient(t, fh)
			var retries int
			c.Progress = func(ev ProgressEvent) {
				if ev.Kind == ProgressRetry {
					retries++
				}
			}
			dir, err := c.Download(context.Background(), testRepo, "main")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
			if !bytes.Equal(got, files["model.safetensors"].data) {
				t.Fatal("resumed file differs")
			}
			if retries == 0 {
				t.Error("no retry reported")
			}
			fh.settle()
			if len(fh.cdnRanges) != 1 || fh.cdnRanges[0] != "bytes=153600-" {
				t.Errorf("CDN saw ranges %v, want [bytes=153600-]", fh.cdnRanges)
			}
		})
	}
}

func TestStalledDownloadResumes(t *testing.T) {
	fh := newFakeHub(t)
	files := embeddingRepo(200 << 10)
	fh.addRepo(testRepo, files)
	fh.stallOnce["model.safetensors"] = 64 << 10
	c := testClient(t, fh)
	c.StallTimeout = 200 * time.Millisecond
	dir, err := c.Download(context.Background(), testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "model.safetensors")); !bytes.Equal(got, files["model.safetensors"].data) {
		t.Fatal("content differs")
	}
	fh.settle()
	if len(fh.cdnRanges) != 1 || fh.cdnRanges[0] != "bytes=65536-" {
		t.Errorf("CDN saw ranges %v", fh.cdnRanges)
	}
}

func TestMetadataTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	c := &Client{Endpoint: hang.URL, CacheDir: t.TempDir(), MetadataTimeout: 50 * time.Millisecond, MaxRetries: 1,
		backoff: func(int) time.Duration { return 0 }}
	_, err := c.Download(context.Background(), testRepo, "main")
	if !errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestResumeIncompleteFromEarlierRun(t *testing.T) {
	fh := newFakeHub(t)
	files := embeddingRepo(200 << 10)
	fh.addRepo(testRepo, files)
	c := testClient(t, fh)
	model := files["model.safetensors"].data
	blobs := filepath.Join(c.CacheDir, "models--acme--qwen3-embed", "blobs")
	os.MkdirAll(blobs, 0o755)
	if err := os.WriteFile(filepath.Join(blobs, sha256Hex(model)+".incomplete"), model[:12345], 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := c.Download(context.Background(), testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "model.safetensors")); !bytes.Equal(got, model) {
		t.Fatal("content differs")
	}
	fh.settle()
	if len(fh.cdnRanges) != 1 || fh.cdnRanges[0] != "bytes=12345-" {
		t.Errorf("CDN saw ranges %v", fh.cdnRanges)
	}
}

func TestCorruptBlobNeverLands(t *testing.T) {
	for _, name := range []string{"model.safetensors", "tokenizer.json"} { // sha256 (LFS) and git sha1 (small)
		t.Run(name, func(t *testing.T) {
			fh := newFakeHub(t)
			files := embeddingRepo(100 << 10)
			fh.addRepo(testRepo, files)
			fh.corrupt[name] = true
			c := testClient(t, fh)
			_, err := c.Download(context.Background(), testRepo, "main")
			if !errors.Is(err, ErrChecksum) {
				t.Fatalf("err = %v, want ErrChecksum", err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error does not name the file: %v", err)
			}
			etag := sha256Hex(files[name].data)
			if !files[name].lfs {
				etag = gitBlobSHA1(files[name].data)
			}
			root := filepath.Join(c.CacheDir, "models--acme--qwen3-embed")
			blob := filepath.Join(root, "blobs", etag)
			for _, p := range []string{blob, blob + ".incomplete"} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s exists after a checksum failure", filepath.Base(p))
				}
			}
			fh.settle()
			if fh.cdnGets[name]+fh.hubGets[name] < 2 {
				t.Errorf("a checksum failure should be retried (%d GETs)", fh.cdnGets[name]+fh.hubGets[name])
			}
			if _, err := os.Lstat(filepath.Join(root, "snapshots", fakeCommit(testRepo), name)); err == nil {
				t.Error("snapshot link made for a corrupt file")
			}
			if _, err := os.Stat(filepath.Join(root, "refs", "main")); err == nil {
				t.Error("refs/main written for a failed download")
			}
		})
	}
}

func TestHubErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(fh *fakeHub)
		repo   string
		rev    string
		token  string
		want   error
		inText []string
	}{
		{name: "missing repo", repo: "acme/nope", want: ErrRepoNotFound, inText: []string{`"acme/nope"`, "HF_TOKEN"}},
		{name: "missing repo with token", repo: "acme/nope", token: "x", want: ErrRepoNotFound, inText: []string{`"acme/nope"`, "token"}},
		{name: "private repo", repo: testRepo, setup: func(fh *fakeHub) { fh.repos[testRepo].private = true }, want: ErrRepoNotFound, inText: []string{"HF_TOKEN"}},
		{name: "gated without token", repo: testRepo, setup: func(fh *fakeHub) { fh.repos[testRepo].gated = true }, want: ErrGatedRepo,
			inText: []string{"gated", testRepo, "HF_TOKEN", "accept"}},
		{name: "gated without access", repo: testRepo, token: "other", setup: func(fh *fakeHub) { fh.repos[testRepo].gated = true }, want: ErrGatedRepo,
			inText: []string{"HTTP 403", "GatedRepo"}},
		{name: "revision", repo: testRepo, rev: "v9", want: ErrRevisionNotFound, inText: []string{`"v9"`, testRepo}},
		{name: "server error", repo: testRepo, setup: func(fh *fakeHub) { fh.status = 503 }, want: ErrServer, inText: []string{"retry later"}},
		{name: "rate limit", repo: testRepo, setup: func(fh *fakeHub) { fh.status = 429 }, want: ErrRateLimited, inText: []string{"HF_TOKEN"}},
		{name: "unauthorized", repo: testRepo, token: "bad", setup: func(fh *fakeHub) { fh.status = 401 }, want: ErrUnauthorized, inText: []string{"invalid or expired"}},
		{name: "no weights", repo: testRepo, setup: func(fh *fakeHub) {
			delete(fh.repos[testRepo].files, "model.safetensors")
			delete(fh.repos[testRepo].files, "pytorch_model.bin")
		}, want: ErrEntryNotFound, inText: []string{"model.safetensors", "pytorch_model.bin"}},
		{name: "no tokenizer", repo: testRepo, setup: func(fh *fakeHub) { delete(fh.repos[testRepo].files, "tokenizer.json") },
			want: ErrEntryNotFound, inText: []string{"tokenizer.json"}},
		{name: "listed file missing", repo: testRepo, setup: func(fh *fakeHub) {
			r := fh.repos[testRepo]
			delete(r.files, "vocab.json")
			r.extra = append(r.extra, "vocab.json")
		}, want: ErrEntryNotFound, inText: []string{"vocab.json"}},
		{name: "unsafe listing", repo: testRepo, setup: func(fh *fakeHub) { fh.repos[testRepo].extra = []string{"../evil.json"} },
			want: ErrUnsafeName, inText: []string{"../evil.json"}},
		{name: "unsafe shard", repo: testRepo, setup: func(fh *fakeHub) {
			r := fh.repos[testRepo]
			delete(r.files, "model.safetensors")
			r.files[indexFile] = fakeFile{data: []byte(`{"weight_map":{"a":"../../../../etc/x.safetensors"}}`)}
		}, want: ErrUnsafeName, inText: []string{"etc/x.safetensors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := newFakeHub(t)
			fh.addRepo(testRepo, embeddingRepo(1000))
			if tt.setup != nil {
				tt.setup(fh)
			}
			c := testClient(t, fh)
			c.Token = tt.token
			_, err := c.Download(context.Background(), tt.repo, tt.rev)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, s := range tt.inText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if strings.Count(err.Error(), "\n") > 2 {
				t.Errorf("error longer than 3 lines: %q", err)
			}
			// nothing escaped the cache
			filepath.Walk(filepath.Dir(c.CacheDir), func(p string, fi os.FileInfo, err error) error {
				if err == nil && (strings.Contains(fi.Name(), "evil") || strings.HasPrefix(fi.Name(), "x.safetensors")) {
					t.Errorf("unsafe file written: %s", p)
				}
				return nil
			})
		})
	}
}

func TestGatedWithToken(t *testing.T) {
	fh := newFakeHub(t)
	fh.addRepo(testRepo, embeddingRepo(1000)).gated = true
	c := testClient(t, fh)
	c.Token = "good"
	if _, err := c.Download(context.Background(), testRepo, "main"); err != nil {
		t.Fatal(err)
	}
}

// pythonCache lays out a cache by hand exactly as huggingface_hub writes it:
// blobs named by etag, relative symlinks, refs/main without a newline.
func pythonCache(t *testing.T, cacheDir, repoID, commit string, files map[string][]byte) string {
	t.Helper()
	root := filepath.Join(cacheDir, "models--"+strings.ReplaceAll(repoID, "/", "--"))
	snap := filepath.Join(root, "snapshots", commit)
	for name, data := range files {
		etag := gitBlobSHA1(data)
		if strings.HasSuffix(name, ".safetensors") {
			etag = sha256Hex(data)
		}
		blob := filepath.Join(root, "blobs", etag)
		os.MkdirAll(filepath.Dir(blob), 0o755)
		if err := os.WriteFile(blob, data, 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(snap, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(link), 0o755)
		target := strings.Repeat("../", 2+strings.Count(name, "/")) + "blobs/" + etag
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "refs"), 0o755)
	if err := os.WriteFile(filepath.Join(root, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestOfflinePythonCache(t *testing.T) {
	commit := fakeCommit("python")
	files := map[string][]byte{
		"config.json":           []byte(`{"model_type":"qwen3"}`),
		"tokenizer.json":        []byte(`{}`),
		"modules.json":          []byte(`[]`),
		"1_Pooling/config.json": []byte(`{}`),
		"model.safetensors":     []byte("weights"),
	}
	cache := t.TempDir()
	snap := pythonCache(t, cache, "Qwen/Qwen3-Embedding-0.6B", commit, files)
	// An older snapshot that no ref points at must never be picked.
	pythonCache(t, cache, "Qwen/Qwen3-Embedding-0.6B", fakeCommit("old"), files)
	os.WriteFile(filepath.Join(cache, "models--Qwen--Qwen3-Embedding-0.6B", "refs", "main"), []byte(commit+"\n"), 0o644)

	never := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("offline client made a request: %s %s", r.Method, r.URL)
		return nil, errors.New("no network")
	})}
	c := &Client{Endpoint: DefaultEndpoint, CacheDir: cache, Offline: true, HTTPClient: never}
	ctx := context.Background()
	for _, rev := range []string{"", "main", commit} {
		dir, err := c.Download(ctx, "Qwen/Qwen3-Embedding-0.6B", rev)
		if err != nil || dir != snap {
			t.Errorf("revision %q: %q, %v; want %s", rev, dir, err, snap)
		}
	}
	if dir, err := c.Resolve(ctx, "Qwen/Qwen3-Embedding-0.6B", ""); err != nil || dir != snap {
		t.Errorf("Resolve: %q, %v", dir, err)
	}
	for _, tc := range []struct{ repo, rev, text string }{
		{"Qwen/Qwen3-Embedding-0.6B", "v2", "refs"},
		{"Qwen/Qwen3-Embedding-0.6B", fakeCommit("absent"), "no folder"},
		{"Qwen/Qwen3-Embedding-4B", "main", "Qwen/Qwen3-Embedding-4B"},
	} {
		_, err := c.Download(ctx, tc.repo, tc.rev)
		if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
			t.Errorf("%s@%s: err = %v", tc.repo, tc.rev, err)
		}
	}
	// A partial snapshot is reported with what is missing.
	os.Remove(filepath.Join(snap, "tokenizer.json"))
	if _, err := c.Download(ctx, "Qwen/Qwen3-Embedding-0.6B", "main"); !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("partial snapshot: %v", err)
	}
}

func TestUnreachableHubFallsBackToCache(t *testing.T) {
	commit := fakeCommit("python")
	cache := t.TempDir()
	snap := pythonCache(t, cache, testRepo, commit, map[string][]byte{
		"config.json": []byte(`{}`), "tokenizer.json": []byte(`{}`), "model.safetensors": []byte("w"),
	})
	down := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, &netErr{}
	})}
	c := &Client{Endpoint: DefaultEndpoint, CacheDir: cache, HTTPClient: down, MaxRetries: 1, backoff: func(int) time.Duration { return 0 }}
	dir, err := c.Download(context.Background(), testRepo, "main")
	if err != nil || dir != snap {
		t.Fatalf("%q, %v", dir, err)
	}
	if _, err := c.Download(context.Background(), testRepo, "other"); err == nil {
		t.Fatal("unknown revision with an unreachable Hub must fail")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type netErr struct{}

func (*netErr) Error() string   { return "connection refused" }
func (*netErr) Timeout() bool   { return false }
func (*netErr) Temporary() bool { return false }

func TestConcurrentDownloadsInOneProcess(t *testing.T) {
	fh := newFakeHub(t)
	files := embeddingRepo(256 << 10)
	fh.addRepo(testRepo, files)
	fh.holdUntilHeads = 2 // both downloads have looked before the bytes flow
	fh.chunkDelay = time.Millisecond
	cache := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := testClient(t, fh)
			c.CacheDir = cache
			dirs[i], errs[i] = c.Download(context.Background(), testRepo, "main")
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	if dirs[0] != dirs[1] {
		t.Fatalf("different snapshots %s %s", dirs[0], dirs[1])
	}
	if got, _ := os.ReadFile(filepath.Join(dirs[0], "model.safetensors")); !bytes.Equal(got, files["model.safetensors"].data) {
		t.Fatal("content differs")
	}
	fh.settle()
	if n := fh.cdnGets["model.safetensors"]; n != 1 {
		t.Errorf("model fetched %d times, want once (the waiter reuses the blob)", n)
	}
}

func TestContextCancel(t *testing.T) {
	fh := newFakeHub(t)
	files := embeddingRepo(1 << 20)
	fh.addRepo(testRepo, files)
	fh.chunkDelay = 20 * time.Millisecond
	c := testClient(t, fh)
	ctx, cancel := context.WithCancel(context.Background())
	c.Progress = func(ev ProgressEvent) {
		if ev.File == "model.safetensors" && ev.Bytes > 64<<10 {
			cancel()
		}
	}
	start := time.Now()
	_, err := c.Download(ctx, testRepo, "main")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("cancel took too long")
	}
	blob := filepath.Join(c.CacheDir, "models--acme--qwen3-embed", "blobs", sha256Hex(files["model.safetensors"].data))
	if _, err := os.Stat(blob); err == nil {
		t.Error("blob landed after cancel")
	}
	if fi, err := os.Stat(blob + ".incomplete"); err != nil || fi.Size() == 0 {
		t.Errorf("partial download should stay for resuming: %v", err)
	}
}

func TestResolveLocalFolder(t *testing.T) {
	local := t.TempDir()
	never := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("request for a local folder: %s", r.URL)
		return nil, errors.New("no")
	})}
	c := &Client{Endpoint: DefaultEndpoint, CacheDir: t.TempDir(), HTTPClient: never}
	ctx := context.Background()
	if dir, err := c.Resolve(ctx, local, ""); err != nil || dir != local {
		t.Errorf("Resolve(%s) = %q, %v", local, dir, err)
	}
	file := filepath.Join(local, "config.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	if _, err := c.Resolve(ctx, file, ""); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("file: %v", err)
	}
	for _, p := range []string{"./missing", "/no/such/dir", "a/b/c", "~/nothing-here-gembed"} {
		if _, err := c.Resolve(ctx, p, ""); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := c.Resolve(ctx, "bad--id", ""); err == nil || !strings.Contains(err.Error(), "repo id") {
		t.Errorf("bad id: %v", err)
	}
}

func TestNewClientEnvironment(t *testing.T) {
	home := t.TempDir()
	clear := func() {
		for _, k := range []string{"HF_ENDPOINT", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME",
			"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE"} {
			t.Setenv(k, "")
		}
		t.Setenv("HOME", home)
	}
	clear()
	c := NewClient()
	if c.Endpoint != "https://huggingface.co" || c.CacheDir != filepath.Join(home, ".cache/huggingface/hub") || c.Token != "" || c.Offline {
		t.Errorf("defaults: %+v", c)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if c := NewClient(); c.CacheDir != "/xdg/huggingface/hub" {
		t.Errorf("XDG: %s", c.CacheDir)
	}
	hfHome := t.TempDir()
	t.Setenv("HF_HOME", hfHome)
	os.WriteFile(filepath.Join(hfHome, "token"), []byte("hf_file\n"), 0o600)
	if c := NewClient(); c.CacheDir != filepath.Join(hfHome, "hub") || c.Token != "hf_file" {
		t.Errorf("HF_HOME: %s %q", c.CacheDir, c.Token)
	}
	t.Setenv("HF_HUB_CACHE", "~/hubcache")
	t.Setenv("HF_TOKEN", " hf_env ")
	t.Setenv("HF_ENDPOINT", "https://mirror.example/")
	t.Setenv("HF_HUB_OFFLINE", "1")
	c = NewClient()
	if c.CacheDir != filepath.Join(home, "hubcache") || c.Token != "hf_env" || c.Endpoint != "https://mirror.example" || !c.Offline {
		t.Errorf("overrides: %+v", c)
	}
	for v, want := range map[string]bool{"0": false, "true": true, "YES": true, "on": true, "": false, "no": false} {
		t.Setenv("HF_HUB_OFFLINE", v)
		if NewClient().Offline != want {
			t.Errorf("HF_HUB_OFFLINE=%q", v)
		}
	}
}

func TestProgressRenderer(t *testing.T) {
	var quiet bytes.Buffer
	p := TerminalProgress(&quiet)
	p(ProgressEvent{Kind: ProgressStart, File: "model.safetensors", Total: 10})
	if quiet.Len() != 0 {
		t.Errorf("not a terminal, yet wrote %q", quiet.String())
	}
	var out bytes.Buffer
	r := &renderer{w: &out, width: 100}
	now := time.Unix(0, 0)
	r.now = func() time.Time { return now }
	r.event(ProgressEvent{Kind: ProgressStart, File: "model.safetensors", Total: 100e6})
	r.event(ProgressEvent{Kind: ProgressStart, File: "config.json", Total: 500})
	now = now.Add(2 * time.Second)
	r.event(ProgressEvent{Kind: ProgressBytes, File: "model.safetensors", Bytes: 20e6, Total: 100e6})
	last := out.String()[strings.LastIndex(out.String(), "\x1b[2A"):]
	for _, s := range []string{"model.safetensors", " 20%", "20.0 MB/100.0 MB", "10.0 MB/s", "ETA 0:08", "config.json"} {
		if !strings.Contains(last, s) {
			t.Errorf("frame %q lacks %q", last, s)
		}
	}
	r.event(ProgressEvent{Kind: ProgressDone, File: "config.json", Bytes: 500, Total: 500})
	if !strings.Contains(out.String(), "done") {
		t.Error("no done state")
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if len([]rune(l)) > 100+12 { // escape sequences
			t.Errorf("line too wide: %q", l)
		}
	}
}
