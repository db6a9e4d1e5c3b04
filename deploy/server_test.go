package deploy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestChartMatchesBinary checks every name the chart gives the binary —
// flags, environment variables, probe paths, the port, metric names — by
// asking the binary built with the Dockerfile's line, and runs the server
// with the Deployment's own arguments.
func TestChartMatchesBinary(t *testing.T) {
	o := mustRender(t, values("autoscaling.enabled", false, "keda.enabled", true, "hfToken.existingSecret", "hf", "apiKey.existingSecret", "key"))
	spec := o.deployment.Spec.Template.Spec
	c := container(t, spec.Containers, "gembed")
	checkCommand(t, c, "serve")
	checkCommand(t, container(t, spec.InitContainers, "download"), "download")

	addr := flagValue(t, c.Args, "--addr")
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port != strconv.Itoa(int(c.Ports[0].ContainerPort)) {
		t.Fatalf("--addr %s, container port %d", addr, c.Ports[0].ContainerPort)
	}
	shutdown, err := time.ParseDuration(flagValue(t, c.Args, "--shutdown-timeout"))
	if err != nil {
		t.Fatal(err)
	}
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if grace < preStop+shutdown+time.Second {
		t.Errorf("terminationGracePeriodSeconds %v < preStop %v + --shutdown-timeout %v", grace, preStop, shutdown)
	}

	query := o.scaledObject.Spec.Triggers[0].Metadata["query"]
	wantQuery := `sum(gembed_queue_tokens{namespace="ml",service="emb-gembed"})`
	if query != wantQuery || o.scaledObject.Spec.Triggers[0].Type != "prometheus" {
		t.Errorf("KEDA trigger %s query %q, want prometheus %q", o.scaledObject.Spec.Triggers[0].Type, query, wantQuery)
	}
	if o.serviceMonitor.Namespace != "" && o.serviceMonitor.Namespace != namespace {
		t.Errorf("ServiceMonitor in namespace %q", o.serviceMonitor.Namespace)
	}

	// The server, run with the Deployment's arguments and environment; only
	// the model (a tiny local one) and the address (a free local port) differ.
	args := replaceFlag(t, c.Args, "--model", tinyModel)
	local := freeAddr(t)
	args = replaceFlag(t, args, "--addr", local)
	cmd := exec.Command(gembedBin, args...)
	cmd.Env = append(os.Environ(), "HF_HOME="+t.TempDir())
	for _, e := range c.Env {
		switch {
		case e.Name == "HF_HOME":
		case e.ValueFrom != nil: // from a Secret
			cmd.Env = append(cmd.Env, e.Name+"=secret-"+e.Name)
		default:
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()
	base := "http://" + local
	startup := c.StartupProbe.HTTPGet.Path
	if !waitFor(base+startup, 90*time.Second, done) {
		t.Fatalf("startup probe %s never answered 200", startup)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if code := get(t, base+p.HTTPGet.Path); code != http.StatusOK {
			t.Errorf("%s probe %s: %d after the model loaded", name, p.HTTPGet.Path, code)
		}
	}
	// The API key from the Secret guards the API, not the probes.
	for key, want := range map[string]int{"": http.StatusUnauthorized, "secret-GEMBED_API_KEY": http.StatusOK} {
		req, _ := http.NewRequest("POST", base+"/v1/embeddings", strings.NewReader(`{"input": "hello"}`))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST /v1/embeddings with key %q: %d, want %d", key, resp.StatusCode, want)
		}
	}
	metrics := getBody(t, base+o.serviceMonitor.Spec.Endpoints[0].Path)
	for _, name := range regexp.MustCompile(`\b(gembed_[a-z_]+)\{`).FindAllStringSubmatch(query, -1) {
		if !strings.Contains(metrics, "# TYPE "+name[1]+" gauge\n") {
			t.Errorf("the KEDA query's %s is not a gauge on /metrics", name[1])
		}
	}

	// SIGTERM, as the kubelet sends after preStop: the server drains and
	// exits cleanly within the grace period left.
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	case <-time.After(grace - preStop):
		t.Errorf("still running %v after SIGTERM", time.Since(start))
	}
}

// checkCommand checks a gembed container's arguments and environment
// against `gembed SUB --help` and the binary.
func checkCommand(t *testing.T, c corev1.Container, sub string) {
	t.Helper()
	if len(c.Args) == 0 || c.Args[0] != sub {
		t.Fatalf("container %s: args %v, want %q first", c.Name, c.Args, sub)
	}
	flags, envs := helpNames(t, sub)
	for _, a := range c.Args {
		if name, _, _ := strings.Cut(a, "="); strings.HasPrefix(name, "--") && !flags[name] {
			t.Errorf("container %s: %s is not a flag of gembed %s", c.Name, name, sub)
		}
	}
	checkEnv(t, c, envs, "")
}

// checkEnv: GEMBED_* variables must be the subcommand's, HF_* variables
// must be read by the binary, and any other must be used by the script.
func checkEnv(t *testing.T, c corev1.Container, envs map[string]bool, script string) {
	t.Helper()
	for _, e := range c.Env {
		switch {
		case strings.HasPrefix(e.Name, "GEMBED_"):
			if !envs[e.Name] {
				t.Errorf("container %s: %s is not read by the command", c.Name, e.Name)
			}
		case strings.HasPrefix(e.Name, "HF_"):
			if !bytes.Contains(binaryBytes, []byte(e.Name)) {
				t.Errorf("container %s: the binary never reads %s", c.Name, e.Name)
			}
		default:
			if !strings.Contains(script, "$"+e.Name) && !strings.Contains(script, "${"+e.Name) {
				t.Errorf("container %s: %s is used by nothing", c.Name, e.Name)
			}
		}
	}
}

func flagValue(t *testing.T, args []string, name string) string {
	t.Helper()
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatalf("no %s in %v", name, args)
	return ""
}

func replaceFlag(t *testing.T, args []string, name, value string) []string {
	t.Helper()
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == name && i+1 < len(out) {
			out[i+1] = value
			return out
		}
	}
	t.Fatalf("no %s in %v", name, args)
	return nil
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls url until it answers 200, the process exits or time runs out.
func waitFor(url string, limit time.Duration, exited <-chan error) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

func get(t *testing.T, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatal(fmt.Errorf("%s: %d %v", url, resp.StatusCode, err))
	}
	return string(b)
}
