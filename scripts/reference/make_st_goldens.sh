#!/usr/bin/env bash
# Regenerates testdata/golden/st/ from the real models with sentence-transformers / transformers.
#   PYTHON=/path/to/venv/bin/python scripts/reference/make_st_goldens.sh [MODEL ...]
# MODEL: minilm, mpnet, gemma (default: all). The models are fetched first (fetch_real_models.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${PYTHON:-python3}"
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(minilm mpnet gemma)
export GEMBED_REAL_MODELS="${GEMBED_REAL_MODELS:-$HOME/.cache/gembed-real-models}"
corpus=testdata/corpus/real-models.json
out=testdata/golden/st
st="$py scripts/reference/st_embed.py"

for m in "${models[@]}"; do
	case "$m" in
	minilm)
		dir=$(scripts/reference/fetch_real_models.sh all-MiniLM-L6-v2)
		mkdir -p "$out/all-MiniLM-L6-v2"
		$st "$dir" "$corpus" "$out/all-MiniLM-L6-v2/corpus.json.gz"
		$st "$dir" "$corpus" "$out/all-MiniLM-L6-v2/prompt.json.gz" --prompt "query: "
		$st --hidden-states "$dir" "$corpus" "$out/all-MiniLM-L6-v2/hidden-states.json.gz" \
			--ids sentence-en,accents-fr
		;;
	mpnet)
		dir=$(scripts/reference/fetch_real_models.sh all-mpnet-base-v2)
		mkdir -p "$out/all-mpnet-base-v2"
		$st "$dir" "$corpus" "$out/all-mpnet-base-v2/corpus.json.gz"
		;;
	gemma)
		dir=$(scripts/reference/fetch_real_models.sh embeddinggemma-300m)
		mkdir -p "$out/embeddinggemma-300m"
		$st "$dir" "$corpus" "$out/embeddinggemma-300m/query.json.gz" --prompt-name query
		# The document prompt on a subset: the query golden already covers every text (and is slow on a CPU).
		$st "$dir" "$corpus" "$out/embeddinggemma-300m/document.json.gz" --prompt-name document \
			--ids short-en,empty,sentence-en,query-en,passage-en,accents-fr,german,chinese-simplified,emoji,code,mixed-scripts,long-de
		$st --hidden-states "$dir" "$corpus" "$out/embeddinggemma-300m/hidden-states.json.gz" \
			--ids sentence-en,japanese --layers 0,1,5,6,-1
		;;
	*) echo "make_st_goldens: unknown model $m (minilm, mpnet, gemma)" >&2; exit 2 ;;
	esac
done
