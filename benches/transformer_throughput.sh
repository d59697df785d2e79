#!/usr/bin/env bash
# Throughput and peak memory of rhetor's transformer embedder (f32, bf16) against
# sentence-transformers (f32, torch), in one run on the same texts; prints the CPU model and
# the load average after each run (other jobs on the machine change the figures).
#
#   bash benches/transformer_throughput.sh [--n 2000] [--with-candle] [--st-bf16]
#        [--kernels auto,avx2,portable] [--exe PATH]
#
# --kernels runs rhetor under each RHETOR_KERNEL value (auto = the CPU's best); --st-bf16 also
# times torch's bf16 autocast; --exe times a given test binary (e.g. a copy of an older build).
#
# Skips when the shared data or the model is absent. Makes (once) the venv
# ${RHETOR_ST_VENV:-$HOME/.cache/rhetor-st-venv} from scripts/requirements-st.txt, builds the
# release test binary (CARGO_TARGET_DIR defaults to $HOME/.cache/rhetor-target) and runs
# benches/transformer_throughput.py.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$repo/../shared/data/20newsgroups_bydate/data.jsonl"
models="${RHETOR_MODELS:-$repo/models}"
if [[ ! -f "$data" ]]; then
    echo "SKIP transformer_throughput: $data is absent"; exit 0
fi
if [[ ! -f "$models/all-MiniLM-L6-v2/model.safetensors" ]]; then
    echo "SKIP transformer_throughput: the model is not fetched (cargo run -- model fetch all-MiniLM-L6-v2)"; exit 0
fi
py="$(RHETOR_VENV="${RHETOR_ST_VENV:-$HOME/.cache/rhetor-st-venv}" \
      RHETOR_VENV_REQUIREMENTS="$repo/scripts/requirements-st.txt" \
      bash "$repo/scripts/venv.sh" | tail -n1)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rhetor-target}"
cd "$repo"
exec "$py" benches/transformer_throughput.py --data "$data" "$@"
