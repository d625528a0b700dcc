#!/bin/sh
# segcopy's identification commands agree with sg3_utils on every LIO LUN
# (issue 3, item 1):
#  - `segcopy inquiry --vpd 83 --raw` is byte-identical to `sg_vpd -p di -r`,
#    and `segcopy inquiry --raw` (standard INQUIRY) to `sg_inq -r`;
#  - the NAA designator segcopy picks for E4h CSCDs (text and --json) is the
#    one sg_vpd decodes for the addressed logical unit;
#  - vendor, product, revision, PDT and 3PC of `segcopy inquiry --json`
#    equal sg_inq's;
#  - every value of `segcopy params --json` equals what `sg_copy_results -p`
#    prints (its text parsed here);
#  - `segcopy devices --json` lists every LUN with its sd node, designator,
#    3PC and capacity.
# It also captures LIO's raw answers (standard INQUIRY, VPD 83h, OPERATING
# PARAMETERS, READ CAPACITY(16)), sent by sg_raw/sg_vpd, as hex fixtures
# into $LAB_OUT/lio/<kind>/<name>.hex; copy them from target/lab/out/lio/ to
# fixtures/lio/ after a run (golden captures for the Rust tests).
# shellcheck disable=SC2154  # set by eval "$(lab_json_vars ...)"
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-agrees "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-agrees "no segcopy binary in the guest"; lab_exit; }
SELF=tests/lab/guest/tests/20-segcopy-agrees.sh
T=/tmp/agree
mkdir -p $T
T0=$(now_ms)
lab_turs_all

# sg_vpd's NAA designator of the addressed logical unit (0x + 32 digits)
sg_vpd_naa() {
    $SG_VPD -p di "$1" 2>/dev/null | awk '
        /Addressed logical unit/ { lu = 1; next }
        /^  [A-Z]/ { lu = 0 }
        lu && /designator type: NAA/ { want = 1; next }
        want && /0x/ { gsub(/[ \t]/, ""); print tolower($0); exit }'
}

# sg_inq field: the text after "LABEL:" with trailing blanks removed
inq_field() { printf '%s\n' "$1" | sed -n "s/^ *$2: *\(.*[^ ]\) *$/\1/p" | head -1; }

# sg_copy_results -p text -> "key<TAB>value" lines named like segcopy's JSON
parse_copy_results() {
    awk '
    function num(s) { sub(/^[ \t]+/, "", s); sub(/ bytes$/, "", s)
        if (s ~ /^2\*\*[0-9]+$/) { e = substr(s, 4) + 0; v = 1; while (e-- > 0) v *= 2; return sprintf("%.0f", v) }
        return s }
    function put(k, v) { print k "\t" v }
    {
        line = $0; sub(/^[ \t]+/, "", line)
        i = index(line, ": "); label = i ? substr(line, 1, i - 1) : line; val = i ? substr(line, i + 2) : ""
        if (label == "Supports no list identifier (SNLID)") put("snlid", val == "yes" ? "true" : "false")
        else if (label == "Maximum target descriptor count") put("max_cscd_descriptor_count", num(val))
        else if (label == "Maximum segment descriptor count") put("max_segment_descriptor_count", num(val))
        else if (label == "Maximum descriptor list length") put("max_descriptor_list_length", num(val))
        else if (label == "Maximum segment length") put("max_segment_length", num(val))
        else if (label == "Inline data not supported") put("max_inline_data_length", 0)
        else if (label == "Maximum inline data length") put("max_inline_data_length", num(val))
        else if (label == "Held data limit") put("held_data_limit", num(val))
        else if (label == "Maximum stream device transfer size") put("max_stream_device_transfer_size", num(val))
        else if (label == "Total concurrent copies") put("total_concurrent_copies", num(val))
        else if (label == "Maximum concurrent copies") put("max_concurrent_copies", num(val))
        else if (label == "Data segment granularity") put("data_segment_granularity", num(val))
        else if (label == "Inline data granularity") put("inline_data_granularity", num(val))
        else if (label == "Held data granularity") put("held_data_granularity", num(val))
        else if (match(line, /descriptor 0x[0-9a-fA-F][0-9a-fA-F]/)) {
            h = tolower(substr(line, RSTART + 13, 2)); d = index("0123456789abcdef", substr(h, 1, 1)) * 16 - 16 + index("0123456789abcdef", substr(h, 2, 1)) - 1
            codes = codes (codes == "" ? "" : ",") d
        }
    }
    END { put("implemented_descriptor_type_codes", codes) }'
}

