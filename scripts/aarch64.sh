#!/usr/bin/env bash
# CI: the native encoder (encoder/, the crate rhetor-encoder) cross-compiled for
# aarch64-unknown-linux-gnu and tested under qemu-user: its unit tests (GEMM in f32 against an
# f64 reference, softmax, GELU, LayerNorm, CPU detection) and the real all-MiniLM-L6-v2 test,
# whose vectors must reach cosine >= 0.99999 to sentence-transformers' (the same test as on
# x86-64, on the 28 sentences of at most 64 tokens: emulated, all 30 took 4.6 min of CPU
# time, these 28 1.8 min). The crate has no Polars and no tokenizer, so the cross build takes about a minute.
#
# Needs the Rust target (rustup target add aarch64-unknown-linux-gnu), Debian's cross linker
# and libc (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) and qemu-user; as root it installs
# what is missing. .cargo/config.toml names the linker and the qemu runner. The model must be
# installed (`rhetor model fetch all-MiniLM-L6-v2`): a missing model fails this script.
#
#   bash scripts/aarch64.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=aarch64-unknown-linux-gnu

die() {
    echo "aarch64: $*" >&2
    exit 1
}

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "== rustup target add $target"
    rustup target add "$target" || die "rustup could not add the $target standard library"
fi

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
[[ -e /usr/aarch64-linux-gnu/lib/Scrt1.o ]] || missing+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]} and not root (install them with apt-get)"
    echo "== apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp /tmp/rhetor-aarch64-apt.XXXXXX)
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        >"$log" 2>&1 || {
        tail -n 20 "$log" >&2
        die "apt-get install ${missing[*]} failed (log: $log)"
    }
fi

echo "== cargo test -p rhetor-encoder --target $target (under $(qemu-aarch64 --version | head -n 1))"
RHETOR_REQUIRE_MODEL=1 RHETOR_ENCODER_TEST_SHORT=1 cargo test -p rhetor-encoder --target "$target" -- --nocapture 2>&1 |
    grep -v '^\s*Compiling '
