package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListAndRm(t *testing.T) {
	cache := t.TempDir()
	repo := filepath.Join(cache, "models--org--m")
	commits := []string{strings.Repeat("a", 40), strings.Repeat("b", 40)}
	for i, c := range commits {
		blob := filepath.Join(repo, "blobs", "blob"+c[:1])
		os.MkdirAll(filepath.Dir(blob), 0o755)
		os.WriteFile(blob, []byte(strings.Repeat("x", 100*(i+1))), 0o644)
		snap := filepath.Join(repo, "snapshots", c)
		os.MkdirAll(snap, 0o755)
		if err := os.Symlink("../../blobs/blob"+c[:1], filepath.Join(snap, "model.safetensors")); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commits[1]), 0o644)
	env := []string{"HF_HUB_CACHE=" + cache}

	r := gembed(t, "", env, "list", "-f", "json")
	var listed []listedModel
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil || r.code != 0 {
		t.Fatalf("list: %v %s %s", err, r.stdout, r.stderr)
	}
	if len(listed) != 1 || listed[0].Model != "org/m" || listed[0].SizeBytes != 300 || len(listed[0].Revisions) != 2 ||
		listed[0].Revisions[1].Refs[0] != "main" || listed[0].Revisions[1].SizeBytes != 200 {
		t.Fatalf("list: %+v", listed)
	}
	if r := gembed(t, "", env, "list"); r.code != 0 || !strings.Contains(r.stdout, "org/m") || !strings.Contains(r.stdout, "bbbbbbbbbbbb  main") {
		t.Fatalf("list text: %q %s", r.stdout, r.stderr)
	}
	r = gembed(t, "", env, "rm", "org/m@main")
	if r.code != 0 || !strings.Contains(r.stdout, "removed org/m@main") {
		t.Fatalf("rm: %q %s", r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(repo, "blobs", "blobb")); err == nil {
		t.Fatal("rm left the revision's own blob")
	}
	if _, err := os.Stat(filepath.Join(repo, "blobs", "bloba")); err != nil {
		t.Fatal("rm removed another revision's blob")
	}
	wantError(t, gembed(t, "", env, "rm", "org/m@main"), "main")
	wantError(t, gembed(t, "", env, "rm"), "gembed rm")
	wantError(t, gembed(t, "", env, "list", "extra"), `"extra"`)
	if r := gembed(t, "", env, "rm", "org/m"); r.code != 0 {
		t.Fatalf("rm whole: %s", r.stderr)
	}
	if _, err := os.Stat(repo); err == nil {
		t.Fatal("rm org/m left the folder")
	}
}
