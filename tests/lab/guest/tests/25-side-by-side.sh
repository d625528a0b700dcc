#!/bin/sh
# Side by side (issue 3, item 7): the same 64 MiB copy A_SRC -> A_DST (same
# LUNs, same data) by sg_xcopy, `ddpt --xcopy` and `segcopy xcopy`, each at
# the same blocks per command: 64 KiB (128 blocks, 1024 commands), 1 MiB
# (2048 blocks, 64 commands) and 31 MiB (63488 blocks, 3 commands).  Each
# row: exit status, whether the destination equals the source (cmp of the
# backing files; for a wrong copy, how many leading blocks arrived) and the
# wall time.  The table goes to this log and to $LAB_OUT/side-by-side.txt,
# the rows to $LAB_OUT/peers.tsv.  PASS when the table was produced and
# segcopy was correct in every row; a peer that copies wrong data is
# reported in the table, not as a failure of this test.
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail side-by-side "no devices.env: LIO set-up failed"; lab_exit; }
T=/tmp/side
mkdir -p $T
lab_turs_all
BS=512 BLOCKS=131072
BYTES=$((BLOCKS * BS))
TABLE=$LAB_OUT/side-by-side.txt

# good_prefix: how many leading blocks of A_DST equal A_SRC
good_prefix() {
    _o=$($CMP -n $BYTES "$A_SRC_FILE" "$A_DST_FILE" 2>&1)
    case $? in
        0) echo $BLOCKS ;;
        1) _b=$(printf '%s' "$_o" | sed -n 's/.*differ: [a-z]* \([0-9]*\).*/\1/p'); echo $(( (_b - 1) / BS )) ;;
        *) echo "?" ;;
    esac
}

rows=0 seg_bad=0 missing=
{
    echo "64 MiB A_SRC -> A_DST through LIO (kernel ${LAB_KERNEL_VERSION:-$(uname -r)}, TCG guest, fileio on tmpfs)"
    printf '%-9s %-10s %8s %5s  %-34s %8s %8s\n' tool segment commands exit data seconds "MiB/s"
} > $T/table
for spec in "64K 128" "1M 2048" "31M 63488"; do
    set -- $spec
    seg=$1 bpt=$2
    ncmd=$(( (BLOCKS + bpt - 1) / bpt ))
    for tool in sg_xcopy ddpt segcopy; do
        lab_zero "$A_DST_FILE"
        t=$(now_ms)
        case $tool in
            sg_xcopy) [ -x "$SG_XCOPY" ] || { missing="$missing sg_xcopy"; continue; }
                $SG_XCOPY if="$A_SRC_SG" of="$A_DST_SG" bs=$BS count=$BLOCKS bpt=$bpt > $T/out 2>&1 ;;
            ddpt) [ -x "$DDPT" ] || { missing="$missing ddpt"; continue; }
                $DDPT --xcopy if="$A_SRC_SG" of="$A_DST_SG" bs=$BS bpt=$bpt count=$BLOCKS > $T/out 2>&1 ;;
            segcopy) [ -x "${SEGCOPY:-}" ] || { missing="$missing segcopy"; continue; }
                $SEGCOPY xcopy --from "$A_SRC_SG" --to "$A_DST_SG" --blocks $BLOCKS --segment-size "$seg" > $T/out 2>&1 ;;
        esac
        rc=$?
        secs=$(elapsed "$t")
        good=$(good_prefix)
        if [ $rc = 0 ] && [ "$good" = $BLOCKS ]; then data="identical"; correct=yes
        elif [ $rc = 0 ]; then data="WRONG: only first $good blocks"; correct=no
        elif [ "$good" = $BLOCKS ]; then data="identical, but exit $rc"; correct=failed
        else data="failed: first $good blocks"; correct=failed; fi
        printf '%-9s %-10s %8s %5s  %-34s %8s %8s\n' "$tool" "$seg/$bpt" "$ncmd" "$rc" "$data" "$secs" \
            "$(mib_per_s $BYTES "$secs")" >> $T/table
        lab_peer "$tool" "side-by-side-$seg" $BLOCKS $bpt $ncmd $rc $correct "$secs"
        rows=$((rows + 1))
        if [ $tool = segcopy ] && [ $correct != yes ]; then
            seg_bad=$((seg_bad + 1))
            sed 's/^/    segcopy: /' $T/out | tail -5
        fi
    done
done
lab_zero "$A_DST_FILE"
echo "(segment = size/blocks per EXTENDED COPY; data = cmp of the backing files after the copy)" >> $T/table
cp $T/table "$TABLE"
sed 's/^/  /' $T/table
if [ -n "$missing" ]; then
    fail side-by-side "missing in the guest:$missing ($rows rows)"
elif [ $rows = 9 ] && [ $seg_bad = 0 ]; then
    pass side-by-side "table of 9 rows written to side-by-side.txt; segcopy identical in all 3 rows; $(awk 'NR > 2 && $1 != "segcopy" && /WRONG|failed/ { n++ } END { print n + 0 }' $T/table) peer row(s) wrong or failed"
else
    fail side-by-side "$rows rows; segcopy wrong or failed in $seg_bad row(s)"
fi
lab_exit
