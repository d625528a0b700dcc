#!/bin/sh
# lab-timeout: 1800
# A peer's conformance suite against the served simulator: libiscsi's
# iscsi-test-cu over LIO's iSCSI fabric on the guest's loopback, test by
# test, against `segcopy serve --fabric iscsi` — LUN 0: a simulated disk
# that is also a copy manager of the standard profile (SPC-4 as written);
# LUN 1: one of the lio profile (the simulator's double of LIO) — and,
# side by side, against LIO's own fileio backstore with emulate_3pc.
# ReceiveCopyResults runs before ExtendedCopy: a standard copy manager
# holds a command's results (LIST ID USAGE 00b) until they are retrieved,
# and libiscsi's "no copy in progress" case assumes none is held.
#
# The table goes to $LAB_OUT/libiscsi.tsv (suite, test, segcopy standard,
# segcopy lio profile, LIO) and
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
rm -rf "$W" "$LAB_OUT/libiscsi" && mkdir -p "$W" "$LAB_OUT/libiscsi"
SERVED_PORT=3261
LIO_PORT=3262
SUITES="TestUnitReady Inquiry ReadCapacity10 ReadCapacity16 Read10 Read16 Write10 Write16 ModeSense6 ReceiveCopyResults ExtendedCopy"
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

[[disk]]
name = "prod1"
block_size = 512
capacity = "64 MiB"
copy_manager = "lio"
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
pass libiscsi-serve "prod0 (standard) and prod1 (lio profile) served on iSCSI 127.0.0.1:$SERVED_PORT as $IQN"

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

# run_suite URL SUITE TAG: runs a whole suite once (one login), its output
# in $LAB_OUT/libiscsi/TAG.SUITE (copied to the host's target/lab/out/),
# and prints "TEST<TAB>PASS|SKIP|FAIL" for each test it ran.  A test's
# section runs from its "  Test: NAME ..." line to the next one or to the
# summary; CUnit ends it with "passed" or "FAILED".  (What iscsi-test-cu
# prints before the first "Test:" is its set-up's probing.)
run_suite() {
    _log=$LAB_OUT/libiscsi/$3.$2
    "$ISCSI_TEST_CU" -d -t "SCSI.$2" "$1" > "$_log" 2>&1
    awk '
        function done() { if (t != "") print t "\t" (f ? "FAIL" : (k ? "SKIP" : "PASS")) }
        /^  Test: / { done(); t = $2; f = 0; k = 0 }
        /^Run Summary/ { done(); t = ""; exit }
        t != "" && /FAILED/ { f = 1 }
        t != "" && /\[SKIPPED\]/ { k = 1 }
    ' "$_log"
}

# verdict FILE TEST: TEST's verdict in a run_suite listing (FAIL if the
# test did not run at all).
verdict() { awk -F '\t' -v t="$2" '$1 == t { v = $2 } END { print (v == "" ? "FAIL" : v) }' "$1"; }

# failure TAG SUITE TEST: the first [FAILED] line of TEST in TAG's run.
failure() {
    awk -v t="$3" '/^  Test: / { on = ($2 == t) } /^Run Summary/ { on = 0 } on && /FAILED/ { sub(/.*\[FAILED\] */, ""); print substr($0, 1, 160); exit }' \
        "$LAB_OUT/libiscsi/$1.$2"
}

printf 'suite\ttest\tsegcopy standard\tsegcopy lio profile\tLIO\n' > "$LAB_OUT/libiscsi.tsv"
SURL="iscsi://127.0.0.1:$SERVED_PORT/$IQN/0"
PURL="iscsi://127.0.0.1:$SERVED_PORT/$IQN/1"
LURL="iscsi://127.0.0.1:$LIO_PORT/$LIQN/0"
for suite in $SUITES; do
    sp=0 ss=0 sf=0 pp=0 ps=0 pf=0 lp=0 ls=0 lf=0 bad= differ=
    run_suite "$SURL" "$suite" segcopy > "$W/segcopy.v"
    run_suite "$PURL" "$suite" lioprofile > "$W/lioprofile.v"
    run_suite "$LURL" "$suite" lio > "$W/lio.v"
    for t in $("$ISCSI_TEST_CU" -l 2>/dev/null | grep "^SCSI\.$suite\.[A-Za-z0-9_-]*$"); do
        short=${t#SCSI."$suite".}
        sv=$(verdict "$W/segcopy.v" "$short")
        pv=$(verdict "$W/lioprofile.v" "$short")
        lv=$(verdict "$W/lio.v" "$short")
        printf '%s\t%s\t%s\t%s\t%s\n' "$suite" "$short" "$sv" "$pv" "$lv" >> "$LAB_OUT/libiscsi.tsv"
        case $sv in PASS) sp=$((sp + 1)) ;; SKIP) ss=$((ss + 1)) ;; *) sf=$((sf + 1)) ;; esac
        case $pv in PASS) pp=$((pp + 1)) ;; SKIP) ps=$((ps + 1)) ;; *) pf=$((pf + 1)) ;; esac
        case $lv in PASS) lp=$((lp + 1)) ;; SKIP) ls=$((ls + 1)) ;; *) lf=$((lf + 1)) ;; esac
        [ "$sv" = "$lv" ] && [ "$pv" = "$lv" ] || differ="$differ $short($sv/$pv/LIO $lv)"
        # The lio profile must agree with LIO; the standard profile may
        # differ only where the list explains why.
        [ "$pv" = "$lv" ] || bad="$bad $short: the lio profile says $pv, LIO $lv;"
        why=$(awk -F '\t' -v t="$t" '$1 == t { print $2; exit }' "$EXPLAINED")
        if [ "$sv" = FAIL ] && [ -z "$why" ]; then
            bad="$bad $short: $(failure segcopy "$suite" "$short");"
        elif [ "$sv" != FAIL ] && [ -n "$why" ]; then
            bad="$bad $short: listed as explained but it is $sv now;"
        fi
    done
    detail="standard $sp pass/$ss skip/$sf fail; lio profile $pp/$ps/$pf; LIO $lp/$ls/$lf${differ:+; differ (standard/lio profile/LIO):$differ}"
    if [ -z "$bad" ]; then
        pass "libiscsi-$suite" "$detail"
    else
        fail "libiscsi-$suite" "$detail; not as it must be:$bad"
    fi
done
lab_log "table: $(tr '\t\n' ' ;' < "$LAB_OUT/libiscsi.tsv")"

kill -TERM $SERVE
wait $SERVE 2>/dev/null
lio_down
lab_exit
