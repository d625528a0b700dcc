#!/bin/sh
# segcopy's SSC commands against tgt's virtual tape (a real st device over
# iSCSI): `segcopy tape $TAPE_SG <op>`.  Block limits and block size
# (MODE SENSE / MODE SELECT) checked against sg_raw and mt-st; files written
# in variable and fixed mode, with filemarks, read back byte for byte; data
# written by dd through st read by segcopy and the other way round;
# fsf/bsf/fsr/bsr/eod; a read that meets a filemark; READ POSITION reported
# honestly (tgt answers BPU: "position unknown"); LOCATE, which tgt does not
# implement, reported in words with a non-zero exit.
#
# Tape layout written here (A, B, C are files):
#   A: variable, 25 records (24 x 4096 + 1696)   FM1
#   B: fixed 65536, 300000 bytes -> 5 blocks (the last padded)   FM2
#   C: one 1000-byte record written by dd through $TAPE_NST (st adds FM3)
#   EOD
# shellcheck disable=SC2153  # set by devices.env
# shellcheck disable=SC1091
. /lab/lib.sh

if [ "${LAB_TAPE:-1}" != 1 ]; then
    fail tape-segcopy "tape stage disabled (--no-tape): these checks need tgt's tape"
    lab_exit
fi
[ -n "${TAPE_SG:-}" ] || { fail tape-segcopy "no TAPE_SG in devices.env: tape set-up failed (see logs/setup-tape.log)"; lab_exit; }
if [ -z "${SEGCOPY:-}" ] || [ ! -x "$SEGCOPY" ]; then
    fail tape-segcopy "no segcopy in the guest (see host-build-segcopy)"
    lab_exit
fi

W=/tmp/tape-segcopy
rm -rf "$W" && mkdir -p "$W"
# st: a non-rewinding node, so segcopy's position survives mt-st/dd opens.
NST=$TAPE_NST

# tape ARGS...: runs `segcopy tape $TAPE_SG ARGS`, output (stdout and
# stderr) in $out, exit status in $rc; both logged.
tape() {
    out=$("$SEGCOPY" tape "$TAPE_SG" "$@" 2>&1)
    rc=$?
    lab_log "segcopy tape $* -> exit $rc"
    printf '%s\n' "$out" | sed 's/^/      /'
}

# jnum KEY: the number after "KEY": in $out (JSON), empty if none.
jnum() { printf '%s\n' "$out" | sed -n "s/^ *\"$1\": *\([0-9-][0-9]*\).*/\1/p" | head -1; }
# jstr KEY: the string or literal after "KEY": in $out.
jstr() { printf '%s\n' "$out" | sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }

# mt_blksize: the block size mt-st status reports ("Tape block size N bytes").
mt_blksize() { $MT_ST -f "$NST" status 2>&1 | sed -n 's/.*Tape block size \([0-9]*\) bytes.*/\1/p' | head -1; }

# ------------------------------------------------------------------ status
tape status --json
initial_bl=$(jnum block_length)
tape status
if [ $rc = 0 ] && printf '%s' "$out" | grep -q 'Block limits:' && printf '%s' "$out" | grep -q 'Position:'; then
    pass tape-segcopy-status "exit 0: $(printf '%s' "$out" | grep -e 'Block size:' -e 'Block limits:' | tr -s ' ' | tr '\n' ';')"
else
    fail tape-segcopy-status "exit $rc: $(printf '%s' "$out" | tail -2 | tr '\n' ' ')"
fi

