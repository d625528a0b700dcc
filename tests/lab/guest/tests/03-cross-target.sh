#!/bin/sh
# LIO resolves the other CSCD (by its NAA designator) only among the LUNs of
# the session that received the EXTENDED COPY.  So:
#  - A_SRC -> B_DST sent to A_SRC: B's dst LU is not in A's session:
#    COPY ABORTED, 0D/02 (copy target device not reachable), dst untouched;
#  - A_DST -> B_DST sent to B_DST: dst_a is not in B's session: the same;
#  - A_SRC -> B_DST sent to B_DST: the src backstore is also LUN 0 of
#    target B, so B's copy manager finds it and the copy succeeds (the lab's
#    second copy path).
# Each failing case is tried with sg_xcopy (exit status 10 = copy aborted;
# sg_xcopy does not print the ASC) and with a hand-built parameter list sent
# by sg_raw, whose raw sense bytes are checked: key 0Ah, ASC 0Dh, ASCQ 02h.
# Note: sg_xcopy sends the command to the destination unless --on_src.
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail cross-target "no devices.env: LIO set-up failed"; lab_exit; }

BS=512
BLOCKS=2048
reset() { truncate -s 0 "$1" && truncate -s "$2" "$1"; }
reset "$B_DST_FILE" "$B_DST_BYTES"
# give A_DST non-zero content so that "destination untouched" means something
dd if="$A_SRC_FILE" of="$A_DST_FILE" bs=$BS count=$BLOCKS conv=notrunc 2>/dev/null

NAA_A_SRC=$(lab_naa "$A_SRC_SG")
NAA_A_DST=$(lab_naa "$A_DST_SG")
NAA_B_DST=$(lab_naa "$B_DST_SG")
lab_log "NAA A_SRC=$NAA_A_SRC A_DST=$NAA_A_DST B_DST=$NAA_B_DST"

untouched() { $CMP -s -n $((BLOCKS * BS)) "$B_DST_FILE" /dev/zero; }

# cross_case NAME IF_SG IF_NAA RECEIVER_SG --on_src|--on_dst
cross_case() {
    name=$1 ifile=$2 inaa=$3 recv=$4 where=$5
    t=$(now_ms)
    out=$($SG_XCOPY if="$ifile" of="$B_DST_SG" bs=$BS count=$BLOCKS bpt=$BLOCKS "$where" 2>&1)
    rc=$?
    secs=$(elapsed "$t")
    printf '%s\n' "$out" | grep -v 'designator too long' | sed 's/^/    sg_xcopy: /' | tail -3
    if [ $rc = 10 ] && untouched; then
        pass "$name-sg-xcopy" "sg_xcopy $where exit 10 (copy aborted) in ${secs}s; destination untouched"
    elif [ $rc = 10 ]; then
        fail "$name-sg-xcopy" "sg_xcopy $where exit 10 but the destination was written"
    else
        fail "$name-sg-xcopy" "sg_xcopy $where exit $rc; expected 10 (copy aborted): $(printf '%s' "$out" | tail -1)"
    fi
    reset "$B_DST_FILE" "$B_DST_BYTES"

    plist=$(lab_xcopy_plist "$(lab_e4 "$inaa")$(lab_e4 "$NAA_B_DST")" "$(lab_seg02 0 1 $BLOCKS 0 0)")
    out=$(lab_xcopy_raw "$recv" "$plist")
    rc=$?
    sense=$(lab_sense_hex "$out")
    kcq=$(lab_sense_kcq "$sense")
    printf '%s\n' "$out" | sed 's/^/    sg_raw: /'
    if [ "$kcq" = 0a/0d/02 ] && untouched; then
        pass "$name-sense" "COPY ABORTED 0D/02, sense [$sense]"
    else
        fail "$name-sense" "expected COPY ABORTED 0D/02 and an untouched destination; got exit $rc, sense [$sense]"
    fi
    reset "$B_DST_FILE" "$B_DST_BYTES"
}

cross_case cross-a-src-to-b-dst-on-src "$A_SRC_SG" "$NAA_A_SRC" "$A_SRC_SG" --on_src
cross_case cross-a-dst-to-b-dst-on-dst "$A_DST_SG" "$NAA_A_DST" "$B_DST_SG" --on_dst
reset "$A_DST_FILE" "$A_DST_BYTES"

# The shared source is reachable from B's session: this copy works.
name=cross-shared-src-on-dst
t=$(now_ms)
out=$($SG_XCOPY if="$A_SRC_SG" of="$B_DST_SG" bs=$BS count=$BLOCKS bpt=$BLOCKS --on_dst 2>&1)
rc=$?
secs=$(elapsed "$t")
if [ $rc != 0 ]; then
    fail "$name" "sg_xcopy --on_dst A_SRC -> B_DST exit $rc; expected success through B's LUN 0: $(printf '%s' "$out" | tail -1)"
elif d=$(lab_cmp "$A_SRC_FILE" 0 "$B_DST_FILE" 0 $((BLOCKS * BS)) 2>&1); then
    pass "$name" "sent to B_DST, the source designator resolves to B's LUN 0 (same backstore): copy correct in ${secs}s"
else
    fail "$name" "sg_xcopy succeeded but the data differ: $d"
fi
reset "$B_DST_FILE" "$B_DST_BYTES"
lab_exit
