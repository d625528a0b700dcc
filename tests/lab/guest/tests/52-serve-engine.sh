#!/bin/sh
# The whole engine over real SG_IO, every CDB through the kernel: a site
# served by `segcopy serve` on tcm_loop (two disks, two stand-alone copy
# managers of the standard profile, a library with two drives and three
# cartridges), and a second site that names those served LUNs as [[real]]
# devices (by sg path and NAA designator, the library as kind = "library").
#
# The served site's fault plan strikes cm0's fifth segment descriptor with
# COPY ABORTED; nothing in the client site injects anything.  Checked:
#   serve-engine-reference: the same backup in process (no kernel), over
#     the served site itself: the figures the kernel run must give.
#   serve-engine-backup: `segcopy backup prod0 --to tape` through the
#     kernel: exit 0, completed, one failover from stream 0 to stream 1 at
#     the reference's segment, with COPY ABORTED in the reason.
#   serve-engine-catalog: every segment record (stream, copy manager,
#     drive, barcode, first and last tape block, position verified) equals
#     the in-process reference's, and the streams' fates too.
#   serve-engine-library: mtx status on the served library shows each
#     stream's cartridge in its drive.
#   serve-engine-on-tape: the kernel's st driver (mt-st, dd on /dev/nstN)
#     reads segment K's blocks from the standby tape where the catalog says
#     they are, equal to the source's.
#   serve-engine-restore: `segcopy restore` stream->block through a served
#     copy manager onto restore0, across both tapes; dd through restore0's
#     sd node (page cache dropped) gives the source back byte for byte.
#   serve-engine-rebuild: `catalog rebuild` through the kernel reads the
#     maps the backup left on both tapes into an empty catalog: the same
#     segment records.
# shellcheck disable=SC1091
. /lab/lib.sh

if [ -z "${SEGCOPY:-}" ] || [ ! -x "$SEGCOPY" ]; then
    fail serve-engine "no segcopy in the guest (see host-build-segcopy)"
    lab_exit
fi
for m in uio target_core_user; do
    modprobe "$m" || { fail serve-engine-modules "modprobe $m failed: the guest kernel lacks TCMU"; lab_exit; }
done

W=/tmp/serve52
rm -rf "$W" && mkdir -p "$W/state"
MIB=16 SEGMENT=1MiB FAULT_AT=5
cat > "$W/served.toml" <<EOF
[site]
name = "served52"
state_dir = "memory"

[[switch]]
name = "fc0"

[[disk]]
name = "prod0"
capacity = "32 MiB"
links = ["fc0"]

[[disk]]
name = "restore0"
capacity = "32 MiB"
links = ["fc0"]

[[copy_manager]]
name = "cm0"
links = ["fc0"]

[[copy_manager]]
name = "cm1"
links = ["fc0"]

[[fault]]
device = "cm0"
segment = $FAULT_AT
effect = "sense"
sense = "0a/0d/01"

[[drive]]
name = "drive0"
links = ["fc0"]

[[drive]]
name = "drive1"
links = ["fc0"]

[[library]]
name = "lib0"
slots = 6
drives = ["drive0", "drive1"]
cartridge_capacity = "256 MiB"
cartridges = [
    { barcode = "SRV001L6", slot = 1 },
    { barcode = "SRV002L6", slot = 2 },
    { barcode = "SRV003L6", slot = 3 },
]
links = ["fc0"]
EOF

# seg_table SHOW_JSON: one line per segment record of `catalog show
# --json`: index stream mover drive barcode first last verified.
seg_table() {
    lab_json_flat < "$1" | awk -F '\t' '
        match($1, /^segments\[[0-9]+\]\./) {
            i = substr($1, 10, RLENGTH - 11) + 0; f = substr($1, RLENGTH + 1)
            v[i, f] = $2; if (i + 1 > n) n = i + 1
        }
        END { for (i = 0; i < n; i++)
                  print v[i, "index"], v[i, "stream"], v[i, "mover_device"], v[i, "place.drive"], v[i, "place.barcode"],
                        v[i, "place.first_block"], v[i, "place.last_block"], v[i, "place.verified"] }'
}
# stream_table SHOW_JSON: one line per stream: stream failed_at segments_done.
stream_table() {
    lab_json_flat < "$1" | awk -F '\t' '
        match($1, /^streams\[[0-9]+\]\./) {
            i = substr($1, 9, RLENGTH - 10) + 0; f = substr($1, RLENGTH + 1)
            v[i, f] = $2; if (i + 1 > n) n = i + 1
        }
        END { for (i = 0; i < n; i++) print v[i, "stream"], v[i, "failed_at"], v[i, "segments_done"] }'
}