# READ BLOCK LIMITS: segcopy's decoding against sg_raw's bytes.
tape status --json
s_max=$(printf '%s\n' "$out" | sed -n 's/^ *"max_block_length": *\([0-9]*\).*/\1/p')
s_min=$(printf '%s\n' "$out" | sed -n 's/^ *"min_block_length": *\([0-9]*\).*/\1/p')
s_gran=$(printf '%s\n' "$out" | sed -n 's/^ *"granularity_log2": *\([0-9]*\).*/\1/p')
rbl=$($SG_RAW -r 6 "$TAPE_SG" 05 00 00 00 00 00 2>&1)
r_lim=$(echo "$rbl" | awk '/^ *00 / { printf "%d %d %d", ("0x" $2) % 32, ("0x" $3) * 65536 + ("0x" $4) * 256 + ("0x" $5), ("0x" $6) * 256 + ("0x" $7); exit }')
if [ -n "$s_max" ] && [ "$r_lim" = "$s_gran $s_max $s_min" ]; then
    pass tape-segcopy-block-limits "segcopy and sg_raw agree: granularity 2^$s_gran, max $s_max, min $s_min"
else
    fail tape-segcopy-block-limits "segcopy says granularity=$s_gran max=$s_max min=$s_min, sg_raw bytes give '$r_lim'"
fi

# ------------------------------------------------------------------ setblk
for bl in 0 65536; do
    tape setblk "$bl"
    set_rc=$rc set_out=$out
    tape status --json
    s_bl=$(jnum block_length)
    m_bl=$(mt_blksize)
    if [ $set_rc = 0 ] && [ "$s_bl" = "$bl" ] && [ "$m_bl" = "$bl" ]; then
        pass "tape-segcopy-setblk-$bl" "setblk $bl: segcopy status and mt-st status both say $bl ($(printf '%s' "$set_out" | head -1))"
    else
        fail "tape-segcopy-setblk-$bl" "setblk exit $set_rc ($(printf '%s' "$set_out" | tail -1)); segcopy status says '$s_bl', mt-st says '$m_bl'"
    fi
    [ "$bl" = 65536 ] && tape status && lab_log "READ BLOCK LIMITS in fixed mode: $(printf '%s' "$out" | grep 'Block limits')"
done

# ----------------------------------------------------------- write A, B, C
dd if=/dev/urandom of="$W/A" bs=100000 count=1 2>/dev/null
dd if=/dev/urandom of="$W/B" bs=300000 count=1 2>/dev/null
dd if=/dev/urandom of="$W/C" bs=1000 count=1 2>/dev/null
ok=1 why=
tape rewind; [ $rc = 0 ] || { ok=0; why="rewind: $out"; }
[ $ok = 1 ] && { tape setblk 0; [ $rc = 0 ] || { ok=0; why="setblk 0: $out"; }; }
[ $ok = 1 ] && { tape write --file "$W/A" --block-size 4096 --json; wa_out=$out; [ $rc = 0 ] || { ok=0; why="write A: $out"; }; }
[ $ok = 1 ] && { tape weof; [ $rc = 0 ] || { ok=0; why="weof after A: $out"; }; }
[ $ok = 1 ] && { tape setblk 65536; [ $rc = 0 ] || { ok=0; why="setblk 65536: $out"; }; }
[ $ok = 1 ] && { tape write --file "$W/B"; wb_out=$out; [ $rc = 0 ] || { ok=0; why="write B: $out"; }; }
[ $ok = 1 ] && { tape weof 1 --json; { [ $rc = 0 ] && [ "$(jnum filemarks)" = 1 ]; } || { ok=0; why="weof after B: $out"; }; }
[ $ok = 1 ] && { tape setblk 0; [ $rc = 0 ] || { ok=0; why="setblk 0 before C: $out"; }; }
# C through st: one write() = one variable record; st writes a filemark at close
[ $ok = 1 ] && { dd if="$W/C" of="$NST" bs=1000 count=1 2>"$W/dd.err" || { ok=0; why="dd write C through $NST: $(cat "$W/dd.err")"; }; }
if [ $ok = 1 ]; then
    out=$wa_out
    recs=$(jnum records)
    if [ "$recs" = 25 ] && printf '%s' "$wb_out" | grep -q 'padded with 27680 zero bytes'; then
        pass tape-segcopy-write "A: 25 variable records (4096 B); B: 5 fixed 65536-byte blocks, segcopy says the last was padded with 27680 zero bytes; filemarks after each; C by dd through st"
    else
        fail tape-segcopy-write "A: $recs records (want 25); B said: $(printf '%s' "$wb_out" | tail -1)"
    fi
