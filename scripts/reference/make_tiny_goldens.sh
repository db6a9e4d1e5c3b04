#!/usr/bin/env bash
# Regenerates testdata/golden/st/tiny/: sentence-transformers vectors of the tiny random
# encoder test models (BERT family, MPNet, DistilBERT) (go run ./testdata/genmodel) on the real-models corpus.
#   PYTHON=/path/to/venv/bin/python scripts/reference/make_tiny_goldens.sh
# Needs a venv with torch, transformers and sentence-transformers (float32, CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${PYTHON:-python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
corpus=testdata/corpus/real-models.json
out=testdata/golden/st/tiny
mkdir -p "$out"
for v in bert-mean bert-cls-dense bert-modes roberta-mean mpnet-mean distilbert-mean; do
	go run ./testdata/genmodel -out "$tmp" -variant "$v" >/dev/null
	"$py" scripts/reference/st_embed.py "$tmp/$v" "$corpus" "$out/$v.json.gz" --model-id "gembed-testmodels/$v"
done
# Prompts: include_prompt false leaves the prompt's tokens out of the pool.
"$py" scripts/reference/st_embed.py "$tmp/bert-modes" "$corpus" "$out/bert-modes-query.json.gz" \
	--model-id gembed-testmodels/bert-modes --prompt-name query
"$py" scripts/reference/st_embed.py "$tmp/bert-mean" "$corpus" "$out/bert-mean-prompt.json.gz" \
	--model-id gembed-testmodels/bert-mean --prompt "search_query: "
