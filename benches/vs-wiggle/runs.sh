#!/usr/bin/env bash
# The comparison run in several fresh processes: each goal's ratio from every
# run, and their median. A run's ratios are taken in one process; on a
# shared machine whole runs move together with its state, so one run can sit
# high or low as a whole. The median over runs says more than any one.
#   [RUNS_DIR=DIR] [PROFILE=release-cu1] bash benches/vs-wiggle/runs.sh [RUNS]
#   (default 5 runs, default profile release)
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-5}
profile=${PROFILE:-release}
cargo build --profile "$profile" --quiet
# RUNS_DIR=DIR keeps each run's whole table there (DIR/1.txt, ...,
# DIR/RUNS.txt).
if [ -n "${RUNS_DIR:-}" ]; then
    out=$RUNS_DIR
    mkdir -p "$out"
else
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
for i in $(seq "$runs"); do
    "target/$profile/vs-wiggle" > "$out/$i.txt"
    echo "run $i of $runs done" >&2
done
head -n 1 "$out/1.txt"
# Each goal's ratio (column 8) from every run, and the median.
awk -F'|' -v runs="$runs" -v col=8 -f ../timing/medians.awk $(seq -f "$out/%g.txt" "$runs")