else
    fail tape-segcopy-write "$(printf '%s' "$why" | tr '\n' ' ')"
fi

# -------------------------------------------------------- read back A, B, C
tape rewind
tape setblk 0
tape read --file "$W/A.back" --json
ra_rc=$rc ra_out=$out
if [ $ra_rc = 0 ] && $CMP -s "$W/A" "$W/A.back"; then
    out=$ra_out
    pass tape-segcopy-read-variable "A read back identical: $(jnum records) records, $(jnum bytes) bytes, variable mode"
else
    fail tape-segcopy-read-variable "exit $ra_rc; $(cmp "$W/A" "$W/A.back" 2>&1 | head -1); $(printf '%s' "$ra_out" | tail -1)"
fi
out=$ra_out
if [ "$(jstr stopped_at)" = filemark ] && [ "$(jstr filemark)" = true ]; then
    pass tape-segcopy-read-stops-at-filemark "reading A stopped at FM1 and said so (stopped_at: filemark)"
else
    fail tape-segcopy-read-stops-at-filemark "stopped_at='$(jstr stopped_at)' filemark='$(jstr filemark)'"
fi

tape setblk 65536
tape read --file "$W/B.back"
rb_rc=$rc rb_out=$out
head -c 300000 "$W/B.back" > "$W/B.head" 2>/dev/null
bsz=$(stat -c %s "$W/B.back" 2>/dev/null)
if [ $rb_rc = 0 ] && [ "$bsz" = 327680 ] && $CMP -s "$W/B" "$W/B.head" && $CMP -s -n 27680 -i 300000:0 "$W/B.back" /dev/zero &&
    printf '%s' "$rb_out" | grep -q 'stopped at a filemark'; then
    pass tape-segcopy-read-fixed "B read back in fixed mode: 5 blocks, 327680 bytes = B + 27680 zero bytes of padding, stopped at FM2"
else
    fail tape-segcopy-read-fixed "exit $rb_rc, $bsz bytes; $(printf '%s' "$rb_out" | tail -1)"
fi

tape setblk 0
tape read --file "$W/C.back"
if [ $rc = 0 ] && $CMP -s "$W/C" "$W/C.back"; then
    pass tape-segcopy-reads-dd "segcopy reads the record dd wrote through st: identical ($(printf '%s' "$out" | head -1 | cut -d: -f2-))"
else
    fail tape-segcopy-reads-dd "exit $rc; $(cmp "$W/C" "$W/C.back" 2>&1 | head -1); $(printf '%s' "$out" | tail -1)"
fi

# the other way round: dd through st reads what segcopy wrote (A, 25 records)
$MT_ST -f "$NST" rewind
dd if="$NST" of="$W/A.dd" bs=1M 2>"$W/dd.err"
dd_rc=$?
if [ $dd_rc = 0 ] && $CMP -s "$W/A" "$W/A.dd"; then
    pass tape-segcopy-dd-reads "after mt-st rewind, dd bs=1M through $NST reads A as segcopy wrote it: identical ($(tail -1 "$W/dd.err"))"
else
    fail tape-segcopy-dd-reads "dd exit $dd_rc ($(tr '\n' ' ' < "$W/dd.err")); $(cmp "$W/A" "$W/A.dd" 2>&1 | head -1)"
fi

