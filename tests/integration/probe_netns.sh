#!/bin/bash
# ctstorm probe against the real kernel: a 4096-entry table with a 5 s UDP
# timeout (scenarios/probe.scn, --quick). The highest rate of new flows it
# takes without a drop, an eviction or a lost query must lie within 10% of
# Little's law with the collector's pace measured in the same run, and the
# search must have bracketed it (a clean and a failing step); nothing is
# left on the host. Several minutes: the kernel's collector of an idle host
# wakes once a minute, and each step warms up past it.
#
# usage: probe_netns.sh BUILD_DIR
BUILD=$1
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require iptables python3
ct_save_max
CTSTORM=$BUILD/scenarios/ctstorm
OUT=$CT_TMP/results
before=$(cat /proc/sys/net/netfilter/nf_conntrack_max)

"$CTSTORM" probe probe --quick --quiet --out "$OUT" >"$CT_TMP/probe.log" 2>&1
rc=$?
cat "$CT_TMP/probe.log" | grep -v '^\['
ct_check "probe: exit 0" test $rc -eq 0
dir=$(tail -n 1 "$CT_TMP/probe.log" | sed -n 's/^Results: //p')
python3 - "$dir/manifest.json" >"$CT_TMP/verdict" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["probe"]
print(p["found_rate"], p["predicted_rate"], p["ratio"], p["bracketed"], p["little_rate"])
PY
read -r found predicted ratio bracketed little <"$CT_TMP/verdict"
echo "found $found/s, predicted $predicted/s (Little's law alone: $little/s), ratio $ratio"
ct_check "probe: a clean and a failing step bracket the rate" test "$bracketed" = True
ct_check "probe: found rate within 10% of the prediction ($ratio)" \
	python3 -c "import sys; sys.exit(not 0.9 <= float('$ratio') <= 1.1)"
ct_check "probe: Little's law with the nominal timeout alone overstates it (the collector's lag)" \
	python3 -c "import sys; sys.exit(not float('$little') > float('$found'))"
ct_check "probe: nf_conntrack_max restored" test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$before"
ct_check "probe: no namespace left" test "$(ip netns list | grep -c '^cts-')" -eq 0
ct_summary