# ----------------------------------------------------- the in-process run
# The served site itself, in this process (memory: nothing is shared with
# the served copy below): what the kernel run must reproduce.
t0=$(now_ms)
$SEGCOPY --site "$W/served.toml" --catalog "sqlite:$W/ref.sqlite" backup prod0 --blocks $((MIB * 2048)) \
    --segment-size $SEGMENT --json > "$W/ref.json" 2> "$W/ref.err"
rc=$?
$SEGCOPY --site "$W/served.toml" --catalog "sqlite:$W/ref.sqlite" catalog show 1 --json > "$W/ref-show.json" 2>> "$W/ref.err"
seg_table "$W/ref-show.json" > "$W/ref.tab"
stream_table "$W/ref-show.json" > "$W/ref.streams"
eval "$(lab_json_vars ref_st=status ref_k='failovers[0].segment' < "$W/ref.json")"
if [ $rc = 0 ] && [ "$ref_st" = completed ] && [ -n "$ref_k" ] && [ "$(wc -l < "$W/ref.tab")" = "$MIB" ]; then
    pass serve-engine-reference "in process (no kernel), $(elapsed "$t0")s: completed, failover at segment $ref_k, $(wc -l < "$W/ref.tab") records"
else
    fail serve-engine-reference "exit $rc, status '$ref_st', failover at '$ref_k', $(wc -l < "$W/ref.tab") records: $(tail -3 "$W/ref.err" | tr '\n' ' ')"
    lab_exit
fi

# ------------------------------------------------------------------ serve
"$SEGCOPY" --site "$W/served.toml" serve --json --cmd-time-out 30s > "$W/serve.json" 2> "$W/serve.err" &
SERVE=$!
up=0 i=0
while [ $i -lt 900 ]; do
    if grep -q '^}' "$W/serve.json" 2>/dev/null; then up=1; break; fi
    kill -0 $SERVE 2>/dev/null || break
    usleep 100000
    i=$((i + 1))
done
if [ $up != 1 ]; then
    fail serve-engine-up "serve did not come up: $(tail -5 "$W/serve.err" | tr '\n' ' ')"
    kill $SERVE 2>/dev/null
    lab_exit
fi
# dev NAME FIELD: FIELD (sg, node, designator) of served device NAME.
dev() {
    lab_json_flat < "$W/serve.json" | awk -F '\t' -v n="$1" -v f="$2" '
        $1 ~ /^devices\[[0-9]+\]\.name$/ && $2 == n { i = $1; sub(/\.name$/, "", i) }
        i != "" && ($1 == i ".host." f || $1 == i "." f) { print $2; exit }'
}
for n in prod0 restore0 cm0 cm1 drive0 drive1 lib0; do lab_turs "$(dev $n sg)" >/dev/null 2>&1; done

# The client site: the served LUNs as real devices, by path and designator.
real() { # real NAME KIND [EXTRA]
    printf '[[real]]\nname = "%s"\npath = "%s"\nnaa = "%s"\nkind = "%s"\nlinks = ["fc0"]\n%s\n' \
        "$1" "$(dev "$1" sg)" "$(dev "$1" designator)" "$2" "${3:-}"
}
{
    printf '[site]\nname = "client52"\nstate_dir = "%s"\n\n[[switch]]\nname = "fc0"\n\n' "$W/state"
    real prod0 disk
    real restore0 disk
    real cm0 copy_manager
    real cm1 copy_manager
    real drive0 drive
    real drive1 drive
    real lib0 library 'drives = ["drive0", "drive1"]
tapes = ["SRV001L6", "SRV002L6", "SRV003L6"]'
} > "$W/client.toml"
lab_log "client site:"
sed 's/^/      /' "$W/client.toml"
PROD_SD=$(dev prod0 node) RESTORE_SD=$(dev restore0 node) LIB=$(dev lib0 sg)

