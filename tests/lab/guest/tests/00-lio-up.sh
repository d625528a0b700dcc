#!/bin/sh
# Both tcm_loop targets' LUNs are present and answer INQUIRY; the NAA
# designators (VPD 83h, via sg_vpd) of different backstores differ, and the
# source seen through target A and through target B is the same LU.
# shellcheck disable=SC2153  # set by devices.env
# shellcheck disable=SC1091
. /lab/lib.sh

if [ -z "${A_SRC_SG:-}" ]; then
    fail lio-devices "no /lab/devices.env: LIO set-up failed (see logs/setup-lio.log)"
    lab_exit
fi

# naa_of SG: the NAA designator of the addressed LU, as sg_vpd prints it.
naa_of() {
    $SG_VPD -p di "$1" 2>/dev/null | awk '
        /Addressed logical unit/ { lu = 1 }
        /Target port|Target device/ { lu = 0 }
        lu && /designator type: NAA/ { want = 1; next }
        want && /0x/ { gsub(/[ \t]/, ""); print; exit }'
}

for p in A_SRC A_DST A_DST4K B_SRC B_DST; do
    sg=$(lab_var "${p}_SG")
    sd=$(lab_var "${p}_SD")
    if [ ! -c "$sg" ] || [ ! -b "$sd" ]; then
        fail "lio-present-$p" "sg '$sg' or sd '$sd' missing"
        continue
    fi
    inq=$($SG_INQ "$sg" 2>&1)
    rc=$?
    lab_log "$p: $(echo "$inq" | grep -E 'Vendor identification|Product identification|Peripheral device type|PDT=' | tr -s ' ' | tr '\n' ';')"
    pdt=$(echo "$inq" | sed -n 's/.*PDT=\([0-9]*\).*/\1/p' | head -1)
    vendor=$(echo "$inq" | sed -n 's/.*Vendor identification: *\([^ ]*\).*/\1/p' | head -1)
    if [ $rc = 0 ] && [ "$pdt" = 0 ] && [ "$vendor" = LIO-ORG ]; then
        pass "lio-inquiry-$p" "$sg ($sd, $(lab_var "${p}_HCTL")): PDT=0 vendor=$vendor"
    else
        fail "lio-inquiry-$p" "$sg: sg_inq rc=$rc pdt='$pdt' vendor='$vendor'"
    fi
    naa=$(naa_of "$sg")
    eval "NAA_$p=\$naa"
    lab_log "$p NAA: $naa"
    # capacity as LIO reports it
    cap=$($SG_READCAP "$sg" 2>&1 | sed -n 's/.*Last LBA=\([0-9]*\).*/\1/p' | head -1)
    want=$(($(lab_var "${p}_BLOCKS") - 1))
    if [ "$cap" = "$want" ]; then
        pass "lio-capacity-$p" "last LBA $cap, block size $(lab_var "${p}_BLOCK_SIZE")"
    else
        fail "lio-capacity-$p" "sg_readcap last LBA '$cap', expected $want"
    fi
done

# Designators: different backstores differ; A_SRC and B_SRC are one LU.
distinct=$(printf '%s\n' "$NAA_A_SRC" "$NAA_A_DST" "$NAA_A_DST4K" "$NAA_B_DST" | grep -c . )
unique=$(printf '%s\n' "$NAA_A_SRC" "$NAA_A_DST" "$NAA_A_DST4K" "$NAA_B_DST" | grep . | sort -u | wc -l)
if [ "$distinct" = 4 ] && [ "$unique" = 4 ]; then
    pass lio-designators-differ "src=$NAA_A_SRC dst_a=$NAA_A_DST dst4k=$NAA_A_DST4K dst_b=$NAA_B_DST"
else
    fail lio-designators-differ "expected 4 distinct NAA designators, got $unique of $distinct: $NAA_A_SRC $NAA_A_DST $NAA_A_DST4K $NAA_B_DST"
fi
if [ -n "$NAA_A_SRC" ] && [ "$NAA_A_SRC" = "$NAA_B_SRC" ]; then
    pass lio-src-one-lu "A_SRC and B_SRC share designator $NAA_A_SRC (one backstore, two paths)"
else
    fail lio-src-one-lu "A_SRC '$NAA_A_SRC' vs B_SRC '$NAA_B_SRC'"
fi

# The copy manager is on: emulate_3pc and OPERATING PARAMETERS answer.
for bs in "$A_SRC_BS" "$A_DST_BS" "$B_DST_BS"; do
    v=$(cat "$bs/attrib/emulate_3pc")
    [ "$v" = 1 ] || fail "lio-emulate-3pc-$(basename "$bs")" "attrib/emulate_3pc is '$v'"
done
op=$($SG_COPY_RESULTS -p "$A_SRC_SG" 2>&1)
rc=$?
lab_log "$op"
if [ $rc = 0 ] && echo "$op" | grep -qi 'segment'; then
    pass lio-copy-manager "sg_copy_results -p (OPERATING PARAMETERS) answers on $A_SRC_SG"
else
    fail lio-copy-manager "sg_copy_results -p on $A_SRC_SG: rc=$rc $(echo "$op" | tail -1)"
fi
lab_exit
