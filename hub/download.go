package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gembed-dev/gembed/modelfolder"
)

// DefaultRevision is the branch used when none is given.
const DefaultRevision = "main"

// modulesFile is sentence-transformers' list of modules.
const modulesFile = modelfolder.ModulesFile

// requiredFiles must be in the repo; optionalFiles are fetched when they are.
var (
	requiredFiles = []string{"config.json", "tokenizer.json"}
	optionalFiles = []string{
		"tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
		"vocab.json", "merges.txt",
		"modules.json", "1_Pooling/config.json", "config_sentence_transformers.json", "sentence_bert_config.json",
	}
)

// The PyTorch weights, downloaded only when a repo has no safetensors.
const (
	torchFile      = "pytorch_model.bin"
	torchIndexFile = "pytorch_model.bin.index.json"
)

// SelectFiles picks from a repo listing the files an embedding model needs:
// config.json and tokenizer.json (required), the other tokenizer and
// sentence-transformers files that exist, the weights (SelectWeights), and —
// given the repo's modules.json (nil when it has none) — what its modules
// need (modelfolder.ModuleFiles: each Pooling and Dense config.json, each
// Dense module's weights). An index's shards are only known once it is read:
// indexes lists the selected index files (the model's, a module's), whose
// shards the caller adds.
func SelectFiles(repoID string, files []string, modulesJSON []byte) (selected, indexes []string, err error) {
	have := make(map[string]bool, len(files))
	for _, f := range files {
		have[f] = true
	}
	for _, f := range requiredFiles {
		if !have[f] {
			return nil, nil, fmt.Errorf("hub: %q has no %s, so it is not a model gembed can load: %w", repoID, f, ErrEntryNotFound)
		}
		selected = append(selected, f)
	}
	for _, f := range optionalFiles {
		if have[f] {
			selected = append(selected, f)
		}
	}
	weightFolders := []string{""}
	if modulesJSON != nil {
		configs, folders, err := modelfolder.ModuleFiles(modulesJSON)
		if err != nil {
			return nil, nil, fmt.Errorf("hub: %q: %w", repoID, err)
		}
		for _, f := range configs {
			if !have[f] {
				return nil, nil, fmt.Errorf("hub: %q: modules.json names a module whose %s the repo does not have: %w", repoID, f, ErrEntryNotFound)
			}
			if !slices.Contains(selected, f) {
				selected = append(selected, f)
			}
		}
		weightFolders = append(weightFolders, folders...)
	}
	for _, folder := range weightFolders {
		weights, sharded, ok := SelectWeights(files, folder)
		if !ok {
			at := "the repo"
			if folder != "" {
				at = "module folder " + folder
			}
			return nil, nil, fmt.Errorf("hub: %q: %s has no model.safetensors, %s, %s or %s: %w",
				repoID, at, indexFile, torchFile, torchIndexFile, ErrEntryNotFound)
		}
		selected = append(selected, weights)
		if sharded {
			indexes = append(indexes, weights)
		}
	}
	return selected, indexes, nil
}

// SelectWeights picks the weights file of folder ("" for the repo's root,
// or a sentence-transformers module folder such as "2_Dense") from a repo
// listing, in the order weights.Open reads them: model.safetensors,
// model.safetensors.index.json, then — only when there are no safetensors —
// pytorch_model.bin, pytorch_model.bin.index.json. sharded reports an index,
// whose shards are known once it is read; ok is false when there is none.
func SelectWeights(files []string, folder string) (file string, sharded, ok bool) {
	have := make(map[string]bool, len(files))
	for _, f := range files {
		have[f] = true
	}
	prefix := ""
	if folder != "" {
		prefix = strings.TrimSuffix(folder, "/") + "/"
	}
	for _, name := range []string{"model.safetensors", indexFile, torchFile, torchIndexFile} {
		if have[prefix+name] {
			return prefix + name, strings.HasSuffix(name, ".index.json"), true
		}
	}
	return "", false, false
}

