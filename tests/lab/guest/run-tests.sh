#!/bin/sh
# Runs the guest tests: every executable /lab/tests/*.sh in name order
# (filtered by LAB_ONLY, a shell glob on the file name), then the Rust guest
# program LAB_GUEST_BIN when present.  Each test's output goes to the console
# and to $LAB_OUT/logs/<test>.log.  LAB-RESULT lines pass through as they
# are; other output is indented so that the host never takes it for a result.
# A test that exits non-zero without a FAIL line, or prints no result at
# all, gets a FAIL line from here.
# shellcheck disable=SC1091
. /lab/config.env
# shellcheck disable=SC1091
. /lab/lib.sh
export LAB_OUT
: "${LAB_TEST_TIMEOUT:=240}"
mkdir -p "$LAB_OUT/logs"

# run_one NAME COMMAND...
run_one() {
    _name=$1
    shift
    _log=$LAB_OUT/logs/$_name.log
    _t0=$(now_ms)
    echo "lab: --- $_name"
    # A test may take longer than the default: "# lab-timeout: SECONDS"
    # in its first 40 lines.
    _limit=$(head -40 "$1" | sed -n 's/^# lab-timeout: *\([0-9][0-9]*\).*/\1/p' | head -1)
    _limit=${_limit:-$LAB_TEST_TIMEOUT}
    { timeout "$_limit" "$@" < /dev/null 2>&1; echo $? > /tmp/lab-rc; } |
        tee "$_log" |
        while IFS= read -r _line; do
            case $_line in
                LAB-RESULT\ *) echo "$_line" ;;
                *) echo "  | $_line" ;;
            esac
        done
    _rc=$(cat /tmp/lab-rc)
    _n_results=$(grep -c '^LAB-RESULT ' "$_log" || true)
    _n_fail=$(grep -c '^LAB-RESULT [^ ]* FAIL' "$_log" || true)
    _secs=$(elapsed "$_t0")
    if [ "$_rc" = 143 ] || [ "$_rc" = 124 ]; then
        fail "$_name" "timed out after ${_limit}s"
    elif [ "$_n_results" = 0 ]; then
        fail "$_name" "printed no LAB-RESULT line (exit status $_rc)"
    elif [ "$_rc" != 0 ] && [ "$_n_fail" = 0 ]; then
        fail "$_name" "exited with status $_rc after ${_n_results} result(s)"
    fi
    echo "lab: --- $_name done in ${_secs}s (exit $_rc)"
}

for t in /lab/tests/*; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    name=${name%.sh}
    if [ ! -x "$t" ]; then
        # A test nobody can run is a failure, never a silent skip.
        fail "$name" "$t is not executable (chmod +x tests/lab/guest/tests/$(basename "$t")): it did not run"
        continue
    fi
    if [ -n "${LAB_ONLY:-}" ]; then
        # shellcheck disable=SC2254
        case $(basename "$t") in $LAB_ONLY) ;; *) continue ;; esac
    fi
    run_one "$name" "$t"
done

if [ -n "${LAB_GUEST_BIN:-}" ] && [ -x "$LAB_GUEST_BIN" ]; then
    run_one lab-guest "$LAB_GUEST_BIN"
fi
