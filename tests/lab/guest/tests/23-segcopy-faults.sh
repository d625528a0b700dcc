#!/bin/sh
# Faults on a real copy manager (issue 3, item 5).  segcopy must report the
# failed segment, the blocks done and the decoded sense (or the transport
# error), exit non-zero and never claim success:
#  a) A_DST is unlinked from target A (lab_unlink_lun) once 16 MiB of a
#     64 MiB copy of 8192 commands (8 KiB segments) have arrived (about 1 s
#     in, under TCG; the copy takes about 3 s): once with the commands
#     sent to the source (LIO then fails the copy with COPY ABORTED), once
#     sent to the destination itself (its sg node goes away under segcopy).
#     After relinking, the blocks segcopy reported as done must be on the
#     destination, and nothing past the failed segment may be written.
#  b) A_SRC -> B_DST with the commands sent to A_SRC: B's LUN is not in
#     target A's session: COPY ABORTED 0D/02 in words, exit 10.
#  c) A source (or destination) range past the end: segcopy refuses it
#     before sending anything (exit 1, one sentence, no EXTENDED COPY in -v's
#     log); the same copy sent anyway (sg_xcopy, and a hand-made parameter
#     list through sg_raw) gets COPY ABORTED from LIO, recorded here.
# shellcheck disable=SC2154  # set by eval "$(lab_json_vars ...)"
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-faults "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-faults "no segcopy binary in the guest"; lab_exit; }
T=/tmp/faults
mkdir -p $T
lab_turs_all
BLOCKS=131072 SEG=8K SEGB=16

# fault_unlink NAME WHERE: WHERE is --on-src or --on-dst
fault_unlink() {
    name=$1 where=$2
    lab_zero "$A_DST_FILE"
    $SEGCOPY xcopy --from "$A_SRC_SG" --to "$A_DST_SG" --blocks $BLOCKS --segment-size $SEG "$where" --json \
        > $T/out.json 2> $T/err &
    pid=$!
    t=$(now_ms)
    lab_wait_data "$A_DST_FILE" $((16 * 1048576)) || lab_log "$name: the copy did not reach 16 MiB within 10 s"
    t2=$(now_ms)
    lab_unlink_lun A_DST
    urc=$?
    wait $pid
    rc=$?
    secs=$(elapsed "$t2")
    lab_log "$name: A_DST unlinked (rc $urc) $(awk -v a="$t" -v b="$t2" 'BEGIN { printf "%.3f", (b - a) / 1000 }')s into the copy, once 16 MiB had arrived; segcopy exit $rc ${secs}s later"
    sed 's/^/    stderr: /' $T/err
    eval "$(lab_json_vars st=result.status seg=result.failed_segment done_=result.blocks_copied \
        slba=result.failed_segment_source_lba dlba=result.failed_segment_destination_lba key=result.sense_key \
        kcq=result.asc_ascq sense=result.sense err=result.error segs=segments sb=segment_blocks < $T/out.json)"
    lab_log "  JSON result: status=$st failed_segment=$seg blocks_copied=$done_ sense_key=$key asc_ascq=$kcq sense=[$sense] error=$err"
    old=$A_DST_SG
    lab_relink_lun A_DST || fail "$name-relink" "A_DST did not come back after relinking"
    lab_turs_all
    [ "$old" = "$A_DST_SG" ] || lab_log "  A_DST is $A_DST_SG after relinking (was $old)"
    why=
    [ $rc != 0 ] || why="exit 0 after its destination vanished;"
    [ "$st" = failed ] || why="$why JSON status '$st' (want failed);"
    grep -q '^copied ' $T/out.json $T/err && why="$why it printed a 'copied' line;"
    case $seg in ''|*[!0-9]*) why="$why no failed_segment in the JSON;" ; seg=0 ;; esac
    [ "$seg" -gt 0 ] || why="$why the fault came before the first segment finished (the test's timing is off);"
    [ "$done_" = $((seg * SEGB)) ] || why="$why blocks_copied '$done_' is not failed_segment x $SEGB;"
    [ "$slba" = "$done_" ] && [ "$dlba" = "$done_" ] || why="$why failed segment LBAs $slba/$dlba, want $done_;"
    grep -q "segment $seg (counted from 0; $segs in all) failed after $done_ blocks were copied" $T/err || why="$why stderr lacks 'segment $seg (counted from 0; $segs in all) failed after $done_ blocks were copied';"
    grep -q "to finish the copy from the failed segment: segcopy xcopy --from $A_SRC_SG@$done_ --to $old@$done_ --blocks $((BLOCKS - done_)) " $T/err ||
        why="$why stderr lacks the finish command from LBA $done_;"
    if [ -n "$kcq" ] && [ "$kcq" != null ]; then
        what="$key $kcq, sense [$sense]"
        grep -q 'Sense key: COPY ABORTED' $T/err || why="$why the sense is not decoded in words on stderr;"
        [ $rc = 10 ] || why="$why exit $rc for COPY ABORTED (want 10);"
    else
        what="no sense: $err"
        [ -n "$err" ] && [ "$err" != null ] || why="$why neither sense nor an error message;"
    fi
    # the reported blocks are on the destination; nothing after the failed segment
    if [ "$done_" -gt 0 ] 2>/dev/null && ! d=$(lab_cmp "$A_SRC_FILE" 0 "$A_DST_FILE" 0 $((done_ * 512)) 2>&1); then
        why="$why the $done_ blocks reported done are NOT all on the destination: $d;"
    fi
    from=$(( (done_ + SEGB) * 512 ))
    lab_is_zero "$A_DST_FILE" $from $(( BLOCKS * 512 - from )) || why="$why blocks after the failed segment were written;"
    if [ -z "$why" ]; then
        pass "$name" "failed at segment $seg of $segs after $done_ blocks (all on the destination, nothing after), exit $rc: $what"
    else
        fail "$name" "$why (exit $rc: $what)"
    fi
    lab_zero "$A_DST_FILE"
}
fault_unlink segcopy-fault-unlink-dst-on-src --on-src
fault_unlink segcopy-fault-unlink-dst-on-dst --on-dst

