package hub

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHelperDownloadProcess is not a test: TestConcurrentProcesses runs the
// test binary again with GEMBED_HUB_CHILD=1 so that two real processes
// download into one cache at the same time.
func TestHelperDownloadProcess(t *testing.T) {
	if os.Getenv("GEMBED_HUB_CHILD") != "1" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	c := &Client{
		Endpoint:   os.Getenv("GEMBED_HUB_ENDPOINT"),
		CacheDir:   os.Getenv("GEMBED_HUB_CACHE"),
		HTTPClient: &http.Client{Timeout: 20 * time.Second},
		MaxRetries: 3,
		backoff:    func(int) time.Duration { return time.Millisecond },
	}
	dir, err := c.Download(context.Background(), testRepo, "main")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	fmt.Println("SNAPSHOT=" + dir)
}

func TestConcurrentProcesses(t *testing.T) {
	if os.Getenv("GEMBED_HUB_CHILD") == "1" {
		t.Skip("in the child")
	}
	fh := newFakeHub(t)
	files := embeddingRepo(256 << 10)
	fh.addRepo(testRepo, files)
	// Under the lock: the server's handlers read these, and the race
	// detector sees no ordering through the children's connections.
	fh.mu.Lock()
	fh.holdUntilHeads = 2 // both processes have looked before the bytes flow
	fh.chunkDelay = time.Millisecond
	fh.mu.Unlock()
	cache := t.TempDir()

	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDownloadProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GEMBED_HUB_CHILD=1", "GEMBED_HUB_ENDPOINT="+fh.hub.URL, "GEMBED_HUB_CACHE="+cache)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	var dirs []string
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i])
		}
		for _, l := range strings.Split(outs[i].String(), "\n") {
			if d, ok := strings.CutPrefix(l, "SNAPSHOT="); ok {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) != 2 || dirs[0] != dirs[1] {
		t.Fatalf("snapshots %v", dirs)
	}
	got, err := os.ReadFile(filepath.Join(dirs[0], "model.safetensors"))
	if err != nil || !bytes.Equal(got, files["model.safetensors"].data) {
		t.Fatalf("content differs (%v)", err)
	}
	fh.mu.Lock()
	defer fh.mu.Unlock()
	if n := fh.cdnGets["model.safetensors"]; n != 1 {
		t.Errorf("model fetched %d times by two processes, want once", n)
	}
	if fh.headsByFile["model.safetensors"] != 2 {
		t.Errorf("the processes did not overlap (%d HEADs)", fh.headsByFile["model.safetensors"])
	}
}
