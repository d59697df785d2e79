#!/usr/bin/env bash
# Scale measurements for issue 17: peak RSS and wall time of `rhetor fit --sample`, `rhetor
# apply` (one process), sharded apply + merge, at 100k and 1M paragraphs (TF-IDF bundle),
# with the CPU model. Builds the corpora with make_corpus.py (not committed).
#
#   RHETOR=target/release/rhetor PY=python3 bash scripts/scale/measure.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RHETOR=${RHETOR:?set RHETOR to the rhetor binary}
PY=${PY:-python3}
work=${1:-/tmp/rhetor-scale}
mkdir -p "$work"
echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
echo "rhetor: $RHETOR"
measure() { # measure LABEL CMD...: wall seconds and peak RSS (MiB) of the whole process
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
        tail -5 "$work/stderr.txt"; echo "FAILED: $label"; return 1; }
    read -r secs kib <"$work/time.txt"
    printf '%-44s %8.1f s %8.0f MiB\n' "$label" "$secs" "$((kib / 1024))"
}
for n in 100000 1000000; do
    c="$work/corpus-$n.parquet"
    [[ -f $c ]] || "$PY" "$root/scripts/scale/make_corpus.py" --n "$n" --out "$c"
done
c100="$work/corpus-100000.parquet" c1m="$work/corpus-1000000.parquet"
rm -rf "$work/bundle" "$work"/run-* "$work"/parts-*
measure "fit --sample 50000 (on the 1M corpus)" "$RHETOR" -q fit "$c1m" --sample 50000 --k 20 --out "$work/bundle"
for n in 100000 1000000; do
    measure "apply, $n paragraphs" "$RHETOR" -q apply "$work/bundle" "$work/corpus-$n.parquet" \
        --group-by outlet --out "$work/run-$n"
done
for i in 1 2 3 4; do
    measure "apply --shard $i/4, 1M paragraphs" "$RHETOR" -q apply "$work/bundle" "$c1m" \
        --group-by outlet --shard "$i/4" --out "$work/parts-1m"
done
measure "merge 4 parts, 1M paragraphs" "$RHETOR" -q merge "$work/parts-1m" --out "$work/run-merged"
