#!/bin/sh
# `segcopy serve` on tcm_loop: a simulated site's disks, copy manager,
# library and tape drive as the kernel's own SCSI devices, each CDB through
# LIO's userspace backstore (TCMU) to segcopy's handler.
#
# The site (memory-backed): prod0 and restore0 (64 MiB, each also a copy
# manager, standard profile, as LIO's LUNs with emulate_3pc are), lib0 (a library of 4 slots, 2 cartridges)
# with drive0.  Checked with the kernel's own tools:
#   - every LUN appears with its sg node; INQUIRY's peripheral type is the
#     simulator's, so sd binds the disks and st the drive;
#   - sg_vpd: every LUN's designator (VPD 83h) is the one serve reports;
#     a disk's supported pages and Block Limits, cm0's Third-party Copy;
#   - sg_readcap, and dd through /dev/sdX (the page cache dropped), byte
#     for byte;
#   - sg_xcopy from prod0 to restore0 (the EXTENDED COPY goes to restore0,
#     sg_xcopy's default: a served copy manager);
#   - segcopy xcopy through the stand-alone copy manager cm0 with four
#     commands in flight on its ring, and a READ answered while they run;
#   - the site's fault plan through the kernel: cm0's second segment
#     descriptor is struck, and segcopy xcopy over SG_IO reports COPY
#     ABORTED at that segment, as it does in process;
#   - mtx status, unload and load on the served library;
#   - the library loads a cartridge (segcopy changer on its sg node) and
#     mt-st and dd work on the drive's /dev/nstN;
#   - SIGTERM removes every configfs entry serve made;
#   - a handler killed with SIGKILL leaves a device that fails a command
#     within LIO's cmd_time_out instead of hanging.
# shellcheck disable=SC1091
. /lab/lib.sh

if [ -z "${SEGCOPY:-}" ] || [ ! -x "$SEGCOPY" ]; then
    fail serve "no segcopy in the guest (see host-build-segcopy)"
    lab_exit
fi
for m in uio target_core_user; do
    modprobe "$m" || { fail serve-modules "modprobe $m failed: the guest kernel lacks TCMU"; lab_exit; }
done

W=/tmp/serve50
rm -rf "$W" && mkdir -p "$W"
cat > "$W/site.toml" <<'EOF'
[site]
name = "served"
state_dir = "memory"

[[disk]]
name = "prod0"
block_size = 512
capacity = "64 MiB"
copy_manager = "standard"

[[disk]]
name = "restore0"
block_size = 512
capacity = "64 MiB"
copy_manager = "standard"

[[copy_manager]]
name = "cm0"
profile = "standard"

[[fault]]
device = "cm0"
segment = 9
effect = "sense"
sense = "0a/0d/01"

[[drive]]
name = "drive0"

[[library]]
name = "lib0"
slots = 4
drives = ["drive0"]
cartridge_capacity = "256 MiB"
early_warning = "8 MiB"
cartridges = [
    { barcode = "SRV001L6", slot = 1 },
    { barcode = "SRV002L6", slot = 2 },
]
EOF

before=$(find "$LAB_CFS/core" "$LAB_CFS/loopback" -maxdepth 1 2>/dev/null | sort)

# serve_start: starts serve in the background (PID in $SERVE), its JSON in
# $W/serve.json once every LUN is up; returns non-zero after 90 s without.
serve_start() {
    : > "$W/serve.json"
    "$SEGCOPY" -v --site "$W/site.toml" serve --json --cmd-time-out 5s \
        > "$W/serve.json" 2> "$W/serve.err" &
    SERVE=$!
    _i=0
    while [ $_i -lt 900 ]; do
        if grep -q '^}' "$W/serve.json" 2>/dev/null; then return 0; fi
        kill -0 $SERVE 2>/dev/null || return 1
        usleep 100000
        _i=$((_i + 1))
    done
    return 1
}

