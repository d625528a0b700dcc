#!/bin/sh
# A peer's conformance suite against the served simulator: libiscsi's
# iscsi-test-cu over LIO's iSCSI fabric on the guest's loopback, test by
# test, against `segcopy serve --fabric iscsi` (prod0: a simulated disk
# that is also a copy manager, standard profile) and, side by side,
# against LIO's own fileio backstore with emulate_3pc (its copy manager).
#
# The table goes to $LAB_OUT/libiscsi.tsv (suite, test, segcopy, LIO) and
# one LAB-RESULT per suite.  A test the served simulator fails is a FAIL
# unless tests/lab/guest/libiscsi-explained.tsv lists it with the reason
# and the standard's clause (tests/lab/guest/libiscsi-explained.tsv: test,
# tab, why); a listed test that passes is a FAIL too (the
# list must not go stale).
# shellcheck disable=SC1091
. /lab/lib.sh

if [ -z "${SEGCOPY:-}" ] || [ ! -x "$SEGCOPY" ]; then
    fail libiscsi "no segcopy in the guest (see host-build-segcopy)"
    lab_exit
fi
[ -x "$ISCSI_TEST_CU" ] || { fail libiscsi "no iscsi-test-cu in the guest (package libiscsi-bin; see host-program-iscsi-test-cu)"; lab_exit; }
for m in uio target_core_user iscsi_target_mod; do
    modprobe "$m" || { fail libiscsi-modules "modprobe $m failed"; lab_exit; }
done
ip link set lo up 2>/dev/null

W=/tmp/serve51
rm -rf "$W" && mkdir -p "$W" "$LAB_OUT"
SERVED_PORT=3261
LIO_PORT=3262
SUITES="TestUnitReady Inquiry ReadCapacity10 ReadCapacity16 Read10 Read16 Write10 Write16 ModeSense6 ExtendedCopy ReceiveCopyResults"
EXPLAINED=/lab/libiscsi-explained.tsv
[ -f "$EXPLAINED" ] || EXPLAINED=/dev/null

cat > "$W/site.toml" <<'EOF'
[site]
name = "served-iscsi"
state_dir = "memory"

[[disk]]
name = "prod0"
block_size = 512
capacity = "64 MiB"
copy_manager = "standard"
EOF

"$SEGCOPY" --site "$W/site.toml" serve --fabric iscsi --iscsi-portal "127.0.0.1:$SERVED_PORT" --json \
    > "$W/serve.json" 2> "$W/serve.err" &
SERVE=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^}' "$W/serve.json" 2>/dev/null && kill -0 $SERVE 2>/dev/null; do
    usleep 100000
    i=$((i + 1))
done
IQN=$(lab_json_get target < "$W/serve.json")
if [ -z "$IQN" ]; then
    fail libiscsi-serve "serve --fabric iscsi did not come up: $(tail -3 "$W/serve.err" | tr '\n' ' ')"
    kill $SERVE 2>/dev/null
    lab_exit
fi
pass libiscsi-serve "prod0 served on iSCSI 127.0.0.1:$SERVED_PORT as $IQN"

# LIO's own copy manager: a fileio LUN with emulate_3pc, on its own portal.
LIQN=iqn.2003-01.org.linux-iscsi.lab:lio51
BS=$LAB_CFS/core/fileio_51/lio51
TPG=$LAB_CFS/iscsi/$LIQN/tpgt_1
lio_up() {
    mkdir -p /tmp/lio && truncate -s 67108864 /tmp/lio/lio51.img &&
    mkdir -p "$BS" &&
    echo "fd_dev_name=/tmp/lio/lio51.img,fd_dev_size=67108864" > "$BS/control" &&
    echo 5100000000000051 > "$BS/wwn/vpd_unit_serial" &&
    echo 1 > "$BS/enable" &&
    echo 1 > "$BS/attrib/emulate_3pc" &&
    mkdir -p "$TPG/lun/lun_0" &&
    ln -s "$BS" "$TPG/lun/lun_0/lio51" &&
    mkdir "$TPG/np/127.0.0.1:$LIO_PORT" &&
    echo 0 > "$TPG/attrib/authentication" &&
    echo 1 > "$TPG/attrib/generate_node_acls" &&
    echo 0 > "$TPG/attrib/demo_mode_write_protect" &&
    echo 1 > "$TPG/attrib/cache_dynamic_acls" &&
    echo 1 > "$TPG/enable"
}
lio_down() {
    echo 0 > "$TPG/enable" 2>/dev/null
    rmdir "$TPG/np/127.0.0.1:$LIO_PORT" 2>/dev/null
    rm -f "$TPG/lun/lun_0/lio51"
    rmdir "$TPG/lun/lun_0" "$TPG" "$LAB_CFS/iscsi/$LIQN" 2>/dev/null
    rmdir "$BS" "$LAB_CFS/core/fileio_51" 2>/dev/null
    rm -f /tmp/lio/lio51.img
}
if lio_up; then
    pass libiscsi-lio "LIO fileio with emulate_3pc on iSCSI 127.0.0.1:$LIO_PORT as $LIQN"
