#!/bin/sh
# `segcopy bench` on LIO (issue 9): 256 MiB A_SRC -> A_DST at 1, 8 and
# 31 MiB, 1/2/4/8 commands in flight, 3 runs each, a failure injected at
# 90 % and failed over to A_SRC's copy manager, a host copy beside it,
# every run (the failover too) read back and compared by segcopy
# (--verify), and a recommended segment size.  Its JSON, CSV and chart go
# to $LAB_OUT/bench-lio.{json,csv,svg}, the words to bench-lio.txt.  PASS
# when the bench completed with every copy right and the destination equal
# to the source after it.  Performance is reported, never asserted here.
# lab-timeout: 900
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail bench-lio "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail bench-lio "no segcopy binary in the guest"; lab_exit; }
T=/tmp/bench29
mkdir -p $T "$LAB_OUT"
lab_turs_all
BYTES=$((256 * 1048576))
BLOCKS=$((BYTES / 512))
lab_zero "$A_DST_FILE"
$SEGCOPY bench --object "$A_SRC_SG:0+256MiB" --to "$A_DST_SG" --sizes 1MiB,8MiB,31MiB --repeat 3 \
    --queue-depth 1,2,4,8 --fault-at 0.9 --failover-via "$A_SRC_SG" --compare-host --recommend --verify \
    --json --csv "$LAB_OUT/bench-lio.csv" --plot "$LAB_OUT/bench-lio.svg" --words "$LAB_OUT/bench-lio.txt" \
    > "$LAB_OUT/bench-lio.json" 2> $T/bench.err
rc=$?
if $CMP -s -n $BYTES "$A_SRC_FILE" "$A_DST_FILE"; then good=$BLOCKS; else good="not all"; fi
rows=$(grep -c '"segment_bytes"' "$LAB_OUT/bench-lio.json" 2>/dev/null || echo 0)
if [ $rc = 0 ] && [ "$good" = $BLOCKS ] && [ "$rows" -ge 13 ]; then
    sed 's/^/  /' "$LAB_OUT/bench-lio.txt"
    pass bench-lio "segcopy bench on LIO: $rows rows in bench-lio.json, the destination identical after the last run (failover included)"
else
    sed 's/^/    bench: /' $T/bench.err | tail -5
    fail bench-lio "segcopy bench exit $rc, $rows rows, destination's first $good of $BLOCKS blocks right"
fi
lab_zero "$A_DST_FILE"
lab_exit
