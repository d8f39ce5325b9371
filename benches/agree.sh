#!/usr/bin/env bash
# Whether the two harnesses count one operation alike: instructions per
# operation (callgrind) of the crate's side in `benches/vs-wiggle` and in
# `benches/outside`, and how far apart they are. Exits non-zero if a pair
# differs by more than 10% in the default release profile. The rows of
# `release-cu1` (one codegen unit) are shown, not checked: there each
# harness's own loop takes in its own operation function or not (the
# outside harness does, for wiggle 48's side too; vs-wiggle, which calls
# each from several places, does for neither), which is the harness, not
# the crate (docs/performance.md, "The two harnesses agree").
#   bash benches/agree.sh
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=$PWD/vs-wiggle/target
# outside op : vs-wiggle op
pairs=(read_u32:ours_read_u32 write_u32:ours_write_u32 as_slice_64:ours_as_slice_64
       iovecs_16:ours_iovecs_16 per_call:ours_slice_memory_per_call
       shared_read_u32:ours_shared_read_u32)
profiles=(release release-cu1)
for profile in "${profiles[@]}"; do
    (cd vs-wiggle && cargo build --profile "$profile" --quiet)
    (cd outside && cargo build --profile "$profile" --quiet)
done
n1=1000 n2=11000
per_op() { # binary, BENCH_ONLY name
    local a b
    a=$(BENCH_ONLY="$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" $n1 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    b=$(BENCH_ONLY="$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" $n2 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo $(((b - a) / (n2 - n1)))
}
printf '| %-16s | %-11s | %7s | %9s | %10s |\n' operation profile outside vs-wiggle difference
printf '|%s|%s|%s|%s|%s|\n' ------------------ ------------- --------- ----------- ------------
worst=0
for pair in "${pairs[@]}"; do
    for profile in "${profiles[@]}"; do
        out=$(per_op "$CARGO_TARGET_DIR/$profile/outside" "ours_${pair%%:*}")
        vsw=$(per_op "$CARGO_TARGET_DIR/$profile/vs-wiggle" "${pair#*:}")
        diff=$(awk -v a="$out" -v b="$vsw" 'BEGIN { d = (a > b ? a - b : b - a) / (a < b ? a : b) * 100; printf "%.0f", d }')
        printf '| %-16s | %-11s | %7d | %9d | %9s%% |\n' "${pair%%:*}" "$profile" "$out" "$vsw" "$diff"
        if [ "$profile" = release ] && [ "$diff" -gt "$worst" ]; then worst=$diff; fi
    done
done
if [ "$worst" -gt 10 ]; then
    echo "the harnesses disagree by up to $worst% in the release profile (more than 10%)" >&2
    exit 1
fi
echo "the harnesses agree within $worst% in the release profile"
