#!/bin/sh
# Backup and restore through LIO's real copy managers with failover (issue 8):
# a block->block `segcopy backup` of A_SRC to two destination LUNs, each
# LUN its own copy manager (LIO's emulate_3pc: the LU that receives the
# EXTENDED COPY must be one of the two ends), a fault mid-backup, the
# failover to the other target, the catalog's record of where every segment
# went, and `segcopy restore` putting it back byte for byte.
#
# The site (written to /tmp/backup27/*.toml) names the real LUNs: `src`
# (A_SRC, a plain disk), `a-dst` (A_DST, copy_manager = "lio"), `b-dst`
# (B_DST, copy_manager = "lio") and `dst2` (the restore target, below), and
# two switches standing for the two tcm_loop targets: tgt-a and tgt-b.  src
# is linked to both (B_SRC is the same backstore, so LIO finds src's
# designator in B's session too), a-dst to tgt-a, b-dst to tgt-b.  The
# selector then gives stream 0 = a-dst through a-dst's own copy manager and
# stream 1 = b-dst through b-dst's.  The catalog is state/catalog.sqlite.
#
#  1) Planned fault: `backup src --blocks 65536 --segment-size 1MiB --to
#     disk:a-dst,b-dst --verify` with a [[fault]] failing the 5th (from 0)
#     EXTENDED COPY segment descriptor sent to a-dst with LIO's own sense
#     0a/0d/02: exit 0, completed, one failover at segment 5, stream 0 -> 1;
#     `catalog show --json` puts segments 0-4 on a-dst (stream 0) and 5-31
#     on b-dst (stream 1), each at its source LBA; the bytes on A_DST and
#     B_DST (backing files) are where the catalog says, and nowhere else.
#  2) Restore of that backup: to `dst2`.  Why dst2: LIO resolves a CSCD
#     designator only among the LUNs of the session the command arrived in,
#     so segments 0-4 (on A_DST, only in target A) can only be copied to a
#     LUN of target A, and segments 5-31 (on B_DST, only in target B) only
#     to a LUN of target B.  The dst2 backstore is exported by both targets
#     (A_DST2 and B_DST2: one designator), so it is the one LUN both runs
#     can reach.  It is declared as a plain disk (path A_DST2) linked to
#     both switches, so the only movers are a-dst and b-dst, each copying
#     its own segments (a-dst -> dst2 through A, b-dst -> dst2 through B,
#     where LIO finds dst2's designator as B_DST2).  The restored range
#     equals the source, with `restore --verify` (CRC32C read back).
#  3) Real fault: a 64 MiB backup in 256 KiB segments (no fault plan) during
#     which A_DST is unlinked from target A (lab_unlink_lun) once 16 MiB have
#     arrived on it: exit 0, completed, one failover whose reason is in
#     words; the catalog's split matches the bytes on both destinations (the
#     failed segment may be partly on A_DST: LIO was writing it); then
#     A_DST is relinked and the restore to dst2 is byte-identical.
#  4) Both splits: every catalog record (stream, disk, lba) is compared with
#     the bytes on that LUN and with zeros on the other one.
#  5) The same restore (of backup 1) to `a-dst2` declared as a LIO copy
#     manager linked to both switches (a plausible site, and wrong for LIO:
#     A_DST2's copy manager sees only target A).  The selector picks a-dst2
#     itself (name order) for the b-dst run; LIO refuses (COPY ABORTED
#     0D/02: B_DST is not in target A's session), and restore must leave
#     a-dst2 out and finish through b-dst: byte-identical, one mover failure.
# Devices are left as found (destinations zeroed, A_DST relinked).
# shellcheck disable=SC2153  # set by devices.env
# shellcheck disable=SC2154  # set by eval "$(lab_json_vars ...)"
# shellcheck disable=SC1091
. /lab/lib.sh
[ -n "${A_SRC_SG:-}" ] || { fail segcopy-backup "no devices.env: LIO set-up failed"; lab_exit; }
[ -x "${SEGCOPY:-}" ] || { fail segcopy-backup "no segcopy binary in the guest"; lab_exit; }
if [ -z "${A_DST2_SG:-}" ] || [ -z "${B_DST2_SG:-}" ]; then
    fail segcopy-backup "devices.env has no A_DST2/B_DST2 (the dst2 backstore both targets export)"
    lab_exit
