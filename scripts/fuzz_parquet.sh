#!/usr/bin/env bash
# The long form of the Parquet fuzz test (issue 14 item 5): N mutants (default 2000) of a
# small valid Parquet file, uncompressed and zstd, each read through rhetor's corpus loader
# and run-table reader. Prints the number of files, reads, errors (and how many of those were
# polars panics caught at the reader boundary) and escaped panics, which must be 0.
# CI runs the short form (200 mutants) as part of `cargo test`.
#
#   bash scripts/fuzz_parquet.sh [N]
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."
RHETOR_FUZZ_PARQUET_N="${1:-2000}" cargo test --test it issue14_item05_fuzz_parquet_loader_long \
  -- --ignored --nocapture