# b) the destination behind the other target
lab_zero "$B_DST_FILE"
$SEGCOPY xcopy --from "$A_SRC_SG" --to "$B_DST_SG" --blocks 2048 --on-src --json > $T/out.json 2> $T/err
rc=$?
sed 's/^/    stderr: /' $T/err
eval "$(lab_json_vars st=result.status seg=result.failed_segment done_=result.blocks_copied kcq=result.asc_ascq sense=result.sense < $T/out.json)"
if [ $rc = 10 ] && [ "$st" = failed ] && [ "$kcq" = 0d/02 ] && [ "$seg" = 0 ] && [ "$done_" = 0 ] &&
    grep -q 'COPY ABORTED: Copy target device not reachable (0x0d/0x02)' $T/err &&
    lab_is_zero "$B_DST_FILE" 0 $((2048 * 512)); then
    pass segcopy-fault-other-target "exit 10, 'COPY ABORTED: Copy target device not reachable (0x0d/0x02)', segment 0, 0 blocks; LIO's sense [$sense]; B_DST untouched"
else
    fail segcopy-fault-other-target "exit $rc status '$st' asc_ascq '$kcq' segment '$seg' blocks '$done_': $(head -1 $T/err)"
fi

# c) past the end: segcopy refuses before sending.  NEAR_S / NEAR_D are
# 144 blocks before each LUN's end (from devices.env, whatever LAB_SRC_MB
# and LAB_DST_MB made them), FAR_S wholly past the source's end.
SRC_CAP=$((A_SRC_BYTES / 512)) DST_CAP=$((A_DST_BYTES / 512))
NEAR_S=$((SRC_CAP - 144)) NEAR_D=$((DST_CAP - 144)) FAR_S=$((SRC_CAP + 37856))
past_end() {
    name=$1
    shift
    $SEGCOPY -v xcopy "$@" > $T/out 2> $T/err
    rc=$?
    msg=$(grep -v '^\[' $T/err)
    sent=$(grep -c 'EXTENDED COPY: cdb' $T/err)
    lab_log "segcopy xcopy $*: exit $rc: $msg"
    if [ $rc = 1 ] && [ "$(printf '%s\n' "$msg" | grep -c .)" = 1 ] && printf '%s' "$msg" | grep -q 'past the end' && [ "$sent" = 0 ]; then
        pass "$name" "refused before sending (exit 1, no EXTENDED COPY): $msg"
    else
        fail "$name" "exit $rc, $sent EXTENDED COPY sent: $msg"
    fi
}
past_end segcopy-fault-src-past-end-refused --from "$A_SRC_SG@$NEAR_S" --to "$A_DST_SG" --blocks 20000
past_end segcopy-fault-dst-past-end-refused --from "$A_SRC_SG" --to "$A_DST_SG@$NEAR_D" --blocks 1000

# ... and what LIO says when such a copy is sent anyway
lab_zero "$A_DST_FILE"
out=$($SG_XCOPY if="$A_SRC_SG" of="$A_DST_SG" bs=512 count=20000 bpt=8192 skip=$NEAR_S 2>&1)
rc=$?
lab_log "sg_xcopy skip=$NEAR_S count=20000 (past the source's end): exit $rc: $(printf '%s' "$out" | grep -v 'designator too long' | tr '\n' ' ')"
NAA_S=$(lab_naa "$A_SRC_SG") NAA_D=$(lab_naa "$A_DST_SG")
# raw_past NAME SRC_LBA DST_LBA BLOCKS: hand-made list sent to A_DST
raw_past() {
    lab_zero "$A_DST_FILE"
    out=$(lab_xcopy_raw "$A_DST_SG" "$(lab_xcopy_plist "$(lab_e4 "$NAA_S")$(lab_e4 "$NAA_D")" "$(lab_seg02 0 1 "$4" "$2" "$3")")")
    rrc=$?
    sense=$(lab_sense_hex "$out")
    kcq=$(lab_sense_kcq "$sense")
    printf '%s\n' "$out" | sed 's/^/    sg_raw: /'
    if lab_is_zero "$A_DST_FILE" 0 "$A_DST_BYTES"; then wrote="nothing written"; else wrote="SOMETHING WAS WRITTEN"; fi
    if [ "$kcq" = 0a/0d/02 ] && [ "$wrote" = "nothing written" ]; then
        pass "$1" "LIO: COPY ABORTED 0D/02 (copy target device not reachable), sense [$sense], $wrote"
    else
        fail "$1" "LIO answered sg_raw exit $rrc, key/asc/ascq '$kcq', sense [$sense], $wrote"
    fi
}
if [ $rc = 10 ]; then
    pass lio-src-past-end-sg-xcopy "sg_xcopy (no range check of its own) sent it: exit 10, copy aborted"
else
    fail lio-src-past-end-sg-xcopy "sg_xcopy exit $rc, want 10 (copy aborted)"
fi
raw_past lio-src-past-end-raw $NEAR_S 0 1000
raw_past lio-src-wholly-past-end-raw $FAR_S 0 16
raw_past lio-dst-past-end-raw 0 $NEAR_D 1000
lab_zero "$A_DST_FILE"; lab_zero "$B_DST_FILE"
lab_turs_all
lab_exit