fi
T=/tmp/backup27
rm -rf $T && mkdir -p $T/state
lab_turs_all
for f in "$A_DST_FILE" "$B_DST_FILE" "$A_DST2_FILE"; do lab_zero "$f"; done

# site FILE [FAULT-TOML] [RESTORE-TARGET-TOML]: the site described above
# (device paths as they are now: relinking may renumber sg nodes).
site() {
    cat > "$1" <<EOF
[site]
name = "lab-two-targets"
state_dir = "state"
[[switch]]
name = "tgt-a"
[[switch]]
name = "tgt-b"
[[real]]
name = "src"
path = "$A_SRC_SG"
kind = "disk"
links = ["tgt-a", "tgt-b"]
[[real]]
name = "a-dst"
path = "$A_DST_SG"
kind = "disk"
copy_manager = "lio"
links = ["tgt-a"]
[[real]]
name = "b-dst"
path = "$B_DST_SG"
kind = "disk"
copy_manager = "lio"
links = ["tgt-b"]
${3:-[[real]]
name = \"dst2\"
path = \"$A_DST2_SG\"
kind = \"disk\"
links = [\"tgt-a\", \"tgt-b\"]}
${2:-}
EOF
    lab_log "site file $1:"
    sed 's/^/      /' "$1"
}

# file_of DISK: the backing file of a destination, by site name or by the
# sg node the site gave it (the name segcopy should record, or the path).
A_DST_SG0=$A_DST_SG B_DST_SG0=$B_DST_SG
file_of() {
    case $1 in
        a-dst|"$A_DST_SG0"|"$A_DST_SG") echo "$A_DST_FILE" ;;
        b-dst|"$B_DST_SG0"|"$B_DST_SG") echo "$B_DST_FILE" ;;
        *) echo /nonexistent ;;
    esac
}
# which_of DISK: a-dst, b-dst or none, the same way.
which_of() {
    case $1 in
        a-dst|"$A_DST_SG0"|"$A_DST_SG") echo a-dst ;;
        b-dst|"$B_DST_SG0"|"$B_DST_SG") echo b-dst ;;
        *) echo none ;;
    esac
}
# other_of DISK: the other destination.
other_of() { case $(which_of "$1") in a-dst) echo b-dst ;; b-dst) echo a-dst ;; *) echo none ;; esac; }

# first3 WHY: the first three ";"-separated items of WHY and how many there are.
first3() {
    printf '%s' "$1" | awk -v RS=';' 'NF { n++; if (n <= 3) out = out $0 ";" } END { if (n > 3) out = out " ... (" n " in all)"; print out }'
}

# catalog_table ID OUT: `catalog show ID --json` (kept in $T/show-ID.json)
# as one line per segment record: index stream copy kind disk lba
# source_lba blocks mover_device crc32c; status and streams in
# $T/show-ID.streams.  Status of `catalog show`.
catalog_table() {
    $SEGCOPY --site $T/clean.toml catalog show "$1" --json > $T/show-"$1".json 2> $T/show-"$1".err
    _rc=$?
    [ $_rc = 0 ] || { lab_log "catalog show $1: exit $_rc: $(cat $T/show-"$1".err)"; return $_rc; }
    lab_json_flat < $T/show-"$1".json > $T/show-"$1".flat
    awk -F '\t' '
        match($1, /^segments\[[0-9]+\]\./) {
            i = substr($1, 10, RLENGTH - 11) + 0; f = substr($1, RLENGTH + 1)
            v[i, f] = $2; if (i + 1 > n) n = i + 1
        }
        END { for (i = 0; i < n; i++)
                  print v[i, "index"], v[i, "stream"], v[i, "copy"], v[i, "place.kind"], v[i, "place.disk"],
                        v[i, "place.lba"], v[i, "source_lba"], v[i, "blocks"], v[i, "mover_device"], v[i, "crc32c"] }
    ' $T/show-"$1".flat > "$2"
    awk -F '\t' '
        match($1, /^streams\[[0-9]+\]\./) {
            i = substr($1, 9, RLENGTH - 10) + 0; f = substr($1, RLENGTH + 1)
            v[i, f] = $2; if (i + 1 > n) n = i + 1
        }
        END { for (i = 0; i < n; i++)
                  printf "stream=%s failed_at=%s segments_done=%s reason=%s\n", v[i, "stream"], v[i, "failed_at"], v[i, "segments_done"], v[i, "reason"] }
    ' $T/show-"$1".flat > $T/show-"$1".streams
    return 0
}

