#!/usr/bin/env bash
# Regenerates testdata/golden/st/tiny/: sentence-transformers vectors of the tiny random test models
# (go run ./testdata/genmodel) on the real-models corpus — the BERT family, MPNet, DistilBERT, ModernBERT, and GTE v1.5 and
# NomicBERT (through native_golden.py, which hands the published config to transformers' own models).
#   PYTHON=/path/to/venv/bin/python scripts/reference/make_tiny_goldens.sh [VARIANT ...]
# Needs a venv with torch, transformers and sentence-transformers (float32, CPU). Default: every variant.
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${PYTHON:-python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
corpus=testdata/corpus/real-models.json
out=testdata/golden/st/tiny
mkdir -p "$out"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(bert-mean bert-cls-dense bert-modes roberta-mean modernbert-mean modernbert-bias-cls gte-cls gte-types-mean nomic-mean mpnet-mean distilbert-mean)
for v in "${variants[@]}"; do
	go run ./testdata/genmodel -out "$tmp" -variant "$v" >/dev/null
	case "$v" in
	gte-* | nomic-*) "$py" scripts/reference/native_golden.py "$tmp/$v" "$corpus" "$out/$v.json.gz" --model-id "gembed-testmodels/$v" ;;
	*) "$py" scripts/reference/st_embed.py "$tmp/$v" "$corpus" "$out/$v.json.gz" --model-id "gembed-testmodels/$v" ;;
	esac
	case "$v" in
	bert-modes)
		# Prompts: include_prompt false leaves the prompt's tokens out of the pool.
		"$py" scripts/reference/st_embed.py "$tmp/bert-modes" "$corpus" "$out/bert-modes-query.json.gz" \
			--model-id gembed-testmodels/bert-modes --prompt-name query ;;
	bert-mean)
		"$py" scripts/reference/st_embed.py "$tmp/bert-mean" "$corpus" "$out/bert-mean-prompt.json.gz" \
			--model-id gembed-testmodels/bert-mean --prompt "search_query: " ;;
	esac
done
