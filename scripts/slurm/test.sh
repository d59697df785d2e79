#!/usr/bin/env bash
# End-to-end check of the Slurm workflow on a local single-node Slurm (for CI; run as root on
# Debian/Ubuntu): starts the cluster (local-cluster.sh), runs `submit.sh --wait`, then compares
# every file of the merged run with a single-process reference run, byte for byte.
#
# Environment:
#   RHETOR         path to the rhetor binary (required)
#   BUNDLE         bundle directory from `rhetor fit` (required)
#   CORPUS         corpus (required)
#   REFERENCE_RUN  run directory of a single-process `rhetor apply BUNDLE CORPUS` (required)
#   N              number of shards (default 2)
#   RHETOR_ARGS    extra `rhetor apply` flags for the shards, word-split (e.g. "--group-by title");
#                  the merge takes them from the parts
#   TEST_WORK      working directory (default: a new /tmp/rhetor-slurm-test.XXXXXX; removed on
#                  success unless KEEP_WORK=1)
#   TEST_TIMEOUT   seconds to wait for the jobs (default 1800)
#   FORCE_FALLBACK=1  skip the daemons and run the sbatch scripts with bash (tests the fallback)
#   REQUIRE_SLURM=1   fail instead of falling back when the daemons cannot run
#   KEEP_CLUSTER=1 leave a cluster this script started running (default: stop it at the end)
#
# If the Slurm daemons cannot run here, it falls back (loudly, with the reason) to running the
# two sbatch scripts directly with bash, SLURM_ARRAY_TASK_ID=1..N set by hand.
set -euo pipefail

# Files of the run that legitimately differ between the sharded and the single-process run:
# glob patterns matched against each file's path relative to the run directory. Only the
# manifest does (its `command` is "merge" and its timings differ; the Rust test
# tests/it/shard.rs compares the rest of it).
IGNORE=(manifest.json)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[slurm-test] %s\n' "$*" >&2; }
die() {
    printf '[slurm-test] FAILED: %s\n' "$*" >&2
    exit 1
}

