#!/bin/sh
# Interlocks on real kernel devices (issue 10), with test 27's site and
# catalog (/tmp/backup27: backup 1 of src, restorable to dst2 = A_DST2):
#  1) A [[real]] device named by path and by NAA designator whose path
#     leads to another logical unit (as after a reboot that renumbered the
#     devices) is refused before anything is sent to it: exit 15, one
#     sentence naming both designators.
#  2) A restore onto a disk the kernel uses is refused without --force,
#     nothing written: exit 1 when dst2 is mounted (an ext2 file system
#     made on A_DST2's sd node, mounted on /mnt/i32) and when it is swap
#     (swapon: the kernel holds it open exclusively); once it is free, the
#     same restore runs and gives the source's bytes.
# The device is left as found (zeroed, not mounted, no swap).
# shellcheck disable=SC2153  # set by devices.env
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail interlocks "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail interlocks "no segcopy binary in the guest"; lab_exit; }
T=/tmp/backup27
[ -f $T/clean.toml ] || { fail interlocks "test 27's site and catalog are not there ($T)"; lab_exit; }
lab_turs_all

# 1) path and designator disagree.
# designator SG: the NAA designator `segcopy devices --json` gives the LU at SG (hex, no 0x).
designator() {
    $SEGCOPY devices --json 2>/dev/null | lab_json_flat | awk -F '\t' -v sg="$1" '
        { split($1, k, "."); i = k[1]; f = k[2] }
        f == "path" && $2 == sg { want = i }
        f == "designator" { d[i] = $2 }
        END { s = d[want]; sub(/.*0x/, "", s); print s }'
}
DST_NAA=$(designator "$A_DST_SG")
SRC_NAA=$(designator "$A_SRC_SG")
if [ -z "$DST_NAA" ] || [ -z "$SRC_NAA" ] || [ "$DST_NAA" = "$SRC_NAA" ]; then
    fail interlocks-naa "could not read the designators of $A_SRC_SG and $A_DST_SG from segcopy devices --json ('$SRC_NAA', '$DST_NAA')"
else
    cat > $T/renumbered.toml <<EOF
[site]
state_dir = "state"
[[switch]]
name = "tgt-a"
[[real]]
name = "src"
path = "$A_SRC_SG"
naa = "0x$DST_NAA"
kind = "disk"
links = ["tgt-a"]
EOF
    $SEGCOPY --site $T/renumbered.toml inquiry src > $T/naa.out 2> $T/naa.err
    rc=$?
    err=$(cat $T/naa.err)
    if [ $rc = 15 ] && [ "$(wc -l < $T/naa.err)" = 1 ] && echo "$err" | grep -q "0x$SRC_NAA, not 0x$DST_NAA"; then
        pass interlocks-naa "src = $A_SRC_SG with naa = A_DST's: exit 15: $err"
    else
        fail interlocks-naa "exit $rc (want 15): $err"
    fi
    # The right designator opens it.
    sed "s/0x$DST_NAA/0x$SRC_NAA/" $T/renumbered.toml > $T/right.toml
    if $SEGCOPY --site $T/right.toml inquiry src > /dev/null 2> $T/right.err; then
        pass interlocks-naa-right "src with its own designator opens"
    else
        fail interlocks-naa-right "$(cat $T/right.err)"
    fi
fi

# 2) restore onto a disk in use.
SD=$A_DST2_SD
restore_to_dst2() {
    $SEGCOPY --site $T/clean.toml restore 1 --to dst2 "$@" > $T/r32.out 2> $T/r32.err
}
first_bytes() { dd if="$A_DST2_FILE" bs=4096 count=1 2>/dev/null | od -An -tx1 | head -1; }
lab_zero "$A_DST2_FILE"
mkdir -p /mnt/i32
/sbin/modprobe ext4 2>/dev/null
if ! mke2fs -q "$SD" > $T/mkfs.log 2>&1 || ! mount -t ext2 "$SD" /mnt/i32 2> $T/mount.err; then
    fail interlocks-mounted "could not make and mount a file system on $SD: $(cat $T/mkfs.log $T/mount.err)"
else
    before=$(first_bytes)
    restore_to_dst2
    rc=$?
    err=$(cat $T/r32.err)
    after=$(first_bytes)
    if [ $rc = 1 ] && echo "$err" | grep -q "is mounted on /mnt/i32" && echo "$err" | grep -q -- "--force" && [ "$before" = "$after" ]; then
        pass interlocks-mounted "restore onto mounted $SD refused, nothing written: $err"
    else
        fail interlocks-mounted "exit $rc (want 1), bytes changed: $([ "$before" = "$after" ] && echo no || echo yes): $err"
    fi
    umount /mnt/i32
fi
lab_zero "$A_DST2_FILE"
if ! mkswap "$SD" > $T/mkswap.log 2>&1 || ! swapon "$SD" 2> $T/swapon.err; then
    fail interlocks-swap "could not make $SD swap: $(cat $T/mkswap.log $T/swapon.err)"
else
    restore_to_dst2
    rc=$?
    err=$(cat $T/r32.err)
    if [ $rc = 1 ] && echo "$err" | grep -q "open exclusively"; then
        pass interlocks-swap "restore onto swap $SD refused: $err"
    else
        fail interlocks-swap "exit $rc (want 1): $err"
    fi
    swapoff "$SD"
fi
lab_zero "$A_DST2_FILE"
# Free again: the restore runs.
if restore_to_dst2; then
    pass interlocks-free "restore onto $SD once it is free: $(head -1 $T/r32.out)"
else
    fail interlocks-free "exit $?: $(cat $T/r32.err)"
fi
lab_zero "$A_DST2_FILE"
lab_exit
