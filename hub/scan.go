package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CachedModel is one model repository in the cache, as `hf cache scan`
// reports it.
type CachedModel struct {
	RepoID    string
	Dir       string // CACHE/models--ORG--NAME
	SizeBytes int64  // its blobs on disk (shared blobs counted once)
	Revisions []CachedRevision
	Modified  time.Time // newest blob or snapshot change
}

// CachedRevision is one snapshot of a CachedModel.
type CachedRevision struct {
	Commit    string
	Refs      []string // the refs/ names pointing at it ("main", ...)
	Dir       string   // the snapshot folder
	Files     int
	SizeBytes int64 // the blobs its files link to
}

// ScanCache lists the models in the cache, sorted by repo id. Links are
// read, never followed out of the repository's own folder: a link that
// points elsewhere counts as a file of no size.
func (c *Client) ScanCache() ([]CachedModel, error) {
	entries, err := os.ReadDir(c.CacheDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: reading the cache %s: %w", c.CacheDir, err)
	}
	var models []CachedModel
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "models--") || e.Type()&fs.ModeSymlink != 0 || !e.IsDir() {
			continue
		}
		m, err := scanRepo(filepath.Join(c.CacheDir, name), strings.ReplaceAll(strings.TrimPrefix(name, "models--"), "--", "/"))
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	sort.Slice(models, func(i, j int) bool { return models[i].RepoID < models[j].RepoID })
	return models, nil
}

func scanRepo(root, repoID string) (CachedModel, error) {
	m := CachedModel{RepoID: repoID, Dir: root}
	blobSizes := map[string]int64{}
	blobs, err := os.ReadDir(filepath.Join(root, "blobs"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("hub: %w", err)
	}
	for _, b := range blobs {
		info, err := b.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		blobSizes[b.Name()] = info.Size()
		m.SizeBytes += info.Size()
		if info.ModTime().After(m.Modified) {
			m.Modified = info.ModTime()
		}
	}
	refs := readRefs(filepath.Join(root, "refs"))
	snaps, err := os.ReadDir(filepath.Join(root, "snapshots"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("hub: %w", err)
	}
	for _, s := range snaps {
		if !s.IsDir() {
			continue
		}
		rev := CachedRevision{Commit: s.Name(), Dir: filepath.Join(root, "snapshots", s.Name()), Refs: refs[s.Name()]}
		used, files, err := snapshotBlobs(root, rev.Dir)
		if err != nil {
			return m, err
		}
		rev.Files = files
		for b := range used {
			rev.SizeBytes += blobSizes[b]
		}
		if info, err := s.Info(); err == nil && info.ModTime().After(m.Modified) {
			m.Modified = info.ModTime()
		}
		m.Revisions = append(m.Revisions, rev)
	}
	return m, nil
}

// readRefs maps commit → the ref names under refs/ holding it.
func readRefs(dir string) map[string][]string {
	refs := map[string][]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		commit := strings.TrimSpace(string(b))
		refs[commit] = append(refs[commit], filepath.ToSlash(rel))
		return nil
	})
	for _, r := range refs {
		sort.Strings(r)
	}
	return refs
}

// snapshotBlobs returns the blob names the files of a snapshot link to and
// its file count. A link is resolved by reading it, never by following it,
// and only a target inside root/blobs counts.
func snapshotBlobs(root, snap string) (map[string]bool, int, error) {
	used := map[string]bool{}
	files := 0
	blobDir := filepath.Join(root, "blobs")
	err := filepath.WalkDir(snap, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("hub: %w", err)
		}
		if d.IsDir() {
			return nil
		}
		files++
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("hub: %w", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		if filepath.Dir(filepath.Clean(target)) == blobDir {
			used[filepath.Base(target)] = true
		}
		return nil
	})
	return used, files, err
}

// Removed reports what RemoveFromCache deleted.
type Removed struct {
	Dir        string   // the repo folder, or the snapshot folder removed
	Revisions  []string // commits removed
	Blobs      int      // blob files deleted
	FreedBytes int64
}

// RemoveFromCache deletes a model from the cache: with revision "" the
// whole repository folder; otherwise that revision's snapshot (revision is
// a commit or a name under refs/), the refs pointing at it and the blobs
// no other snapshot links to. When no snapshot is left the repository
// folder goes too. Nothing outside the repository folder is touched: links
// are removed, never followed.
func (c *Client) RemoveFromCache(repoID, revision string) (Removed, error) {
	if err := ValidateRepoID(repoID); err != nil {
		return Removed{}, err
	}
	rc := c.repoCache(repoID)
	fi, err := os.Lstat(rc.root)
	if errors.Is(err, fs.ErrNotExist) {
		return Removed{}, fmt.Errorf("hub: %s is not in the cache %s", repoID, c.CacheDir)
	}
	if err != nil {
		return Removed{}, fmt.Errorf("hub: %w", err)
	}
	if !fi.IsDir() {
		// A link named like a repo: remove the link, never what it points to.
		return Removed{Dir: rc.root}, os.Remove(rc.root)
	}
	m, err := scanRepo(rc.root, repoID)
	if err != nil {
		return Removed{}, err
	}
	if revision == "" {
		r := Removed{Dir: rc.root, FreedBytes: m.SizeBytes}
		for _, rev := range m.Revisions {
			r.Revisions = append(r.Revisions, rev.Commit)
		}
		if err := os.RemoveAll(rc.root); err != nil {
			return r, fmt.Errorf("hub: removing %s: %w", rc.root, err)
		}
		os.RemoveAll(rc.locks)
		return r, nil
	}
	if err := validateRevision(revision); err != nil {
		return Removed{}, err
	}
	commit := revision
	if !IsCommitHash(revision) {
		if commit, err = rc.readRef(revision); err != nil {
			return Removed{}, fmt.Errorf("hub: %s has no cached revision %q", repoID, revision)
		}
	}
	var target *CachedRevision
	keep := map[string]bool{}
	for i, rev := range m.Revisions {
		if rev.Commit == commit {
			target = &m.Revisions[i]
			continue
		}
		used, _, err := snapshotBlobs(rc.root, rev.Dir)
		if err != nil {
			return Removed{}, err
		}
		for b := range used {
			keep[b] = true
		}
	}
	if target == nil {
		return Removed{}, fmt.Errorf("hub: %s has no cached snapshot %s", repoID, commit)
	}
	used, _, err := snapshotBlobs(rc.root, target.Dir)
	if err != nil {
		return Removed{}, err
	}
	r := Removed{Dir: target.Dir, Revisions: []string{commit}}
	if err := os.RemoveAll(target.Dir); err != nil {
		return r, fmt.Errorf("hub: removing %s: %w", target.Dir, err)
	}
	for _, ref := range target.Refs {
		os.Remove(rc.ref(ref))
	}
	for b := range used {
		if keep[b] {
			continue
		}
		path := rc.blob(b)
		if info, err := os.Lstat(path); err == nil && info.Mode().IsRegular() {
			if err := os.Remove(path); err != nil {
				return r, fmt.Errorf("hub: removing %s: %w", path, err)
			}
			r.Blobs++
			r.FreedBytes += info.Size()
		}
	}
	if len(m.Revisions) == 1 { // that was the last snapshot
		r.Dir = rc.root
		if err := os.RemoveAll(rc.root); err != nil {
			return r, fmt.Errorf("hub: removing %s: %w", rc.root, err)
		}
		os.RemoveAll(rc.locks)
	}
	return r, nil
}
