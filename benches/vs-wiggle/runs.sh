#!/usr/bin/env bash
# The comparison run in several fresh processes: each goal's ratio from every
# run, and their median. A run's ratios are taken in one process; on a
# shared machine whole runs move together with its state, so one run can sit
# high or low as a whole. The median over runs says more than any one.
#   [RUNS_DIR=DIR] bash benches/vs-wiggle/runs.sh [RUNS]     (default 5)
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-5}
cargo build --release --quiet
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
    target/release/vs-wiggle > "$out/$i.txt"
    echo "run $i of $runs done" >&2
done
head -n 1 "$out/1.txt"
# Every table row with a ratio: the operation (column 2) and the value
# (column 8, "1.23x"), in the order of the first run.
awk -F'|' -v runs="$runs" '
    FNR == 1 { file++ }
    NF >= 10 && $8 ~ /x *$/ {
        op = $2; gsub(/^ +| +$/, "", op)
        v = $8; gsub(/[ x]/, "", v)
        if (!(op in seen)) { seen[op] = 1; order[++n] = op; goal[op] = $9 }
        vals[op] = vals[op] " " v
    }
    END {
        printf "| %-40s | %-*s | %7s | %-8s |\n", "operation", 6 * runs, "ratio in each run", "median", "goal"
        printf "|%s|%s|%s|%s|\n", "------------------------------------------", "-------------------", "---------", "----------"
        for (i = 1; i <= n; i++) {
            op = order[i]
            k = split(substr(vals[op], 2), a, " ")
            # insertion sort for the median
            for (x = 2; x <= k; x++) { t = a[x]; y = x - 1; while (y >= 1 && a[y] + 0 > t + 0) { a[y + 1] = a[y]; y-- } a[y + 1] = t }
            med = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
            g = goal[op]; gsub(/^ +| +$/, "", g)
            printf "| %-40s | %-*s | %6.2fx | %-8s |\n", op, 6 * runs, substr(vals[op], 2), med, g
        }
    }' $(seq -f "$out/%g.txt" "$runs")
