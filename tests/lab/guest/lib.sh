# shellcheck shell=sh
# Helpers for lab guest tests (busybox sh).  Source it first:
#     . /lab/lib.sh
# It loads /lab/devices.env (see tests/lab/README.md for the variables).
#
# Result protocol: every check prints one line
#     LAB-RESULT <name> PASS|FAIL <one-line detail>
# <name> has no spaces.  Use `pass NAME DETAIL` / `fail NAME DETAIL`.
#
# Debian's busybox runs its own applets before PATH, so real programs are
# called by full path: use the variables below.

# shellcheck disable=SC1091
[ -f /lab/devices.env ] && . /lab/devices.env
# shellcheck disable=SC1091
[ -f /lab/config.env ] && . /lab/config.env

# shellcheck disable=SC2034  # used by the tests that source this file
{
SG_INQ=/usr/bin/sg_inq
SG_VPD=/usr/bin/sg_vpd
SG_XCOPY=/usr/bin/sg_xcopy
SG_COPY_RESULTS=/usr/bin/sg_copy_results
SG_RAW=/usr/bin/sg_raw
SG_READCAP=/usr/bin/sg_readcap
SG_TURS=/usr/bin/sg_turs
SG_MAP=/usr/bin/sg_map
SG_LUNS=/usr/bin/sg_luns
DDPT=/usr/bin/ddpt
LSSCSI=/usr/bin/lsscsi
CMP=/usr/bin/cmp
MT_ST=/usr/bin/mt-st
DMSETUP=/usr/sbin/dmsetup
MTX=/usr/sbin/mtx
ISCSI_TEST_CU=/usr/bin/iscsi-test-cu
}
LAB_CFS=${LAB_CFS:-/sys/kernel/config/target}
: "${LAB_OUT:=/lab/out}"

# Number of FAIL lines this test printed (for an exit status).
LAB_FAILS=0

# result NAME PASS|FAIL DETAIL...
result() {
    _name=$1 _status=$2
    shift 2
    # one line, whatever the detail holds
    _detail=$(printf '%s' "$*" | tr '\n\r' '  ')
    echo "LAB-RESULT $_name $_status $_detail"
    [ "$_status" = PASS ] || LAB_FAILS=$((LAB_FAILS + 1))
}
pass() { _n=$1; shift; result "$_n" PASS "$@"; }
fail() { _n=$1; shift; result "$_n" FAIL "$@"; }

# Exit status for the end of a test script: non-zero if any check failed.
lab_exit() { [ "$LAB_FAILS" = 0 ]; exit $?; }

# now_ms: wall clock in milliseconds (adjtimex has microseconds; busybox
# date has no %N).  Falls back to /proc/uptime (10 ms resolution).
now_ms() {
    adjtimex 2>/dev/null | awk '
        /time.tv_sec/ { s = $2 } /time.tv_usec/ { u = $2 }
        END { if (s != "") printf "%.0f\n", s * 1000 + int(u / 1000); else exit 1 }' ||
        awk '{ printf "%.0f\n", $1 * 1000 }' /proc/uptime
}

# elapsed START_MS: seconds since START_MS with 3 decimals.
elapsed() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.3f", (b - a) / 1000 }'; }

# mib_per_s BYTES SECONDS
mib_per_s() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "inf" }'; }

# lab_log: extra output for the test's log (not a result line).
lab_log() { echo "  $*"; }

# lab_turs SG: TEST UNIT READY until GOOD (clears a pending UNIT ATTENTION).
lab_turs() {
    _i=0
    while [ $_i -lt 5 ]; do
        $SG_TURS "$1" >/dev/null 2>&1 && return 0
        _i=$((_i + 1))
    done
    return 1
}

# lab_cmp FILE1 OFF1 FILE2 OFF2 LEN: byte-compare LEN bytes (offsets in
# bytes).  Prints cmp's first difference; status 0 if equal.
lab_cmp() { $CMP -n "$5" -i "$2:$4" "$1" "$3"; }

