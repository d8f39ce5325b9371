#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60) from its checked-in seed
# corpus, with a fixed libFuzzer seed. Needs the nightly toolchain and
# cargo-fuzz (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
for target in ops declared; do
    mkdir -p "corpus/$target" "artifacts/$target"
    # Run on a scratch copy of the corpus, so the checked-in seeds stay as
    # they are.
    work="$(mktemp -d)"
    cp -r "corpus/$target/." "$work/"
    cargo +nightly fuzz run "$target" "$work" -- \
        -max_total_time="$seconds" -seed=1 -rss_limit_mb=4096 -print_final_stats=1
    rm -rf "$work"
done