# dd through st reads B in fixed mode (st takes the block size from MODE
# SENSE when it opens): 5 blocks, B and its padding
tape setblk 65536
$MT_ST -f "$NST" rewind
$MT_ST -f "$NST" fsf 1
dd if="$NST" of="$W/B.dd" bs=65536 2>"$W/dd.err"
dd_rc=$?
tape setblk 0
if [ $dd_rc = 0 ] && $CMP -s "$W/B.back" "$W/B.dd"; then
    pass tape-segcopy-dd-reads-fixed "mt-st fsf 1, dd bs=65536 through $NST reads B in fixed mode as segcopy wrote it, padding included ($(tail -1 "$W/dd.err"))"
else
    fail tape-segcopy-dd-reads-fixed "dd exit $dd_rc ($(tr '\n' ' ' < "$W/dd.err")); $(cmp "$W/B.back" "$W/B.dd" 2>&1 | head -1)"
fi

# ----------------------------------------------------------------- spacing
# fsr/bsr inside A: record i holds A[4096*i, 4096*(i+1))
tape rewind
tape fsr 3
fsr_rc=$rc
tape read --file "$W/r3" --records 1
dd if="$W/A" of="$W/A3" bs=4096 skip=3 count=1 2>/dev/null
tape bsr 2
bsr_rc=$rc
tape read --file "$W/r2" --records 1
dd if="$W/A" of="$W/A2" bs=4096 skip=2 count=1 2>/dev/null
if [ $fsr_rc = 0 ] && [ $bsr_rc = 0 ] && $CMP -s "$W/A3" "$W/r3" && $CMP -s "$W/A2" "$W/r2"; then
    pass tape-segcopy-fsr-bsr "fsr 3 then a 1-record read gives A's record 3; bsr 2 then a read gives record 2"
else
    fail tape-segcopy-fsr-bsr "fsr exit $fsr_rc, bsr exit $bsr_rc; record 3 $($CMP -s "$W/A3" "$W/r3" && echo same || echo differs), record 2 $($CMP -s "$W/A2" "$W/r2" && echo same || echo differs)"
fi

# A read that meets a filemark at once: 25 records spaced, the next is FM1
tape rewind
tape fsr 25
tape -v read --file "$W/empty" --json
if [ $rc = 0 ] && [ "$(jstr stopped_at)" = filemark ] && [ "$(jnum records)" = 0 ] && [ "$(jnum bytes)" = 0 ]; then
    pass tape-segcopy-read-meets-filemark "after fsr 25 the read meets FM1 at once: 0 records, 0 bytes, reported as a filemark"
else
    fail tape-segcopy-read-meets-filemark "exit $rc, stopped_at='$(jstr stopped_at)', records='$(jnum records)'"
fi

# fsf / bsf across filemarks.  fsf 2 lands on C.  bsf 2 then fsf 1 (the
# "start of the previous file" idiom) lands on B's first block: on the BOP
# side of FM1 after bsf 2, past it after fsf 1.
dd if="$W/B" of="$W/B0" bs=65536 count=1 2>/dev/null
tape rewind
tape fsf 2
f1=$rc
tape setblk 0
tape read --file "$W/C.fsf" --records 1
c1=$($CMP -s "$W/C" "$W/C.fsf" && echo same || echo differs)
tape rewind
tape fsf 2
tape bsf 2
b1=$rc
tape fsf 1
f2=$rc
tape setblk 65536
tape read --file "$W/B0.back" --records 1
c2=$($CMP -s "$W/B0" "$W/B0.back" && echo same || echo differs)
tape setblk 0
if [ $f1 = 0 ] && [ $b1 = 0 ] && [ $f2 = 0 ] && [ "$c1" = same ] && [ "$c2" = same ]; then
    pass tape-segcopy-fsf-bsf "fsf 2 lands on C (read identical); from there bsf 2 + fsf 1 lands on B's first block (read identical)"
else
    fail tape-segcopy-fsf-bsf "fsf 2 exit $f1 (C $c1); bsf 2 exit $b1; fsf 1 exit $f2 (B block 0 $c2)"
fi

