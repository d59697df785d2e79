#!/usr/bin/env bash
# The consumers' side of the Parquet contract, as CI runs it:
#
#   1. a Python venv outside the repo, from scripts/requirements-python.txt
#      (${RHETOR_PY_VENV:-$HOME/.cache/rhetor-py-venv}; rebuilt only when the requirements
#      or the base interpreter change; quiet when up to date);
#   2. a fresh demo run (`rhetor run corpus`) into a temporary directory;
#   2b. the Python package built and installed into the venv (pip install ./python);
#   3. the contract tests, tests/python, against that run (pandas, polars, DuckDB), and the
#      package's tests (tests/python/test_package.py: CLI bytes, Arrow, Ray);
#   4. notebooks/01_explore_run.ipynb and notebooks/02_compare_groups.ipynb executed
#      headless; the executed copies go to the temporary directory, never into the repo.
#
#   bash scripts/python_checks.sh
#   RHETOR_BIN=target/release/rhetor bash scripts/python_checks.sh
#
# The rhetor binary is $RHETOR_BIN (default ${CARGO_TARGET_DIR:-$HOME/.cache/rhetor-target}/debug/rhetor);
# build it first. The base interpreter is ${PYTHON:-python3}. Every part runs even when an
# earlier one failed; the seconds each took are printed; the exit code is non-zero when any
# part failed. Set RHETOR_KEEP_TMP=1 to keep the temporary directory (run + executed notebooks).
set -euo pipefail
exec </dev/null
export CI=true

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${RHETOR_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/rhetor-target}/debug/rhetor}"
[[ "$bin" == /* ]] || bin="$PWD/$bin"   # relative to where the script was called from
cd "$root"

req="$root/scripts/requirements-python.txt"
venv="${RHETOR_PY_VENV:-$HOME/.cache/rhetor-py-venv}"
base_py="${PYTHON:-python3}"
stamp="$venv/.rhetor-requirements.sha256"

die() { echo "python_checks: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

declare -a summary=()
failed=0
record() { # record <part> <start> <status>
    local took; took="$(secs "$2" "$(now)")"
    if [[ "$3" == 0 ]]; then
        summary+=("$(printf '%-28s %7ss  ok' "$1" "$took")")
    else
        summary+=("$(printf '%-28s %7ss  FAILED (exit %s)' "$1" "$took" "$3")")
        failed=1
    fi
    echo "== $1: ${took}s"
}

# --- the rhetor binary -----------------------------------------------------------------
[[ -f "$req" ]] || die "missing $req"
if [[ ! -x "$bin" ]]; then
    die "no rhetor binary at '$bin'.
  Build it first:  CARGO_TARGET_DIR=\${CARGO_TARGET_DIR:-\$HOME/.cache/rhetor-target} cargo build
  or point RHETOR_BIN at one:  RHETOR_BIN=/path/to/rhetor bash scripts/python_checks.sh"
fi
command -v "$base_py" >/dev/null || die "no '$base_py' on PATH (set PYTHON=...)"

# --- 1. the venv -----------------------------------------------------------------------
t0="$(now)"
want="$( { cat "$req"; "$base_py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    record "venv (up to date)" "$t0" 0
else
    echo "== venv: setting up $venv from scripts/requirements-python.txt"
    status=0
    if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" ]]; then
        die "$venv exists and is not a venv; remove it or set RHETOR_PY_VENV"
    fi
    # Rebuild from scratch so no stale package survives a change of pins. (No `set -e` in
    # here: it is ignored inside a command whose status is tested, hence the && chain.)
    { rm -rf "$venv" \
        && "$base_py" -m venv "$venv" \
        && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
        && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" \
        && echo "$want" > "$stamp"; } || status=$?
    record "venv (created)" "$t0" "$status"
    [[ "$status" == 0 ]] || { printf '%s\n' "${summary[@]}"; die "could not set up the venv"; }
fi
py="$venv/bin/python"

# --- temporary directory, Jupyter/matplotlib state kept out of $HOME and the repo -------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/rhetor-python-checks.XXXXXX")"
cleanup() { if [[ "${RHETOR_KEEP_TMP:-}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
mkdir -p "$tmp/jupyter/data" "$tmp/jupyter/config" "$tmp/jupyter/runtime" "$tmp/ipython" "$tmp/mpl" "$tmp/nb"
export JUPYTER_DATA_DIR="$tmp/jupyter/data" JUPYTER_CONFIG_DIR="$tmp/jupyter/config"
export JUPYTER_RUNTIME_DIR="$tmp/jupyter/runtime" JUPYTER_PLATFORM_DIRS=1
export IPYTHONDIR="$tmp/ipython" MPLCONFIGDIR="$tmp/mpl"
export PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
export RHETOR_BIN="$bin" RHETOR_REPO="$root"

# --- 2. a fresh demo run ---------------------------------------------------------------
run="$tmp/run"
t0="$(now)"; status=0
# --time-col date: the optional time_labels.parquet is checked by the contract tests too.
"$bin" run corpus --time-col date --out "$run" --force -q || status=$?
record "rhetor run corpus --time-col date" "$t0" "$status"
if [[ "$status" != 0 || ! -f "$run/manifest.json" ]]; then
    printf '%s\n' "${summary[@]}"
    die "the demo run failed; nothing to test"
fi
export RHETOR_RUN_DIR="$run"

# --- 2b. the Python package, built like `pip install ./python` with the CLI's profile and
# target dir (so no dependency compiles twice); maturin comes pinned from the venv --------
t0="$(now)"; status=0
# (The venv's bin on PATH: maturin's build hook runs the `maturin` executable.)
PATH="$venv/bin:$PATH" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rhetor-target}" \
    "$py" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall ./python || status=$?
record "pip install ./python" "$t0" "$status"
export RHETOR_REQUIRE_PACKAGE=1

# --- 3. contract tests -----------------------------------------------------------------
t0="$(now)"; status=0
"$py" -m pytest tests/python -q -p no:cacheprovider -rfEs --tb=short || status=$?
if [[ "$status" == 5 ]]; then echo "python_checks: pytest collected no tests" >&2; fi
record "pytest tests/python" "$t0" "$status"

# --- 4. notebooks, executed headless ---------------------------------------------------
for nb in notebooks/01_explore_run.ipynb notebooks/02_compare_groups.ipynb; do
    t0="$(now)"; status=0
    if [[ -f "$nb" ]]; then
        "$venv/bin/jupyter" nbconvert --to notebook --execute \
            --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.kernel_name=python3 \
            --output-dir "$tmp/nb" --log-level=WARN "$nb" || status=$?
    else
        echo "python_checks: missing $nb" >&2; status=1
    fi
    record "$(basename "$nb")" "$t0" "$status"
done

echo
echo "== python checks: seconds per part"
printf '%s\n' "${summary[@]}"
if [[ "$failed" != 0 ]]; then
    echo "python_checks: FAILED" >&2
    exit 1
fi
echo "python_checks: all passed"
