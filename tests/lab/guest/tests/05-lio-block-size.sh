#!/bin/sh
# A block->block copy between LUNs of different block sizes (A_SRC, 512;
# A_DST4K, 4096) is refused by LIO.  ../shared/spc.md says: NOT READY,
# 08/00 (LOGICAL UNIT COMMUNICATION FAILURE).  Sent as a hand-built
# parameter list (sg_xcopy refuses mismatched block sizes itself), once with
# the destination CSCD's block length set to the true 4096 and once with
# 512; the 4K LUN must stay untouched.
# shellcheck disable=SC2153  # set by devices.env
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail lio-block-size "no devices.env: LIO set-up failed"; lab_exit; }

NAA_SRC=$(lab_naa "$A_SRC_SG")
NAA_4K=$(lab_naa "$A_DST4K_SG")
truncate -s 0 "$A_DST4K_FILE" && truncate -s "$A_DST4K_BYTES" "$A_DST4K_FILE"

# case NAME DST_CSCD_BLOCK_LEN
bs_case() {
    plist=$(lab_xcopy_plist "$(lab_e4 "$NAA_SRC" 512)$(lab_e4 "$NAA_4K" "$2")" "$(lab_seg02 0 1 64 0 0)")
    out=$(lab_xcopy_raw "$A_SRC_SG" "$plist")
    rc=$?
    sense=$(lab_sense_hex "$out")
    kcq=$(lab_sense_kcq "$sense")
    printf '%s\n' "$out" | sed 's/^/    sg_raw: /' | tail -8
    if ! $CMP -s -n "$A_DST4K_BYTES" "$A_DST4K_FILE" /dev/zero; then
        fail "$1" "the 4096-byte LUN was written (sg_raw exit $rc, sense [$sense])"
    elif [ "$kcq" = 02/08/00 ]; then
        pass "$1" "refused with NOT READY 08/00 as spc.md says, sense [$sense]"
    else
        fail "$1" "expected NOT READY 08/00 (spc.md); got sg_raw exit $rc, key/asc/ascq '$kcq', sense [$sense]"
    fi
}
bs_case lio-block-size-mismatch-true-len 4096
bs_case lio-block-size-mismatch-claimed-512 512
lab_exit
