#!/bin/sh
# The tape stage: tgt's SSC tape over iSCSI is a real st device.  sg_inq
# says peripheral device type 1 (sequential access); mt-st and dd write a
# block and a filemark, rewind and read the block back unchanged; READ
# BLOCK LIMITS answers; READ POSITION answers and (as lab-notes say) reports
# "block position unknown" (BPU).
# shellcheck disable=SC2153  # set by devices.env
# shellcheck disable=SC1091
. /lab/lib.sh
if [ "${LAB_TAPE:-1}" != 1 ]; then
    fail tape-up "tape stage disabled (--no-tape)"
    lab_exit
fi
[ -n "${TAPE_SG:-}" ] || { fail tape-up "no TAPE_SG in devices.env: tape set-up failed (see logs/setup-tape.log)"; lab_exit; }

inq=$($SG_INQ "$TAPE_SG" 2>&1)
rc=$?
pdt=$(echo "$inq" | sed -n 's/.*PDT=\([0-9]*\).*/\1/p' | head -1)
vendor=$(echo "$inq" | sed -n 's/.*Vendor identification: *\(.*\)/\1/p' | head -1)
product=$(echo "$inq" | sed -n 's/.*Product identification: *\(.*\)/\1/p' | head -1)
if [ $rc = 0 ] && [ "$pdt" = 1 ]; then
    pass tape-inquiry "$TAPE_SG ($TAPE_ST, $TAPE_HCTL): PDT=1 (tape), '$vendor' '$product'"
else
    fail tape-inquiry "$TAPE_SG: sg_inq rc=$rc PDT='$pdt'"
fi

# write one 4 KiB block + filemark, rewind, read it back
dd if=/dev/urandom of=/tmp/tape-blk bs=4096 count=1 2>/dev/null
t=$(now_ms)
ok=1 why=
$MT_ST -f "$TAPE_NST" rewind || { ok=0; why="rewind failed"; }
[ $ok = 1 ] && { dd if=/tmp/tape-blk of="$TAPE_NST" bs=4096 count=1 2>/dev/null || { ok=0; why="dd write failed"; }; }
[ $ok = 1 ] && { $MT_ST -f "$TAPE_NST" weof 1 || { ok=0; why="weof failed"; }; }
[ $ok = 1 ] && { $MT_ST -f "$TAPE_NST" rewind || { ok=0; why="second rewind failed"; }; }
[ $ok = 1 ] && { dd if="$TAPE_NST" of=/tmp/tape-back bs=4096 count=1 2>/dev/null || { ok=0; why="dd read failed"; }; }
secs=$(elapsed "$t")
if [ $ok = 1 ] && $CMP -s /tmp/tape-blk /tmp/tape-back; then
    pass tape-write-read "mt-st rewind / dd 4 KiB / weof / rewind / dd back: identical (${secs}s)"
elif [ $ok = 1 ]; then
    fail tape-write-read "the block read back differs from the block written"
else
    fail tape-write-read "$why"
fi
lab_log "mt-st status: $($MT_ST -f "$TAPE_NST" status 2>&1 | tr '\n' ';')"
$MT_ST -f "$TAPE_NST" rewind 2>/dev/null

# READ BLOCK LIMITS (05h), 6 bytes back
rbl=$($SG_RAW -r 6 "$TAPE_SG" 05 00 00 00 00 00 2>&1)
rc=$?
lab_log "READ BLOCK LIMITS: $(echo "$rbl" | tr '\n' ' ')"
if [ $rc = 0 ]; then
    lim=$(echo "$rbl" | awk '/^ *00 / { printf "granularity %d, max block length %d, min block length %d", ("0x" $2) % 32, ("0x" $3) * 65536 + ("0x" $4) * 256 + ("0x" $5), ("0x" $6) * 256 + ("0x" $7); exit }')
    pass tape-read-block-limits "answered: $lim"
else
    fail tape-read-block-limits "sg_raw exit $rc: $(echo "$rbl" | tail -1)"
fi

# READ POSITION short form (34h SA 0), 20 bytes; byte 0 bit 2 = BPU
rp=$($SG_RAW -r 20 "$TAPE_SG" 34 00 00 00 00 00 00 00 00 00 2>&1)
rc=$?
lab_log "READ POSITION: $(echo "$rp" | tr '\n' ' ')"
b0=$(echo "$rp" | awk '/^ *00 / { print $2; exit }')
if [ $rc != 0 ] || [ -z "$b0" ]; then
    fail tape-read-position "READ POSITION failed: exit $rc $(echo "$rp" | tail -1)"
elif [ $(( 0x$b0 & 4 )) != 0 ]; then
    pass tape-read-position "answers with BPU set (byte 0 = 0x$b0): tgt cannot tell its block position, as lab-notes say"
else
    fail tape-read-position "byte 0 = 0x$b0 has BPU clear: lab-notes say tgt always reports BPU; update them"
fi
lab_exit