# runs TABLE: the table's segments as runs ("0-4 s0 a-dst@0, 5-31 s1 b-dst@10240").
runs() {
    awk '{
        key = $2 " " $5
        if (key != k || $1 != last + 1) { if (k != "") { out = out sep r; sep = ", " }; r = $1 "-" $1 " s" $2 " " $5 "@" $6; first = $1 }
        else { sub(/^[0-9]+-[0-9]+/, first "-" $1, r) }
        k = key; last = $1
    } END { if (k != "") out = out sep r; print out }' "$1"
}

# check_split NAME ID NSEG SEGB K BACKUP_JSON PARTIAL: checks 1/3/4 on the
# catalog of backup ID (NSEG segments of SEGB blocks, failover at K):
#  NAME-catalog: every record: index i, stream 0 and disk a-dst for i < K,
#    stream 1 and disk b-dst from K, lba = source_lba = i*SEGB, SEGB blocks,
#    copy 0, kind disk, moved by its own disk's copy manager; the streams'
#    fates (0 failed at K after K segments, 1 completed with NSEG-K); the
#    backup's own --json segments say the same.
#  NAME-catalog-names: every record names its disk and its mover by the
#    site's names (a-dst, b-dst), which restore looks up as resources.
#  NAME-bytes: for every record, the SEGB blocks at that LBA of that disk's
#    backing file equal the source's at source_lba, and the other
#    destination has zeros there (PARTIAL=1: except segment K on a-dst,
#    where LIO may have been writing when the fault struck); nothing
#    after the object on either destination.
check_split() {
    name=$1 id=$2 nseg=$3 segb=$4 k=$5 bj=$6 partial=$7
    tab=$T/cat-$id.tsv
    if ! catalog_table "$id" "$tab"; then
        fail "$name-catalog" "segcopy catalog show $id --json failed: $(head -2 $T/show-"$id".err | tr '\n' ' ')"
        return
    fi
    lab_log "catalog of backup $id: $(runs "$tab")"
    sed 's/^/      /' $T/show-"$id".streams
    # the disk column as a-dst/b-dst (by name or by path) for the split;
    # the names themselves are checked below (NAME-catalog-names)
    while read -r c1 c2 c3 c4 c5 c6 c7 c8 c9 c10; do
        echo "$c1 $c2 $c3 $c4 $(which_of "$c5") $c6 $c7 $c8 $(which_of "$c9") $c10"
    done < "$tab" > "$tab.which"
    why=$(awk -v n="$nseg" -v segb="$segb" -v k="$k" '
        { rows++
          i = NR - 1
          ws = (i < k) ? 0 : 1; wd = (i < k) ? "a-dst" : "b-dst"
          if ($1 != i) { e = e " record " NR " has index " $1 " (want " i ");" }
          else if ($2 != ws || $5 != wd || $6 != i * segb || $7 != i * segb || $8 != segb || $3 != 0 || $4 != "disk" || $9 != wd)
              e = e " segment " i ": stream " $2 " copy " $3 " " $4 " " $5 "@" $6 " source_lba " $7 " blocks " $8 " mover " $9 " (want stream " ws " disk " wd "@" i * segb ", " segb " blocks, mover " wd ");"
        }
        END { if (rows != n) e = e " " rows " records (want " n ");"; print e }' "$tab.which")
    why=$(first3 "$why")
    s0=$(grep -c "^stream=0 failed_at=$k segments_done=$k " $T/show-"$id".streams)
    s1=$(grep -c "^stream=1 failed_at=null segments_done=$((nseg - k)) reason=completed" $T/show-"$id".streams)
    [ "$s0" = 1 ] || why="$why stream 0's record is not 'failed at $k after $k segments';"
    [ "$s1" = 1 ] || why="$why stream 1's record is not 'completed with $((nseg - k)) segments';"
    st=$(lab_json_get backup.status < $T/show-"$id".json)
    [ "$st" = completed ] || why="$why catalog status '$st';"
    # the backup's own report agrees with the catalog
    lab_json_flat < "$bj" | awk -F '\t' '
        match($1, /^segments\[[0-9]+\]\./) { i = substr($1, 10, RLENGTH - 11) + 0; v[i, substr($1, RLENGTH + 1)] = $2; if (i + 1 > n) n = i + 1 }
        END { for (i = 0; i < n; i++) print v[i, "index"], v[i, "stream"], v[i, "disk"], v[i, "lba"] }' > $T/out-"$id".tsv
    awk '{ print $1, $2, $5, $6 }' "$tab" | cmp -s - $T/out-"$id".tsv ||
        why="$why the backup's --json segments differ from the catalog: $(awk '{ print $1, $2, $5, $6 }' "$tab" | diff - $T/out-"$id".tsv | grep '^[-+][0-9]' | head -4 | tr '\n' ' ');"
    if [ -z "$why" ]; then
        pass "$name-catalog" "backup $id: $nseg records: $(runs "$tab"); stream 0 failed at $k after $k segments, stream 1 completed $((nseg - k)); the backup's --json says the same"
    else
        fail "$name-catalog" "backup $id:$why"
    fi
    # restore looks each record's disk up among the site's resources: the
    # catalog must name the site's disks (a-dst, b-dst), not their sg nodes
    why=$(awk -v k="$k" '{ i = $1; w = (i < k) ? "a-dst" : "b-dst"
            if ($5 != w || $9 != w) e = e " segment " i ": disk \"" $5 "\", mover \"" $9 "\" (want \"" w "\");" }
            END { print e }' "$tab")
    why=$(first3 "$why")
    if [ -z "$why" ]; then
        pass "$name-catalog-names" "every record names its disk and mover by the site's names (a-dst, b-dst)"
    else
        fail "$name-catalog-names" "the catalog names devices by path, not by the site's names (restore then cannot find them):$why"
    fi
    # the bytes are where the catalog says, and only there
    why='' ok=0
    while read -r idx _s _c _k disk lba slba blocks _m _crc; do
        f=$(file_of "$disk") o=$(file_of "$(other_of "$disk")")
        if ! d=$(lab_cmp "$A_SRC_FILE" $((slba * 512)) "$f" $((lba * 512)) $((blocks * 512)) 2>&1); then
            why="$why segment $idx is not on $disk@$lba ($f): $d;"
            continue
        fi
        if [ "$partial" = 1 ] && [ "$idx" = "$k" ] && [ "$(which_of "$disk")" = b-dst ]; then
            if lab_is_zero "$o" $((lba * 512)) $((blocks * 512)); then
                lab_log "segment $k (the failed one): nothing of it on a-dst"
            else
                n0=$(lab_cmp "$A_SRC_FILE" $((slba * 512)) "$o" $((lba * 512)) $((blocks * 512)) 2>&1 | sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')
                lab_log "segment $k (the failed one): partly on a-dst too (first difference from the source at byte ${n0:-none} of $((blocks * 512))): LIO was writing it"
            fi
        elif ! lab_is_zero "$o" $((lba * 512)) $((blocks * 512)); then
            why="$why segment $idx is on $disk but $(other_of "$disk") has data there too;"
            continue
        fi
        ok=$((ok + 1))
    done < "$tab"
    end=$((nseg * segb * 512))
    for f in "$A_DST_FILE" "$B_DST_FILE"; do
        lab_is_zero "$f" $end $((A_DST_BYTES - end)) || why="$why $f has data after the object's $end bytes;"
    done
    if [ -z "$why" ] && [ $ok = "$nseg" ]; then
        pass "$name-bytes" "all $nseg segments are byte-identical to the source at the catalog's disk and LBA (a-dst: $k, b-dst: $((nseg - k))), zeros at the same place on the other destination$([ "$partial" = 1 ] && echo " (segment $k excepted on a-dst)"), nothing after the object"
    else
        fail "$name-bytes" "$ok of $nseg segments checked out:$(first3 "$why")"
    fi
}

# restore_check NAME SITE ID BLOCKS TARGET [--verify]: restores backup ID to
# TARGET (the dst2 backstore) and compares the whole LUN with the source
# (range) and zeros (the rest).  Sets rrc, why (empty: all well) and the
# JSON's values; status 1 when segcopy failed (why says so; nothing else
# is checked).  The JSON is in $T/NAME.json.
restore_check() {
    name=$1 rsite=$2 id=$3 blocks=$4 target=$5
    shift 5
    lab_zero "$A_DST2_FILE"
    t=$(now_ms)
    $SEGCOPY -v --site "$rsite" restore "$id" --to "$target" --json "$@" > $T/"$name".json 2> $T/"$name".err
    rrc=$?
    secs=$(elapsed "$t")
    lab_log "segcopy --site $rsite restore $id --to $target --json $*: exit $rrc in ${secs}s"
    sed 's/^/    /' $T/"$name".json
    grep -v 'EXTENDED COPY: \(cdb\|parameter list\)\|^ *[0-9a-f][0-9a-f] ' $T/"$name".err | grep -i 'restor\|mover\|fail\|error\|abort' | head -20 | sed 's/^/    stderr: /'
    eval "$(lab_json_vars rseg=segments rbytes=bytes m0='media[0]' m1='media[1]' m2='media[2]' f0='mover_failures[0]' f1='mover_failures[1]' ver=verified < $T/"$name".json)"
    # which mover did each run (-v logs "restoring segments A-B from M through DEV")
    through=$(sed -n 's/.*restoring segments \([0-9]*-[0-9]*\) from \(.*\) through \(.*\)$/\1 from \2 through \3/p' $T/"$name".err |
        awk '{ printf "%s%s", sep, $0; sep = "; " }')
    lab_log "runs: $through"
    why=
    if [ $rrc != 0 ]; then
        # nothing else to check: say why, once
        why="exit $rrc: $(grep -v '^\[' $T/"$name".err | tail -2 | tr '\n' ' ')"
        return 1
    fi
    bytes=$((blocks * 512))
    [ "$rbytes" = $bytes ] || why="$why bytes '$rbytes' (want $bytes);"
    [ "$m0" = "disk a-dst" ] && [ "$m1" = "disk b-dst" ] && [ -z "$m2" ] || why="$why media '$m0' '$m1' '$m2' (want disk a-dst, disk b-dst);"
    if ! d=$(lab_cmp "$A_SRC_FILE" 0 "$A_DST2_FILE" 0 $bytes 2>&1); then
        why="$why the restored range differs from the source: $d;"
    fi
    lab_is_zero "$A_DST2_FILE" $bytes $((A_DST2_BYTES - bytes)) || why="$why something was written on dst2 after the restored range;"
}

SEGB=2048 NSEG=32 K=5 BLOCKS=$((32 * 2048))

# ---------------------------------------------------------------- 1) planned
site $T/clean.toml
site $T/plan.toml '[[fault]]
device = "a-dst"
segment = 5
effect = "sense"
sense = "0a/0d/02"'
t=$(now_ms)
$SEGCOPY --site $T/plan.toml backup src --blocks $BLOCKS --segment-size 1MiB --to disk:a-dst,b-dst --verify --json \
    > $T/b1.json 2> $T/b1.err
rc=$?
secs=$(elapsed "$t")
lab_log "segcopy --site $T/plan.toml backup src --blocks $BLOCKS --segment-size 1MiB --to disk:a-dst,b-dst --verify --json: exit $rc in ${secs}s"
sed 's/^/    stderr: /' $T/b1.err
eval "$(lab_json_vars id1=backup st=status tot=segments_total fseg='failovers[0].segment' ffrom='failovers[0].from_stream' \
    fto='failovers[0].to_stream' freason='failovers[0].reason' f2='failovers[1].segment' c0='segments[0].crc32c' < $T/b1.json)"
lab_log "backup $id1: status $st, $tot segments; failover at segment $fseg: stream $ffrom -> $fto: $freason"
why=
[ $rc = 0 ] || why="exit $rc (want 0: the backup completed through stream 1);"
[ "$st" = completed ] || why="$why status '$st';"
[ "$tot" = $NSEG ] || why="$why segments_total '$tot' (want $NSEG);"
[ "$fseg" = $K ] && [ "$ffrom" = 0 ] && [ "$fto" = 1 ] || why="$why failover '$fseg' '$ffrom'->'$fto' (want segment $K, 0 -> 1);"
[ -z "$f2" ] || why="$why a second failover (at segment $f2);"
case $freason in *"COPY ABORTED"*|*0d/02*|*0x0d/0x02*) ;; *) why="$why the reason '$freason' does not name COPY ABORTED 0D/02;" ;; esac
[ -n "$c0" ] && [ "$c0" != null ] || why="$why no CRC32C recorded with --verify;"
case $id1 in ''|*[!0-9]*) id1=0 ;; esac
if [ -z "$why" ]; then
    pass segcopy-backup-planned-fault "exit 0 in ${secs}s, backup $id1 completed, $NSEG x 1 MiB; one failover at segment $K, stream 0 -> 1: $freason"
