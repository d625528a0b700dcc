#!/bin/sh
# For the same copy (same LUNs, blocks, offsets, blocks per command), the
# EXTENDED COPY commands segcopy plans are byte-identical to the ones
# sg_xcopy sends (issue 3, item 3): same number of commands, same CDBs, same
# parameter lists.  sg_xcopy's are taken from `sg_xcopy verbose=4` (sg3_utils
# 1.46's sg_xcopy prints the CDB from verbose=3 on, the parameter list only
# from verbose=4), segcopy's from `segcopy xcopy --dry-run --hex`; for one
# case segcopy really copies with -v and the lists it logs must equal its dry
# run.  Any byte that differs is named by its field in the log; the fields
# that legitimately differ are listed there too.  The comparison is also in
# $LAB_OUT/sg-xcopy-vs-segcopy.txt.
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-same-bytes "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-same-bytes "no segcopy binary in the guest"; lab_exit; }
T=/tmp/same
mkdir -p $T
REPORT=$LAB_OUT/sg-xcopy-vs-segcopy.txt
: > "$REPORT"
lab_turs_all
say() { echo "  $*"; echo "$*" >> "$REPORT"; }

# sg_xcopy verbose=4 stderr -> one line per command: "CDB|PARAMETER LIST"
parse_sg_xcopy() {
    awk '
        /Extended copy\(LID1\) cdb: \[/ { if (cdb != "") print cdb "|" pl
            s = $0; sub(/.*cdb: \[/, "", s); sub(/\].*/, "", s); cdb = s; pl = ""; on = 0; next }
        /Extended copy\(LID1\) parameter list:/ { on = 1; next }
        on && /^([0-9a-f][0-9a-f] +)*[0-9a-f][0-9a-f] *$/ { pl = pl " " $0; next }
        { on = 0 }
        END { if (cdb != "") print cdb "|" pl }' | awk -F '|' '{ n = split($2, b, " "); s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") b[i]; print $1 "|" s }'
}
# segcopy --dry-run --hex stdout, or -v stderr -> the same
parse_segcopy() {
    awk '
        function flush() { if (cdb != "" || pl != "") print cdb "|" pl; cdb = ""; pl = "" }
        /^  CDB \[/ { flush(); s = $0; sub(/.*\[/, "", s); sub(/\].*/, "", s); cdb = s; next }
        /EXTENDED COPY: cdb \[/ { flush(); s = $0; sub(/.*cdb \[/, "", s); sub(/\].*/, "", s); cdb = s; next }
        /parameter list, [0-9]+ bytes:/ || /EXTENDED COPY: data out, [0-9]+ bytes/ {
            s = $0; sub(/ bytes.*/, "", s); sub(/.* /, "", s); total = s + 0; got = 0; next }
        /^ +[0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / && got < total {
            n = total - got; if (n > 16) n = 16
            for (i = 2; i <= n + 1; i++) { pl = pl (pl == "" ? "" : " ") $i; got++ }
            next }
        END { flush() }'
}

# field NAME of byte OFFSET in a LID1 parameter list with 2 CSCDs of 32
# bytes and segment descriptors of 28
field() {
    awk -v o="$1" 'BEGIN {
        if (o == 0) f = "header: LIST IDENTIFIER"
        else if (o == 1) f = "header: STR / LIST ID USAGE / PRIORITY"
        else if (o < 4) f = "header: CSCD DESCRIPTOR LIST LENGTH"
        else if (o < 8) f = "header: reserved"
        else if (o < 12) f = "header: SEGMENT DESCRIPTOR LIST LENGTH"
        else if (o < 16) f = "header: INLINE DATA LENGTH"
        else if (o < 80) { k = int((o - 16) / 32); r = (o - 16) % 32
            if (r == 0) f = "DESCRIPTOR TYPE CODE (E4h)"; else if (r == 1) f = "LU ID TYPE / NUL / PERIPHERAL DEVICE TYPE"
            else if (r < 4) f = "RELATIVE INITIATOR PORT IDENTIFIER"; else if (r == 4) f = "CODE SET"
            else if (r == 5) f = "ASSOCIATION / DESIGNATOR TYPE"; else if (r == 6) f = "reserved"
            else if (r == 7) f = "DESIGNATOR LENGTH"; else if (r < 28) f = "DESIGNATOR"
            else if (r == 28) f = "PAD"; else f = "DISK BLOCK LENGTH"
            f = "CSCD " k ": " f }
        else { r = (o - 80) % 28
            if (r == 0) f = "DESCRIPTOR TYPE CODE (02h)"; else if (r == 1) f = "DC / CAT"
            else if (r < 4) f = "DESCRIPTOR LENGTH"; else if (r < 6) f = "SOURCE CSCD INDEX"
            else if (r < 8) f = "DESTINATION CSCD INDEX"; else if (r < 10) f = "reserved"
            else if (r < 12) f = "NUMBER OF BLOCKS"; else if (r < 20) f = "SOURCE LBA"; else f = "DESTINATION LBA"
            f = "segment " int((o - 80) / 28) ": " f }
        printf "%s", f }'
}

# compare_lists A_FILE B_FILE NAME_A NAME_B -> prints differences, status 0 if none
compare_lists() {
    _na=$(wc -l < "$1") _nb=$(wc -l < "$2")
    _diff=0
    [ "$_na" = "$_nb" ] || { say "    $3 sent $_na command(s), $4 $_nb"; _diff=1; }
    _k=0
    while [ $_k -lt "$_na" ] && [ $_k -lt "$_nb" ]; do
        _k=$((_k + 1))
        _a=$(sed -n "${_k}p" "$1") _b=$(sed -n "${_k}p" "$2")
        [ "$_a" = "$_b" ] && continue
        _diff=1
        [ "${_a%%|*}" = "${_b%%|*}" ] || say "    command $_k: CDB $3 [${_a%%|*}] vs $4 [${_b%%|*}]"
        printf '%s\n%s\n' "${_a#*|}" "${_b#*|}" | awk '
            NR == 1 { na = split($0, a, " ") } NR == 2 { nb = split($0, b, " ") }
            END { if (na != nb) print "LEN " na " " nb
                  for (i = 1; i <= (na > nb ? na : nb); i++) if (a[i] != b[i]) print i - 1 " " a[i] " " b[i] }' > $T/bytes
        while read -r off x y; do
            if [ "$off" = LEN ]; then say "    command $_k: parameter list $x bytes ($3) vs $y bytes ($4)"; continue; fi
            say "    command $_k: byte $off ($(field "$off")): $3 ${x:-none}, $4 ${y:-none}"
        done < $T/bytes
    done
    return $_diff
}

# show_list FILE: the first command's parameter list cut into its parts
show_list() {
    sed -n 1p "$1" | awk -F '|' '{ n = split($2, b, " ")
        printf "      CDB      %s\n", $1
        s = ""; for (i = 1; i <= n; i++) { s = s b[i] " "
            if (i == 16 || i == 48 || i == 80 || i == n) {
                name = (i == 16) ? "header " : (i == 48) ? "CSCD 0 " : (i == 80) ? "CSCD 1 " : "segment"
                printf "      %s  %s\n", name, s; s = "" } } }' | tee -a "$REPORT"
}

# same_case NAME "SG_XCOPY ARGS" "SEGCOPY ARGS"
same_case() {
    name=$1
    # shellcheck disable=SC2086
    $SG_XCOPY verbose=4 $2 > $T/sgx.out 2> $T/sgx.err
    rc1=$?
    parse_sg_xcopy < $T/sgx.err > $T/sgx.lists
    # shellcheck disable=SC2086
    $SEGCOPY xcopy $3 --dry-run --hex > $T/seg.out 2> $T/seg.err
    rc2=$?
    parse_segcopy < $T/seg.out > $T/seg.lists
    lab_zero "$A_DST_FILE"; lab_zero "$A_DST4K_FILE"
    say ""
    say "== $name"
    say "   sg_xcopy verbose=4 $2   (exit $rc1, $(wc -l < $T/sgx.lists) command(s))"
    say "   segcopy xcopy $3 --dry-run --hex   (exit $rc2, $(wc -l < $T/seg.lists) command(s))"
    if [ ! -s $T/sgx.lists ] || [ ! -s $T/seg.lists ]; then
        fail "$name" "could not capture both: sg_xcopy exit $rc1 ($(wc -l < $T/sgx.lists) lists: $(grep -v 'designator too long' $T/sgx.err | tail -1)), segcopy exit $rc2 ($(wc -l < $T/seg.lists) lists: $(tail -1 $T/seg.err))"
        return
    fi
    say "   sg_xcopy's first command:"; show_list $T/sgx.lists
    say "   segcopy's first command:"; show_list $T/seg.lists
    if compare_lists $T/sgx.lists $T/seg.lists sg_xcopy segcopy; then
        say "   -> identical: $(wc -l < $T/seg.lists) CDB(s) and parameter list(s), byte for byte"
        pass "$name" "$(wc -l < $T/seg.lists) command(s): CDBs and parameter lists ($(sed -n 1p $T/seg.lists | awk -F '|' '{ print split($2, b, " ") }') bytes each) byte-identical to sg_xcopy's"
    else
        fail "$name" "segcopy's commands differ from sg_xcopy's (see the log / sg-xcopy-vs-segcopy.txt): $(grep '^    ' "$REPORT" | tail -3 | tr -s ' ' | tr '\n' ';')"
    fi
}

S=$A_SRC_SG D=$A_DST_SG
same_case same-bytes-default "if=$S of=$D bs=512 count=20000 bpt=8192" \
    "--from $S --to $D --blocks 20000 --segment-size 4M"
same_case same-bytes-offsets "if=$S of=$D bs=512 count=100003 bpt=65535 skip=7 seek=1000" \
    "--from $S@7 --to $D@1000 --blocks 100003 --segment-size 33553920"
same_case same-bytes-on-src "if=$S of=$D bs=512 count=20000 bpt=8192 --on_src" \
    "--from $S --to $D --blocks 20000 --segment-size 4M --on-src"
same_case same-bytes-ids-hold "if=$S of=$D bs=512 count=4096 bpt=2048 list_id=5 prio=3 id_usage=hold" \
    "--from $S --to $D --blocks 4096 --segment-size 1M --list-id 5 --priority 3 --id-usage hold"
same_case same-bytes-usage-none "if=$S of=$D bs=512 count=4096 bpt=2048 id_usage=disable" \
    "--from $S --to $D --blocks 4096 --segment-size 1M --id-usage none --list-id 0"
same_case same-bytes-4k "if=$A_SRC4K_SG of=$A_DST4K_SG bs=4096 count=4096 bpt=2048" \
    "--from $A_SRC4K_SG --to $A_DST4K_SG --blocks 4096 --segment-size 8M"

# Defaults that differ from sg_xcopy's (recorded, not a failure): with
# --id-usage none and no --list-id, what LIST IDENTIFIER does segcopy send?
$SEGCOPY xcopy --from "$S" --to "$D" --blocks 2048 --id-usage none --dry-run --hex 2>&1 | parse_segcopy > $T/none.lists
b0=$(sed -n 1p $T/none.lists | awk -F '|' '{ split($2, b, " "); print b[1] " " b[2] }')
say ""
say "== defaults: segcopy --id-usage none without --list-id sends header bytes 0-1 = $b0;"
say "   sg_xcopy id_usage=disable sets LIST IDENTIFIER 0 by itself (and refuses list_id=N>0 with it)."

# What segcopy logs with -v while really copying equals its dry run
lab_zero "$A_DST_FILE"
$SEGCOPY -v xcopy --from "$S" --to "$D" --blocks 20000 --segment-size 4M > $T/real.out 2> $T/real.err
rc=$?
parse_segcopy < $T/real.err > $T/real.lists
$SEGCOPY xcopy --from "$S" --to "$D" --blocks 20000 --segment-size 4M --dry-run --hex 2>/dev/null | parse_segcopy > $T/dry.lists
say ""
say "== segcopy -v (really sent) vs segcopy --dry-run --hex"
if [ $rc = 0 ] && [ -s $T/real.lists ] && compare_lists $T/real.lists $T/dry.lists sent dry-run &&
    lab_cmp "$A_SRC_FILE" 0 "$A_DST_FILE" 0 $((20000 * 512)) > /dev/null; then
    say "   -> identical ($(wc -l < $T/real.lists) commands), and the copy is correct"
    pass same-bytes-dry-run-is-what-is-sent "segcopy -v logged $(wc -l < $T/real.lists) EXTENDED COPY commands equal to its --dry-run --hex; copy correct"
else
    fail same-bytes-dry-run-is-what-is-sent "exit $rc; $(wc -l < $T/real.lists) commands logged by -v vs $(wc -l < $T/dry.lists) in the dry run, or the copy differs"
fi
lab_zero "$A_DST_FILE"
lab_exit
