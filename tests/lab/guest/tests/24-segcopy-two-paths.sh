#!/bin/sh
# Two copy paths (issue 3, item 6).  The src backstore is LUN 0 of both
# tcm_loop targets (A_SRC, B_SRC) and the dst2 backstore is LUN 4 of A and
# LUN 2 of B (A_DST2, B_DST2): two independent copy managers that see the
# same source and destination.  A 64 MiB `segcopy xcopy` A_SRC -> A_DST2
# through target A (commands on A_SRC, 8 KiB segments) is broken once
# 16 MiB have arrived (about 1 s in) by unlinking A_DST2 from target A; segcopy prints the command that
# finishes the copy from the failed segment.  That command, with each
# device swapped for its target-B twin (A_SRC -> B_SRC, A_DST2 -> B_DST2,
# --via A_SRC -> B_SRC), finishes the copy through target B, and the whole
# destination must then equal the source.
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-two-paths "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-two-paths "no segcopy binary in the guest"; lab_exit; }
if [ -z "${A_DST2_SG:-}" ] || [ -z "${B_DST2_SG:-}" ]; then
    fail segcopy-two-paths "devices.env has no A_DST2/B_DST2 (the dst2 backstore exported by both targets)"
    lab_exit
fi
T=/tmp/paths
mkdir -p $T
lab_turs_all
BLOCKS=131072
lab_zero "$A_DST2_FILE"

# path A, broken mid-way
t=$(now_ms)
$SEGCOPY xcopy --from "$A_SRC_SG" --to "$A_DST2_SG" --blocks $BLOCKS --segment-size 8K --on-src > $T/a.out 2> $T/a.err &
pid=$!
lab_wait_data "$A_DST2_FILE" $((16 * 1048576)) || lab_log "the copy did not reach 16 MiB within 10 s"
lab_unlink_lun A_DST2
wait $pid
rca=$?
secs_a=$(elapsed "$t")
lab_log "path A: segcopy exit $rca after ${secs_a}s; stdout: $(tr '\n' ' ' < $T/a.out)"
sed 's/^/    stderr: /' $T/a.err
finish=$(sed -n 's/.*to finish the copy from the failed segment: //p' $T/a.err)
lab_relink_lun A_DST2 || fail segcopy-two-paths-relink "A_DST2 did not come back"
lab_turs_all

# shellcheck disable=SC2086  # split the printed command into words
# parse: segcopy xcopy --from DEV@LBA --to DEV@LBA --blocks N --segment-size S --via DEV
set -- $finish
from='' to='' rest='' seg='' via=''
while [ $# -gt 0 ]; do
    case $1 in
        --from) from=$2; shift ;; --to) to=$2; shift ;; --blocks) rest=$2; shift ;;
        --segment-size) seg=$2; shift ;; --via) via=$2; shift ;;
    esac
    shift
done
slba=${from##*@} dlba=${to##*@}
lab_log "finish command printed: $finish"
if [ $rca = 0 ] || [ -z "$finish" ]; then
    fail segcopy-two-paths-break "path A did not fail as planned (exit $rca, finish command '$finish')"
    lab_zero "$A_DST2_FILE"
    lab_exit
fi
if [ "${from%@*}" = "$A_SRC_SG" ] && [ "${to%@*}" = "$A_DST2_SG" ] && [ "$via" = "$A_SRC_SG" ] &&
    [ "$slba" = "$dlba" ] && [ "$slba" -gt 0 ] && [ $((slba + rest)) = $BLOCKS ] && [ "$seg" = 8192 ]; then
    pass segcopy-two-paths-break "path A failed (exit $rca) after $slba of $BLOCKS blocks; it printed the finish command from LBA $slba ($rest blocks, --via $via)"
else
    fail segcopy-two-paths-break "the finish command does not continue the copy: from '$from' to '$to' blocks '$rest' segment-size '$seg' via '$via' (A_SRC $A_SRC_SG, A_DST2 $A_DST2_SG, $BLOCKS blocks)"
fi

# path B: the same command with target B's twins
t=$(now_ms)
$SEGCOPY xcopy --from "$B_SRC_SG@$slba" --to "$B_DST2_SG@$dlba" --blocks "$rest" --segment-size "$seg" --via "$B_SRC_SG" > $T/b.out 2> $T/b.err
rcb=$?
secs_b=$(elapsed "$t")
lab_log "path B: segcopy xcopy --from $B_SRC_SG@$slba --to $B_DST2_SG@$dlba --blocks $rest --segment-size $seg --via $B_SRC_SG: exit $rcb in ${secs_b}s"
sed 's/^/    /' $T/b.out $T/b.err
if [ $rcb != 0 ]; then
    fail segcopy-two-paths "the finish through target B failed (exit $rcb): $(head -1 $T/b.err)"
    correct=failed
elif d=$(lab_cmp "$A_SRC_FILE" 0 "$A_DST2_FILE" 0 $((BLOCKS * 512)) 2>&1) &&
    lab_is_zero "$A_DST2_FILE" $((BLOCKS * 512)) 1048576; then
    pass segcopy-two-paths "$slba blocks through target A, the remaining $rest through target B from the failed segment on: all $BLOCKS blocks identical to the source (A ${secs_a}s, B ${secs_b}s)"
    correct=yes
else
    fail segcopy-two-paths "after finishing through target B the destination differs from the source: $d"
    correct=no
fi
lab_peer segcopy segcopy-two-paths-b "$rest" 16 $(( (rest + 15) / 16 )) "$rcb" "$correct" "$secs_b"
lab_zero "$A_DST2_FILE"
lab_exit
