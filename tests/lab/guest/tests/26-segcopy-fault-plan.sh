#!/bin/sh
# A site's fault plan in front of real LIO LUNs (issue 7, part 2): the
# same [[fault]] entries the simulator takes strike a real device through
# segcopy's FaultInjector, which stands between segcopy and SG_IO.
#  a) segment = 5, sense "0a/0d/02" (LIO's own COPY ABORTED) on the LU that
#     receives the EXTENDED COPY commands: `segcopy xcopy` of 16 segments
#     fails at segment 5 with that sense, exit 10; segments 0-4 are on the
#     destination (LIO copied them), nothing of segment 5 on; the command
#     segcopy prints to finish the copy then completes it, run with the same
#     devices and no fault plan (a plan is armed anew in every process, so
#     with it the finish command would meet its own 5th segment's fault),
#     and the whole range is equal.
#  b) segment = 0, sense "04/44/00" (HARDWARE ERROR): the copy ends in
#     COPY ABORTED, THIRD PARTY DEVICE FAILURE (0D/01) with the planned
#     sense forwarded, as SPC-4 has a copy manager report a target's
#     failure; nothing is written; the next command to the LU (INQUIRY
#     through the same site) works.
#  c) command = 2, effect "hang" on the source: its second command (segcopy
#     asks each end INQUIRY, VPD 83h, READ CAPACITY) times out, reported as
#     a time-out (exit 33), and nothing is copied.
# shellcheck disable=SC2154  # set by eval "$(lab_json_vars ...)"
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-fault-plan "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-fault-plan "no segcopy binary in the guest"; lab_exit; }
T=/tmp/fault-plan
rm -rf $T && mkdir -p $T
lab_turs_all
BLOCKS=32768 SEGB=2048

# site FAULT-TOML [FILE]: a site naming A_SRC and A_DST as real devices,
# with FAULT, in FILE (default $T/site.toml).
site() {
    cat > "${2:-$T/site.toml}" <<EOF
[site]
state_dir = "memory"
[[real]]
name = "src"
path = "$A_SRC_SG"
[[real]]
name = "dst"
path = "$A_DST_SG"
$1
EOF
    lab_log "site file ${2:-$T/site.toml}:"
    sed 's/^/      /' "${2:-$T/site.toml}"
}

# a) LIO's own sense at segment 5
site '[[fault]]
device = "dst"
segment = 5
effect = "sense"
sense = "0a/0d/02"'
lab_zero "$A_DST_FILE"
$SEGCOPY --site $T/site.toml xcopy --from src --to dst --blocks $BLOCKS --segment-size 1M --json > $T/out.json 2> $T/err
rc=$?
sed 's/^/    stderr: /' $T/err
eval "$(lab_json_vars st=result.status seg=result.failed_segment done_=result.blocks_copied kcq=result.asc_ascq sense=result.sense < $T/out.json)"
why=
[ $rc = 10 ] || why="exit $rc (want 10, COPY ABORTED);"
[ "$st" = failed ] || why="$why status '$st';"
[ "$seg" = 5 ] || why="$why failed segment '$seg' (want 5);"
[ "$done_" = $((5 * SEGB)) ] || why="$why blocks copied '$done_' (want $((5 * SEGB)));"
[ "$kcq" = 0d/02 ] || why="$why asc/ascq '$kcq' (want 0d/02);"
grep -q 'COPY ABORTED: Copy target device not reachable (0x0d/0x02)' $T/err || why="$why the planned sense is not in words on stderr;"
lab_cmp "$A_SRC_FILE" 0 "$A_DST_FILE" 0 $((5 * SEGB * 512)) >/dev/null 2>&1 || why="$why segments 0-4 are not on the destination;"
lab_is_zero "$A_DST_FILE" $((5 * SEGB * 512)) $(((BLOCKS - 5 * SEGB) * 512)) || why="$why something of segment 5 or later was written;"
if [ -z "$why" ]; then
    pass segcopy-fault-plan-lio-segment "exit 10 at segment 5 after $done_ blocks, sense [$sense], 0-4 copied by LIO, nothing after"
else
    fail segcopy-fault-plan-lio-segment "$why"
fi
finish=$(sed -n 's/.*to finish the copy from the failed segment: segcopy \(xcopy .*\)$/\1/p' $T/err)
site '' $T/clean.toml
lab_log "finish command: segcopy --site $T/clean.toml $finish"
# shellcheck disable=SC2086  # the printed command line, split as a shell would
if [ -n "$finish" ] && $SEGCOPY --site $T/clean.toml $finish > $T/finish.out 2>&1 &&
    lab_cmp "$A_SRC_FILE" 0 "$A_DST_FILE" 0 $((BLOCKS * 512)) >/dev/null 2>&1; then
    pass segcopy-fault-plan-lio-finish "the printed command finished the copy: $(head -1 $T/finish.out); all $BLOCKS blocks equal"
else
    fail segcopy-fault-plan-lio-finish "finish command '$finish': $(tail -2 $T/finish.out 2>/dev/null | tr '\n' ' ')"
fi

# b) a target's failure, forwarded
site '[[fault]]
device = "dst"
segment = 0
effect = "sense"
sense = "04/44/00"'
lab_zero "$A_DST_FILE"
$SEGCOPY --site $T/site.toml xcopy --from src --to dst --blocks $BLOCKS --segment-size 1M --json > $T/out.json 2> $T/err
rc=$?
sed 's/^/    stderr: /' $T/err
eval "$(lab_json_vars seg=result.failed_segment kcq=result.asc_ascq < $T/out.json)"
why=
[ $rc = 10 ] || why="exit $rc (want 10);"
[ "$seg" = 0 ] && [ "$kcq" = 0d/01 ] || why="$why segment '$seg' asc/ascq '$kcq' (want 0 and 0d/01);"
grep -q 'Third party device failure' $T/err || why="$why no 'Third party device failure' on stderr;"
grep -qi 'HARDWARE ERROR' $T/err || why="$why the forwarded HARDWARE ERROR is not shown;"
lab_is_zero "$A_DST_FILE" 0 $((BLOCKS * 512)) || why="$why something was written;"
out=$($SEGCOPY --site $T/site.toml inquiry dst 2>&1)
irc=$?
[ $irc = 0 ] || why="$why the next command (inquiry dst) failed: exit $irc: $out;"
if [ -z "$why" ]; then
    pass segcopy-fault-plan-lio-forwarded "exit 10, COPY ABORTED 0D/01 with HARDWARE ERROR 44/00 forwarded, nothing written; inquiry afterwards: $(printf '%s' "$out" | head -1)"
else
    fail segcopy-fault-plan-lio-forwarded "$why"
fi

# c) a hang on the source's second command
site '[[fault]]
device = "src"
command = 2
effect = "hang"'
lab_zero "$A_DST_FILE"
$SEGCOPY --site $T/site.toml xcopy --from src --to dst --blocks $BLOCKS --segment-size 1M > $T/out 2> $T/err
rc=$?
sed 's/^/    stderr: /' $T/err
if [ $rc = 33 ] && grep -q 'timed out' $T/err && lab_is_zero "$A_DST_FILE" 0 $((BLOCKS * 512)); then
    pass segcopy-fault-plan-lio-hang "exit 33: $(head -1 $T/err)"
else
    fail segcopy-fault-plan-lio-hang "exit $rc (want 33, a time-out): $(head -2 $T/err | tr '\n' ' ')"
fi
lab_zero "$A_DST_FILE"
lab_turs_all
lab_exit