# segcopy params --json -> the same "key<TAB>value" lines
segcopy_params_flat() {
    lab_json_flat | awk -F '\t' '
        $1 ~ /^implemented_descriptor_type_codes\[/ { codes = codes (codes == "" ? "" : ",") $2; next }
        { print }
        END { print "implemented_descriptor_type_codes\t" codes }'
}

# ---- hex fixtures

KVER=${LAB_KERNEL_VERSION:-$(uname -r)}
FIX=$LAB_OUT/lio
NFIX=0
# describe_lun P: one comment line naming the LUN (not its /dev node)
describe_lun() {
    _p=$1
    case $_p in A_*) _t="target A ($A_WWN)" ;; *) _t="target B ($B_WWN)" ;; esac
    printf '%s: %s LUN %s, fileio backstore %s (%s), unit serial %s, %s blocks of %s bytes' \
        "$_p" "$_t" "${2}" "$(basename "$(lab_var "${_p}_BS")")" "$(basename "$(lab_var "${_p}_FILE")")" \
        "$(lab_var "${_p}_SERIAL")" "$(lab_var "${_p}_BLOCKS")" "$(lab_var "${_p}_BLOCK_SIZE")"
}
lun_of() { basename "$(lab_var "${1}_LUN")" | sed 's/lun_//'; }
# write_fixture KIND NAME BINFILE LEN COMMENT...: $FIX/KIND/NAME.hex with
# the first LEN bytes of BINFILE, 16 a line with an offset comment
write_fixture() {
    _kind=$1 _name=$2 _bin=$3 _len=$4
    shift 4
    mkdir -p "$FIX/$_kind"
    {
        echo "# captured from LIO (kernel $KVER) in the lab by $SELF"
        for _c in "$@"; do echo "# $_c"; done
        head -c "$_len" "$_bin" | od -An -tx1 -v | awk '
            { for (i = 1; i <= NF; i++) { line = line $i " "; n++
                  if (n % 16 == 0) { printf "%s# %04x\n", line, n - 16; line = "" } } }
            END { if (line != "") printf "%s# %04x\n", line, n - n % 16 }'
    } > "$FIX/$_kind/$_name.hex"
    NFIX=$((NFIX + 1))
}
name_of() { echo "$1" | tr 'A-Z_' 'a-z-'; }

# ---- per LUN

