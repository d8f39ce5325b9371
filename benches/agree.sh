#!/usr/bin/env bash
# Whether the two harnesses count one operation alike: instructions per
# operation (callgrind) of the crate's side in `benches/vs-wiggle` and in
# `benches/outside` (default release profile each), and how far apart they
# are. Exits non-zero if any pair differs by more than 10%.
#   bash benches/agree.sh
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=$PWD/vs-wiggle/target
# outside op : vs-wiggle op
pairs=(read_u32:ours_read_u32 write_u32:ours_write_u32 as_slice_64:ours_as_slice_64
       iovecs_16:ours_iovecs_16 per_call:ours_slice_memory_per_call
       shared_read_u32:ours_shared_read_u32)
(cd vs-wiggle && cargo build --release --quiet)
(cd outside && cargo build --release --quiet)
n1=1000 n2=11000
per_op() { # binary, BENCH_ONLY name
    local a b
    a=$(BENCH_ONLY="$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" $n1 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    b=$(BENCH_ONLY="$2" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" $n2 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo $(((b - a) / (n2 - n1)))
}
printf '| %-16s | %7s | %9s | %10s |\n' operation outside vs-wiggle difference
printf '|%s|%s|%s|%s|\n' ------------------ --------- ----------- ------------
worst=0
for pair in "${pairs[@]}"; do
    out=$(per_op "$CARGO_TARGET_DIR/release/outside" "ours_${pair%%:*}")
    vsw=$(per_op "$CARGO_TARGET_DIR/release/vs-wiggle" "${pair#*:}")
    diff=$(awk -v a="$out" -v b="$vsw" 'BEGIN { d = (a > b ? a - b : b - a) / (a < b ? a : b) * 100; printf "%.0f", d }')
    printf '| %-16s | %7d | %9d | %9s%% |\n' "${pair%%:*}" "$out" "$vsw" "$diff"
    [ "$diff" -le "$worst" ] || worst=$diff
done
if [ "$worst" -gt 10 ]; then
    echo "the harnesses disagree by up to $worst% (more than 10%)" >&2
    exit 1
fi
echo "the harnesses agree within $worst%"