# lab_drop_caches: forget cached pages of /dev/sdX (needed before reading a
# LUN through /dev/sdX after LIO or a backing-file write changed it).
lab_drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# ---- raw commands (sg_raw) and sense

# lab_naa SG: the 16-byte NAA designator (32 hex digits, no 0x) of the
# addressed LU, from VPD page 83h as sg_vpd reads it raw.
lab_naa() {
    $SG_VPD -p di --raw "$1" 2>/dev/null | od -An -tx1 -v | tr -s ' \n' '  ' | awk '{
        n = split($0, b, " "); i = 5
        while (i + 3 <= n) {
            t = ("0x" b[i + 1]) + 0; len = ("0x" b[i + 3]) + 0
            # association 0 (the LU), designator type 3 (NAA), 16 bytes
            if (int(t / 16) % 4 == 0 && t % 16 == 3 && len == 16) {
                s = ""; for (j = 0; j < 16; j++) s = s b[i + 4 + j]; print s; exit
            }
            i += 4 + len
        } }'
}

# lab_e4 NAA [BLOCK_LEN]: hex of a 32-byte identification CSCD descriptor
# (E4h, binary code set, LU association, NAA, 16 bytes; disk block length).
lab_e4() { printf 'e4000000010300%02x%s00000000%08x' 16 "$1" "${2:-512}"; }

# lab_seg02 SRC_IDX DST_IDX BLOCKS SRC_LBA DST_LBA: hex of a 28-byte
# block->block segment descriptor (02h).
lab_seg02() { printf '02000018%04x%04x0000%04x%016x%016x' "$1" "$2" "$3" "$4" "$5"; }