// Download fetches what an embedding model needs from repoID at revision
// ("" means "main") into the cache and returns the snapshot folder
// (CACHE/models--ORG--NAME/snapshots/COMMIT). Files already in the snapshot
// are not fetched again. Offline, nothing touches the network: the revision
// resolves through refs/ and the snapshot must be complete. When the Hub
// cannot be reached at all, a complete cached snapshot of the revision is
// used, as huggingface_hub does.
func (c *Client) Download(ctx context.Context, repoID, revision string) (string, error) {
	if err := ValidateRepoID(repoID); err != nil {
		return "", err
	}
	if revision == "" {
		revision = DefaultRevision
	}
	if err := validateRevision(revision); err != nil {
		return "", err
	}
	if c.CacheDir == "" {
		return "", fmt.Errorf("hub: no cache folder configured (set HF_HUB_CACHE or HF_HOME)")
	}
	if c.Offline {
		return c.cachedSnapshot(repoID, revision)
	}
	if _, err := c.endpointURL(); err != nil {
		return "", err
	}
	listing, err := c.list(ctx, repoID, revision)
	if err != nil {
		if isNetworkError(err) {
			if dir, cerr := c.cachedSnapshot(repoID, revision); cerr == nil {
				return dir, nil
			}
		}
		return "", err
	}
	rc := c.repoCache(repoID)
	commit := listing.Commit
	// modules.json says which module folders to fetch; read it first.
	fetched := map[string]bool{}
	var modulesJSON []byte
	if slices.Contains(listing.Files, modulesFile) {
		if err := c.getFile(ctx, rc, repoID, commit, modulesFile); err != nil {
			return "", err
		}
		fetched[modulesFile] = true
		if modulesJSON, err = os.ReadFile(rc.snapshotFile(commit, modulesFile)); err != nil {
			return "", fmt.Errorf("hub: %w", err)
		}
	}
	files, indexes, err := SelectFiles(repoID, listing.Files, modulesJSON)
	if err != nil {
		return "", err
	}
	inRepo := make(map[string]bool, len(listing.Files))
	for _, f := range listing.Files {
		inRepo[f] = true
	}
	for _, index := range indexes {
		// The index names the shards, relative to its folder; fetch it first.
		if err := c.getFile(ctx, rc, repoID, commit, index); err != nil {
			return "", err
		}
		fetched[index] = true
		data, err := os.ReadFile(rc.snapshotFile(commit, index))
		if err != nil {
			return "", fmt.Errorf("hub: %w", err)
		}
		shards, err := ParseIndexShards(data)
		if err != nil {
			return "", fmt.Errorf("hub: %q: %s: %w", repoID, index, err)
		}
		for _, s := range shards {
			s = path.Join(path.Dir(index), s)
			if !inRepo[s] {
				return "", fmt.Errorf("hub: %q: %s names shard %s, which the repo does not have: %w", repoID, index, s, ErrEntryNotFound)
			}
			files = append(files, s)
		}
	}
	files = slices.DeleteFunc(files, func(f string) bool { return fetched[f] })
	if err := c.getFiles(ctx, rc, repoID, commit, files); err != nil {
		return "", err
	}
	if err := rc.writeRef(revision, commit); err != nil {
		return "", err
	}
	return rc.snapshot(commit), nil
}

// getFiles fetches several files at once, at most MaxParallel at a time; the
// first failure cancels the rest.
func (c *Client) getFiles(ctx context.Context, rc repoCache, repoID, commit string, files []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, c.parallel())
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, f := range files {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.getFile(ctx, rc, repoID, commit, f); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("hub: downloading %q: %w", repoID, ctx.Err())
	}
	return firstErr
}

// getFile makes snapshots/COMMIT/NAME exist: nothing to do when it is there,
// a link when the blob is there, else a download under the blob's lock. A
// process that waited for the lock finds the blob finished and only links it.
func (c *Client) getFile(ctx context.Context, rc repoCache, repoID, commit, name string) error {
	if err := ValidateRepoPath(name); err != nil {
		return fmt.Errorf("hub: %q: %w", repoID, errors.Join(ErrUnsafeName, err))
	}
	if exists(rc.snapshotFile(commit, name)) {
		c.emit(ProgressEvent{Kind: ProgressCached, Repo: repoID, File: name, Bytes: -1, Total: -1})
		return nil
	}
	meta, err := c.headMeta(ctx, repoID, commit, name)
	if err != nil {
		return err
	}
	blob := rc.blob(meta.ETag)
	if !exists(blob) {
		if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
			return fmt.Errorf("hub: cache folder: %w", err)
		}
		lock, err := lockFile(ctx, rc.lock(meta.ETag))
		if err != nil {
			return err
		}
		if !exists(blob) {
			err = c.fetchBlob(ctx, repoID, name, meta, blob)
		} else {
			c.emit(ProgressEvent{Kind: ProgressCached, Repo: repoID, File: name, Bytes: meta.Size, Total: meta.Size})
		}
		if uerr := lock.unlock(); err == nil && uerr != nil {
			err = fmt.Errorf("hub: unlock %s: %w", rc.lock(meta.ETag), uerr)
		}
		if err != nil {
			return err
		}
	} else {
		c.emit(ProgressEvent{Kind: ProgressCached, Repo: repoID, File: name, Bytes: meta.Size, Total: meta.Size})
	}
	return rc.link(commit, name, meta.ETag)
}

// Resolve returns a model folder for idOrDir: an existing local folder as is
// (no network, no cache), else the snapshot folder Download gives for the
// repo id. A path that does not exist (absolute, starting with "." or "~",
// or with more than one "/") is reported as a missing folder rather than
// tried as a repo id.
func (c *Client) Resolve(ctx context.Context, idOrDir, revision string) (string, error) {
	if idOrDir == "" {
		return "", fmt.Errorf("hub: empty model (want ORG/NAME or a folder)")
	}
	p := expandHome(idOrDir)
	if fi, err := os.Stat(p); err == nil {
		if !fi.IsDir() {
			return "", fmt.Errorf("hub: %s is a file; give the folder that holds config.json and the weights", idOrDir)
		}
		return p, nil
	}
	if looksLikePath(idOrDir) {
		return "", fmt.Errorf("hub: model folder %s does not exist: %w", idOrDir, os.ErrNotExist)
	}
	if err := ValidateRepoID(idOrDir); err != nil {
		return "", fmt.Errorf("hub: %q is neither an existing folder nor a repo id: %w", idOrDir, err)
	}
	return c.Download(ctx, idOrDir, revision)
}

func looksLikePath(s string) bool {
	return filepath.IsAbs(s) || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") ||
		strings.HasPrefix(s, "/") || strings.ContainsRune(s, '\\') || strings.Count(s, "/") > 1
}