# dev NAME FIELD: FIELD (sg, node, peripheral_type) of device NAME.
dev() {
    lab_json_flat < "$W/serve.json" | awk -F '\t' -v n="$1" -v f="$2" '
        $1 ~ /^devices\[[0-9]+\]\.name$/ && $2 == n { i = $1; sub(/\.name$/, "", i) }
        i != "" && ($1 == i ".host." f || $1 == i "." f) { print $2; exit }'
}

t0=$(now_ms)
if serve_start; then
    pass serve-up "5 LUNs served on tcm_loop in $(elapsed "$t0")s: $(tr -d '\n ' < "$W/serve.json" | cut -c1-300)"
else
    fail serve-up "serve did not come up: $(tail -5 "$W/serve.err" | tr '\n' ' ')"
    kill $SERVE 2>/dev/null
    lab_exit
fi

PROD=$(dev prod0 sg) RESTORE=$(dev restore0 sg) LIB=$(dev lib0 sg) DRIVE=$(dev drive0 sg) CM=$(dev cm0 sg)
PROD_SD=$(dev prod0 node) RESTORE_SD=$(dev restore0 node) NST=$(dev drive0 node)
lab_log "prod0=$PROD ($PROD_SD) restore0=$RESTORE ($RESTORE_SD) lib0=$LIB drive0=$DRIVE ($NST)"

# LIO's UNIT ATTENTIONs (LUNs added, for the new nexus) cleared first.
for n in prod0 restore0 lib0 drive0 cm0; do lab_turs "$(dev $n sg)" >/dev/null 2>&1; done

# ---------------------------------------------------------------- INQUIRY
why=
for n in prod0:0 restore0:0 lib0:8 drive0:1; do
    name=${n%%:*} want=${n#*:}
    sg=$(dev "$name" sg)
    got=$($SG_INQ "$sg" 2>&1 | sed -n 's/.*PDT=\([0-9]*\).*/\1/p' | head -1)
    [ "$got" = "$want" ] || why="$why $name: PDT=$got, wanted $want;"
done
case "$NST" in /dev/nst*) ;; *) why="$why drive0 has no st node ($NST);" ;; esac
case "$PROD_SD" in /dev/sd*) ;; *) why="$why prod0 has no sd node ($PROD_SD);" ;; esac
if [ -z "$why" ]; then
    pass serve-inquiry "sg_inq: disks PDT 0 (sd), library PDT 8, drive PDT 1 (st: $NST)"
else
    fail serve-inquiry "$why"
fi

