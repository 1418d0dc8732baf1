#!/bin/bash
# Benchmark: ctstorm probe against the model. A 4096-entry table with a 5 s
# UDP timeout (scenarios/probe.scn, --quick): the highest rate of new flows
# it takes without a drop, an eviction or a lost query, measured, against
# Little's law with the kernel collector's pace measured in the same run,
# ctstorm plan's prediction and Little's law with the timeout alone. Prints
# the ratios (the target: measured/predicted within 0.9..1.1). Several
# minutes: the collector of an idle host wakes once a minute, and each step
# warms up past it.
#
#   bench/probe.sh        (needs root)
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require iptables python3
ct_save_max
CTSTORM=$ROOT/build/scenarios/ctstorm
OUT=$CT_TMP/results

"$CTSTORM" probe probe --quick --quiet --out "$OUT" >"$CT_TMP/probe.log" 2>&1
rc=$?
grep -v '^\[' "$CT_TMP/probe.log"
dir=$(tail -n 1 "$CT_TMP/probe.log" | sed -n 's/^Results: //p')
[ -n "$dir" ] || { echo "probe failed (exit $rc)"; exit 1; }
python3 - "$dir/manifest.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["probe"]
f = p["found_rate"]
def ratio(x):
    return f"{f / x:.2f}" if x else "n/a"
print()
print(f"{'figure':<52} {'flows/s':>9} {'measured/it':>12}")
print(f"{'measured: highest clean rate':<52} {f:>9.1f}")
print(f"{'Little + the collector pace measured (target 0.9-1.1)':<52} {p['predicted_rate'] or 0:>9.1f} {ratio(p['predicted_rate']):>12}")
print(f"{'ctstorm plan (the kernel formula for the pace)':<52} {p['modelled_rate']:>9.1f} {ratio(p['modelled_rate']):>12}")
print(f"{'Little with the timeout alone':<52} {p['little_rate']:>9.1f} {ratio(p['little_rate']):>12}")
print(f"bracketed by a clean and a failing step: {p['bracketed']}")
PY