LUNS=$(lab_luns)
for p in $LUNS; do
    sg=$(lab_var "${p}_SG")
    n=$(name_of "$p")

    # VPD 83h raw, byte for byte
    $SEGCOPY inquiry "$sg" --vpd 83 --raw > $T/seg83.bin 2> $T/seg83.err
    rc1=$?
    $SG_VPD -p di -r "$sg" > $T/vpd83.bin 2> $T/vpd83.err
    rc2=$?
    if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ -s $T/vpd83.bin ] && $CMP -s $T/seg83.bin $T/vpd83.bin; then
        pass "segcopy-agrees-vpd83-raw-$p" "$sg: segcopy inquiry --vpd 83 --raw = sg_vpd -p di -r ($(wc -c < $T/vpd83.bin) bytes)"
    else
        fail "segcopy-agrees-vpd83-raw-$p" "$sg: segcopy exit $rc1 ($(wc -c < $T/seg83.bin) bytes, $(head -1 $T/seg83.err)), sg_vpd exit $rc2 ($(wc -c < $T/vpd83.bin) bytes): $($CMP $T/seg83.bin $T/vpd83.bin 2>&1 | head -1)"
    fi

    # the NAA designator: sg_vpd's decode vs segcopy's words and JSON
    want=$(sg_vpd_naa "$sg")
    w_cscd=$($SEGCOPY inquiry "$sg" --vpd 83 2>&1 | sed -n 's/.*EXTENDED COPY names this unit by: NAA [0-9]*: *//p' | tr 'A-F' 'a-f')
    eval "$($SEGCOPY inquiry "$sg" --vpd 83 --json 2>/dev/null | lab_json_vars j_val=cscd_designator.value \
        j_text=cscd_designator.text j_type=cscd_designator.designator_type j_assoc=cscd_designator.association)"
    j_val=$(echo "$j_val" | tr 'A-F' 'a-f')
    j_naa=$(echo "${j_text#NAA * }" | tr 'A-F' 'a-f')
    eval "NAA_$p=\$want"
    if [ -n "$want" ] && [ "$w_cscd" = "$want" ] && [ "0x$j_val" = "$want" ] && [ "$j_naa" = "$want" ] &&
        [ "$j_type" = 3 ] && [ "$j_assoc" = "logical unit" ]; then
        pass "segcopy-agrees-naa-$p" "$sg: sg_vpd, segcopy words and --json all say NAA $want (logical unit)"
    else
        fail "segcopy-agrees-naa-$p" "$sg: sg_vpd '$want'; segcopy words '$w_cscd'; json value '$j_val' text '$j_text' type '$j_type' association '$j_assoc'"
    fi

    # standard INQUIRY: raw bytes and the decoded fields
    $SEGCOPY inquiry "$sg" --raw > $T/seginq.bin 2>/dev/null
    $SG_INQ -r "$sg" > $T/inq.bin 2>/dev/null
    inq=$($SG_INQ "$sg" 2>&1)
    s_vendor=$(inq_field "$inq" "Vendor identification")
    s_product=$(inq_field "$inq" "Product identification")
    s_rev=$(inq_field "$inq" "Product revision level")
    s_3pc=${inq#*3PC=}; s_3pc=${s_3pc%%[!01]*}
    s_pdt=${inq#*PDT=}; s_pdt=${s_pdt%%[!0-9]*}
    eval "$($SEGCOPY inquiry "$sg" --json 2>/dev/null | lab_json_vars j_v=vendor j_p=product j_r=revision j_3pc=third_party_copy j_pdt=peripheral_device_type)"
    case $j_3pc in true) j_3pc=1 ;; false) j_3pc=0 ;; esac
    got="vendor='$j_v' product='$j_p' revision='$j_r' 3PC=$j_3pc PDT=$j_pdt"
    exp="vendor='$s_vendor' product='$s_product' revision='$s_rev' 3PC=$s_3pc PDT=$s_pdt"
    if [ "$got" = "$exp" ] && [ -n "$s_vendor" ] && [ -s $T/inq.bin ] && $CMP -s $T/seginq.bin $T/inq.bin; then
        pass "segcopy-agrees-inquiry-$p" "$sg: $got; raw standard INQUIRY identical to sg_inq -r"
    else
        fail "segcopy-agrees-inquiry-$p" "$sg: segcopy $got vs sg_inq $exp; raw: $($CMP $T/seginq.bin $T/inq.bin 2>&1 | head -1)"
    fi

    # OPERATING PARAMETERS
    $SG_COPY_RESULTS -p "$sg" > $T/cr.txt 2>&1
    rc1=$?
    $SEGCOPY params "$sg" --json > $T/params.json 2>&1
    rc2=$?
    parse_copy_results < $T/cr.txt | sort > $T/cr.kv
    segcopy_params_flat < $T/params.json | sort > $T/seg.kv
    # every key sg_copy_results prints must be in segcopy's JSON with that value
    diffs=$(awk -F '\t' 'NR == FNR { s[$1] = $2; next } { if (!($1 in s)) print $1 " missing from segcopy"; else if (s[$1] != $2) print $1 ": segcopy " s[$1] " vs sg_copy_results " $2; n++ }
        END { if (n < 14) print "only " n " values parsed from sg_copy_results" }' $T/seg.kv $T/cr.kv)
    if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ -z "$diffs" ]; then
        pass "segcopy-agrees-params-$p" "$sg: $(wc -l < $T/cr.kv) values equal: $(tr '\t\n' '= ' < $T/cr.kv)"
    else
        fail "segcopy-agrees-params-$p" "$sg: sg_copy_results exit $rc1, segcopy params exit $rc2: $(printf '%s' "$diffs" | tr '\n' ';')"
        sed 's/^/    sg_copy_results: /' $T/cr.txt
        sed 's/^/    segcopy: /' $T/params.json
    fi

    # fixtures: VPD 83h of every LUN
    lun=$(lun_of "$p")
    write_fixture vpd-83 "$n" $T/vpd83.bin "$(wc -c < $T/vpd83.bin)" \
        "$(describe_lun "$p" "$lun")" \
        "command: INQUIRY EVPD=1 PAGE CODE 83h (sg_vpd -p di -r); $(wc -c < $T/vpd83.bin) bytes (4 + PAGE LENGTH)" \
        "NAA designator (sg_vpd): $want"
    lab_log "$p checked at $(elapsed "$T0")s"
done

