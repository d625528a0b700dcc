#!/bin/sh
# A site's fault plan in front of a real tape (tgt's st device over iSCSI):
# data-path faults strike this host's own WRITE(6)s through segcopy's
# FaultInjector, not only the simulator's.
#  a) after_bytes = 200000, effect "medium-error": `segcopy tape write` of
#     five 64 KiB records stops at the fourth (bytes 196608..262143 hold the
#     200000th) with MEDIUM ERROR, WRITE ERROR (0C/00) in words, exit 3,
#     "stopped after 3 records"; read back without the fault, the tape
#     holds exactly those three records, equal to the file's first 196608
#     bytes; the next write (a new process) works.
#  b) tape_block = 1: tgt's drive answers READ POSITION with BPU (position
#     unknown), so a fault at a tape block cannot be placed: segcopy says so
#     (a warning naming READ POSITION) and never pretends it knows where it
#     is; the write is not broken by a guess.
# shellcheck disable=SC1091
. /lab/lib.sh
if [ "${LAB_TAPE:-1}" != 1 ]; then
    fail tape-fault-plan "tape stage disabled (--no-tape): these checks need tgt's tape"
    lab_exit
fi
[ -n "${TAPE_SG:-}" ] || { fail tape-fault-plan "no TAPE_SG in devices.env: tape set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail tape-fault-plan "no segcopy binary in the guest"; lab_exit; }
W=/tmp/tape-fault-plan
rm -rf $W && mkdir -p $W

# site FAULT-TOML: the tape as a real device named "tape", with FAULT.
site() {
    cat > "$W/$1.toml" <<EOF
[site]
state_dir = "memory"
[[real]]
name = "tape"
path = "$TAPE_SG"
$2
EOF
}
site clean ''
site bytes '[[fault]]
device = "tape"
after_bytes = 200000
effect = "medium-error"'
site block '[[fault]]
device = "tape"
tape_block = 1
effect = "medium-error"'
# seg SITE ARGS...: segcopy --site SITE.toml tape tape ARGS; $out, $rc.
seg() {
    s=$1
    shift
    out=$($SEGCOPY --site "$W/$s.toml" tape tape "$@" 2>&1)
    rc=$?
    lab_log "[$s] segcopy tape $* -> exit $rc"
    printf '%s\n' "$out" | sed 's/^/      /'
}

dd if=/dev/urandom of=$W/F bs=65536 count=5 2>/dev/null
seg clean rewind
seg clean setblk 0
# a) a medium error after 200000 bytes
seg bytes write --file $W/F --block-size 65536
why=
[ $rc = 3 ] || why="exit $rc (want 3, MEDIUM ERROR);"
printf '%s' "$out" | grep -q 'MEDIUM ERROR' || why="$why no MEDIUM ERROR in words;"
printf '%s' "$out" | grep -q 'Write error (0x0c/0x00)' || why="$why no 'Write error (0x0c/0x00)';"
printf '%s' "$out" | grep -q 'writing stopped after 3 records (196608 bytes)' || why="$why not 'stopped after 3 records (196608 bytes)';"
seg clean rewind
seg clean read --file $W/F.back --json
recs=$(printf '%s\n' "$out" | sed -n 's/^ *"records": *\([0-9]*\).*/\1/p' | head -1)
[ "$recs" = 3 ] || why="$why read back $recs records (want 3);"
head -c 196608 $W/F > $W/F.head
$CMP -s $W/F.head $W/F.back || why="$why the three records on tape differ from the file's first 196608 bytes;"
seg clean write --file $W/F --block-size 65536
[ $rc = 0 ] || why="$why the next write failed (exit $rc);"
if [ -z "$why" ]; then
    pass tape-fault-plan-after-bytes "MEDIUM ERROR 0C/00 at the 4th record, exit 3; 3 records on tape, equal to the file; the next write works"
else
    fail tape-fault-plan-after-bytes "$why"
fi

# b) a tape_block fault on a drive that does not report its position
seg clean rewind
seg block write --file $W/F --block-size 65536
if [ $rc = 0 ] && printf '%s' "$out" | grep -q 'does not report its position'; then
    pass tape-fault-plan-block-unplaced "tgt answers BPU: segcopy warns that a tape_block fault cannot be placed, and the write completes (exit 0)"
else
    fail tape-fault-plan-block-unplaced "exit $rc; want exit 0 and a warning that the position is not reported"
fi
seg clean rewind
lab_exit
