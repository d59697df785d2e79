#!/usr/bin/env bash
# Create (once) and reuse the Python venv used by the benchmark scripts.
#
#   bash scripts/venv.sh            # -> prints the venv's python path as the last stdout line
#   PY=$(bash scripts/venv.sh | tail -n1)
#
# The venv lives outside the repo at ${RHETOR_VENV:-$HOME/.cache/rhetor-venv}; its
# requirements file is ${RHETOR_VENV_REQUIREMENTS:-scripts/requirements-bench.txt}.
# It is (re)built from scripts/requirements-bench.txt whenever the hash of that
# file (plus the base interpreter's version) differs from the stamp stored in the
# venv, so re-runs are quiet and cheap. The base interpreter is ${PYTHON:-python3}.
# Progress messages go to stderr; stdout carries only the python path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="${RHETOR_VENV_REQUIREMENTS:-$here/requirements-bench.txt}"
venv="${RHETOR_VENV:-$HOME/.cache/rhetor-venv}"
base_py="${PYTHON:-python3}"
stamp="$venv/.rhetor-requirements.sha256"

[[ -f "$req" ]] || { echo "venv.sh: missing $req" >&2; exit 1; }
command -v "$base_py" >/dev/null || { echo "venv.sh: no '$base_py' on PATH (set PYTHON=...)" >&2; exit 1; }

want="$( { cat "$req"; "$base_py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$venv/bin/python"          # up to date: say nothing else
    exit 0
fi

echo "venv.sh: setting up $venv from $req" >&2
if [[ ! -x "$venv/bin/python" ]]; then
    "$base_py" -m venv "$venv" >&2
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" > "$stamp"
echo "venv.sh: ready" >&2
echo "$venv/bin/python"