# tgt's bsf: SSC ends it on the BOP side of the filemark, so from the start
# of C, bsf 1 then a read meets FM2 at once.  tgt moves one block further
# back (the read returns B's last block).  Recorded so the simulator does not
# copy it; this FAILS if tgt starts following SSC.
dd if="$W/B.back" of="$W/B4" bs=65536 skip=4 count=1 2>/dev/null
tape rewind
tape fsf 2
tape bsf 1
tape read --file "$W/bsf1" --records 1 --json
bsf_bytes=$(jnum bytes) bsf_stop=$(jstr stopped_at)
if [ "$bsf_bytes" = 65536 ] && $CMP -s "$W/B4" "$W/bsf1"; then
    pass tape-tgt-bsf-overshoots "tgt deviates from SSC: bsf 1 from the start of C leaves the tape before B's last block (the next read returns it), not on the BOP side of FM2"
elif [ "$bsf_bytes" = 0 ] && [ "$bsf_stop" = filemark ]; then
    fail tape-tgt-bsf-overshoots "tgt now follows SSC (the read after bsf 1 meets FM2): update this test and the report"
else
    fail tape-tgt-bsf-overshoots "after bsf 1 the read gave bytes='$bsf_bytes' stopped_at='$bsf_stop'"
fi

# tgt's SPACE blocks does not stop at filemarks (SSC: stop on the far side
# with FILEMARK sense and the residue): fsr 26 over A's 25 records crosses
# FM1 as if it were a block, and the next read returns B's first block.
tape rewind
tape fsr 26
fsr_rc=$rc fsr_out=$out
tape setblk 65536
tape read --file "$W/fsr26" --records 1
tape setblk 0
if [ $fsr_rc = 0 ] && $CMP -s "$W/B0" "$W/fsr26"; then
    pass tape-tgt-fsr-crosses-filemark "tgt deviates from SSC: fsr 26 over 25 records and FM1 answers GOOD and lands on B (segcopy reports what the drive said: '$(printf '%s' "$fsr_out" | head -1 | cut -d: -f2-)')"
elif [ $fsr_rc = 20 ] && printf '%s' "$fsr_out" | grep -q 'stopped early at a filemark'; then
    fail tape-tgt-fsr-crosses-filemark "tgt now stops SPACE blocks at a filemark as SSC says (segcopy reported it: exit 20): update this test and the report"
else
    fail tape-tgt-fsr-crosses-filemark "fsr 26 exit $fsr_rc: $(printf '%s' "$fsr_out" | head -1)"
fi

# a fixed-mode read of a variable record of another length is never taken
# silently: SSC says ILI (segcopy: "not 65536 bytes long", exit 20); tgt
# answers MEDIUM ERROR (exit 3)
tape rewind
tape setblk 65536
tape read --file "$W/wrong" --records 1
wr_rc=$rc wr_out=$out
tape setblk 0
if [ $wr_rc != 0 ] && printf '%s' "$wr_out" | grep -q -e 'MEDIUM ERROR' -e 'not 65536 bytes long'; then
    pass tape-segcopy-fixed-read-wrong-length "reading A's 4096-byte record in 65536-byte fixed mode fails in words, exit $wr_rc: $(printf '%s' "$wr_out" | head -1 | cut -d: -f3-)"
else
    fail tape-segcopy-fixed-read-wrong-length "exit $wr_rc: $(printf '%s' "$wr_out" | head -1)"
fi

# fsf past the end of data: stops early, says so, exits non-zero
tape rewind
tape -v fsf 5
if [ $rc != 0 ] && printf '%s' "$out" | grep -q 'stopped early at end of data'; then
    pass tape-segcopy-fsf-past-eod "fsf 5 over 3 filemarks: exit $rc, '$(printf '%s' "$out" | grep 'stopped early' | head -1 | cut -d: -f3-)'"
else
    fail tape-segcopy-fsf-past-eod "exit $rc: $(printf '%s' "$out" | head -1)"
fi