# ---------------------------------------------------------------- VPD
# sg_vpd reads each LUN's designator (VPD 83h) as serve reports it (the
# one a site file's naa = … names), the disk's supported pages and Block
# Limits, and the copy manager's Third-party Copy page.
why=
for n in prod0 restore0 lib0 drive0 cm0; do
    got=$(lab_naa "$(dev "$n" sg)")
    want=$(dev "$n" designator)
    want=${want#0x}
    { [ -n "$got" ] && [ "$got" = "$want" ]; } || why="$why $n: sg_vpd -p di gives '$got', serve reports '$want';"
done
sv=$($SG_VPD -p sv "$PROD" 2>&1) || why="$why sg_vpd -p sv $PROD failed: $(printf '%s' "$sv" | head -2 | tr '\n' ' ');"
for p in di tpc bl; do
    printf '%s' "$sv" | grep -q "\\[$p\\]" || why="$why sg_vpd -p sv $PROD does not list [$p];"
done
bl=$($SG_VPD -p bl "$PROD" 2>&1) || why="$why sg_vpd -p bl $PROD failed;"
printf '%s' "$bl" | grep -q 'Maximum transfer length' || why="$why sg_vpd -p bl $PROD: $(printf '%s' "$bl" | head -3 | tr '\n' ' ');"
tpc=$($SG_VPD -p tpc "$CM" 2>&1) || why="$why sg_vpd -p tpc $CM failed: $(printf '%s' "$tpc" | head -3 | tr '\n' ' ');"
if [ -z "$why" ]; then
    pass serve-vpd "sg_vpd: designators of all 5 LUNs equal serve's; prod0 lists $(printf '%s' "$sv" | grep -c '\[[a-z]*\]') pages, Block Limits: $(printf '%s' "$bl" | grep 'Maximum transfer length' | tr -s ' '); cm0's Third-party Copy page decodes ($(printf '%s' "$tpc" | wc -l) lines)"
else
    fail serve-vpd "$why"
fi
lab_log "sg_vpd -p tpc $CM:"
printf '%s\n' "$tpc" | head -30 | sed 's/^/      /'

# ---------------------------------------------------------------- disks
out=$($SG_READCAP "$PROD" 2>&1)
if printf '%s' "$out" | grep -q 'Last LBA=131071' && printf '%s' "$out" | grep -q 'Logical block length=512'; then
    pass serve-readcap "sg_readcap $PROD: 131072 blocks of 512 bytes"
else
    fail serve-readcap "$(printf '%s' "$out" | tr '\n' ' ')"
fi

dd if=/dev/urandom of="$W/data" bs=1048576 count=4 2>/dev/null
if dd if="$W/data" of="$PROD_SD" bs=1048576 count=4 conv=fsync 2>/dev/null; then
    lab_drop_caches
    dd if="$PROD_SD" of="$W/back" bs=1048576 count=4 2>/dev/null
    if $CMP -s "$W/data" "$W/back"; then
        pass serve-dd-disk "4 MiB written to $PROD_SD and read back (caches dropped): equal"
    else
        fail serve-dd-disk "read back differs: $($CMP "$W/data" "$W/back" 2>&1 | head -1)"
    fi
else
    fail serve-dd-disk "dd to $PROD_SD failed"
fi

out=$($SG_XCOPY if="$PROD" of="$RESTORE" bs=512 count=8192 2>&1)
rc=$?
lab_drop_caches
dd if="$RESTORE_SD" of="$W/copied" bs=1048576 count=4 2>/dev/null
if [ $rc = 0 ] && $CMP -s "$W/data" "$W/copied"; then
    pass serve-xcopy "sg_xcopy $PROD -> $RESTORE (4 MiB through restore0's copy manager): equal"
else
    fail serve-xcopy "exit $rc: $(printf '%s' "$out" | tail -3 | tr '\n' ' ')"
fi

# Out of order: eight 1 MiB segments through cm0, four EXTENDED COPY
# commands in flight at once (segments 0-7: the fault is at the tenth
# descriptor), and a READ of prod0 answered meanwhile.
"$SEGCOPY" xcopy --from "$PROD" --to "$RESTORE@16384" --via "$CM" --blocks 16384 \
    --segment-size 1M --queue-depth 4 --json > "$W/qd.json" 2> "$W/qd.err" &
QD=$!
$SG_TURS "$PROD" >/dev/null 2>&1
rd=$(dd if="$PROD_SD" of=/dev/null bs=4096 count=1 skip=12345 2>&1 && echo ok)
wait $QD
rc=$?
lab_drop_caches
dd if="$RESTORE_SD" of="$W/qd" bs=1048576 skip=8 count=4 2>/dev/null
if [ $rc = 0 ] && $CMP -s "$W/data" "$W/qd"; then
    pass serve-queue-depth "segcopy xcopy --queue-depth 4 through cm0 (8 MiB): equal; a READ meanwhile: ${rd##*
}"
else
    fail serve-queue-depth "exit $rc: $(tail -3 "$W/qd.err" | tr '\n' ' ')"
fi

# The fault plan through the kernel: cm0's tenth segment descriptor (the
# second of this copy) ends in COPY ABORTED.
out=$("$SEGCOPY" xcopy --from "$PROD" --to "$RESTORE@32768" --via "$CM" --blocks 8192 \
    --segment-size 1M 2>&1)
