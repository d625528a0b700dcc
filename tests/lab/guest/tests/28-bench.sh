#!/bin/sh
# Performance side by side (issue 9): the same 256 MiB A_SRC -> A_DST
# through LIO's copy manager by sg_xcopy, `ddpt --xcopy` and
# `segcopy xcopy` at equal segment sizes (1, 8 and 31 MiB: 2048, 16384 and
# 63488 blocks per EXTENDED COPY -- LIO takes at most 65535 blocks in its
# one descriptor, so 31 MiB is the largest whole-MiB segment one command
# carries), segcopy also with 2, 4 and 8 commands in flight.  Every row is
# checked with cmp of the backing files; a peer that copies wrong data is
# reported in the table, not failed.  Each row has its wall time, the
# host CPU of the process (user + system, from the shell's `times`) and
# its throughput as a ratio of sg_xcopy's at the same segment size.
#
# Before the table, a profile of where segcopy's time goes outside the
# copy: the wall time of `--version` (start and exit of the process) for
# segcopy and sg_xcopy, and segcopy's own planning time (open, INQUIRY,
# VPD 83h, READ CAPACITY, RECEIVE COPY RESULTS) from its --json.
#
# Three rounds of all 18 rows, interleaved (so a slow spell of the emulator
# hits every tool alike); each row reports its median round.  The table
# goes to $LAB_OUT/bench-side-by-side.txt.  PASS when the table was made and
# segcopy's copies were all correct.  Performance is reported, never
# asserted here (test 29 runs `segcopy bench` itself).
# lab-timeout: 900
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail bench "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail bench "no segcopy binary in the guest"; lab_exit; }
T=/tmp/bench
mkdir -p $T "$LAB_OUT"
lab_turs_all
BS=512
BYTES=$((256 * 1048576))
BLOCKS=$((BYTES / BS))
if [ "$((A_SRC_BYTES + 0))" -lt $BYTES ] || [ "$((A_DST_BYTES + 0))" -lt $BYTES ]; then
    fail bench "A_SRC/A_DST are smaller than 256 MiB (LAB_SRC_MB/LAB_DST_MB)"
    lab_exit
fi
TABLE=$LAB_OUT/bench-side-by-side.txt

# times_to FILE: this shell's children's user + system seconds so far
# (`times` in this shell, not in a $(...) subshell, which has no children)
times_to() { times > "$1"; }
# cpu_between A B: the children's CPU seconds between two times_to files
cpu_between() {
    awk 'FNR == 2 {
        n = split($0, f, " "); s = 0
        for (i = 1; i <= n; i++) { v = f[i]; m = 0
            if (v ~ /m/) { m = substr(v, 1, index(v, "m") - 1); v = substr(v, index(v, "m") + 1) }
            sub(/s$/, "", v); s += m * 60 + v }
        t[FILENAME] = s }
        END { printf "%.3f", t[ARGV[2]] - t[ARGV[1]] }' "$1" "$2"
}

# good_prefix: how many leading blocks of A_DST equal A_SRC
good_prefix() {
    _o=$($CMP -n $BYTES "$A_SRC_FILE" "$A_DST_FILE" 2>&1)
    case $? in
        0) echo $BLOCKS ;;
        1) _b=$(printf '%s' "$_o" | sed -n 's/.*differ: [a-z]* \([0-9]*\).*/\1/p'); echo $(( (_b - 1) / BS )) ;;
        *) echo "?" ;;
    esac
}

# ---- where segcopy's time goes outside the copy
median5() { sort -n | awk '{ v[NR] = $1 } END { print v[3] }'; }
for tool in segcopy sg_xcopy; do
    for _ in 1 2 3 4 5; do
        t=$(now_ms)
        case $tool in
            segcopy) $SEGCOPY --version > /dev/null 2>&1 ;;
            sg_xcopy) $SG_XCOPY --version > /dev/null 2>&1 ;;
        esac
        elapsed "$t"; echo
    done | median5 > $T/start-$tool
done
lab_zero "$A_DST_FILE"
t=$(now_ms)
$SEGCOPY xcopy --from "$A_SRC_SG" --to "$A_DST_SG" --blocks 2048 --segment-size 1M --json > $T/plan.json 2> $T/plan.err
wall=$(elapsed "$t")
eval "$(lab_json_vars planning=result.planning_seconds copying=result.seconds < $T/plan.json)"
{
    echo "where segcopy's time goes outside the copy (TCG guest; medians of 5 for --version):"
    echo "  process start and exit (--version): segcopy $(cat $T/start-segcopy) s, sg_xcopy $(cat $T/start-sg_xcopy) s"
    echo "  segcopy xcopy of 1 MiB: wall $wall s = planning ${planning:-?} s (open, INQUIRY, VPD 83h, READ CAPACITY x2, RECEIVE COPY RESULTS) + copy ${copying:-?} s + the rest (process start/exit, output)"
} > $T/profile
sed 's/^/  /' $T/profile

