#!/usr/bin/env bash
# Instructions per operation, ours and wiggle 48's, in both profiles of this
# outside harness (the default release profile and `release-cu1`), counted
# by callgrind: each operation runs 1,000 and 11,000 times, and the
# difference over 10,000 is the cost of one, loop included.
#   bash benches/outside/callgrind.sh [OP...]      (OP as in GOALS in main.rs)
set -euo pipefail
cd "$(dirname "$0")"
ops=("$@")
if [ ${#ops[@]} -eq 0 ]; then
    ops=(read_u32 write_u32 as_slice_64 as_str_64 iovecs_16 entries_16 nested_16 per_call
         shared_read_u32 shared_write_u32)
fi
cargo build --release --quiet
cargo build --profile release-cu1 --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
n1=1000 n2=11000
count() {
    BENCH_ONLY="$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$3" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_op() {
    local a b
    a=$(count "$1" "$2" "$n1")
    b=$(count "$1" "$2" "$n2")
    echo $(((b - a) / (n2 - n1)))
}
printf '| %-18s | %-11s | %6s | %9s | %16s |\n' operation profile ours "wiggle 48" "ours / wiggle 48"
printf '|%s|%s|%s|%s|%s|\n' "--------------------" "-------------" "--------" "-----------" "------------------"
for op in "${ops[@]}"; do
    for profile in release release-cu1; do
        bin=$target_dir/$profile/outside
        ours=$(per_op "$bin" "ours_$op")
        w48=$(per_op "$bin" "w48_$op")
        ratio=$(awk -v a="$ours" -v b="$w48" 'BEGIN { printf "%.2fx", a / b }')
        printf '| %-18s | %-11s | %6d | %9d | %16s |\n' "$op" "$profile" "$ours" "$w48" "$ratio"
    done
done