# The source: random data written through prod0's sd node.
dd if=/dev/urandom of="$W/data" bs=1048576 count=$MIB 2>/dev/null
dd if="$W/data" of="$PROD_SD" bs=1048576 count=$MIB conv=fsync 2>/dev/null ||
    fail serve-engine-source "dd to $PROD_SD failed"

# ------------------------------------------------------ backup, via kernel
C="$SEGCOPY --site $W/client.toml"
t0=$(now_ms)
$C backup prod0 --blocks $((MIB * 2048)) --segment-size $SEGMENT --json > "$W/backup.json" 2> "$W/backup.err"
rc=$?
secs=$(elapsed "$t0")
sed 's/^/      /' "$W/backup.err"
eval "$(lab_json_vars id=backup st=status k='failovers[0].segment' from='failovers[0].from_stream' \
    to='failovers[0].to_stream' reason='failovers[0].reason' f2='failovers[1].segment' < "$W/backup.json")"
if [ $rc = 0 ] && [ "$st" = completed ] && [ "$k" = "$ref_k" ] && [ "$from/$to" = 0/1 ] && [ -z "$f2" ] &&
    printf '%s' "$reason" | grep -q 'COPY ABORTED'; then
    pass serve-engine-backup "backup $id through the kernel in ${secs}s: completed; failover at segment $k (as in process), stream 0 -> 1: $reason"
else
    fail serve-engine-backup "exit $rc in ${secs}s, status '$st', failover at '$k' (in process: $ref_k) from '$from' to '$to', second '$f2': $reason $(tail -2 "$W/backup.err" | tr '\n' ' ')"
fi

# ------------------------------------------------------------ the catalog
$C catalog show "$id" --json > "$W/show.json" 2> "$W/show.err"
seg_table "$W/show.json" > "$W/kernel.tab"
stream_table "$W/show.json" > "$W/kernel.streams"
lab_log "catalog of backup $id (index stream mover drive barcode first last verified):"
sed 's/^/      /' "$W/kernel.tab"
if [ -s "$W/kernel.tab" ] && cmp -s "$W/ref.tab" "$W/kernel.tab" && cmp -s "$W/ref.streams" "$W/kernel.streams"; then
    pass serve-engine-catalog "$(wc -l < "$W/kernel.tab") segment records and the streams' fates ($(tr '\n' ';' < "$W/kernel.streams")) equal the in-process run's, tape blocks and verified positions included"
else
    fail serve-engine-catalog "differs from the in-process run: $(diff "$W/ref.tab" "$W/kernel.tab" | grep '^[<>]' | head -4 | tr '\n' ' ') $(diff "$W/ref.streams" "$W/kernel.streams" | grep '^[<>]' | tr '\n' ' ')"
fi

