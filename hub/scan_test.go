package hub

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	commitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	commitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// fakeCache lays out models--org--m with two snapshots sharing a blob, a
// link from a snapshot to a file outside the cache, and a repo folder that
// is a link to a folder outside the cache.
func fakeCache(t *testing.T) (cache, outside string) {
	t.Helper()
	cache, outside = t.TempDir(), t.TempDir()
	repo := filepath.Join(cache, "models--org--m")
	write := func(path, data string) {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, path string) {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(repo, "blobs", "only-a"), "1234567890")   // 10 bytes
	write(filepath.Join(repo, "blobs", "shared"), "12345")        // 5
	write(filepath.Join(repo, "blobs", "only-b"), "123")          // 3
	write(filepath.Join(outside, "secret"), "do not delete")      // outside the cache
	write(filepath.Join(outside, "dir", "keep"), "do not delete") // a folder outside
	write(filepath.Join(repo, "refs", "main"), commitB)           // main → B
	write(filepath.Join(repo, "refs", "v1"), commitA+"\n")        // v1 → A
	link("../../blobs/only-a", filepath.Join(repo, "snapshots", commitA, "model.safetensors"))
	link("../../../blobs/shared", filepath.Join(repo, "snapshots", commitA, "sub", "config.json"))
	link(filepath.Join(outside, "secret"), filepath.Join(repo, "snapshots", commitA, "escape"))
	link("../../blobs/shared", filepath.Join(repo, "snapshots", commitB, "config.json"))
	link("../../blobs/only-b", filepath.Join(repo, "snapshots", commitB, "model.safetensors"))
	link(filepath.Join(outside, "dir"), filepath.Join(cache, "models--org--linked"))
	return cache, outside
}

func TestScanCache(t *testing.T) {
	cache, _ := fakeCache(t)
	models, err := (&Client{CacheDir: cache}).ScanCache()
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 1 || models[0].RepoID != "org/m" || models[0].SizeBytes != 18 || len(models[0].Revisions) != 2 {
		t.Fatalf("models %+v", models)
	}
	a, b := models[0].Revisions[0], models[0].Revisions[1]
	if a.Commit != commitA || a.SizeBytes != 15 || a.Files != 3 || !reflect.DeepEqual(a.Refs, []string{"v1"}) {
		t.Fatalf("revision A %+v", a)
	}
	if b.Commit != commitB || b.SizeBytes != 8 || b.Files != 2 || !reflect.DeepEqual(b.Refs, []string{"main"}) {
		t.Fatalf("revision B %+v", b)
	}
	if m, err := (&Client{CacheDir: filepath.Join(cache, "none")}).ScanCache(); err != nil || m != nil {
		t.Fatalf("missing cache: %v %v", m, err)
	}
}

func TestRemoveFromCache(t *testing.T) {
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	t.Run("one revision keeps shared blobs", func(t *testing.T) {
		cache, outside := fakeCache(t)
		c := &Client{CacheDir: cache}
		r, err := c.RemoveFromCache("org/m", "v1")
		if err != nil {
			t.Fatal(err)
		}
		repo := filepath.Join(cache, "models--org--m")
		if r.Blobs != 1 || r.FreedBytes != 10 || exists(filepath.Join(repo, "blobs", "only-a")) ||
			!exists(filepath.Join(repo, "blobs", "shared")) || !exists(filepath.Join(repo, "snapshots", commitB, "config.json")) ||
			exists(filepath.Join(repo, "snapshots", commitA)) || exists(filepath.Join(repo, "refs", "v1")) || !exists(filepath.Join(repo, "refs", "main")) {
			t.Fatalf("removed %+v; left the wrong files", r)
		}
		if !exists(filepath.Join(outside, "secret")) {
			t.Fatal("a file outside the cache was deleted through a link")
		}
		// The last revision takes the repository folder with it.
		r, err = c.RemoveFromCache("org/m", commitB)
		if err != nil || exists(repo) || r.FreedBytes != 8 {
			t.Fatalf("last revision: %+v %v; repo still there: %v", r, err, exists(repo))
		}
	})
	t.Run("whole repository", func(t *testing.T) {
		cache, outside := fakeCache(t)
		r, err := (&Client{CacheDir: cache}).RemoveFromCache("org/m", "")
		if err != nil || exists(filepath.Join(cache, "models--org--m")) || r.FreedBytes != 18 || len(r.Revisions) != 2 {
			t.Fatalf("%+v %v", r, err)
		}
		if !exists(filepath.Join(outside, "secret")) {
			t.Fatal("a file outside the cache was deleted through a link")
		}
	})
	t.Run("repository folder that is a link", func(t *testing.T) {
		cache, outside := fakeCache(t)
		if _, err := (&Client{CacheDir: cache}).RemoveFromCache("org/linked", ""); err != nil {
			t.Fatal(err)
		}
		if exists(filepath.Join(cache, "models--org--linked")) || !exists(filepath.Join(outside, "dir", "keep")) {
			t.Fatal("the link should go, and what it points to stay")
		}
	})
	for _, tt := range []struct{ repo, rev, want string }{
		{"org/none", "", "not in the cache"},
		{"org/m", "nope", `no cached revision "nope"`},
		{"org/m", "cccccccccccccccccccccccccccccccccccccccc", "no cached snapshot"},
		{"../x", "", `repo id "../x"`},
		{"org/m", "../../etc", "invalid revision"},
	} {
		cache, _ := fakeCache(t)
		if _, err := (&Client{CacheDir: cache}).RemoveFromCache(tt.repo, tt.rev); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s@%s: err = %v, want %q", tt.repo, tt.rev, err, tt.want)
		}
	}
}
