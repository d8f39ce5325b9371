#!/usr/bin/env bash
# This harness's comparison in several fresh processes, in both profiles:
# each goal's ratio (ours / wiggle 48) from every run, and their median.
#   [RUNS_DIR=DIR] bash benches/outside/runs.sh [RUNS]     (default 5)
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-5}
cargo build --release --quiet
cargo build --profile release-cu1 --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -n "${RUNS_DIR:-}" ]; then
    out=$RUNS_DIR
    mkdir -p "$out"
else
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
for profile in release release-cu1; do
    for i in $(seq "$runs"); do
        "$target_dir/$profile/outside" > "$out/$profile-$i.txt"
    done
    echo "$profile: $runs runs done" >&2
done
# Each goal's ratio (column 5) from every run, and the median, per profile.
for profile in release release-cu1; do
    echo "profile $profile:"
    awk -F'|' -v runs="$runs" -v col=5 -f ../timing/medians.awk \
        $(seq -f "$out/$profile-%g.txt" "$runs")
done
