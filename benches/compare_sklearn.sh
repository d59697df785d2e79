#!/usr/bin/env bash
# Measure rhetor against scikit-learn, side by side, in one run
# (quality: NMI/ARI on bbc_news and 20newsgroups; speed/peak RSS on 20newsgroups).
#
#   bash benches/compare_sklearn.sh [extra args for benches/compare_sklearn.py]
#   e.g. bash benches/compare_sklearn.sh --what quality --seeds 0,1
#
# Steps: skip if the shared data (../shared/data next to the repo) is absent;
# set up the Python venv (scripts/venv.sh); build rhetor in release mode
# (CARGO_TARGET_DIR defaults to $HOME/.cache/rhetor-target; set RHETOR_BIN to
# use an existing binary and skip the build); run benches/compare_sklearn.py.
# Results go to benches/results/{quality,speed}.json.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$repo/../shared/data"

if [[ ! -d "$data" ]]; then
    echo "SKIP compare_sklearn: shared data folder $data is absent (needs bbc_news/ and 20newsgroups_bydate/)."
    exit 0
fi

py="$(bash "$repo/scripts/venv.sh" | tail -n1)"

if [[ -n "${RHETOR_BIN:-}" ]]; then
    bin="$RHETOR_BIN"
    echo "== using RHETOR_BIN=$bin (no build)"
else
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rhetor-target}"
    echo "== cargo build --release (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    (cd "$repo" && cargo build --release --bin rhetor)
    bin="$CARGO_TARGET_DIR/release/rhetor"
fi

exec "$py" "$repo/benches/compare_sklearn.py" --rhetor "$bin" --data-dir "$data" "$@"
