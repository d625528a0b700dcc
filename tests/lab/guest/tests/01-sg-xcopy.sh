#!/bin/sh
# sg_xcopy copies 64 MiB from target A's src LUN to its dst LUN through
# LIO's copy manager, at bpt=65535 (3 EXTENDED COPY commands) and bpt=128
# (1024 commands), with the command sent to the source (the default is the
# destination), and with differing source/destination LBAs; each copy is
# compared byte for byte with the source (backing files on tmpfs are what
# LIO read and wrote), and the bytes around the range must be untouched.
# Timings go to the result lines and to $LAB_OUT/peers.tsv.
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail sg-xcopy "no devices.env: LIO set-up failed"; lab_exit; }

BS=512
BLOCKS=$((64 * 1048576 / BS))
BYTES=$((BLOCKS * BS))
mkdir -p "$LAB_OUT"

# reset_dst: the whole destination back to zeros (LIO keeps the file open;
# on tmpfs truncating and re-extending is instant).
reset_dst() { truncate -s 0 "$A_DST_FILE" && truncate -s "$A_DST_BYTES" "$A_DST_FILE"; }

# is_zero FILE OFFSET LEN: LEN bytes at byte OFFSET are all zero
is_zero() { [ "$3" -le 0 ] || $CMP -s -n "$3" -i "$2:0" "$1" /dev/zero; }

# xcopy_case NAME BPT SKIP SEEK [extra sg_xcopy args]
xcopy_case() {
    name=$1 bpt=$2 skip=$3 seek=$4
    shift 4
    reset_dst
    ncmd=$(( (BLOCKS + bpt - 1) / bpt ))
    t=$(now_ms)
    out=$($SG_XCOPY if="$A_SRC_SG" of="$A_DST_SG" bs=$BS count=$BLOCKS bpt="$bpt" \
        skip="$skip" seek="$seek" "$@" 2>&1)
    rc=$?
    secs=$(elapsed "$t")
    lab_log "sg_xcopy bpt=$bpt skip=$skip seek=$seek rc=$rc in ${secs}s:"
    printf '%s\n' "$out" | grep -v 'designator too long' | sed 's/^/    /' | tail -5
    if [ $rc != 0 ]; then
        fail "$name" "sg_xcopy exit $rc: $(printf '%s' "$out" | grep -v 'designator too long' | tail -1)"
        printf 'sg_xcopy\t%s\t%s\t%s\t%s\t%s\tfailed\t%s\n' "$name" "$BLOCKS" "$bpt" "$ncmd" "$rc" "$secs" >> "$LAB_OUT/peers.tsv"
        return
    fi
    src_off=$((skip * BS)) dst_off=$((seek * BS))
    if diff_at=$(lab_cmp "$A_SRC_FILE" "$src_off" "$A_DST_FILE" "$dst_off" "$BYTES" 2>&1); then
        if is_zero "$A_DST_FILE" 0 "$dst_off" && is_zero "$A_DST_FILE" $((dst_off + BYTES)) 1048576; then
            pass "$name" "64 MiB in $ncmd command(s), ${secs}s ($(mib_per_s "$BYTES" "$secs") MiB/s), identical, nothing written outside the range"
            correct=yes
        else
            fail "$name" "copied range identical but bytes outside it were written"
            correct=overwrote
        fi
    else
        fail "$name" "destination differs from source: $diff_at "
        correct=no
    fi
    printf 'sg_xcopy\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$BLOCKS" "$bpt" "$ncmd" "$rc" "$correct" "$secs" >> "$LAB_OUT/peers.tsv"
}

xcopy_case sg-xcopy-64m-bpt65535 65535 0 0
xcopy_case sg-xcopy-64m-bpt128 128 0 0
xcopy_case sg-xcopy-64m-offsets 65535 1000 3
xcopy_case sg-xcopy-64m-on-src 65535 0 0 --on_src
reset_dst
lab_exit
