#!/bin/sh
# The EXTENDED COPY behaviour table (segcopy conform): hand-made parameter
# lists and RECEIVE COPY RESULTS commands, one per conformance point of
# ../shared/spc.md, sent to LIO's copy manager on A_SRC (valid cases copy
# onto A_DST; the mismatch case names A_DST4K). Each case's status and
# sense is checked against the table's expectation (one result line per
# case) and recorded into $LAB_OUT/lio/behaviour.tsv, the reference the
# simulator's LIO profile must reproduce (fixtures/lio/behaviour.tsv).
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail behaviour-table "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail behaviour-table "no segcopy binary in the guest"; lab_exit; }
mkdir -p "$LAB_OUT/lio"
lab_turs "$A_SRC_SG"; lab_turs "$A_DST_SG"; lab_turs "$A_DST4K_SG"
table=$($SEGCOPY conform --cm "$A_SRC_SG" --other "$A_DST_SG" --four-k "$A_DST4K_SG" \
    --write-ok --record "$LAB_OUT/lio/behaviour.tsv" 2>&1)
rc=$?
if [ -s "$LAB_OUT/lio/behaviour.tsv" ]; then
    { echo "# captured from LIO (kernel $(uname -r)) in the lab by tests/lab/guest/tests/40-behaviour-table.sh:"
      echo "# segcopy conform --cm A_SRC --other A_DST --four-k A_DST4K (fileio LUNs, 512/4096-byte blocks)"
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
if [ "$n" -ge 20 ] && [ -s "$LAB_OUT/lio/behaviour.tsv" ]; then
    pass behaviour-table "$n cases sent to LIO, segcopy conform exit $rc, recorded to lio/behaviour.tsv"
else
    fail behaviour-table "only $n cases ran (exit $rc)"
fi

# The same table against the simulator's LIO profile, in the same guest:
# it must answer every case as LIO just did (outcome and sense bytes).
cat > /tmp/lio-profile.toml <<'SITE'
[site]
state_dir = "memory"
[[disk]]
name = "cm0"
capacity = "128 MiB"
copy_manager = "lio"
[[disk]]
name = "lun1"
capacity = "128 MiB"
copy_manager = "lio"
[[disk]]
name = "lun4k"
block_size = 4096
capacity = "64 MiB"
copy_manager = "lio"
SITE
$SEGCOPY --site /tmp/lio-profile.toml conform --cm cm0 --other lun1 --four-k lun4k \
    --write-ok --record "$LAB_OUT/lio/sim-behaviour.tsv" > /tmp/sim-table 2>&1
simrc=$?
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
