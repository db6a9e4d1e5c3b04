package hub

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateRepoID(t *testing.T) {
	for id, ok := range map[string]bool{
		"Qwen/Qwen3-Embedding-0.6B": true, "gpt2": true, "a_b.c/d-e": true, "org/name.v1": true,
		"": false, "/x": false, "x/": false, "a/b/c": false, "a--b/c": false, "a/b..c": false, "-a/b": false,
		"a/b.": false, "a b/c": false, "../x": false, "a\\b": false, strings.Repeat("a", 97): false, "ä/b": false,
	} {
		if err := ValidateRepoID(id); (err == nil) != ok {
			t.Errorf("ValidateRepoID(%q) = %v", id, err)
		}
	}
}

func TestValidateRepoPath(t *testing.T) {
	for name, ok := range map[string]bool{
		"config.json": true, "1_Pooling/config.json": true, "a b/c.json": true, ".gitattributes": true, "dir/.hidden": true,
		"": false, "../x": false, "a/../../x": false, "/etc/passwd": false, "a\\..\\x": false, "a//b": false,
		"./a": false, "a/.": false, "a/": false, "C:x": false, "a\x00b": false, "..": false,
	} {
		if err := ValidateRepoPath(name); (err == nil) != ok {
			t.Errorf("ValidateRepoPath(%q) = %v", name, err)
		}
	}
}

func TestNormalizeETag(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `W/"abc"`: "abc", "abc": "abc", ` "x" `: "x"} {
		if got := normalizeETag(in); got != want {
			t.Errorf("normalizeETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzValidateRepoID(f *testing.F) {
	for _, s := range []string{"Qwen/Qwen3-Embedding-0.6B", "gpt2", "a/../b", "a--b", "x/y/z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateRepoID(id) != nil {
			return
		}
		// An accepted id makes one folder name directly under the cache,
		// and maps back to itself.
		name := repoFolderName(id)
		if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			t.Fatalf("%q gives folder %q", id, name)
		}
		back := strings.Replace(strings.TrimPrefix(name, "models--"), "--", "/", 1)
		if back != id {
			t.Fatalf("%q folder %q does not map back (%q)", id, name, back)
		}
	})
}

func FuzzValidateRepoPath(f *testing.F) {
	for _, s := range []string{"config.json", "1_Pooling/config.json", "../x", "a/./b", "/abs", `a\b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateRepoPath(name) != nil {
			return
		}
		snap := filepath.FromSlash("/cache/models--a--b/snapshots/c")
		p := filepath.Join(snap, filepath.FromSlash(name))
		if !within(snap, p) || p == snap {
			t.Fatalf("accepted %q escapes the snapshot: %s", name, p)
		}
	})
}

func FuzzParseListing(f *testing.F) {
	f.Add([]byte(`{"id":"a/b","sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":"config.json"},{"rfilename":"1_Pooling/config.json"}]}`))
	f.Add([]byte(`{"sha":"0123456789abcdef0123456789abcdef01234567","siblings":[{"rfilename":"../evil"}]}`))
	f.Add([]byte(`{"sha":"nope"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseListing(data)
		if err != nil {
			return
		}
		if !IsCommitHash(l.Commit) {
			t.Fatalf("accepted commit %q", l.Commit)
		}
		for _, name := range l.Files {
			if ValidateRepoPath(name) != nil {
				t.Fatalf("accepted file %q", name)
			}
		}
		SelectFiles("a/b", l.Files, nil) // must not panic
	})
}

func FuzzParseIndexShards(f *testing.F) {
	f.Add([]byte(`{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"../../x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		shards, err := ParseIndexShards(data)
		if err != nil {
			return
		}
		for _, s := range shards {
			if ValidateRepoPath(s) != nil {
				t.Fatalf("accepted shard %q", s)
			}
		}
	})
}

func FuzzHeaderValues(f *testing.F) {
	f.Add(`W/"abc"`, "bytes 10-20/30")
	f.Add(`"../../x"`, "bytes */30")
	f.Fuzz(func(t *testing.T, etag, contentRange string) {
		e := normalizeETag(etag)
		if validateBlobName(e) == nil {
			if strings.ContainsAny(e, `/\`) || e == "." || e == ".." || strings.HasPrefix(e, ".") {
				t.Fatalf("accepted blob name %q", e)
			}
		}
		if n, ok := contentRangeStart(contentRange); ok && n < 0 {
			t.Fatalf("negative range start %d", n)
		}
	})
}
