#!/usr/bin/env bash
# Submit a sharded `rhetor apply` as a Slurm job array, then `rhetor merge` after it.
#
#   submit.sh [options] BUNDLE CORPUS OUT_RUN N [extra rhetor flags ...]
#
# Options (before BUNDLE):
#   --wait               wait until the merge has finished; exit 1 if a shard or the merge failed
#                        (a failed shard cancels the waiting merge and names the task and its log)
#   --parts DIR          parts directory shared by the shards (default OUT_RUN.parts); must be on
#                        a filesystem every compute node sees
#   --logs DIR           job logs (default OUT_RUN.logs): shard-ARRAYID_K.out, merge-JOBID.out
#   --cpus-per-task K    CPUs of each shard (default 1); rhetor's threads follow it
#   --max-running M      at most M shards run at once (sbatch --array=1-N%M)
#   --merge-cpus K       CPUs of the merge job (default 1)
#   --sbatch-args "..."  more sbatch flags for both jobs, word-split
#                        (e.g. "--partition=short --time=02:00:00 --account=proj --mem=8G")
#   --merge-args "..."   rhetor merge flags, word-split (e.g. "--coded sample.csv"); default none:
#                        the merge takes the shards' settings (config, --group-by, --seed, …)
#                        from their parts
#   --poll SECONDS       how often --wait polls Slurm (default 10, env SUBMIT_POLL)
#
# Environment: RHETOR (rhetor binary, default `rhetor` on PATH; the jobs inherit the submitting
# shell's environment, so `module load` / PATH set here carry over).
# Prints ARRAY_JOB_ID=... and MERGE_JOB_ID=... on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[submit] %s\n' "$*" >&2; }
die() {
    printf '[submit] ERROR: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

wait_jobs=0 max_running="" parts="" logs="" cpus=1 merge_cpus=1 sbatch_args="" merge_args=unset poll=${SUBMIT_POLL:-10}
while (($#)); do
    case $1 in
    --wait) wait_jobs=1 ;;
    --parts) parts=${2:?--parts needs a directory}; shift ;;
    --logs) logs=${2:?--logs needs a directory}; shift ;;
    --cpus-per-task) cpus=${2:?--cpus-per-task needs a number}; shift ;;
    --max-running) max_running=${2:?--max-running needs a number}; shift ;;
    --merge-cpus) merge_cpus=${2:?--merge-cpus needs a number}; shift ;;
    --sbatch-args) sbatch_args=${2?--sbatch-args needs a string}; shift ;;
    --merge-args) merge_args=${2?--merge-args needs a string}; shift ;;
    --poll) poll=${2:?--poll needs seconds}; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1 (options go before BUNDLE; see --help)" ;;
    *) break ;;
    esac
    shift
done
(($# >= 4)) || usage
bundle=$1 corpus=$2 out_run=$3 n=$4
shift 4
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$n'"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task must be a positive integer, got '$cpus'"
[[ -z $max_running || $max_running =~ ^[1-9][0-9]*$ ]] || die "--max-running must be a positive integer, got '$max_running'"
[[ $merge_cpus =~ ^[1-9][0-9]*$ ]] || die "--merge-cpus must be a positive integer, got '$merge_cpus'"
command -v sbatch >/dev/null || die "sbatch not found on PATH (is this a Slurm login node?)"
command -v "${RHETOR:-rhetor}" >/dev/null ||
    say "warning: '${RHETOR:-rhetor}' is not found here; the jobs need it on the compute nodes (set RHETOR or PATH / module load)"

# Absolute paths: the jobs may start in another directory.
abs() { realpath -m -- "$1"; }
bundle=$(abs "$bundle") corpus=$(abs "$corpus") out_run=$(abs "$out_run")
parts=$(abs "${parts:-$out_run.parts}")
logs=$(abs "${logs:-$out_run.logs}")
[[ -e $bundle ]] || die "bundle $bundle does not exist"
[[ -e $corpus ]] || die "corpus $corpus does not exist"
mkdir -p "$parts" "$logs" # Slurm does not create the log directory

# shellcheck disable=SC2206 # word-split on purpose
extra_sbatch=($sbatch_args)
if [[ $merge_args == unset ]]; then
    merge_extra=()
else
    # shellcheck disable=SC2206 # word-split on purpose
    merge_extra=($merge_args)
fi

array_id=$(sbatch --parsable --array="1-$n${max_running:+%$max_running}" --cpus-per-task="$cpus" \
    --output="$logs/shard-%A_%a.out" ${extra_sbatch[@]+"${extra_sbatch[@]}"} \
    "$here/rhetor-shards.sbatch" "$bundle" "$corpus" "$parts" "$n" "$@") ||
    die "sbatch of the shard array failed"
array_id=${array_id%%;*}
merge_id=$(sbatch --parsable --dependency="afterok:$array_id" --cpus-per-task="$merge_cpus" \
    --output="$logs/merge-%j.out" ${extra_sbatch[@]+"${extra_sbatch[@]}"} \
    "$here/rhetor-merge.sbatch" "$parts" "$out_run" ${merge_extra[@]+"${merge_extra[@]}"}) || {
    say "sbatch of the merge failed; cancelling the array $array_id"
    scancel "$array_id" || true
    die "sbatch of the merge job failed"
}
merge_id=${merge_id%%;*}
say "shards: array job $array_id (tasks 1-$n, $cpus CPU(s) each), logs $logs/shard-${array_id}_K.out"
say "merge:  job $merge_id (afterok:$array_id) -> $out_run, log $logs/merge-$merge_id.out"
echo "ARRAY_JOB_ID=$array_id"
echo "MERGE_JOB_ID=$merge_id"
((wait_jobs)) || exit 0

# ---- --wait: poll the job states ------------------------------------------------------------
# One line per task: "TASK STATE EXITCODE REASON". scontrol while Slurm still holds the job
# record (MinJobAge), sacct afterwards (if accounting is enabled).
job_states() {
    local id=$1 out
    if out=$(scontrol -o show job "$id" 2>/dev/null) && [[ -n $out ]]; then
        awk '{
            t = "-"; s = "?"; e = "?"; r = "-"
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^ArrayTaskId=/) t = substr($i, 13)
                else if ($i ~ /^JobState=/) s = substr($i, 10)
                else if ($i ~ /^ExitCode=/) e = substr($i, 10)
                else if ($i ~ /^Reason=/) r = substr($i, 8)
            }
            print t, s, e, r
        }' <<<"$out"
        return 0
    fi
    if out=$(sacct -n -P -X -j "$id" --format=JobID,State,ExitCode 2>/dev/null) && [[ -n $out ]]; then
        awk -F'|' '{
            t = $1; sub(/^[0-9]+_?/, "", t); if (t == "") t = "-"
            split($2, s, " ")
            print t, s[1], $3, "-"
        }' <<<"$out"
        return 0
    fi
    return 1
}

