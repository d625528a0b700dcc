#!/bin/sh
# Records what `ddpt --xcopy` does on LIO, for the side-by-side table.
# lab-notes say ddpt 0.97 copies wrong data when a copy takes more than one
# EXTENDED COPY (only the first command's blocks arrive) and still reports
# success.  This test does NOT gate on ddpt being right: it PASSES when the
# lab could tell what ddpt did (its exit status, whether the destination
# equals the source, how many leading blocks arrived) and prints that.
# It FAILS only when the lab could not find out (ddpt missing, compare
# error).  The findings also go to $LAB_OUT/peers.tsv.
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail ddpt-xcopy "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "$DDPT" ] || { fail ddpt-xcopy "ddpt is not in the guest"; lab_exit; }

BS=512
reset_dst() { truncate -s 0 "$A_DST_FILE" && truncate -s "$A_DST_BYTES" "$A_DST_FILE"; }

# good_prefix_blocks BLOCKS: how many leading blocks of dst equal src
good_prefix_blocks() {
    _o=$($CMP -n $(($1 * BS)) "$A_SRC_FILE" "$A_DST_FILE" 2>&1)
    case $? in
        0) echo "$1" ;;
        1) # "... differ: byte N, line M" (GNU cmp; byte counts from 1)
           _b=$(printf '%s' "$_o" | sed -n 's/.*differ: [a-z]* \([0-9]*\).*/\1/p')
           [ -n "$_b" ] && echo $(( (_b - 1) / BS )) ;;
        *) return 1 ;;
    esac
}

# ddpt_case NAME BLOCKS BPT
ddpt_case() {
    name=$1 blocks=$2 bpt=$3
    reset_dst
    ncmd=$(( (blocks + bpt - 1) / bpt ))
    t=$(now_ms)
    out=$($DDPT --xcopy if="$A_SRC_SG" of="$A_DST_SG" bs=$BS bpt="$bpt" count="$blocks" 2>&1)
    rc=$?
    secs=$(elapsed "$t")
    lab_log "ddpt --xcopy count=$blocks bpt=$bpt: exit $rc in ${secs}s"
    printf '%s\n' "$out" | grep -v 'designator too long' | sed 's/^/    /' | tail -6
    if ! good=$(good_prefix_blocks "$blocks") || [ -z "$good" ]; then
        fail "$name" "could not compare the destination with the source"
        return
    fi
    if [ "$good" = "$blocks" ]; then
        verdict="copied correctly"; correct=yes
    else
        verdict="WRONG DATA: only the first $good of $blocks blocks arrived"; correct=no
    fi
    if [ $rc = 0 ]; then claim="reported success"; else claim="reported failure (exit $rc)"; fi
    pass "$name" "ddpt --xcopy $blocks blocks, bpt=$bpt ($ncmd command(s)): $claim, $verdict, ${secs}s"
    printf 'ddpt\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$blocks" "$bpt" "$ncmd" "$rc" "$correct" "$secs" >> "$LAB_OUT/peers.tsv"
}

# one command: expected to be right
ddpt_case ddpt-xcopy-single 65535 65535
# 64 MiB in 3 commands, and in 1024 commands
ddpt_case ddpt-xcopy-64m-bpt65535 131072 65535
ddpt_case ddpt-xcopy-64m-bpt128 131072 128
reset_dst
lab_exit