# eod, then a read there finds end of data
tape eod
e_rc=$rc
tape -v read --file "$W/eod" --json
if [ $e_rc = 0 ] && [ $rc = 0 ] && [ "$(jstr stopped_at)" = end-of-data ] && [ "$(jnum bytes)" = 0 ]; then
    pass tape-segcopy-eod "eod, then a read finds end of data (0 bytes, stopped_at end-of-data)"
else
    fail tape-segcopy-eod "eod exit $e_rc; read exit $rc stopped_at='$(jstr stopped_at)'"
fi


# at the beginning: SSC says NO SENSE 00/04 for both; tgt answers bsr 1
# GOOD and bsf 1 with 00/04 (logged for the report)
tape rewind
tape -v bsr 1
lab_log "bsr 1 at BOT: exit $rc: $(printf '%s' "$out" | grep -v DEBUG | head -1)"
tape -v bsf 1
lab_log "bsf 1 at BOT: exit $rc: $(printf '%s' "$out" | grep -v DEBUG | head -1)"
# the sense of a short variable record (ILI) and of a filemark, for the log
tape rewind
tape -v read --file "$W/ili" --records 2

# ---------------------------------------------------------- READ POSITION
tape rewind
tape fsr 2
tape tell
t_rc=$rc t_out=$out
tape tell --json
if [ $t_rc = 0 ] && printf '%s' "$t_out" | grep -q 'position unknown (the drive does not report it: BPU)' &&
    printf '%s' "$t_out" | grep -q 'short form answered' && [ "$(jstr known)" = false ] && [ "$(jstr block)" = null ]; then
    pass tape-segcopy-tell-bpu "tell: '$(printf '%s' "$t_out" | head -1 | cut -d: -f2-)'; JSON known=false block=null (no invented 0)"
else
    fail tape-segcopy-tell-bpu "exit $t_rc: $(printf '%s' "$t_out" | head -2 | tr '\n' ' ')"
fi

tape tell --form long
if [ $rc = 0 ] && printf '%s' "$out" | grep -q 'position not trusted'; then
    pass tape-segcopy-tell-long "long form (block 0 with reserved bit 20h set, 2 records in) is not believed: '$(printf '%s' "$out" | head -1 | cut -d: -f2- | cut -c1-110)'"
else
    fail tape-segcopy-tell-long "exit $rc: $(printf '%s' "$out" | head -1)"
fi

tape tell --form extended
if [ $rc = 5 ] && printf '%s' "$out" | grep -q 'ILLEGAL REQUEST'; then
    pass tape-segcopy-tell-extended "extended form refused, exit 5: $(printf '%s' "$out" | head -1 | cut -d: -f3-)"
else
    fail tape-segcopy-tell-extended "exit $rc: $(printf '%s' "$out" | head -1)"
fi

tape status
if [ $rc = 0 ] && printf '%s' "$out" | grep -q 'Position: *position unknown (the drive does not report it: BPU)'; then
    pass tape-segcopy-status-bpu "status says: position unknown (the drive does not report it: BPU)"
else
    fail tape-segcopy-status-bpu "exit $rc: $(printf '%s' "$out" | grep Position)"
fi

# ------------------------------------------------------------------ LOCATE
tape -v locate 3
if [ $rc != 0 ] && printf '%s' "$out" | grep -q 'LOCATE(10) failed: CHECK CONDITION, ILLEGAL REQUEST'; then
    pass tape-segcopy-locate "locate 3: exit $rc, '$(printf '%s' "$out" | grep 'failed:' | head -1 | cut -d: -f3-)' / $(printf '%s' "$out" | tail -1)"
else
    fail tape-segcopy-locate "exit $rc: $(printf '%s' "$out" | head -2 | tr '\n' ' ')"
fi

# ------------------------------------------------------------ leave it so
tape rewind
[ -n "$initial_bl" ] && tape setblk "$initial_bl"
lab_exit
