#!/bin/sh
# `segcopy xcopy` copies correctly through LIO's copy manager (issue 3,
# item 2): 64 MiB A_SRC -> A_DST at segment sizes 64K (1024 commands), 1M
# and 8M; 32M on the 4096-byte-block LUNs A_SRC4K -> A_DST4K (2 commands),
# while 32M on 512-byte LUNs is refused before anything is sent (one
# sentence, exit 1: LIO takes one segment descriptor per command and a 02h
# descriptor carries at most 65535 blocks); odd sizes and offsets (a last
# segment shorter than the rest, source and destination LBAs that differ,
# a segment size that is no power of two, the default segment size);
# overlapping ranges on one LU reached through both targets are refused; the
# commands sent to the source (--on-src) and to a third LUN (--via: the
# shared source seen through target B is B's copy manager); and the copy
# addressed by /dev/sdX nodes instead of /dev/sgN.
# Each copy is compared byte for byte on the backing files (what LIO read
# and wrote), the bytes before the range and 1 MiB after it must still be
# zero, and segcopy's JSON must say completed with the planned segments.
# Times go to the result lines and to $LAB_OUT/peers.tsv (tool=segcopy).
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-xcopy "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-xcopy "no segcopy binary in the guest"; lab_exit; }
[ -n "${A_SRC4K_SG:-}" ] && [ -n "${A_DST4K_SG:-}" ] ||
    fail segcopy-xcopy-setup "devices.env has no A_SRC4K/A_DST4K (setup-lio.sh too old?)"
T=/tmp/xc
mkdir -p $T
lab_turs_all

# xc NAME SRC_DEV SRC_P SLBA DST_DEV DST_P DLBA BLOCKS SEG_SIZE SEG_BLOCKS [args...]
#   SEG_SIZE "-" = no --segment-size (segcopy's default).  Globals: MODE=words
#   runs without --json and checks the words instead; WANT_CM, when set, is
#   the copy manager the JSON must name.
xc() {
    name=$1 sdev=$2 sp=$3 slba=$4 ddev=$5 dp=$6 dlba=$7 blocks=$8 seg=$9 segb=${10}
    shift 10
    sfile=$(lab_var "${sp}_FILE") dfile=$(lab_var "${dp}_FILE") bs=$(lab_var "${sp}_BLOCK_SIZE")
    dsize=$(lab_var "${dp}_BYTES")
    lab_zero "$dfile"
    want_segs=$(( (blocks + segb - 1) / segb ))
    set -- --from "$sdev@$slba" --to "$ddev@$dlba" --blocks "$blocks" "$@"
    [ "$seg" = - ] || set -- "$@" --segment-size "$seg"
    [ "${MODE:-json}" = words ] || set -- "$@" --json
    t=$(now_ms)
    $SEGCOPY xcopy "$@" > $T/out 2> $T/err
    rc=$?
    secs=$(elapsed "$t")
    lab_log "segcopy xcopy $* -> exit $rc in ${secs}s"
    sed 's/^/    /' $T/err | head -5
    why=
    if [ "${MODE:-json}" = words ]; then
        sed 's/^/    /' $T/out
        grep -q "^copied $blocks blocks ($((blocks * bs)) bytes) in $want_segs segment(s)" $T/out ||
            why="stdout does not say 'copied $blocks blocks ($((blocks * bs)) bytes) in $want_segs segment(s)': $(tail -1 $T/out)"
        grep -q "in $want_segs segment(s) of up to $segb blocks" $T/out ||
            why="$why; plan line does not say $want_segs segment(s) of up to $segb blocks"
        cm=-
    else
        flat=$(lab_json_flat < $T/out)
        g() { printf '%s\n' "$flat" | awk -F '\t' -v k="$1" '$1 == k { print $2; exit }'; }
        st=$(g result.status) done_=$(g result.blocks_copied) segs=$(g segments) sb=$(g segment_blocks) cm=$(g copy_manager)
        lab_log "  plan: $segs segment(s) of $sb blocks on $cm; result: $st, $done_ blocks, $(g result.seconds)s"
        [ "$st" = completed ] && [ "$done_" = "$blocks" ] && [ "$segs" = "$want_segs" ] && [ "$sb" = "$segb" ] ||
            why="JSON says status '$st', blocks_copied '$done_', segments '$segs', segment_blocks '$sb'; expected completed, $blocks, $want_segs, $segb"
        if [ -n "${WANT_CM:-}" ] && [ "$cm" != "$WANT_CM" ]; then why="$why; copy manager '$cm', expected $WANT_CM"; fi
    fi
    if [ $rc != 0 ]; then
        correct=failed
        why="exit $rc: $(head -1 $T/err); $why"
    elif d=$(lab_cmp "$sfile" $((slba * bs)) "$dfile" $((dlba * bs)) $((blocks * bs)) 2>&1); then
        after=$(( dsize - (dlba + blocks) * bs )); [ $after -gt 1048576 ] && after=1048576
        if lab_is_zero "$dfile" 0 $((dlba * bs)) && lab_is_zero "$dfile" $(( (dlba + blocks) * bs )) $after; then
            correct=yes
        else
            correct=overwrote
            why="$why; bytes outside the destination range were written"
        fi
    else
        correct=no
        why="$why; destination differs from source: $d"
    fi
    lab_peer segcopy "$name" "$blocks" "$segb" "$want_segs" "$rc" "$correct" "$secs"
    if [ $rc = 0 ] && [ $correct = yes ] && [ -z "$why" ]; then
        pass "$name" "$blocks blocks of $bs from $sp@$slba to $dp@$dlba in $want_segs command(s) of $segb blocks${cm:+ on $cm}, ${secs}s ($(mib_per_s $((blocks * bs)) "$secs") MiB/s): identical, nothing written outside"
    else
        fail "$name" "$blocks blocks $sp@$slba -> $dp@$dlba seg $seg: $why"
    fi
    lab_zero "$dfile"
}