else
    fail segcopy-backup-planned-fault "$why"
fi
if [ "$id1" -gt 0 ]; then
    check_split segcopy-backup-planned "$id1" $NSEG $SEGB $K $T/b1.json 0
else
    fail segcopy-backup-planned-catalog "no backup id in the JSON: $(head -3 $T/b1.err | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- 2) restore
if [ "$id1" -gt 0 ]; then
    if restore_check restore1 $T/clean.toml "$id1" $BLOCKS dst2 --verify; then
        [ "$rseg" = $NSEG ] || why="$why segments '$rseg' (want $NSEG);"
        [ -z "$f0" ] || why="$why a mover failed: $f0;"
        [ "$ver" = $NSEG ] || why="$why verified '$ver' (want $NSEG CRC32C checked);"
    fi
    if [ -z "$why" ]; then
        pass segcopy-restore-planned "backup $id1 restored to dst2 (A_DST2/B_DST2) in ${secs}s: $rseg segments from disk a-dst then disk b-dst ($through), $NSEG CRC32C read back; all $BLOCKS blocks byte-identical to the source, nothing after"
    else
        fail segcopy-restore-planned "$why"
    fi
else
    fail segcopy-restore-planned "no backup to restore (the planned backup failed)"
fi

# ---------------------------------------------------------------- 5) a-dst2 as a copy manager
if [ "$id1" -gt 0 ]; then
    site $T/cm.toml '' '[[real]]