rc=$?
if [ $rc = 10 ] && printf '%s' "$out" | grep -qi 'copy aborted' && printf '%s' "$out" | grep -q 'segment 1'; then
    pass serve-fault-plan "exit 10 (COPY ABORTED) at the struck segment, over SG_IO: $(printf '%s' "$out" | head -2 | tr '\n' ' ' | cut -c1-200)"
else
    fail serve-fault-plan "exit $rc: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)"
fi

# ---------------------------------------------------------------- tape
out=$("$SEGCOPY" changer "$LIB" load 1 0 2>&1)
rc=$?
if [ $rc = 0 ]; then
    pass serve-load "segcopy changer $LIB load 1 0"
else
    fail serve-load "exit $rc: $out"
fi
out=$($MTX -f "$LIB" status 2>&1)
if printf '%s' "$out" | grep -q 'Data Transfer Element 0:Full (Storage Element 1 Loaded):VolumeTag *= *SRV001L6'; then
    pass serve-mtx-status "mtx status: $(printf '%s' "$out" | grep -e 'Data Transfer' -e 'Storage Element 2' | tr -s ' ' | tr '\n' ';')"
else
    fail serve-mtx-status "$(printf '%s' "$out" | tr '\n' ';' | cut -c1-300)"
fi
i=0
while [ $i -lt 50 ] && ! $SG_TURS "$DRIVE" >/dev/null 2>&1; do usleep 100000; i=$((i + 1)); done
out=$($MT_ST -f "$NST" status 2>&1)
if printf '%s' "$out" | grep -q 'ONLINE'; then
    pass serve-mt-status "mt-st status: $(printf '%s' "$out" | grep -e 'File number' -e 'ONLINE' | tr '\n' ' ')"
else
    fail serve-mt-status "$(printf '%s' "$out" | tr '\n' ' ')"
fi
$MT_ST -f "$NST" rewind 2>/dev/null
$MT_ST -f "$NST" setblk 0 2>/dev/null
ok=1
# st writes a filemark when a node closes after writing: two files, then
# a second filemark after the last (the end of the recorded data).
dd if="$W/data" of="$NST" bs=65536 count=16 2>/dev/null || ok=0
dd if="$W/data" of="$NST" bs=65536 skip=16 count=16 2>/dev/null || ok=0
$MT_ST -f "$NST" weof 1 2>/dev/null || ok=0
$MT_ST -f "$NST" rewind 2>/dev/null || ok=0
$MT_ST -f "$NST" fsf 1 2>/dev/null || ok=0
tell=$($MT_ST -f "$NST" tell 2>&1)
dd if="$NST" of="$W/tape2" bs=65536 2>/dev/null || ok=0
dd if="$W/data" of="$W/half2" bs=65536 skip=16 count=16 2>/dev/null
if [ $ok = 1 ] && $CMP -s "$W/half2" "$W/tape2" && printf '%s' "$tell" | grep -q 'At block 17'; then
    pass serve-mt-dd "two files of 16 x 64 KiB through $NST, fsf 1 ($tell), the second read back equal"
else
    fail serve-mt-dd "ok=$ok tell=[$tell] cmp: $($CMP "$W/half2" "$W/tape2" 2>&1 | head -1); drive0's last commands: $(grep 'drive0: command' "$W/serve.err" | tail -8 | tr '\n' ';')"
fi

# mtx moves the cartridges: SRV001L6 back to slot 1, SRV002L6 in.
ok=1
$MTX -f "$LIB" unload 1 0 >/dev/null 2>&1 || ok=0
$MTX -f "$LIB" load 2 0 >/dev/null 2>&1 || ok=0
out=$($MTX -f "$LIB" status 2>&1)
if [ $ok = 1 ] && printf '%s' "$out" | grep -q 'Data Transfer Element 0:Full (Storage Element 2 Loaded):VolumeTag *= *SRV002L6' &&
    printf '%s' "$out" | grep -q 'Storage Element 1:Full :VolumeTag=SRV001L6'; then
    pass serve-mtx-move "mtx unload 1 0, load 2 0: $(printf '%s' "$out" | grep 'Data Transfer' | tr -s ' ')"