# ------------------------------------------------------- the served library
# Each stream's cartridge in its drive: drive number = place in drives.
out=$($MTX -f "$LIB" status 2>&1)
why=
for s in 0 1; do
    want=$(awk -v s=$s '$2 == s { print $4, $5; exit }' "$W/kernel.tab")
    d=${want% *} b=${want#* }
    n=${d#drive}
    printf '%s\n' "$out" | grep -q "Data Transfer Element $n:Full.*VolumeTag *= *$b" || why="$why stream $s: $b not in drive $n;"
done
if [ -z "$why" ]; then
    pass serve-engine-library "mtx status: $(printf '%s' "$out" | grep 'Data Transfer' | tr -s ' ' | tr '\n' ';')"
else
    fail serve-engine-library "$why $(printf '%s' "$out" | tr '\n' ';' | cut -c1-300)"
fi

# ----------------------------------------------- the standby tape, via st
# Segment K on stream 1's tape, read by the kernel's st driver.
row=$(awk -v k="$k" '$1 == k' "$W/kernel.tab")
set -- $row
sdrive=$4 first=$6 last=$7
NST=$(dev "$sdrive" node)
nblk=$((last - first + 1))
bl=$(( (1048576 + nblk - 1) / nblk ))
$MT_ST -f "$NST" rewind 2> "$W/mt.err"
$MT_ST -f "$NST" setblk "$bl" 2>> "$W/mt.err"
[ "$first" -gt 0 ] && $MT_ST -f "$NST" fsr "$first" 2>> "$W/mt.err"
dd if="$NST" of="$W/seg-k" bs="$bl" count="$nblk" 2> "$W/dd.err"
dd_rc=$?
dd if="$W/data" of="$W/src-k" bs=1048576 skip="$k" count=1 2>/dev/null
if [ $dd_rc = 0 ] && $CMP -s "$W/src-k" "$W/seg-k"; then
    pass serve-engine-on-tape "st reads segment $k from $NST (drive $sdrive), blocks $first-$last of $bl bytes: equal to the source's MiB $k"
else
    fail serve-engine-on-tape "dd exit $dd_rc ($(tr '\n' ' ' < "$W/dd.err")); mt: $(tr '\n' ' ' < "$W/mt.err"); $($CMP "$W/src-k" "$W/seg-k" 2>&1 | head -1)"
fi
$MT_ST -f "$NST" rewind 2>/dev/null

# ----------------------------------------------------- restore, via kernel
t0=$(now_ms)
$C restore "$id" --to restore0 --json > "$W/restore.json" 2> "$W/restore.err"
rc=$?
secs=$(elapsed "$t0")
sed 's/^/      /' "$W/restore.err"
lab_drop_caches
dd if="$RESTORE_SD" of="$W/back" bs=1048576 count=$MIB 2>/dev/null
if [ $rc = 0 ] && $CMP -s "$W/data" "$W/back"; then
    pass serve-engine-restore "restore $id to restore0 through the kernel in ${secs}s (exit 0): $MIB MiB read back through $RESTORE_SD equal the source, byte for byte"
else
    fail serve-engine-restore "exit $rc in ${secs}s: $($CMP "$W/data" "$W/back" 2>&1 | head -1); $(tail -2 "$W/restore.err" | tr '\n' ' ')"
fi

# --------------------------------------------------- rebuild, via kernel
D0=$(dev drive0 sg)
host=$(basename "$(readlink -f "/sys/class/scsi_generic/${D0#/dev/}/device")" | cut -d: -f1)
lab_log "limits: $($SEGCOPY -vv tape "$D0" status 2>&1 | grep -o 'takes at most.*' | head -1); host$host sg_tablesize $(cat /sys/class/scsi_host/host"$host"/sg_tablesize 2>/dev/null); sg scatter_elem_sz $(cat /sys/module/sg/parameters/scatter_elem_sz 2>/dev/null); ${RESTORE_SD#/dev/} queue: $(cd /sys/block/"${RESTORE_SD#/dev/}"/queue 2>/dev/null && for f in max_sectors_kb max_hw_sectors_kb max_segments max_segment_size; do printf '%s=%s ' $f "$(cat $f)"; done)"
$C -v --catalog "sqlite:$W/rebuilt.sqlite" catalog rebuild --from-tape drive0 --tape SRV001L6 --tape SRV002L6 --json \
    > "$W/rebuild.json" 2> "$W/rebuild.err"
rc=$?
rid=$(lab_json_get 'backups[0]' < "$W/rebuild.json")
$C --catalog "sqlite:$W/rebuilt.sqlite" catalog show "${rid:-1}" --json > "$W/rebuilt-show.json" 2>> "$W/rebuild.err"
seg_table "$W/rebuilt-show.json" | awk '{ print $1, $2, $3, $5, $6, $7 }' > "$W/rebuilt.tab"
awk '{ print $1, $2, $3, $5, $6, $7 }' "$W/kernel.tab" > "$W/kernel.tab6"
if [ $rc = 0 ] && [ -s "$W/rebuilt.tab" ] && cmp -s "$W/kernel.tab6" "$W/rebuilt.tab"; then
    pass serve-engine-rebuild "catalog rebuild from SRV001L6 and SRV002L6 in drive0, through the kernel: the same $(wc -l < "$W/rebuilt.tab") records (stream, mover, barcode, blocks)"
else
    fail serve-engine-rebuild "exit $rc: $(diff "$W/kernel.tab6" "$W/rebuilt.tab" | grep '^[<>]' | head -4 | tr '\n' ' ') $(tail -2 "$W/rebuild.err" | tr '\n' ' ')"
fi

kill -TERM $SERVE
wait $SERVE
lab_exit