# ---- segcopy devices --json lists every LUN
devs=$($SEGCOPY devices --json 2> $T/devices.err)
rc=$?
dflat=$(printf '%s\n' "$devs" | lab_json_flat)
for p in $LUNS; do
    sg=$(lab_var "${p}_SG")
    i=$(printf '%s\n' "$dflat" | awk -F '\t' -v sg="$sg" '$1 ~ /^\[[0-9]+\]\.path$/ && $2 == sg { sub(/\..*/, "", $1); print $1; exit }')
    if [ -z "$i" ]; then
        fail "segcopy-agrees-devices-$p" "segcopy devices --json (exit $rc) does not list $sg: $(head -1 $T/devices.err)"
        continue
    fi
    want_naa=$(lab_var "NAA_$p")
    got=$(printf '%s\n' "$dflat" | awk -F '\t' -v i="$i." '
        index($1, i) == 1 { v[substr($1, length(i) + 1)] = $2 }
        END { printf "upper=%s designator=\047%s\047 3PC=%s vendor=%s blocks=%s block_length=%s hctl=%s",
              v["upper"], v["designator"], v["third_party_copy"], v["vendor"], v["blocks"], v["block_length"], v["hctl"] }')
    exp="upper=$(lab_var "${p}_SD") designator='naa 6: $want_naa' 3PC=true vendor=LIO-ORG blocks=$(lab_var "${p}_BLOCKS") block_length=$(lab_var "${p}_BLOCK_SIZE") hctl=$(lab_var "${p}_HCTL")"
    if [ -n "$want_naa" ] && [ "$(printf '%s' "$got" | tr 'A-Z' 'a-z')" = "$(printf '%s' "$exp" | tr 'A-Z' 'a-z')" ]; then
        pass "segcopy-agrees-devices-$p" "$sg listed: $got"
    else
        fail "segcopy-agrees-devices-$p" "$sg: segcopy devices says $got; expected $exp"
    fi
done
lab_log "devices checked at $(elapsed "$T0")s; segcopy devices:"
$SEGCOPY devices 2>&1 | sed 's/^/    /'

# ---- the other fixtures: standard INQUIRY, OPERATING PARAMETERS, READ CAPACITY(16)
fix_ok=1 fix_why=
# raw_cmd OUT LEN SG CDB...: sg_raw the command, data-in to OUT (LEN max)
raw_cmd() {
    _out=$1 _len=$2 _sg=$3
    shift 3
    rm -f "$_out"
    $SG_RAW -r "$_len" -o "$_out" "$_sg" "$@" > $T/raw.log 2>&1 && [ -s "$_out" ] ||
        { fix_ok=0; fix_why="$fix_why; sg_raw $* on $_sg: $(tail -1 $T/raw.log)"; return 1; }
}
for p in A_SRC A_DST; do
    sg=$(lab_var "${p}_SG")
    if raw_cmd $T/inq96.bin 96 "$sg" 12 00 00 00 60 00; then
        b6=$(od -An -tu1 -j6 -N1 $T/inq96.bin | tr -d ' ')
        case $p in A_SRC) n_exp="exported by both targets" ;; *) n_exp="exported by target A only" ;; esac
        what="backstore $n_exp; byte 6 = $(printf '%02x' "$b6"): MULTIP $(( (b6 >> 4) & 1 ))"
        write_fixture inquiry-standard "$(name_of "$p")" $T/inq96.bin 96 \
            "$(describe_lun "$p" "$(lun_of "$p")"); $what" \
            "command: INQUIRY 12 00 00 00 60 00 (ALLOCATION LENGTH 96) sent by sg_raw; 96 bytes"
    fi
done
if raw_cmd $T/op.bin 1024 "$A_SRC_SG" 84 03 00 00 00 00 00 00 00 00 00 00 04 00 00 00; then
    avail=$(od -An -tu1 -N4 $T/op.bin | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
    total=$((avail + 4))
    rest=$(tail -c +$((total + 1)) $T/op.bin | od -An -tx1 -v | tr -d ' \n' | tr -d 0)
    [ -z "$rest" ] && pad="zeros" || pad="NON-ZERO bytes"
    write_fixture rcr-operating-parameters fileio $T/op.bin "$total" \
        "$(describe_lun A_SRC "$(lun_of A_SRC)") (the copy manager asked)" \
        "command: RECEIVE COPY RESULTS, OPERATING PARAMETERS: 84 03 00 00 00 00 00 00 00 00 00 00 04 00 00 00 (ALLOCATION LENGTH 1024) sent by sg_raw" \
        "LIO returned all 1024 bytes (no residual); kept here: the first $total (4 + AVAILABLE DATA $avail); the rest were $pad"
fi
for p in A_SRC A_DST4K A_SRC4K; do
    sg=$(lab_var "${p}_SG")
    if raw_cmd $T/rc16.bin 32 "$sg" 9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00; then
        write_fixture read-capacity16 "$(name_of "$p")" $T/rc16.bin 32 \
            "$(describe_lun "$p" "$(lun_of "$p")")" \
            "command: READ CAPACITY(16) 9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00 (ALLOCATION LENGTH 32) sent by sg_raw; 32 bytes"
    fi
done
if [ $fix_ok = 1 ] && [ "$NFIX" -ge 10 ]; then
    pass lio-fixtures-captured "$NFIX hex fixtures in \$LAB_OUT/lio/ ($(cd "$FIX" && ls -d inquiry-standard vpd-83 rcr-operating-parameters read-capacity16 2>/dev/null | tr '\n' ' '))"
else
    fail lio-fixtures-captured "$NFIX fixtures written$fix_why"
fi
lab_exit
