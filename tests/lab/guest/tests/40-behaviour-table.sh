#!/bin/sh
# The EXTENDED COPY behaviour table (segcopy conform): hand-made parameter
# lists and RECEIVE COPY RESULTS commands, one per check, read field and
# ignored field of LIO's target_core_xcopy.c (docs/lio-profile.md), sent to
# LIO's copy manager on A_SRC (valid cases copy onto A_DST; the mismatch
# case names A_DST4K). Two LUNs are added to target A for the run and
# removed after it: NO3PC (64 MiB, emulate_3pc = 0) and LARGE (2 TiB +
# 1 MiB, sparse: more than 2^32 blocks, so LIO answers it in descriptor-
# format sense). Each case's status and sense is checked against the
# table's expectation (one result line per case) and recorded into
# $LAB_OUT/lio/behaviour.tsv, the reference the simulator's LIO profile
# must reproduce (fixtures/lio/behaviour.tsv).
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail behaviour-table "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail behaviour-table "no segcopy binary in the guest"; lab_exit; }
mkdir -p "$LAB_OUT/lio"

# extra_lun INDEX NAME BYTES SERIAL LUN: a fileio backstore on /tmp/lio
# (sparse) linked as target A's lun_LUN; prints its /dev/sgN.
extra_lun() {
    _bs=$LAB_CFS/core/fileio_$1/$2
    truncate -s "$3" "/tmp/lio/$2.img" &&
        mkdir -p "$_bs" &&
        echo "fd_dev_name=/tmp/lio/$2.img,fd_dev_size=$3" > "$_bs/control" &&
        echo "$4" > "$_bs/wwn/vpd_unit_serial" &&
        echo 1 > "$_bs/enable" || return 1
    [ "$2" = no3pc ] && { echo 0 > "$_bs/attrib/emulate_3pc" || return 1; }
    mkdir -p "$A_TPG/lun/lun_$5" && ln -s "$_bs" "$A_TPG/lun/lun_$5/lab_link" || return 1
    _i=0
    while [ $_i -lt 150 ]; do
        _sg=$(lab_sg_of_hctl "$A_HOST:0:1:$5" || true)
        [ -n "$_sg" ] && [ -c "$_sg" ] && { echo "$_sg"; return 0; }
        usleep 100000
        _i=$((_i + 1))
    done
    return 1
}
# drop_extra_lun INDEX NAME LUN
drop_extra_lun() {
    rm -f "$A_TPG/lun/lun_$3/lab_link"
    rmdir "$A_TPG/lun/lun_$3" "$LAB_CFS/core/fileio_$1/$2" "$LAB_CFS/core/fileio_$1" 2>/dev/null
    rm -f "/tmp/lio/$2.img"
}
LARGE_BYTES=2199024304128   # (2^32 + 2048) blocks of 512 bytes
NO3PC_SG=$(extra_lun 6 no3pc $((64 * 1048576)) 7000000000000007 5)
LARGE_SG=$(extra_lun 7 large $LARGE_BYTES 8000000000000008 6)
if [ -n "$NO3PC_SG" ] && [ -n "$LARGE_SG" ] &&
    [ "$(cat "$LAB_CFS/core/fileio_6/no3pc/attrib/emulate_3pc")" = 0 ]; then
    pass behaviour-extra-luns "NO3PC $NO3PC_SG (emulate_3pc 0), LARGE $LARGE_SG ($((LARGE_BYTES / 512)) blocks) linked as target A's lun_5 and lun_6"
else
    fail behaviour-extra-luns "NO3PC '$NO3PC_SG', LARGE '$LARGE_SG': could not add them to target A (their cases are skipped)"
fi
# Linking them left REPORTED LUNS DATA HAS CHANGED on target A's LUNs.
for sg in "$A_SRC_SG" "$A_DST_SG" "$A_DST4K_SG" $NO3PC_SG $LARGE_SG; do lab_turs "$sg"; done
table=$($SEGCOPY conform --cm "$A_SRC_SG" --other "$A_DST_SG" --four-k "$A_DST4K_SG" \
    ${NO3PC_SG:+--no-3pc "$NO3PC_SG"} ${LARGE_SG:+--large "$LARGE_SG"} \
    --write-ok --record "$LAB_OUT/lio/behaviour.tsv" 2>&1)