B64=131072   # 64 MiB of 512-byte blocks
MODE=json WANT_CM=
xc segcopy-xcopy-64m-seg64k "$A_SRC_SG" A_SRC 0 "$A_DST_SG" A_DST 0 $B64 64K 128
MODE=words
xc segcopy-xcopy-64m-seg1m "$A_SRC_SG" A_SRC 0 "$A_DST_SG" A_DST 0 $B64 1M 2048
MODE=json
xc segcopy-xcopy-64m-seg8m "$A_SRC_SG" A_SRC 0 "$A_DST_SG" A_DST 0 $B64 8M 16384

# 32M on 512-byte LUNs: one command carries 1 x 65535 x 512 = 33553920
# bytes; segcopy must refuse before sending (no EXTENDED COPY in -v's log)
lab_zero "$A_DST_FILE"
$SEGCOPY -v xcopy --from "$A_SRC_SG" --to "$A_DST_SG" --blocks $B64 --segment-size 32M > $T/out 2> $T/err
rc=$?
msg=$(grep -v '^\[' $T/err)
lab_log "segcopy xcopy --segment-size 32M on 512-byte LUNs: exit $rc: $msg"
sent=$(grep -c 'EXTENDED COPY: cdb' $T/err)
if [ $rc = 1 ] && [ "$(printf '%s\n' "$msg" | grep -c .)" = 1 ] &&
    printf '%s' "$msg" | grep -q 'segment size 33554432 bytes is more than one EXTENDED COPY' &&
    printf '%s' "$msg" | grep -q 'at most 33553920 bytes' && [ "$sent" = 0 ] &&
    lab_is_zero "$A_DST_FILE" 0 $((B64 * 512)); then
    pass segcopy-xcopy-32m-512-refused "exit 1, one sentence, no EXTENDED COPY sent, destination untouched: $msg"
else
    fail segcopy-xcopy-32m-512-refused "exit $rc (want 1), $sent EXTENDED COPY sent, message: $msg"
fi

# the same LU through two paths (A_SRC and B_SRC share one NAA designator)
# with overlapping ranges: refused before sending
$SEGCOPY -v xcopy --from "$A_SRC_SG@0" --to "$B_SRC_SG@100" --blocks 1000 > $T/out 2> $T/err
rc=$?
msg=$(grep -v '^\[' $T/err)
sent=$(grep -c 'EXTENDED COPY: cdb' $T/err)
if [ $rc = 1 ] && [ "$sent" = 0 ] && printf '%s' "$msg" | grep -q 'same logical unit' &&
    [ "$(printf '%s\n' "$msg" | grep -c .)" = 1 ]; then
    pass segcopy-xcopy-overlap-two-paths-refused "A_SRC@0 -> B_SRC@100 (one LU, two targets): exit 1, nothing sent: $msg"
else
    fail segcopy-xcopy-overlap-two-paths-refused "A_SRC@0 -> B_SRC@100, 1000 blocks, overlapping on one LU: exit $rc, $sent EXTENDED COPY sent: $msg"
fi

# 32M on 4096-byte LUNs: 8192 blocks per command, 2 commands
xc segcopy-xcopy-64m-seg32m-4k "$A_SRC4K_SG" A_SRC4K 0 "$A_DST4K_SG" A_DST4K 0 16384 32M 8192

# odd sizes and offsets
xc segcopy-xcopy-odd-offsets "$A_SRC_SG" A_SRC 7 "$A_DST_SG" A_DST 1000 100003 1M 2048
xc segcopy-xcopy-odd-seg333k "$A_SRC_SG" A_SRC 12345 "$A_DST_SG" A_DST 0 65537 333K 666
# default segment size: the most one command carries, in whole MiB (31 MiB)
xc segcopy-xcopy-default-seg "$A_SRC_SG" A_SRC 0 "$A_DST_SG" A_DST 3 131073 - 63488

# where the commands go
WANT_CM=$A_SRC_SG
xc segcopy-xcopy-on-src "$A_SRC_SG" A_SRC 0 "$A_DST_SG" A_DST 0 $B64 8M 16384 --on-src
WANT_CM=$B_SRC_SG
xc segcopy-xcopy-via-b-src "$A_SRC_SG" A_SRC 0 "$B_DST_SG" B_DST 0 $B64 8M 16384 --via "$B_SRC_SG"
WANT_CM=$A_DST_SD

# /dev/sdX nodes instead of /dev/sgN
xc segcopy-xcopy-sd-nodes "$A_SRC_SD" A_SRC 0 "$A_DST_SD" A_DST 0 $B64 8M 16384
lab_exit
