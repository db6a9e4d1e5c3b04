package hub

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// maxRepoIDLength matches the Hub's own limit on "ORG/NAME".
const maxRepoIDLength = 96

var (
	repoIDPart   = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
	commitHashRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	sha256HexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	blobNameRE   = regexp.MustCompile(`^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$`)
)

// ValidateRepoID checks that id is a Hub model id, "ORG/NAME" or "NAME", with
// the rules the Hub enforces: letters, digits, '-', '_' and '.', no "--" or
// ".." (they would be ambiguous in the cache folder name), no leading or
// trailing '-' or '.', at most 96 characters.
func ValidateRepoID(id string) error {
	if id == "" {
		return fmt.Errorf("hub: empty repo id (want ORG/NAME)")
	}
	if len(id) > maxRepoIDLength {
		return fmt.Errorf("hub: repo id %q is longer than %d characters", id, maxRepoIDLength)
	}
	parts := strings.Split(id, "/")
	if len(parts) > 2 {
		return fmt.Errorf("hub: repo id %q has more than one '/' (want ORG/NAME)", id)
	}
	for _, p := range parts {
		if p == "" || !repoIDPart.MatchString(p) {
			return fmt.Errorf("hub: repo id %q: %q may only hold letters, digits, '-', '_' and '.'", id, p)
		}
		if strings.HasPrefix(p, "-") || strings.HasPrefix(p, ".") || strings.HasSuffix(p, "-") || strings.HasSuffix(p, ".") {
			return fmt.Errorf("hub: repo id %q: %q must not start or end with '-' or '.'", id, p)
		}
	}
	if strings.Contains(id, "--") || strings.Contains(id, "..") {
		return fmt.Errorf("hub: repo id %q must not contain \"--\" or \"..\"", id)
	}
	return nil
}

// ValidateRepoPath checks a file name that came from the server (a listing,
// an index file) before it becomes a path under the snapshot folder: a
// relative, slash-separated path whose components are never empty, "." or
// "..", without backslashes, NUL or other control characters. Anything else
// could escape the snapshot folder or mean different files on different
// systems.
func ValidateRepoPath(name string) error {
	if name == "" {
		return fmt.Errorf("hub: empty file name")
	}
	if len(name) > 4096 {
		return fmt.Errorf("hub: file name of %d bytes is too long", len(name))
	}
	if strings.HasPrefix(name, "/") {
		return fmt.Errorf("hub: refusing absolute file name %q", name)
	}
	for _, r := range name {
		if r == '\\' || r == 0 || r < 0x20 || r == 0x7f {
			return fmt.Errorf("hub: refusing file name %q (backslash or control character)", name)
		}
	}
	if len(name) >= 2 && name[1] == ':' {
		return fmt.Errorf("hub: refusing file name %q (drive letter)", name)
	}
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "":
			return fmt.Errorf("hub: refusing file name %q (empty path component)", name)
		case ".", "..":
			return fmt.Errorf("hub: refusing file name %q (would escape the snapshot folder)", name)
		}
	}
	if path.Clean(name) != name {
		return fmt.Errorf("hub: refusing file name %q (not a clean path)", name)
	}
	return nil
}

// validateRevision accepts branch, tag and commit names, including
// "refs/pr/N": the name becomes a file under refs/, so it must be a clean
// relative path like a repo file name.
func validateRevision(rev string) error {
	if err := ValidateRepoPath(rev); err != nil {
		return fmt.Errorf("hub: invalid revision %q: %w", rev, err)
	}
	return nil
}

// IsCommitHash reports whether rev is a full 40-hex git commit hash, the only
// revision that can be used offline without a refs/ file.
func IsCommitHash(rev string) bool { return commitHashRE.MatchString(rev) }

// normalizeETag strips the weak-validator prefix and the quotes that HTTP
// puts around entity tags: `W/"abc"` and `"abc"` both become `abc`.
func normalizeETag(etag string) string {
	etag = strings.TrimSpace(etag)
	etag = strings.TrimPrefix(etag, "W/")
	etag = strings.TrimPrefix(etag, "w/")
	return strings.Trim(etag, `"`)
}

// validateBlobName checks that an etag from the server can be used as a file
// name in blobs/ (and a lock name in .locks/) without going anywhere else.
func validateBlobName(etag string) error {
	if len(etag) == 0 || len(etag) > 255 || !blobNameRE.MatchString(etag) || strings.HasSuffix(etag, ".incomplete") || strings.HasSuffix(etag, ".lock") {
		return fmt.Errorf("hub: server sent an unusable ETag %q", etag)
	}
	return nil
}

// repoFolderName is the cache folder of a model repo, as huggingface_hub
// names it: "models--ORG--NAME".
func repoFolderName(repoID string) string {
	return "models--" + strings.ReplaceAll(repoID, "/", "--")
}