# lab_xcopy_plist CSCD_HEX SEG_HEX [LIST_ID] [BYTE1]: hex of a whole
# EXTENDED COPY (LID1) parameter list: 16-byte header + CSCDs + segments.
# BYTE1 defaults to 18h (LIST ID USAGE 11b: no list identifier).
lab_xcopy_plist() {
    printf '%02x%02x%04x00000000%08x00000000%s%s' "${3:-0}" "$((${4:-0x18}))" \
        $((${#1} / 2)) $((${#2} / 2)) "$1" "$2"
}

# lab_xcopy_raw SG PLIST_HEX: sends EXTENDED COPY (83h) with that parameter
# list through sg_raw; prints sg_raw's output (with raw sense), returns its
# exit status (0 GOOD, 5 ILLEGAL REQUEST, 10 COPY ABORTED, ...).
lab_xcopy_raw() {
    _len=$((${#2} / 2))
    printf '%s' "$2" | xxd -r -p > /tmp/lab-plist.bin
    # shellcheck disable=SC2046
    $SG_RAW -v -s "$_len" -i /tmp/lab-plist.bin "$1" 83 00 00 00 00 00 00 00 00 00 \
        $(printf '%08x' "$_len" | sed 's/../& /g') 00 00 2>&1
}

# lab_sense_hex SG_RAW_OUTPUT: the raw sense bytes sg_raw -v printed, as
# one line of hex pairs (empty if none).
lab_sense_hex() {
    printf '%s\n' "$1" | awk '
        /Raw sense data/ { on = 1; next }
        on && /^[ \t]*([0-9a-f][0-9a-f] +)*[0-9a-f][0-9a-f] *$/ { sub(/^[ \t]+/, ""); out = out " " $0; next }
        on { on = 0 }
        END { gsub(/  +/, " ", out); sub(/^ /, "", out); print out }'
}

# lab_sense_kcq SENSE_HEX: "KEY/ASC/ASCQ" in hex (fixed or descriptor
# format), e.g. "0a/0d/02".
lab_sense_kcq() {
    printf '%s\n' "$1" | awk '{
        rc = ("0x" $1) + 0
        if (rc == 0x72 || rc == 0x73) printf "%02x/%s/%s\n", ("0x" $2) % 16, $3, $4
        else if (NF >= 14) printf "%02x/%s/%s\n", ("0x" $3) % 16, $13, $14
    }'
}

# ---- LUN mapping (also used by setup-lio.sh)

# lab_hctl_of_sg SGDEV: H:C:T:L of /dev/sgN.
lab_hctl_of_sg() { basename "$(readlink -f "/sys/class/scsi_generic/${1#/dev/}/device")"; }

# lab_sg_of_hctl H:C:T:L -> /dev/sgN (empty if none yet)
lab_sg_of_hctl() {
    for _d in /sys/bus/scsi/devices/"$1"/scsi_generic/sg*; do
        [ -e "$_d" ] && { echo "/dev/$(basename "$_d")"; return 0; }
    done
    return 1
}

# lab_sd_of_hctl H:C:T:L -> /dev/sdX (empty for non-disks)
lab_sd_of_hctl() {
    for _d in /sys/bus/scsi/devices/"$1"/block/sd*; do
        [ -e "$_d" ] && { echo "/dev/$(basename "$_d")"; return 0; }
    done
    return 1
}

# lab_var NAME: value of the variable called NAME.
lab_var() { eval "printf '%s' \"\${$1:-}\""; }

# lab_wait_lun PREFIX [SECONDS]: wait for the LUN PREFIX (e.g. A_DST) to
# have sg and sd nodes again and update PREFIX_SG / PREFIX_SD.
lab_wait_lun() {
    _p=$1 _t=${2:-10}
    _hctl=$(lab_var "${_p}_HCTL")
    _i=0
    while [ $_i -lt $((_t * 10)) ]; do
        _sg=$(lab_sg_of_hctl "$_hctl" || true)
        if [ -n "$_sg" ] && [ -c "$_sg" ]; then
            _sd=$(lab_sd_of_hctl "$_hctl" || true)
            if [ -z "$(lab_var "${_p}_BLOCKS")" ] || { [ -n "$_sd" ] && [ -b "$_sd" ]; }; then
                eval "${_p}_SG=\$_sg; ${_p}_SD=\$_sd"
                return 0
            fi
        fi
        usleep 100000
        _i=$((_i + 1))
    done
    return 1
}

# lab_unlink_lun PREFIX: remove the LUN from its target (fault injection:
# commands to it fail, the sg/sd nodes go away).
lab_unlink_lun() { rm "$(lab_var "${1}_LUN")/$(lab_var "${1}_LINK")"; }

# lab_relink_lun PREFIX: put the LUN back and wait for its nodes (the sg
# number may change; PREFIX_SG/PREFIX_SD are updated, here and in
# /lab/devices.env so that later tests see the new nodes).
lab_relink_lun() {
    ln -s "$(lab_var "${1}_BS")" "$(lab_var "${1}_LUN")/$(lab_var "${1}_LINK")" &&
        lab_wait_lun "$1" 10 || return 1
    [ -w /lab/devices.env ] && sed -i \
        -e "s|^${1}_SG=.*|${1}_SG=$(lab_var "${1}_SG")|" \
        -e "s|^${1}_SD=.*|${1}_SD=$(lab_var "${1}_SD")|" /lab/devices.env
    return 0
}

# lab_luns: the prefixes of every LIO LUN in /lab/devices.env (A_SRC ...),
# one a line, in set-up order.
lab_luns() { sed -n 's/^\([A-Z][A-Z0-9_]*\)_HCTL=.*/\1/p' /lab/devices.env | grep -v '^TAPE'; }

# lab_turs_all: TEST UNIT READY on every LIO LUN until GOOD (clears the
# REPORTED LUNS DATA HAS CHANGED that unlinking/relinking a LUN leaves on
# the target's other LUNs).  Status 1 if some LUN never answered GOOD.
lab_turs_all() {
    _ok=0
    for _p in $(lab_luns); do lab_turs "$(lab_var "${_p}_SG")" || _ok=1; done
    return $_ok
}

# lab_zero FILE: make a backing file all zeros again, same size (LIO keeps
# it open; on tmpfs truncating and re-extending is instant).
lab_zero() {
    _sz=$(stat -c %s "$1") && truncate -s 0 "$1" && truncate -s "$_sz" "$1"
}

# lab_is_zero FILE OFFSET LEN: LEN bytes at byte OFFSET are all zero.
lab_is_zero() { [ "$3" -le 0 ] || $CMP -s -n "$3" -i "$2:0" "$1" /dev/zero; }

# lab_wait_data FILE OFFSET [SECONDS]: wait (polling every 50 ms, default at
# most 10 s) until the 512 bytes at byte OFFSET of FILE are no longer all
# zero, i.e. a running copy onto a zeroed backing file has got that far.
# Status 1 on timeout.
lab_wait_data() {
    _i=0
    while [ $_i -lt $((${3:-10} * 20)) ]; do
        lab_is_zero "$1" "$2" 512 || return 0
        usleep 50000
        _i=$((_i + 1))
    done
    return 1
}

# lab_peer TOOL CASE BLOCKS BPT COMMANDS EXIT CORRECT SECONDS: one line of
# $LAB_OUT/peers.tsv (see README).
lab_peer() {
    mkdir -p "$LAB_OUT"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$LAB_OUT/peers.tsv"
}

# ---- JSON (segcopy --json prints pretty JSON: one value a line)

# lab_json_flat < JSON: one line per scalar, "PATH<TAB>VALUE", e.g.
# "result.status\tfailed", "[2].path\t/dev/sg2", "codes[1]\t228"; strings
# unquoted, null as null, empty containers as {} or [].  Only for the
# pretty form (serde_json's {:#}), which is all segcopy prints.
lab_json_flat() {
    awk '
    function here(   p) {
        if (sp > 0 && arr[sp]) { idx[sp]++; return path[sp] "[" idx[sp] "]" }
        if (name == "") return path[sp]
        return (sp > 0 && path[sp] != "") ? path[sp] "." name : name
    }
    {
        line = $0; sub(/^[ \t]+/, "", line); sub(/[ \t]*,?[ \t]*$/, "", line)
        if (line == "") next
        if (line == "}" || line == "]") { sp--; next }
        name = ""
        if (match(line, /^"([^"\\]|\\.)*": /)) {
            name = substr(line, 2, RLENGTH - 4); line = substr(line, RLENGTH + 1)
        }
        p = here()
        if (line == "{" || line == "[") { sp++; path[sp] = p; arr[sp] = (line == "["); idx[sp] = -1; next }
        v = line
        if (v ~ /^".*"$/) { v = substr(v, 2, length(v) - 2); gsub(/\\"/, "\"", v); gsub(/\\\\/, "\\", v) }
        print p "\t" v
    }'
}

# lab_json_get PATH < JSON: the value at PATH (see lab_json_flat), or
# nothing.
lab_json_get() { lab_json_flat | awk -F '\t' -v k="$1" '$1 == k { print substr($0, length(k) + 2); exit }'; }

# lab_json_vars VAR=PATH... < JSON: shell assignments VAR='value' (empty
# when PATH is absent), for eval:  eval "$(lab_json_vars st=result.status < F)"
lab_json_vars() {
    lab_json_flat | awk -F '\t' -v spec="$*" '
        BEGIN { n = split(spec, a, " ")
                for (i = 1; i <= n; i++) { j = index(a[i], "="); var[i] = substr(a[i], 1, j - 1); key[i] = substr(a[i], j + 1); val[i] = "" } }
        { for (i = 1; i <= n; i++) if ($1 == key[i] && !(i in seen)) { seen[i] = 1; val[i] = substr($0, length($1) + 2) } }
        END { q = sprintf("%c", 39)
              for (i = 1; i <= n; i++) {
                  m = split(val[i], parts, q); v = parts[1]
                  for (k = 2; k <= m; k++) v = v q "\\" q q parts[k]
                  printf "%s=%s%s%s\n", var[i], q, v, q } }'
}
