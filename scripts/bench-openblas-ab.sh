#!/bin/sh
# Alternates the round-1 build (cgo + OpenBLAS with its AVX-512 kernels,
# commit e1db733) with the current default build (Go assembly, no cgo) on
# the Qwen3-0.6B shape: ROUNDS single forwards of 64 texts × ~64 tokens
# each, then ROUNDS32 runs of 10 forwards of one 32-token text, and prints
# every run, then benchstat's medians of the two. Runs of one binary spread by ±15 % on a shared
# VM, so only alternated medians say anything.
#
# Needs libopenblas-dev for the round-1 build. The random-weight model is
# generated once into GEMBED_BENCH_MODEL (default: a temporary folder).
set -eu
ROUNDS=${ROUNDS:-8}
ROUNDS32=${ROUNDS32:-5}
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/r1" 2>/dev/null || true; rm -rf "$work"' EXIT
model=${GEMBED_BENCH_MODEL:-$work/qwen3-0.6b-shape}
export GEMBED_BENCH_MODEL="$model"
if [ ! -f "$model/config.json" ]; then
	(cd "$repo" && go run ./testdata/genmodel -full "$model")
fi
git -C "$repo" worktree add --detach "$work/r1" e1db733 >/dev/null
(cd "$work/r1" && go test -c -o "$work/openblas.test" ./graph)
(cd "$repo" && go test -c -o "$work/go.test" ./graph)

# run build benchmark benchtime: one run, its raw lines kept per build for
# benchstat, a summary line printed.
run() {
	if [ "$1" = openblas ]; then
		env OPENBLAS_CORETYPE=SKYLAKEX "$work/openblas.test" -test.run '^$' -test.bench "$2" -test.benchtime "$3"
	else
		"$work/go.test" -test.run '^$' -test.bench "$2" -test.benchtime "$3"
	fi | grep '^Benchmark' | tee -a "$work/$1.txt" |
		awk -v b="$1" -v t="$(date -u +%H:%M:%S)" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
			'{ for (i = 3; i < NF; i++) { if ($(i+1) == "cpu-s/forward") c = $i; if ($(i+1) == "s/forward") w = $i }
			print t, b, $1, "load=" l, "cpu-s=" c, "wall-s=" w }'
}

for i in $(seq "$ROUNDS"); do
	for b in openblas go; do run "$b" 'Forward64x64/workers=2' 1x; done
done
for i in $(seq "$ROUNDS32"); do
	for b in openblas go; do run "$b" 'Forward32Tokens' 10x; done
done
# Medians and their confidence intervals, Go against OpenBLAS.
(cd "$repo" && go run golang.org/x/perf/cmd/benchstat@latest "$work/openblas.txt" "$work/go.txt")
