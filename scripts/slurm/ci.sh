#!/usr/bin/env bash
# CI: the Slurm workflow end to end on the demo corpus. Fits a bundle, applies it in one process
# (the reference), then runs 3 shards as a Slurm job array and the merge on a local single-node
# Slurm (local-cluster.sh; as root it installs slurm-wlm and munge with apt if missing) and
# compares the merged run with the reference byte for byte (test.sh). Where the daemons cannot
# run, test.sh says why and runs the two sbatch scripts with bash instead.
#
#   RHETOR=path/to/rhetor scripts/slurm/ci.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${RHETOR:?set RHETOR to the rhetor binary}"
RHETOR=$(realpath "$RHETOR")
work=$(realpath "$(mktemp -d /tmp/rhetor-slurm-ci.XXXXXX)")
corpus=$root/corpus
"$RHETOR" -q fit "$corpus" --out "$work/bundle"
"$RHETOR" -q apply "$work/bundle" "$corpus" --group-by title --out "$work/reference"
RHETOR=$RHETOR BUNDLE=$work/bundle CORPUS=$corpus REFERENCE_RUN=$work/reference N=3 \
    RHETOR_ARGS="--group-by title" TEST_WORK=$work/slurm "$root/scripts/slurm/test.sh"
rm -rf "$work"