rc=$?
drop_extra_lun 6 no3pc 5
drop_extra_lun 7 large 6
lab_turs_all || lab_log "some LUN did not answer TEST UNIT READY with GOOD after the extra LUNs were removed"
if [ -s "$LAB_OUT/lio/behaviour.tsv" ]; then
    { echo "# captured from LIO (kernel $(uname -r)) in the lab by tests/lab/guest/tests/40-behaviour-table.sh:"
      echo "# segcopy conform --cm A_SRC --other A_DST --four-k A_DST4K --no-3pc NO3PC --large LARGE (fileio LUNs, 512/4096-byte blocks; NO3PC emulate_3pc 0; LARGE 2^32 + 2048 blocks)"
      cat "$LAB_OUT/lio/behaviour.tsv"; } > /tmp/behaviour.tsv && cp /tmp/behaviour.tsv "$LAB_OUT/lio/behaviour.tsv"
fi
printf '%s\n' "$table" | sed 's/^/  /'
n=0
# rows: CASE EXPECTED... OBSERVED... VERDICT; the verdict is the last words
printf '%s\n' "$table" | awk 'NR > 1 && NF > 3 && ($NF == "expected" || $NF == "DIFFERS")' > /tmp/rows
while IFS= read -r line; do
    name=${line%% *}
    n=$((n + 1))
    case "$line" in
        *"as expected") pass "behaviour-$name" "$(printf '%s' "$line" | tr -s ' ')" ;;
        *) fail "behaviour-$name" "$(printf '%s' "$line" | tr -s ' ')" ;;
    esac
done < /tmp/rows
if [ "$n" -ge 90 ] && [ -s "$LAB_OUT/lio/behaviour.tsv" ]; then
    pass behaviour-table "$n cases sent to LIO, segcopy conform exit $rc, recorded to lio/behaviour.tsv"
else
    fail behaviour-table "only $n cases ran (exit $rc)"
fi

# The same table against the simulator's LIO profile, in the same guest:
# it must answer every case as LIO just did (outcome and sense bytes).
# Only `large` is file-backed (sparse, in /tmp/sim40): more than 2^32
# blocks do not fit a memory-backed disk.
cat > /tmp/lio-profile.toml <<'SITE'
[site]
state_dir = "/tmp/sim40"
[[disk]]
name = "cm0"
capacity = "128 MiB"
copy_manager = "lio"
backing = "memory"
[[disk]]
name = "lun1"
capacity = "128 MiB"
copy_manager = "lio"
backing = "memory"
[[disk]]
name = "lun4k"
block_size = 4096
capacity = "64 MiB"
copy_manager = "lio"
backing = "memory"
[[disk]]
name = "no3pc"
capacity = "64 MiB"
backing = "memory"
[[disk]]
name = "large"
capacity = 2199024304128
copy_manager = "lio"
SITE
$SEGCOPY --site /tmp/lio-profile.toml conform --cm cm0 --other lun1 --four-k lun4k \
    --no-3pc no3pc --large large \
    --write-ok --record "$LAB_OUT/lio/sim-behaviour.tsv" > /tmp/sim-table 2>&1
simrc=$?
rm -rf /tmp/sim40
grep -v '^#' "$LAB_OUT/lio/behaviour.tsv" | sort > /tmp/lio.rows
grep -v '^#' "$LAB_OUT/lio/sim-behaviour.tsv" 2>/dev/null | sort > /tmp/sim.rows
if [ -s /tmp/lio.rows ] && cmp -s /tmp/lio.rows /tmp/sim.rows; then
    pass behaviour-sim-agrees-with-lio "the simulator's LIO profile answered all $(wc -l < /tmp/lio.rows) cases with LIO's outcome and sense bytes (segcopy --site exit $simrc)"
else
    lab_log "differences (< LIO, > simulator):"
    diff /tmp/lio.rows /tmp/sim.rows | sed 's/^/    /' | head -40
    fail behaviour-sim-agrees-with-lio "the simulator's LIO profile differs from LIO on $(diff /tmp/lio.rows /tmp/sim.rows | grep -c '^<') case(s) (segcopy --site exit $simrc)"
fi
lab_exit