name = "a-dst2"
path = "'"$A_DST2_SG"'"
kind = "disk"
copy_manager = "lio"
links = ["tgt-a", "tgt-b"]'
    if restore_check restore-cm $T/cm.toml "$id1" $BLOCKS a-dst2; then
        [ "$rseg" = $NSEG ] || why="$why segments '$rseg' (want $NSEG);"
        [ -n "$f0" ] && [ -z "$f1" ] || why="$why mover failures '$f0' '$f1' (want exactly one: a-dst2 cannot reach b-dst);"
    fi
    if [ -z "$why" ]; then
        pass segcopy-restore-mover-failover "restore to a-dst2 declared a LIO copy manager on both switches: one mover failure ($f0); runs: $through; all $BLOCKS blocks byte-identical"
    else
        fail segcopy-restore-mover-failover "$why"
    fi
fi

# ---------------------------------------------------------------- 3) real fault
for f in "$A_DST_FILE" "$B_DST_FILE" "$A_DST2_FILE"; do lab_zero "$f"; done
lab_turs_all
SEGB2=512 NSEG2=256 BLOCKS2=$((256 * 512)) AT=$((16 * 1048576))
t=$(now_ms)
$SEGCOPY --site $T/clean.toml backup src --blocks $BLOCKS2 --segment-size 256KiB --to disk:a-dst,b-dst --json \
    > $T/b2.json 2> $T/b2.err &
