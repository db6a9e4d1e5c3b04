# gembed: `make install` installs the CLI (and OpenBLAS, the fast path's BLAS);
# `make test` runs every test, both builds (cgo+OpenBLAS and pure Go).
GO      ?= go
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUZZTIME ?= 10s
# Go wildcards skip testdata/, so its tool packages are named explicitly.
PKGS    := ./... ./testdata/genmodel/... ./testdata/tokenizer/...

.PHONY: all build build-cgo build-purego install deps test test-cgo test-purego test-compat test-deploy test-beam test-fullsize race vet fmt-check fuzz testdata bench clean

all: build

# OpenBLAS through cgo is the fast path; the pure-Go build needs nothing.
NOBLAS_HINT := gembed: the default build links OpenBLAS (libopenblas-dev). Without it, build in pure Go: CGO_ENABLED=0 go build -tags purego ./cmd/gembed (or: make build-purego)

deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so'; then \
		echo "installing libopenblas-dev"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev \
			|| { echo "$(NOBLAS_HINT)" >&2; exit 1; }; \
	fi

build: deps build-cgo

build-cgo:
	@$(GO) build -o bin/gembed ./cmd/gembed || { echo "$(NOBLAS_HINT)" >&2; exit 1; }

build-purego:
	CGO_ENABLED=0 $(GO) build -tags purego -o bin/gembed ./cmd/gembed

install: deps
	@$(GO) install ./cmd/gembed || { echo "$(NOBLAS_HINT)" >&2; exit 1; }

test: deps vet fmt-check test-cgo test-purego test-compat fuzz

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test-cgo:
	$(GO) test $(PKGS)

# The server against official clients whose modules stay out of our go.mod
# (the Ollama Go client): a module of its own under server/compattest.
test-compat:
	cd server/compattest && $(GO) vet ./... && $(GO) test ./...

# The container image and Helm chart (deploy/, a module of its own: Helm and
# Kubernetes API types). Renders the chart, decodes every object strictly,
# builds gembed with the Dockerfile's go build line and checks the chart's
# flags, variables, probes and metrics against it. No cluster needed.
test-deploy:
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...

# Corpus embedding on Apache Beam (beam/, a module of its own): the real
# pipeline on Prism in-process, race detector included (the worker-wide
# model cache is shared state), and the JSONL record parser fuzzed briefly.
# The Beam SDK's first compile takes ~5 CPU-minutes, ~10 with -race.
test-beam:
	cd beam && $(GO) vet ./... && $(GO) test -count=1 ./... && $(GO) test -race -count=1 ./gembedbeam/
	cd beam && $(GO) test -run '^$$' -fuzz '^FuzzParseDocument$$' -fuzztime $(FUZZTIME) ./internal/records/

# The cgo-free build: gonum's pure-Go BLAS instead of OpenBLAS.
test-purego:
	CGO_ENABLED=0 $(GO) test -tags purego ./layers/... ./graph/... ./weights/... ./tokenizer/... ./embed/...

# llama.cpp's vectors on the Qwen3-Embedding-0.6B-shaped random model (1.19 GB,
# generated deterministically in seconds), in both builds.
FULLMODEL ?= $(or $(GEMBED_BENCH_MODEL),$(TMPDIR)/gembed-qwen3-0.6b)
TMPDIR    ?= /tmp
test-fullsize:
	@[ -f $(FULLMODEL)/config.json ] || $(GO) run ./testdata/genmodel -full $(FULLMODEL)
	GEMBED_BENCH_MODEL=$(FULLMODEL) $(GO) test -count=1 -run '^TestGoldenFullSize$$' -v ./graph/
	GEMBED_BENCH_MODEL=$(FULLMODEL) CGO_ENABLED=0 $(GO) test -count=1 -tags purego -run '^TestGoldenFullSize$$' -v ./graph/

# Packages with state shared between goroutines.
race:
	$(GO) test -race ./embed/... ./server/... ./hub/... ./tokenizer/... ./graph/...

# Every Fuzz target of every package, briefly.
fuzz:
	@./scripts/fuzz-all.sh $(FUZZTIME)

testdata:
	$(GO) run ./testdata/genmodel -out testdata/models

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin testdata/models