else
    fail libiscsi-lio "could not set up LIO's own iSCSI target"
fi

# verdict URL TEST TAG: PASS, SKIP or FAIL of one test (its output in
# $W/out.TAG.TEST).
verdict() {
    _log=$W/out.$3.$2
    "$ISCSI_TEST_CU" -d -t "$2" "$1" > "$_log" 2>&1
    _ran=$(awk '$1 == "tests" { print $3; exit }' "$_log")
    _failed=$(awk '$1 == "tests" { print $5; exit }' "$_log")
    if [ -z "$_ran" ] || [ "$_ran" = 0 ] || [ "${_failed:-1}" != 0 ]; then
        echo FAIL
    elif grep -q 'SKIPPED' "$_log"; then
        echo SKIP
    else
        echo PASS
    fi
}

printf 'suite\ttest\tsegcopy\tLIO\n' > "$LAB_OUT/libiscsi.tsv"
SURL="iscsi://127.0.0.1:$SERVED_PORT/$IQN/0"
LURL="iscsi://127.0.0.1:$LIO_PORT/$LIQN/0"
for suite in $SUITES; do
    p=0 s=0 f=0 lp=0 ls=0 lf=0 bad= differ=
    for t in $("$ISCSI_TEST_CU" -l 2>/dev/null | grep "^SCSI\.$suite\.[A-Za-z0-9_-]*$"); do
        sv=$(verdict "$SURL" "$t" segcopy)
        lv=$(verdict "$LURL" "$t" lio)
        printf '%s\t%s\t%s\t%s\n' "$suite" "${t#SCSI."$suite".}" "$sv" "$lv" >> "$LAB_OUT/libiscsi.tsv"
        case $sv in PASS) p=$((p + 1)) ;; SKIP) s=$((s + 1)) ;; *) f=$((f + 1)) ;; esac
        case $lv in PASS) lp=$((lp + 1)) ;; SKIP) ls=$((ls + 1)) ;; *) lf=$((lf + 1)) ;; esac
        [ "$sv" = "$lv" ] || differ="$differ ${t#SCSI."$suite".}($sv/LIO $lv)"
        why=$(awk -F '\t' -v t="$t" '$1 == t { print $2; exit }' "$EXPLAINED")
        if [ "$sv" = FAIL ] && [ -z "$why" ]; then
            bad="$bad ${t#SCSI."$suite".}: $(grep -m1 -i -e 'fail' -e 'expected' "$W/out.segcopy.$t" 2>/dev/null | cut -c1-160);"
        elif [ "$sv" != FAIL ] && [ -n "$why" ]; then
            bad="$bad ${t#SCSI."$suite".}: listed as explained but it is $sv now;"
        fi
    done
    detail="segcopy $p pass/$s skip/$f fail; LIO $lp/$ls/$lf${differ:+; differ:$differ}"
    if [ -z "$bad" ]; then
        pass "libiscsi-$suite" "$detail"
    else
        fail "libiscsi-$suite" "$detail; unexplained:$bad"
    fi
done
lab_log "table: $(tr '\t\n' ' ;' < "$LAB_OUT/libiscsi.tsv")"

kill -TERM $SERVE
wait $SERVE 2>/dev/null
lio_down
lab_exit