# ---- the table: ROUNDS rounds of every row; rows.tsv holds every run
ROUNDS=3
: > $T/runs.tsv
missing= seg_bad=0
for round in $(seq $ROUNDS); do
    for spec in "1M 2048" "8M 16384" "31M 63488"; do
        set -- $spec
        seg=$1 bpt=$2
        for run in sg_xcopy ddpt segcopy:1 segcopy:2 segcopy:4 segcopy:8; do
            tool=${run%%:*} depth=1
            case $run in segcopy:*) depth=${run#segcopy:} ;; esac
            case $tool in
                sg_xcopy) [ -x "$SG_XCOPY" ] || { missing="$missing sg_xcopy"; continue; } ;;
                ddpt) [ -x "$DDPT" ] || { missing="$missing ddpt"; continue; } ;;
            esac
            lab_zero "$A_DST_FILE"
            times_to $T/c0
            t=$(now_ms)
            case $tool in
                sg_xcopy) $SG_XCOPY if="$A_SRC_SG" of="$A_DST_SG" bs=$BS count=$BLOCKS bpt=$bpt > $T/out 2>&1 ;;
                ddpt) $DDPT --xcopy if="$A_SRC_SG" of="$A_DST_SG" bs=$BS bpt=$bpt count=$BLOCKS > $T/out 2>&1 ;;
                segcopy) $SEGCOPY xcopy --from "$A_SRC_SG" --to "$A_DST_SG" --blocks $BLOCKS --segment-size "$seg" --queue-depth "$depth" > $T/out 2>&1 ;;
            esac
            rc=$?
            secs=$(elapsed "$t")
            times_to $T/c1
            cpu=$(cpu_between $T/c0 $T/c1)
            good=$(good_prefix)
            if [ $rc = 0 ] && [ "$good" = $BLOCKS ]; then data="identical"; correct=yes
            elif [ $rc = 0 ]; then data="WRONG: only first $good blocks"; correct=no
            elif [ "$good" = $BLOCKS ]; then data="identical, but exit $rc"; correct=failed
            else data="failed: first $good blocks"; correct=failed; fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$seg" "$bpt" "$depth" "$rc" "$data" "$secs" "$cpu" "$round" >> $T/runs.tsv
            ncmd=$(( (BLOCKS + bpt - 1) / bpt ))
            lab_peer "$tool" "bench-$seg-qd$depth" $BLOCKS $bpt $ncmd $rc $correct "$secs"
            if [ $tool = segcopy ] && [ $correct != yes ]; then
                seg_bad=$((seg_bad + 1))
                sed 's/^/    segcopy: /' $T/out | tail -5
            fi
        done
    done
done
cp $T/runs.tsv "$LAB_OUT/bench-runs.tsv"
# One row per tool, segment and depth: the median round's seconds (and
# CPU), the worst data verdict of the rounds, the ratio to sg_xcopy's
# median at that segment size.
{
    echo "256 MiB A_SRC -> A_DST through LIO (kernel ${LAB_KERNEL_VERSION:-$(uname -r)}, TCG guest, fileio on tmpfs); median of $ROUNDS interleaved rounds"
    printf '%-9s %-10s %5s %8s %4s  %-30s %8s %8s %7s %6s\n' tool segment depth commands exit data seconds "MiB/s" "vs sg" "CPU s"
    awk -F '\t' -v bytes=$BYTES -v blocks=$BLOCKS '
        function median(list,   n, a, i, j, t) {
            n = split(list, a, " ")
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
            return a[int((n + 1) / 2)] }
        { k = $1 SUBSEP $2 SUBSEP $4
          if (!(k in secs)) { order[++n] = k; tool[k] = $1; seg[k] = $2; bpt[k] = $3; depth[k] = $4 }
          secs[k] = secs[k] " " $7; cpu[k] = cpu[k] " " $8
          if (!(k in data) || $6 != "identical") data[k] = $6
          if ($5 != 0) rc[k] = $5; else if (!(k in rc)) rc[k] = 0 }
        END {
            for (i = 1; i <= n; i++) { k = order[i]; med[k] = median(secs[k])
                if (tool[k] == "sg_xcopy" && data[k] == "identical") sg[seg[k]] = med[k] }
            for (i = 1; i <= n; i++) { k = order[i]
                rate = med[k] > 0 ? bytes / 1048576 / med[k] : 0
                vs = (seg[k] in sg && med[k] > 0) ? sprintf("%.2f", sg[seg[k]] / med[k]) : "-"
                printf "%-9s %-10s %5s %8s %4s  %-30s %8.3f %8.1f %7s %6.3f\n", tool[k], seg[k] "/" bpt[k], depth[k],
                    int((blocks + bpt[k] - 1) / bpt[k]), rc[k], data[k], med[k], rate, vs, median(cpu[k]) } }' $T/runs.tsv
} > $T/table
rows=$(awk 'NR > 2' $T/table | wc -l)
echo "(segment = size/blocks per EXTENDED COPY; depth = commands in flight; data = cmp of the backing files; vs sg = MiB/s over sg_xcopy's at that segment size; CPU s = user + system of the process)" >> $T/table
cat $T/profile $T/table > "$TABLE"
sed 's/^/  /' $T/table
if [ -n "$missing" ]; then
    fail bench-side-by-side "missing in the guest:$missing"
elif [ "$rows" = 18 ] && [ $seg_bad = 0 ]; then
    pass bench-side-by-side "table of 18 rows ($ROUNDS rounds) in bench-side-by-side.txt; segcopy identical in all $((12 * ROUNDS)) of its runs; $(awk 'NR > 2 && $1 != "segcopy" && /WRONG|failed/ { n++ } END { print n + 0 }' $T/table) peer row(s) wrong or failed"
else
    fail bench-side-by-side "$rows rows; segcopy wrong or failed in $seg_bad run(s)"
fi
lab_zero "$A_DST_FILE"
lab_exit
