package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/gembed-dev/gembed/modelfolder"
)

// The cache layout, shared with Python's huggingface_hub:
//
//	CACHE/models--ORG--NAME/blobs/ETAG                  file contents, named by sha256 (LFS) or git sha1
//	CACHE/models--ORG--NAME/blobs/ETAG.incomplete       a download in progress
//	CACHE/models--ORG--NAME/snapshots/COMMIT/PATH       relative symlink to ../../blobs/ETAG
//	CACHE/models--ORG--NAME/refs/REVISION               the commit REVISION pointed to last time
//	CACHE/.locks/models--ORG--NAME/ETAG.lock            lock held while ETAG downloads
type repoCache struct {
	root  string // CACHE/models--ORG--NAME
	locks string // CACHE/.locks/models--ORG--NAME
}

func (c *Client) repoCache(repoID string) repoCache {
	name := repoFolderName(repoID)
	return repoCache{
		root:  filepath.Join(c.CacheDir, name),
		locks: filepath.Join(c.CacheDir, ".locks", name),
	}
}

func (rc repoCache) blob(etag string) string { return filepath.Join(rc.root, "blobs", etag) }
func (rc repoCache) lock(etag string) string { return filepath.Join(rc.locks, etag+".lock") }
func (rc repoCache) snapshot(commit string) string {
	return filepath.Join(rc.root, "snapshots", commit)
}
func (rc repoCache) snapshotFile(commit, name string) string {
	return filepath.Join(rc.snapshot(commit), filepath.FromSlash(name))
}
func (rc repoCache) ref(revision string) string {
	return filepath.Join(rc.root, "refs", filepath.FromSlash(revision))
}

// readRef returns the commit refs/REVISION holds.
func (rc repoCache) readRef(revision string) (string, error) {
	b, err := os.ReadFile(rc.ref(revision))
	if err != nil {
		return "", err
	}
	commit := strings.TrimSpace(string(b))
	if !IsCommitHash(commit) {
		return "", fmt.Errorf("hub: %s does not hold a commit hash", rc.ref(revision))
	}
	return commit, nil
}

// writeRef records revision → commit, atomically, without a trailing newline
// (as huggingface_hub writes it).
func (rc repoCache) writeRef(revision, commit string) error {
	if revision == commit {
		return nil
	}
	if cur, err := rc.readRef(revision); err == nil && cur == commit {
		return nil
	}
	return writeFileAtomic(rc.ref(revision), []byte(commit))
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("hub: write %s: %w", path, werr)
	}
	return nil
}

// link makes snapshots/COMMIT/NAME point at blobs/ETAG with a relative
// symlink ("../../blobs/ETAG", one more "../" per subfolder), replacing
// whatever was there. Where symlinks are not allowed it copies the blob, as
// huggingface_hub does on such systems.
func (rc repoCache) link(commit, name, etag string) error {
	dst := rc.snapshotFile(commit, name)
	if !within(rc.snapshot(commit), dst) {
		return fmt.Errorf("hub: %q: %w", name, ErrUnsafeName)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("hub: snapshot folder: %w", err)
	}
	blob := rc.blob(etag)
	rel, err := filepath.Rel(filepath.Dir(dst), blob)
	if err != nil {
		return fmt.Errorf("hub: link %s: %w", name, err)
	}
	if cur, err := os.Readlink(dst); err == nil && cur == rel {
		return nil
	}
	// a unique temporary name: other goroutines and processes may link the
	// same file at the same time
	tmp := filepath.Join(filepath.Dir(dst), fmt.Sprintf(".tmp-%s-%d-%d", filepath.Base(dst), os.Getpid(), rand.Int64()))
	if err := os.Symlink(rel, tmp); err != nil {
		if cerr := copyFile(blob, tmp); cerr != nil {
			return fmt.Errorf("hub: link %s: %w (copy: %w)", name, err, cerr)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hub: link %s: %w", name, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// within reports whether path is dir or below it, lexically.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// exists reports whether path names a readable file (a dangling symlink does
// not count).
func exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// indexFile is the sharded-weights index.
const indexFile = "model.safetensors.index.json"

// ParseIndexShards returns the shard files a model.safetensors.index.json
// refers to (its weight_map values), sorted and deduplicated, each also
// checked with ValidateRepoPath. The index is parsed by the one parser
// weights uses too, so a download never succeeds that loading then refuses.
func ParseIndexShards(data []byte) ([]string, error) {
	wm, err := modelfolder.ParseIndex(indexFile, data)
	if errors.Is(err, modelfolder.ErrUnsafePath) {
		return nil, fmt.Errorf("hub: %w", errors.Join(ErrUnsafeName, err))
	}
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	shards := modelfolder.Shards(wm)
	for _, f := range shards {
		if err := ValidateRepoPath(f); err != nil {
			return nil, fmt.Errorf("hub: %s names shard %q: %w", indexFile, f, errors.Join(ErrUnsafeName, err))
		}
	}
	return shards, nil
}

// missingFromSnapshot lists what an embedding model needs that dir lacks
// (the model folder reader's completeness rule).
func missingFromSnapshot(dir string) []string { return modelfolder.Missing(dir) }

// cachedSnapshot resolves revision to a complete snapshot folder without any
// network: a commit hash names its snapshot directly, anything else goes
// through refs/. It never guesses (no "latest snapshot" fallback).
func (c *Client) cachedSnapshot(repoID, revision string) (string, error) {
	rc := c.repoCache(repoID)
	commit := revision
	if !IsCommitHash(revision) {
		var err error
		commit, err = rc.readRef(revision)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("hub: %s (revision %q) is %w (no %s); download it while online (unset HF_HUB_OFFLINE), or give a local folder: %w",
					repoID, revision, ErrNotCached, rc.ref(revision), err)
			}
			return "", err
		}
	}
	dir := rc.snapshot(commit)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("hub: %s (revision %q, commit %s) is %w (no folder %s); download it while online (unset HF_HUB_OFFLINE)",
			repoID, revision, commit, ErrNotCached, dir)
	}
	if missing := missingFromSnapshot(dir); len(missing) > 0 {
		return "", fmt.Errorf("hub: %s (revision %q) is only partly cached in %s, missing %s; download it while online (unset HF_HUB_OFFLINE): %w",
			repoID, revision, dir, strings.Join(missing, ", "), ErrNotCached)
	}
	return dir, nil
}