else
    fail serve-mtx-move "ok=$ok: $(printf '%s' "$out" | tr '\n' ';' | cut -c1-300)"
fi

# ---------------------------------------------------------------- teardown
kill -TERM $SERVE
i=0
while [ $i -lt 300 ] && kill -0 $SERVE 2>/dev/null; do usleep 100000; i=$((i + 1)); done
after=$(find "$LAB_CFS/core" "$LAB_CFS/loopback" -maxdepth 1 2>/dev/null | sort)
if kill -0 $SERVE 2>/dev/null; then
    fail serve-sigterm "serve still running 30 s after SIGTERM"
    kill -9 $SERVE
elif [ "$before" = "$after" ]; then
    pass serve-sigterm "SIGTERM: serve ended ($(tail -1 "$W/serve.err")), configfs as before"
else
    fail serve-sigterm "configfs differs after SIGTERM: before [$before] after [$after]"
fi
# The ring was a queue: the copy with four commands in flight had them
# on cm0's ring at once.
most=$(sed -n 's/.*at most \([0-9]*\) in flight.*/\1/p' "$W/serve.err" | tail -1)
if [ "${most:-0}" -ge 2 ]; then
    pass serve-in-flight "at most $most commands were in flight at once on one device's ring"
else
    fail serve-in-flight "never more than ${most:-?} command in flight: the ring was not used as a queue"
fi

# ---------------------------------------------------------------- a dead handler
if serve_start; then
    PROD=$(dev prod0 sg)
    kill -9 $SERVE
    # LIO's own UNIT ATTENTIONs (LUNs added) come first, without the
    # handler: clear them, then time a command that needs it.
    i=0
    while [ $i -lt 5 ]; do
        $SG_TURS "$PROD" >/dev/null 2>&1
        [ $? = 6 ] || break
        i=$((i + 1))
    done
    t1=$(now_ms)
    out=$($SG_TURS "$PROD" 2>&1)
    rc=$?
    secs=$(elapsed "$t1")
    # cmd_time_out is 5 s; the initiator's own time-out (sg_turs: 60 s)
    # must not be what ends it.
    if [ $rc != 0 ] && awk -v s="$secs" 'BEGIN { exit !(s >= 4 && s < 30) }'; then
        pass serve-dead-handler "SIGKILL: TEST UNIT READY failed in ${secs}s (exit $rc: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-120))"
    else
        fail serve-dead-handler "exit $rc after ${secs}s: $out"
    fi
    # What SIGKILL left behind, taken down by hand as a user would (our
    # target only: setup-lio's loopback targets stay).
    T=$(lab_json_get target < "$W/serve.json")
    for l in "$LAB_CFS/loopback/$T"/tpgt_1/lun/lun_*/*; do [ -L "$l" ] && rm "$l"; done
    for d in "$LAB_CFS/loopback/$T"/tpgt_1/lun/lun_*; do [ -d "$d" ] && rmdir "$d"; done
    rmdir "$LAB_CFS/loopback/$T/tpgt_1" "$LAB_CFS/loopback/$T" 2>/dev/null
    for d in "$LAB_CFS"/core/user_*/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
    for d in "$LAB_CFS"/core/user_*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
    after=$(find "$LAB_CFS/core" "$LAB_CFS/loopback" -maxdepth 1 2>/dev/null | sort)
    [ "$before" = "$after" ] || lab_log "configfs after the manual clean-up: [$after]"
else
    fail serve-dead-handler "serve did not come up a second time: $(tail -3 "$W/serve.err" | tr '\n' ' ')"
fi
lab_exit
