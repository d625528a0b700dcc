#!/bin/sh
# Sets up LIO in the guest and writes /lab/devices.env.
#
# Backstores (fileio on tmpfs, /tmp/lio):
#   src     LAB_SRC_MB MiB, 512-byte blocks, filled from /dev/urandom
#   dst_a   LAB_DST_MB MiB, 512-byte blocks, zeros
#   dst_b   LAB_DST_MB MiB, 512-byte blocks, zeros
#   dst4k   64 MiB, 4096-byte blocks, zeros (block-size mismatch; 4 KiB copies)
#   src4k   the src file again (same bytes), as 4096-byte blocks
#   dst2    LAB_DST_MB MiB, 512-byte blocks, zeros (exported by both targets)
# tcm_loop targets (each its own SCSI host, its own I_T nexus):
#   A: lun_0 = src, lun_1 = dst_a, lun_2 = dst4k, lun_3 = src4k, lun_4 = dst2
#   B: lun_0 = src (the same backstore), lun_1 = dst_b, lun_2 = dst2 (the same)
# Each backstore gets a distinct unit serial before it is enabled, so LIO's
# NAA 6 designators differ.  The UNIT ATTENTION that LUN creation leaves is
# cleared with TEST UNIT READY on every LUN before the tests run.
set -eu
# shellcheck disable=SC1091
. /lab/config.env
# shellcheck disable=SC1091
. /lab/lib.sh

say() { echo "setup-lio: $*"; }
t0=$(now_ms)

for m in sg sd_mod configfs target_core_mod target_core_file target_core_iblock tcm_loop; do
    modprobe "$m" || { say "modprobe $m failed"; exit 1; }
done
grep -q configfs /proc/mounts || mount -t configfs configfs /sys/kernel/config
CFS=/sys/kernel/config/target
[ -d "$CFS/core" ] || { say "no $CFS/core after loading target_core_mod"; exit 1; }
mkdir -p /tmp/lio
say "modules loaded in $(elapsed "$t0")s"

SRC_BYTES=$((LAB_SRC_MB * 1048576))
DST_BYTES=$((LAB_DST_MB * 1048576))
DST4K_BYTES=$((64 * 1048576))

# Fill the source before it is exported: writing the backing file on tmpfs
# is faster than writing through /dev/sdX, and nothing can have cached it.
t1=$(now_ms)
dd if=/dev/urandom of=/tmp/lio/src.img bs=1M count="$LAB_SRC_MB" 2>/dev/null
say "filled src ($LAB_SRC_MB MiB from /dev/urandom) in $(elapsed "$t1")s"
truncate -s "$DST_BYTES" /tmp/lio/dst_a.img
truncate -s "$DST_BYTES" /tmp/lio/dst_b.img
truncate -s "$DST4K_BYTES" /tmp/lio/dst4k.img
truncate -s "$DST_BYTES" /tmp/lio/dst2.img

# backstore INDEX NAME BYTES SERIAL [BLOCK_SIZE [FILE]]
backstore() {
    _bs=$CFS/core/fileio_$1/$2
    mkdir -p "$_bs"
    echo "fd_dev_name=${6:-/tmp/lio/$2.img},fd_dev_size=$3" > "$_bs/control"
    echo "$4" > "$_bs/wwn/vpd_unit_serial"
    echo 1 > "$_bs/enable"
    # enable resets block_size to the backend's (512 for fileio): set it after
    if [ -n "${5:-}" ]; then echo "$5" > "$_bs/attrib/block_size"; fi
}
backstore 0 src "$SRC_BYTES" 1000000000000001
backstore 1 dst_a "$DST_BYTES" 2000000000000002
backstore 2 dst_b "$DST_BYTES" 3000000000000003
backstore 3 dst4k "$DST4K_BYTES" 4000000000000004 4096
# src4k: a second backstore on src.img with 4096-byte blocks (a 4 KiB source
# with the same random bytes; its own serial, so its own NAA designator)
backstore 4 src4k "$SRC_BYTES" 5000000000000005 4096 /tmp/lio/src.img
backstore 5 dst2 "$DST_BYTES" 6000000000000006

# target WWN NEXUS: creates the target; prints its SCSI host number.
target() {
    _tpg=$CFS/loopback/$1/tpgt_1
    _before=$(ls /sys/class/scsi_host)
    mkdir -p "$_tpg"
    echo "$2" > "$_tpg/nexus"
    _i=0
    while [ $_i -lt 50 ]; do
        for _h in /sys/class/scsi_host/host*; do
            _h=$(basename "$_h")
            case " $(echo "$_before" | tr '\n' ' ') " in
                *" $_h "*) ;;
                *) echo "${_h#host}"; return 0 ;;
            esac
        done
        usleep 100000
        _i=$((_i + 1))
    done
    return 1
}
# lun TARGET_WWN LUN BACKSTORE_DIR
lun() {
    mkdir -p "$CFS/loopback/$1/tpgt_1/lun/lun_$2"
    ln -s "$3" "$CFS/loopback/$1/tpgt_1/lun/lun_$2/lab_link"
}

