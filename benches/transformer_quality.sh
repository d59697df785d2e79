#!/usr/bin/env bash
# Clustering quality (NMI/ARI, 5 seeds) on MiniLM-L6 embeddings vs TF-IDF + LSA, both by rhetor.
#
#   bash benches/transformer_quality.sh [--seeds 0,1] [--datasets bbc_news] [--precision bf16]
#
# Skips when the shared data or the model is absent; makes the venv of compare_sklearn
# (scripts/venv.sh), builds release rhetor (or uses RHETOR_BIN), runs
# benches/transformer_quality.py. Results: benches/results/transformer_quality.json.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$repo/../shared/data"
models="${RHETOR_MODELS:-$repo/models}"
[[ -d "$data" ]] || { echo "SKIP transformer_quality: $data is absent"; exit 0; }
[[ -f "$models/all-MiniLM-L6-v2/model.safetensors" ]] || {
    echo "SKIP transformer_quality: model not fetched (cargo run -- model fetch all-MiniLM-L6-v2)"; exit 0; }
py="$(bash "$repo/scripts/venv.sh" | tail -n1)"
if [[ -n "${RHETOR_BIN:-}" ]]; then
    bin="$RHETOR_BIN"
else
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rhetor-target}"
    (cd "$repo" && cargo build --release --bin rhetor)
    bin="$CARGO_TARGET_DIR/release/rhetor"
fi
exec "$py" "$repo/benches/transformer_quality.py" --rhetor "$bin" --data-dir "$data" "$@"