is_active() {
    case $1 in
    PENDING | RUNNING | CONFIGURING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_FED | REQUEUE_HOLD | RESIZING | SIGNALING | STAGE_OUT | RESV_DEL_HOLD | SPECIAL_EXIT) return 0 ;;
    *) return 1 ;;
    esac
}

show_log_tail() {
    local f=$1
    if [[ -s $f ]]; then
        say "---- last lines of $f ----"
        tail -n 15 "$f" >&2
    else
        say "(no log at $f)"
    fi
}

t0=$SECONDS
last=""
# Final state of each task as first seen: Slurm forgets finished tasks after MinJobAge, maybe
# before the last task ends.
declare -A final=()
while true; do
    active=0 states="" seen=""
    if states=$(job_states "$array_id"); then
        while read -r task state code _reason; do
            if is_active "$state"; then
                active=1
                seen+="$state"$'\n'
            elif [[ $task =~ ^[0-9]+$ && -z ${final[$task]:-} ]]; then
                final[$task]=$state:$code
            fi
        done <<<"$states"
    elif ((${#final[@]} < n)); then
        die "cannot get the state of array job $array_id (neither scontrol nor sacct knows it)"
    fi
    for k in "${!final[@]}"; do seen+="${final[$k]%%:*}"$'\n'; done
    summary=$(sort <<<"$seen" | uniq -c | awk 'NF == 2 { printf "%s=%d ", $2, $1 }')
    if [[ $summary != "$last" ]]; then
        say "$((SECONDS - t0)) s: shards ${summary% }"
        last=$summary
    fi
    ((active)) || break
    sleep "$poll"
done

failed=()
for k in $(seq 1 "$n"); do
    f=${final[$k]:-UNKNOWN:?}
    [[ $f == COMPLETED:* ]] || failed+=("$k:$f")
done

if ((${#failed[@]})); then
    for f in "${failed[@]}"; do
        IFS=: read -r task state code <<<"$f"
        say "FAILED: shard task $task (job ${array_id}_$task): state $state, exit code $code"
        show_log_tail "$logs/shard-${array_id}_$task.out"
    done
    say "cancelling the merge job $merge_id (its afterok dependency can never be met)"
    scancel "$merge_id" 2>/dev/null || true
    failed_ids=$(printf '%s,' "${failed[@]%%:*}")
    say "re-run the failed shard(s), then the merge, with:"
    printf '  %s\n' \
        "$(printf '%q ' sbatch --parsable --array="${failed_ids%,}" --cpus-per-task="$cpus" \
            --output="$logs/shard-%A_%a.out" ${extra_sbatch[@]+"${extra_sbatch[@]}"} \
            "$here/rhetor-shards.sbatch" "$bundle" "$corpus" "$parts" "$n" "$@")" \
        "$(printf '%q ' sbatch --dependency=afterok:NEW_ARRAY_ID --cpus-per-task="$merge_cpus" \
            --output="$logs/merge-%j.out" ${extra_sbatch[@]+"${extra_sbatch[@]}"} \
            "$here/rhetor-merge.sbatch" "$parts" "$out_run" ${merge_extra[@]+"${merge_extra[@]}"})" >&2
    die "${#failed[@]} of $n shard task(s) failed: $(printf '%s ' "${failed[@]%%:*}")(array job $array_id)"
fi

while true; do
    line=$(job_states "$merge_id" | head -n 1) ||
        die "cannot get the state of merge job $merge_id (neither scontrol nor sacct knows it)"
    read -r _task state code reason <<<"$line"
    if ! is_active "$state"; then
        break
    fi
    if [[ $state == PENDING && $reason == DependencyNeverSatisfied ]]; then
        scancel "$merge_id" 2>/dev/null || true
        die "merge job $merge_id: dependency never satisfied although all shards completed"
    fi
    sleep "$poll"
done
if [[ $state != COMPLETED ]]; then
    show_log_tail "$logs/merge-$merge_id.out"
    die "merge job $merge_id: state $state, exit code $code"
fi
say "all $n shards and the merge completed in $((SECONDS - t0)) s: $out_run"
