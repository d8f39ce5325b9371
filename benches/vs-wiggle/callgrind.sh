#!/usr/bin/env bash
# Instructions per operation, counted by callgrind (repeatable on a noisy
# machine, unlike times): each operation runs N1 and N2 times in two runs,
# and the difference in instructions over N2 - N1 is the cost of one.
#   [PROFILE=release-cu1] bash benches/vs-wiggle/callgrind.sh [OP...]
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
profile=${PROFILE:-release}
cargo build --profile "$profile" --quiet
bin=target/$profile/vs-wiggle
ops=("$@")
if [ ${#ops[@]} -eq 0 ]; then
    ops=(floor_read_u32 ours_read_u32 w48_read_u32 w17_read_u32 ours_write_u32 w48_write_u32
         ours_as_slice_64 w48_as_slice_64 ours_iovecs_16 w48_iovecs_16 ours_iovecs_16_iter
         ours_slice_memory_per_call w48_slice_memory_per_call
         ours_read_u32_any ours_async_call ours_async_call_held w48_async_call
         ours_as_slice_64_held_1 ours_as_slice_64_held_4 ours_as_slice_64_held_16
         ours_read_u32_held_1000 ours_read_u32_held_10000 ours_read_u32_in_shared_view
         ours_as_slice_64_around_4 ours_as_slice_64_around_16
         ours_read_u32_around_1000 ours_read_u32_around_10000)
fi
n1=1000 n2=11000
count() {
    BENCH_ONLY="$1" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '| %-28s | %14s |\n' "operation" "instructions"
printf '|%s|%s|\n' "------------------------------" "----------------"
for op in "${ops[@]}"; do
    a=$(count "$op" "$n1")
    b=$(count "$op" "$n2")
    printf '| %-28s | %14s |\n' "$op" "$(( (b - a) / (n2 - n1) ))"
done