pid=$!
lab_wait_data "$A_DST_FILE" $AT || lab_log "the backup did not reach $AT bytes on A_DST within 10 s"
t2=$(now_ms)
lab_unlink_lun A_DST
urc=$?
wait $pid
rc=$?
secs=$(elapsed "$t")
lab_log "A_DST unlinked (rc $urc) $(awk -v a="$t" -v b="$t2" 'BEGIN { printf "%.3f", (b - a) / 1000 }')s after the start, once $AT bytes had arrived; segcopy backup exit $rc after ${secs}s"
sed 's/^/    stderr: /' $T/b2.err
old=$A_DST_SG
lab_relink_lun A_DST || fail segcopy-backup-unlink-relink "A_DST did not come back after relinking"
lab_turs_all
[ "$old" = "$A_DST_SG" ] || lab_log "A_DST is $A_DST_SG after relinking (was $old)"
site $T/clean.toml
eval "$(lab_json_vars id2=backup st=status tot=segments_total fseg='failovers[0].segment' ffrom='failovers[0].from_stream' \
    fto='failovers[0].to_stream' freason='failovers[0].reason' f2='failovers[1].segment' < $T/b2.json)"
lab_log "backup $id2: status $st, $tot segments; failover at segment $fseg: stream $ffrom -> $fto: $freason"
why=
[ $rc = 0 ] || why="exit $rc (want 0: the backup completed through target B);"
[ "$st" = completed ] || why="$why status '$st';"
[ "$tot" = $NSEG2 ] || why="$why segments_total '$tot' (want $NSEG2);"
case $fseg in ''|*[!0-9]*) why="$why no failover (the unlink came too late? the timing is off);"; fseg=0 ;; esac
[ "$ffrom" = 0 ] && [ "$fto" = 1 ] || why="$why failover stream '$ffrom' -> '$fto' (want 0 -> 1);"
[ "$fseg" -gt 0 ] || why="$why the failover came before the first segment (the test's timing is off);"
[ -z "$f2" ] || why="$why a second failover (at segment $f2);"
# in words: not empty, not a bare number or code
case $freason in *[a-z][a-z][a-z]*" "*[a-z][a-z]*) ;; *) why="$why the reason '$freason' is not in words;" ;; esac
case $id2 in ''|*[!0-9]*) id2=0 ;; esac
if [ -z "$why" ]; then
    pass segcopy-backup-unlink-failover "A_DST unlinked mid-backup: exit 0 in ${secs}s, backup $id2 completed; one failover at segment $fseg of $NSEG2 (after $((fseg * SEGB2 * 512)) bytes), stream 0 -> 1: $freason"
else
    fail segcopy-backup-unlink-failover "$why"
fi
if [ "$id2" -gt 0 ] && [ "$fseg" -gt 0 ]; then
    check_split segcopy-backup-unlink "$id2" $NSEG2 $SEGB2 "$fseg" $T/b2.json 1
    if restore_check restore2 $T/clean.toml "$id2" $BLOCKS2 dst2; then
        [ "$rseg" = $NSEG2 ] || why="$why segments '$rseg' (want $NSEG2);"
        [ -z "$f0" ] || why="$why a mover failed: $f0;"
    fi
    if [ -z "$why" ]; then
        pass segcopy-restore-unlink "backup $id2 restored to dst2 in ${secs}s: $rseg segments ($through), A_DST relinked; all $BLOCKS2 blocks byte-identical to the source, nothing after"
    else
        fail segcopy-restore-unlink "$why"
    fi
else
    fail segcopy-backup-unlink-catalog "no completed backup with a failover to check"
fi

for f in "$A_DST_FILE" "$B_DST_FILE" "$A_DST2_FILE"; do lab_zero "$f"; done
lab_turs_all
lab_exit
