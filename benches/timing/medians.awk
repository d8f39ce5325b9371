# The median over runs of each table row's ratio, for the `runs.sh` scripts:
#   awk -F'|' -v runs=N -v col=C -f medians.awk RUN1.txt ... RUNN.txt
# A row counts when column C holds a ratio ("1.23x"); column 2 names the
# operation and column C + 1 its goal. Rows keep the order of the first run.
NF >= col + 2 && $col ~ /x *$/ {
    op = $2; gsub(/^ +| +$/, "", op)
    v = $col; gsub(/[ x]/, "", v)
    if (!(op in seen)) { seen[op] = 1; order[++n] = op; goal[op] = $(col + 1) }
    vals[op] = vals[op] " " v
}
END {
    printf "| %-42s | %-*s | %7s | %-8s |\n", "operation", 6 * runs, "ratio in each run", "median", "goal"
    dashes = sprintf("%*s", 6 * runs + 2, ""); gsub(/ /, "-", dashes)
    printf "|%s|%s|%s|%s|\n", "--------------------------------------------", dashes, "---------", "----------"
    for (i = 1; i <= n; i++) {
        op = order[i]
        k = split(substr(vals[op], 2), a, " ")
        # insertion sort for the median
        for (x = 2; x <= k; x++) { t = a[x]; y = x - 1; while (y >= 1 && a[y] + 0 > t + 0) { a[y + 1] = a[y]; y-- } a[y + 1] = t }
        med = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        g = goal[op]; gsub(/^ +| +$/, "", g)
        printf "| %-42s | %-*s | %6.2fx | %-8s |\n", op, 6 * runs, substr(vals[op], 2), med, g
    }
}
