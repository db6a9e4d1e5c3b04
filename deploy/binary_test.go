package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Built once by TestMain: the gembed binary (from the Dockerfile's go build
// line), a tiny random model, and the binary's bytes for string checks.
var (
	gembedBin   string
	tinyModel   string
	binaryBytes []byte
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gembed-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func setup(dir string) error {
	line, err := dockerfileGoBuild("Dockerfile")
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "out")
	// The Dockerfile builds in /src (the repository root) into /out.
	script := strings.ReplaceAll(line, "/out/", out+"/")
	cmd := exec.Command("sh", "-c", "mkdir -p "+out+" && "+script)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the Dockerfile's build line %q: %v\n%s", line, err, b)
	}
	gembedBin = filepath.Join(out, "gembed")
	if binaryBytes, err = os.ReadFile(gembedBin); err != nil {
		return err
	}
	gen := exec.Command("go", "run", "./testdata/genmodel", "-out", filepath.Join(dir, "models"), "-variant", "qwen3-f32")
	gen.Dir = ".."
	if b, err := gen.CombinedOutput(); err != nil {
		return fmt.Errorf("genmodel: %v\n%s", err, b)
	}
	tinyModel = filepath.Join(dir, "models", "qwen3-f32")
	return nil
}

// dockerfileGoBuild returns the command of the Dockerfile's RUN line that
// runs go build.
func dockerfileGoBuild(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var found []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			found = append(found, strings.TrimPrefix(l, "RUN "))
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%s: want one RUN line with go build, found %d", path, len(found))
	}
	return found[0], nil
}

// TestBinaryIsStatic: the image's base has no libc, so the binary built by
// the Dockerfile's line must need none.
func TestBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(gembedBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a dynamic interpreter: not a static binary", gembedBin)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s links shared libraries %v (%v)", gembedBin, libs, err)
	}
}

// TestDockerfile checks the run-time stages: non-root, the cache on the
// volume the chart mounts, and the server listening on all interfaces.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := regexp.MustCompile(`(?m)^FROM `).Split(string(b), -1)[1:]
	if len(stages) != 3 {
		t.Fatalf("want 3 stages (build, debug, runtime), got %d", len(stages))
	}
	for _, st := range stages[1:] {
		name := strings.Fields(st)[0]
		for _, want := range []string{
			"COPY --from=build /out/gembed /usr/local/bin/gembed",
			"USER 65532:65532",
			"ENV HF_HOME=/data/hf GEMBED_ADDR=0.0.0.0:8080",
			"VOLUME /data",
			`ENTRYPOINT ["/usr/local/bin/gembed"]`,
		} {
			if !strings.Contains(st, want) {
				t.Errorf("stage %s: no %q", name, want)
			}
		}
		if !strings.Contains(name, "nonroot") {
			t.Errorf("stage %s: want a distroless nonroot base", name)
		}
	}
	if !strings.HasPrefix(stages[2], "gcr.io/distroless/static-debian12:nonroot") {
		t.Errorf("the last (default) stage is %q, want distroless/static nonroot", strings.Fields(stages[2])[0])
	}
	// GEMBED_ADDR is how the image listens on all interfaces.
	if !strings.Contains(help(t, "serve"), "$GEMBED_ADDR") {
		t.Error("gembed serve --help does not mention $GEMBED_ADDR")
	}
}

// help returns `gembed SUBCOMMAND --help`.
func help(t *testing.T, sub string) string {
	t.Helper()
	out, err := exec.Command(gembedBin, sub, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("gembed %s --help: %v\n%s", sub, err, out)
	}
	return string(out)
}

var (
	helpFlagRe = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)
	helpEnvRe  = regexp.MustCompile(`\$(GEMBED_[A-Z0-9_]+)`)
)

// helpNames returns the flags and environment variables `gembed SUB --help` lists.
func helpNames(t *testing.T, sub string) (flags, envs map[string]bool) {
	h := help(t, sub)
	flags, envs = map[string]bool{}, map[string]bool{}
	for _, m := range helpFlagRe.FindAllStringSubmatch(h, -1) {
		flags["--"+m[1]] = true
	}
	for _, m := range helpEnvRe.FindAllStringSubmatch(h, -1) {
		envs[m[1]] = true
	}
	if len(flags) < 3 || len(envs) < 3 {
		t.Fatalf("gembed %s --help lists %d flags and %d variables: unexpected format\n%s", sub, len(flags), len(envs), h)
	}
	return flags, envs
}
