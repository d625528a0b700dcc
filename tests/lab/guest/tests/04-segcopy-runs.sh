#!/bin/sh
# The segcopy binary made it into the guest and runs there (its shared
# libraries resolve).  Says nothing about segcopy being right: the segcopy
# lab tests do that.  FAILS, never skips, when the binary is missing.
# shellcheck disable=SC1091
. /lab/lib.sh
if [ -z "${SEGCOPY:-}" ] || [ ! -x "$SEGCOPY" ]; then
    fail segcopy-runs "no segcopy in the guest (the host could not build or find it; see host-build-segcopy)"
    lab_exit
fi
out=$("$SEGCOPY" --version 2>&1)
rc=$?
if [ $rc != 0 ]; then
    out=$("$SEGCOPY" --help 2>&1)
    rc=$?
fi
if [ $rc = 0 ]; then
    first=$(printf '%s' "$out" | head -1)
    pass segcopy-runs "$SEGCOPY runs in the guest (exit 0): ${first:-it printed nothing}"
elif printf '%s' "$out" | grep -q -e 'error while loading shared libraries' -e 'not found'; then
    fail segcopy-runs "$SEGCOPY cannot start: $(printf '%s' "$out" | head -1)"
else
    fail segcopy-runs "$SEGCOPY --version and --help exit $rc: $(printf '%s' "$out" | head -1)"
fi
lab_exit
