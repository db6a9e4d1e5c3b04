#!/usr/bin/env bash
# Regenerates testdata/golden/st/tiny/VARIANT.json.gz: sentence-transformers' vectors of the corpus
# on the generated tiny test models (testdata/genmodel), for the families transformers runs with its own
# code (GTE v1.5 through gte_golden.py, which translates the published config for transformers' GteModel).
#   PYTHON=/path/to/venv/bin/python scripts/reference/make_tiny_goldens.sh [VARIANT ...]
# VARIANT: modernbert-mean, gte-cls (default: all of them).
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${PYTHON:-python3}"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(modernbert-mean gte-cls)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=testdata/golden/st/tiny
mkdir -p "$out"
for v in "${variants[@]}"; do
	go run ./testdata/genmodel -out "$tmp" -variant "$v" >/dev/null
	case "$v" in
	gte-*) "$py" scripts/reference/gte_golden.py "$tmp/$v" testdata/corpus/real-models.json "$out/$v.json.gz" --model-id "$v" ;;
	*) "$py" scripts/reference/st_embed.py "$tmp/$v" testdata/corpus/real-models.json "$out/$v.json.gz" --model-id "$v" ;;
	esac
done