: "${RHETOR:?set RHETOR to the rhetor binary}"
: "${BUNDLE:?set BUNDLE to the bundle directory}"
: "${CORPUS:?set CORPUS to the corpus}"
: "${REFERENCE_RUN:?set REFERENCE_RUN to the single-process run directory}"
N=${N:-2}
[[ $N =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$N'"
RHETOR=$(command -v "$RHETOR") || die "RHETOR '$RHETOR' is not an executable"
RHETOR=$(realpath "$RHETOR")
export RHETOR
[[ -e $BUNDLE ]] || die "BUNDLE $BUNDLE does not exist"
[[ -e $CORPUS ]] || die "CORPUS $CORPUS does not exist"
[[ -d $REFERENCE_RUN ]] || die "REFERENCE_RUN $REFERENCE_RUN is not a directory"
# shellcheck disable=SC2206 # word-split on purpose
rhetor_args=(${RHETOR_ARGS:-})

work=${TEST_WORK:-$(mktemp -d /tmp/rhetor-slurm-test.XXXXXX)}
mkdir -p "$work"
work=$(realpath "$work")
out_run=$work/run parts=$work/run.parts logs=$work/run.logs
if [[ -e $out_run || -e $parts ]]; then
    die "$out_run or $parts already exists (use a fresh TEST_WORK)"
fi

started_cluster=0
cleanup() {
    if ((started_cluster)) && [[ ${KEEP_CLUSTER:-0} != 1 ]]; then
        "$here/local-cluster.sh" stop || true
    fi
}
trap cleanup EXIT

mode=slurm fallback_reason=""
if [[ ${FORCE_FALLBACK:-0} == 1 ]]; then
    mode=fallback fallback_reason="FORCE_FALLBACK=1"
else
    was_running=0
    "$here/local-cluster.sh" status >/dev/null 2>&1 && was_running=1
    t0=$SECONDS
    if "$here/local-cluster.sh" start 2>"$work/cluster-start.log"; then
        cat "$work/cluster-start.log" >&2
        ((was_running)) || started_cluster=1
        say "local Slurm up (start took $((SECONDS - t0)) s)"
    else
        cat "$work/cluster-start.log" >&2
        if [[ ${REQUIRE_SLURM:-0} == 1 ]]; then
            "$here/local-cluster.sh" stop >/dev/null 2>&1 || true
            die "the local Slurm did not start and REQUIRE_SLURM=1 (see above)"
        fi
        mode=fallback
        fallback_reason=$(grep -m1 'FAILED' "$work/cluster-start.log" || tail -n 1 "$work/cluster-start.log")
        # A half-started cluster (e.g. slurmctld up, slurmd not) is stopped again.
        "$here/local-cluster.sh" stop >/dev/null 2>&1 || true
    fi
fi

t0=$SECONDS
if [[ $mode == slurm ]]; then
    say "submitting $N shards + merge to the local Slurm"
    timeout "${TEST_TIMEOUT:-1800}" "$here/submit.sh" --wait --poll 1 --parts "$parts" --logs "$logs" \
        "$BUNDLE" "$CORPUS" "$out_run" "$N" ${rhetor_args[@]+"${rhetor_args[@]}"} ||
        die "submit.sh --wait failed (exit $?; logs in $logs)"
    say "array + merge on Slurm: $((SECONDS - t0)) s"
else
    say "################################################################################"
    say "## FALLBACK: the Slurm daemons cannot run here; running the sbatch scripts"
    say "## directly with bash (SLURM_ARRAY_TASK_ID=1..$N set by hand). This does NOT test"
    say "## Slurm itself. Why: $fallback_reason"
    say "################################################################################"
    mkdir -p "$parts" "$logs"
    for k in $(seq 1 "$N"); do
        SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_JOB_ID=local SLURM_JOB_ID=local-$k SLURM_CPUS_PER_TASK=1 \
            bash "$here/rhetor-shards.sbatch" "$BUNDLE" "$CORPUS" "$parts" "$N" \
            ${rhetor_args[@]+"${rhetor_args[@]}"} >"$logs/shard-local_$k.out" 2>&1 || {
            tail -n 20 "$logs/shard-local_$k.out" >&2
            die "shard $k/$N failed (fallback mode; log $logs/shard-local_$k.out)"
        }
    done
    SLURM_JOB_ID=local-merge SLURM_CPUS_PER_TASK=1 bash "$here/rhetor-merge.sbatch" "$parts" "$out_run" \
        >"$logs/merge-local.out" 2>&1 || {
        tail -n 20 "$logs/merge-local.out" >&2
        die "merge failed (fallback mode; log $logs/merge-local.out)"
    }
    say "shards + merge without Slurm (FALLBACK): $((SECONDS - t0)) s"
fi

# ---- compare with the reference run ------------------------------------------------------------
[[ -d $out_run ]] || die "the merged run $out_run does not exist"
ignored() {
    local p
    for p in "${IGNORE[@]}"; do
        # shellcheck disable=SC2053 # glob match on purpose
        [[ $1 == $p ]] && return 0
    done
    return 1
}
list_files() { (cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort); }

diffs=0 compared=0 skipped=0
while IFS= read -r rel; do
    if ignored "$rel"; then
        skipped=$((skipped + 1))
        continue
    fi
    if [[ ! -e $out_run/$rel ]]; then
        say "DIFF: $rel is in the reference run but not in the merged run"
        diffs=$((diffs + 1))
    elif [[ ! -e $REFERENCE_RUN/$rel ]]; then
        say "DIFF: $rel is in the merged run but not in the reference run"
        diffs=$((diffs + 1))
    else
        compared=$((compared + 1))
        if ! cmp -- "$REFERENCE_RUN/$rel" "$out_run/$rel" >&2; then
            diffs=$((diffs + 1))
        fi
    fi
done < <(LC_ALL=C sort -u <(list_files "$REFERENCE_RUN") <(list_files "$out_run"))

((compared > 0)) || die "no file compared (empty runs?)"
if ((diffs)); then
    die "$diffs file(s) differ between the merged run $out_run and the reference $REFERENCE_RUN ($compared compared, $skipped ignored: ${IGNORE[*]}); work dir kept: $work"
fi
say "OK ($mode): $compared file(s) identical to the reference run, $skipped ignored (${IGNORE[*]})"
if [[ $mode == fallback ]]; then
    say "NOTE: FALLBACK was used, Slurm itself was not tested ($fallback_reason)"
fi
if [[ ${KEEP_WORK:-0} != 1 && -z ${TEST_WORK:-} ]]; then
    rm -rf "$work"
else
    say "work dir: $work"
fi
