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
# Every table row: the operation (column 2), the ratio (column 5, "1.23x")
# and the goal (column 6), per profile, in the order of the first run.
for profile in release release-cu1; do
    echo "profile $profile:"
    awk -F'|' -v runs="$runs" '
        NF >= 7 && $5 ~ /x *$/ {
            op = $2; gsub(/^ +| +$/, "", op)
            v = $5; gsub(/[ x]/, "", v)
            if (!(op in seen)) { seen[op] = 1; order[++n] = op; goal[op] = $6 }
            vals[op] = vals[op] " " v
        }
        END {
            printf "| %-42s | %-*s | %7s | %-6s |\n", "operation", 6 * runs, "ratio in each run", "median", "goal"
            dashes = sprintf("%*s", 6 * runs + 2, ""); gsub(/ /, "-", dashes)
            printf "|%s|%s|%s|%s|\n", "--------------------------------------------", dashes, "---------", "--------"
            for (i = 1; i <= n; i++) {
                op = order[i]
                k = split(substr(vals[op], 2), a, " ")
                for (x = 2; x <= k; x++) { t = a[x]; y = x - 1; while (y >= 1 && a[y] + 0 > t + 0) { a[y + 1] = a[y]; y-- } a[y + 1] = t }
                med = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
                g = goal[op]; gsub(/^ +| +$/, "", g)
                printf "| %-42s | %-*s | %6.2fx | %-6s |\n", op, 6 * runs, substr(vals[op], 2), med, g
            }
        }' $(seq -f "$out/$profile-%g.txt" "$runs")
done
