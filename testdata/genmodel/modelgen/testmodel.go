package modelgen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gembed-dev/gembed/testdata/tokenizer/minilm"
	qwen3embedding "github.com/gembed-dev/gembed/testdata/tokenizer/qwen3-embedding"
)

// CacheDir is where TestModel keeps generated variants: $GEMBED_TESTMODELS if
// set, else os.TempDir()/gembed-testmodels-<hash of GeneratorVersion and the
// tokenizer files>, so a changed generator never reuses stale files.
func CacheDir() string {
	if d := os.Getenv("GEMBED_TESTMODELS"); d != "" {
		return d
	}
	h := sha256.New()
	h.Write([]byte(GeneratorVersion))
	h.Write(qwen3embedding.TokenizerJSONGz)
	h.Write(qwen3embedding.TokenizerConfigJSON)
	h.Write(minilm.TokenizerJSONGz)
	h.Write(minilm.TokenizerConfigJSON)
	return filepath.Join(os.TempDir(), "gembed-testmodels-"+hex.EncodeToString(h.Sum(nil))[:12])
}

var (
	testModelsMu sync.Mutex
	testModels   = map[string]*testModelOnce{}
)

type testModelOnce struct {
	once sync.Once
	dir  string
	err  error
}

// TestModel returns the folder of a generated variant (see Variants),
// writing it on first use. Within a process each variant is made once;
// between processes (parallel test binaries) a lock file lets one write while
// the others wait, and the folder appears by an atomic rename, complete.
func TestModel(tb testing.TB, variant string) string {
	tb.Helper()
	dir, err := EnsureVariant(variant)
	if err != nil {
		tb.Fatalf("test model %s: %v", variant, err)
	}
	return dir
}

// EnsureVariant is TestModel without testing.TB.
func EnsureVariant(variant string) (string, error) {
	if _, err := Variant(variant); err != nil {
		return "", err
	}
	testModelsMu.Lock()
	o, ok := testModels[variant]
	if !ok {
		o = &testModelOnce{}
		testModels[variant] = o
	}
	testModelsMu.Unlock()
	o.once.Do(func() { o.dir, o.err = ensureOnDisk(CacheDir(), variant) })
	return o.dir, o.err
}

// staleLock is the age after which a lock file is taken to be left by a
// killed process (one variant takes about a second to write).
const staleLock = 2 * time.Minute

func ensureOnDisk(base, variant string) (string, error) {
	final := filepath.Join(base, variant)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("modelgen: %w", err)
	}
	lock := final + ".lock"
	deadline := time.Now().Add(2 * staleLock)
	for {
		if _, err := os.Stat(filepath.Join(final, "config.json")); err == nil {
			return final, nil
		}
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			err = generateInto(final, variant)
			os.Remove(lock)
			if err != nil {
				return "", err
			}
			return final, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("modelgen: %w", err)
		}
		if st, err := os.Stat(lock); err == nil && time.Since(st.ModTime()) > staleLock {
			os.Remove(lock) // its writer died
			continue
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("modelgen: gave up waiting for %s", lock)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func generateInto(final, variant string) error {
	spec, err := Variant(variant)
	if err != nil {
		return err
	}
	tmp := final + ".tmp-" + strconv.Itoa(os.Getpid())
	os.RemoveAll(tmp)
	if err := Write(tmp, spec); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		// Another process that broke a stale lock may have finished first:
		// its folder is complete (it appeared by rename), so use it.
		if _, statErr := os.Stat(filepath.Join(final, "config.json")); statErr == nil {
			return nil
		}
		return fmt.Errorf("modelgen: %w", err)
	}
	return nil
}