A_WWN=naa.50014050000000a1
B_WWN=naa.50014050000000b1
A_HOST=$(target $A_WWN naa.50014050000000a2) || { say "target A: no SCSI host appeared"; exit 1; }
B_HOST=$(target $B_WWN naa.50014050000000b2) || { say "target B: no SCSI host appeared"; exit 1; }
say "target A is host$A_HOST, target B is host$B_HOST"
t2=$(now_ms)
lun $A_WWN 0 "$CFS/core/fileio_0/src"
lun $A_WWN 1 "$CFS/core/fileio_1/dst_a"
lun $A_WWN 2 "$CFS/core/fileio_3/dst4k"
lun $B_WWN 0 "$CFS/core/fileio_0/src"
lun $B_WWN 1 "$CFS/core/fileio_2/dst_b"
lun $A_WWN 3 "$CFS/core/fileio_4/src4k"
lun $A_WWN 4 "$CFS/core/fileio_5/dst2"
lun $B_WWN 2 "$CFS/core/fileio_5/dst2"

ENV=/lab/devices.env
{
    echo "# written by setup-lio.sh; see tests/lab/README.md"
    echo "LAB_CFS=$CFS"
    echo "A_WWN=$A_WWN"
    echo "A_HOST=$A_HOST"
    echo "A_TPG=$CFS/loopback/$A_WWN/tpgt_1"
    echo "B_WWN=$B_WWN"
    echo "B_HOST=$B_HOST"
    echo "B_TPG=$CFS/loopback/$B_WWN/tpgt_1"
} > $ENV

# describe PREFIX HOST LUN WWN BACKSTORE_DIR FILE BYTES BLOCK_SIZE SERIAL
describe() {
    _hctl=$2:0:1:$3
    eval "${1}_HCTL=$_hctl"
    eval "${1}_BLOCKS=$(($7 / $8))"
    lab_wait_lun "$1" 15 || { say "$1 ($_hctl) did not appear as /dev/sgN + /dev/sdX"; exit 1; }
    _sg=$(lab_var "${1}_SG") _sd=$(lab_var "${1}_SD")
    {
        echo "${1}_SG=$_sg"
        echo "${1}_SD=$_sd"
        echo "${1}_HCTL=$_hctl"
        echo "${1}_LUN=$CFS/loopback/$4/tpgt_1/lun/lun_$3"
        echo "${1}_LINK=lab_link"
        echo "${1}_BS=$5"
        echo "${1}_FILE=$6"
        echo "${1}_BYTES=$7"
        echo "${1}_BLOCK_SIZE=$8"
        echo "${1}_BLOCKS=$(($7 / $8))"
        echo "${1}_SERIAL=$9"
    } >> $ENV
    say "$1: $_sg $_sd $_hctl $(($7 / $8)) blocks of $8, serial $9"
}
describe A_SRC "$A_HOST" 0 $A_WWN "$CFS/core/fileio_0/src" /tmp/lio/src.img "$SRC_BYTES" 512 1000000000000001
describe A_DST "$A_HOST" 1 $A_WWN "$CFS/core/fileio_1/dst_a" /tmp/lio/dst_a.img "$DST_BYTES" 512 2000000000000002
describe A_DST4K "$A_HOST" 2 $A_WWN "$CFS/core/fileio_3/dst4k" /tmp/lio/dst4k.img "$DST4K_BYTES" 4096 4000000000000004
describe B_SRC "$B_HOST" 0 $B_WWN "$CFS/core/fileio_0/src" /tmp/lio/src.img "$SRC_BYTES" 512 1000000000000001
describe B_DST "$B_HOST" 1 $B_WWN "$CFS/core/fileio_2/dst_b" /tmp/lio/dst_b.img "$DST_BYTES" 512 3000000000000003
describe A_SRC4K "$A_HOST" 3 $A_WWN "$CFS/core/fileio_4/src4k" /tmp/lio/src.img "$SRC_BYTES" 4096 5000000000000005
describe A_DST2 "$A_HOST" 4 $A_WWN "$CFS/core/fileio_5/dst2" /tmp/lio/dst2.img "$DST_BYTES" 512 6000000000000006
describe B_DST2 "$B_HOST" 2 $B_WWN "$CFS/core/fileio_5/dst2" /tmp/lio/dst2.img "$DST_BYTES" 512 6000000000000006
say "LUNs visible $(elapsed "$t2")s after linking"

# Clear the UNIT ATTENTION (REPORTED LUNS DATA HAS CHANGED / POWER ON) that
# set-up leaves on each LUN, so the tests start from GOOD.
# shellcheck disable=SC1090
. $ENV
for p in A_SRC A_DST A_DST4K B_SRC B_DST A_SRC4K A_DST2 B_DST2; do
    sg=$(lab_var "${p}_SG")
    # the first TUR's answer is logged: it shows which UNIT ATTENTION was pending
    first=$($SG_TURS -v "$sg" 2>&1) && first=GOOD
    say "$p $sg first TEST UNIT READY: $(printf '%s' "$first" | grep -v '^ *test unit ready cdb' | tr -s ' \n' '  ')"
    lab_turs "$sg" || { say "$p $sg: TEST UNIT READY never returned GOOD"; exit 1; }
done
echo "LAB_UA_CLEARED=1" >> $ENV
say "UNIT ATTENTIONs cleared; set-up took $(elapsed "$t0")s"
/usr/bin/lsscsi -g || true
