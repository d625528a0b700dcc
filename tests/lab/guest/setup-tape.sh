#!/bin/sh
# Tape stage: a tgt virtual tape (SSC backing store) exported over iSCSI on
# 127.0.0.1 and logged into with open-iscsi, so the kernel's st driver sees
# a real tape: /dev/st0, /dev/nst0 and an sg node.  Appends TAPE_* to
# /lab/devices.env.  The last line printed says what failed, if anything.
set -eu
# shellcheck disable=SC1091
. /lab/lib.sh
say() { echo "setup-tape: $*"; }
t0=$(now_ms)
IQN=iqn.2024-01.lab.segcopy:tape0
TAPE_IMG=/tmp/tape/tape0.img
TAPE_MB=${LAB_TAPE_MB:-256}

ip link set lo up
for m in crc32c_generic libiscsi iscsi_tcp st; do
    modprobe "$m" || { say "modprobe $m failed"; exit 1; }
done
mkdir -p /tmp/tape /run/lock/iscsi /var/lib/iscsi /etc/iscsi/nodes /etc/iscsi/send_targets /var/lib/tgtd
echo "InitiatorName=iqn.2024-01.lab.segcopy:guest" > /etc/iscsi/initiatorname.iscsi

# The tape image: tgtimg writes the SSC image header (cartridge) tgt needs.
if [ -x /usr/sbin/tgtimg ]; then
    /usr/sbin/tgtimg --op new --device-type tape --barcode LAB001 --size "$TAPE_MB" \
        --type data --file "$TAPE_IMG" || { say "tgtimg failed"; exit 1; }
else
    say "tgtimg missing"; exit 1
fi

/usr/sbin/tgtd --iscsi portal=127.0.0.1:3260 || { say "tgtd did not start"; exit 1; }
# wait for tgtd's management socket
i=0
until /usr/sbin/tgtadm --lld iscsi --mode target --op show >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || { say "tgtd management socket never answered"; exit 1; }
    usleep 100000
done
/usr/sbin/tgtadm --lld iscsi --mode target --op new --tid 1 --targetname "$IQN"
/usr/sbin/tgtadm --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 \
    --device-type tape --bstype ssc --backing-store "$TAPE_IMG"
/usr/sbin/tgtadm --lld iscsi --mode target --op bind --tid 1 --initiator-address ALL
say "tgtd up in $(elapsed "$t0")s"

/usr/sbin/iscsid || { say "iscsid did not start"; exit 1; }
i=0
until /usr/sbin/iscsiadm -m discovery -t sendtargets -p 127.0.0.1 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 30 ] || { say "iscsiadm discovery on 127.0.0.1 failed"; /usr/sbin/iscsiadm -m discovery -t sendtargets -p 127.0.0.1 || true; exit 1; }
    usleep 200000
done
/usr/sbin/iscsiadm -m node -T "$IQN" -p 127.0.0.1 --login || { say "iscsiadm login failed"; exit 1; }

# wait for the st and sg nodes
i=0
TAPE_SG='' TAPE_HCTL='' TAPE_ST=
while [ $i -lt 100 ]; do
    for d in /sys/class/scsi_tape/st*; do
        [ -e "$d" ] || continue
        case $(basename "$d") in st[0-9]|st[0-9][0-9]) ;; *) continue ;; esac
        TAPE_HCTL=$(basename "$(readlink -f "$d/device")")
        TAPE_SG=$(lab_sg_of_hctl "$TAPE_HCTL" || true)
        TAPE_ST=/dev/$(basename "$d")
        break
    done
    [ -n "$TAPE_SG" ] && [ -c "$TAPE_SG" ] && [ -c "$TAPE_ST" ] && break
    i=$((i + 1))
    usleep 100000
done
[ -n "$TAPE_SG" ] || { say "no /dev/stN appeared after the iSCSI login"; exit 1; }
lab_turs "$TAPE_SG" || say "warning: TEST UNIT READY on $TAPE_SG never returned GOOD"
{
    echo "TAPE_SG=$TAPE_SG"
    echo "TAPE_ST=$TAPE_ST"
    echo "TAPE_NST=/dev/n${TAPE_ST#/dev/}"
    echo "TAPE_HCTL=$TAPE_HCTL"
    echo "TAPE_IQN=$IQN"
    echo "TAPE_FILE=$TAPE_IMG"
    echo "TAPE_MB=$TAPE_MB"
} >> /lab/devices.env
say "tape $TAPE_ST / $TAPE_SG ($TAPE_HCTL) ready in $(elapsed "$t0")s"
