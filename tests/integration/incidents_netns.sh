#!/bin/bash
# The new incidents' mechanisms, beyond their verdicts (runner_netns.sh
# runs every catalogue scenario and judges its expectations):
#  - dns-race-dnat: the insertion race is probabilistic; its baseline,
#    repeated, races every time (clash_resolve > 0) and loses no lookup on
#    this kernel, and the DNAT spread the flows over all three backends;
#  - stale-udp-dnat: the responder's counts by listener show where the
#    fixed-port client went after the switch: only to the gone backend,
#    unless the entries were deleted at the switch;
#  - the lab's DNAT to several backends is kube-proxy's statistic chain.
# (The loadgen's lookups and fixed source port: tests/unit/test_engine.c.)
#
# usage: incidents_netns.sh BUILD_DIR SCENARIO_DIR [REPEATS]
BUILD=$1
SCN=$2
REPEATS=${3:-5}
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ct_require iptables iptables-restore nft python3
ct_save_max
CTSTORM=$BUILD/scenarios/ctstorm
OUT=$CT_TMP/results
mkdir -p "$OUT"
results_dir() { tail -n 1 "$1" | sed -n 's/^Results: //p'; }

# --- dns-race-dnat, its baseline again and again ---
for i in $(seq "$REPEATS"); do
	log=$CT_TMP/race-$i.log
	"$CTSTORM" run dns-race-dnat --quick --variant baseline --set load.limit=1500ms --quiet --out "$OUT" >"$log" 2>&1
	rc=$?
	dir=$(results_dir "$log")
	got=$(/usr/bin/python3 - "$dir/baseline" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/sampler.json"))["totals"]
l = json.load(open(f"{d}/loadgen.json"))
print(s["clash_resolve"], s["insert_failed"], l["lookups"], l["lookups_failed"])
PY
)
	read -r clashes failed lookups lost <<<"$got"
	ct_check "dns-race-dnat baseline, run $i: exit $rc, $clashes of $lookups lookups raced, $failed inserts failed, $lost lookups lost" \
		bash -c "[ $rc -eq 0 ] && [ '${clashes:-0}' -gt 0 ] && [ '${lost:-1}' -eq 0 ] && [ '${lookups:-0}' -gt 0 ]"
done
ct_check "dns-race-dnat: the headline says what this kernel absorbed ($clashes clashes of $lookups lookups)" \
	grep -q "This kernel resolved insertion clashes: baseline $clashes (of $lookups lookups); a kernel that does not" \
	"$dir/report.md"
ct_check "dns-race-dnat: the router's DNAT is kube-proxy's chain (statistic 1/3, 1/2, then the last)" \
	bash -c "grep -q -- '-A CTSTORM-DNAT -m statistic --mode random --probability 0.33333333333 -j DNAT --to-destination 198.18.1.2' '$dir/baseline/ruleset.txt' &&
		 grep -q -- '-A CTSTORM-DNAT -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 198.18.1.3' '$dir/baseline/ruleset.txt' &&
		 grep -q -- '-A CTSTORM-DNAT -j DNAT --to-destination 198.18.1.4' '$dir/baseline/ruleset.txt'"
ct_check "dns-race-dnat: the responder answered on all three backends" /usr/bin/python3 - "$dir/baseline/responder.json" <<'PY'
import json, sys
by = json.load(open(sys.argv[1]))["listeners"]
sys.exit(0 if len(by) == 3 and all(b["udp"] > 0 for b in by) else 1)
PY

# --- stale-udp-dnat: where the fixed-port client's queries went ---
# without its canary (whose fresh flows do reach backend 2)
sed -e '/^\[canary\]/,/^$/d' -e '/^canary\./d' "$SCN/stale-udp-dnat.scn" >"$CT_TMP/stale.scn"
"$CTSTORM" run "$CT_TMP/stale.scn" --quick --variant baseline --variant flush --quiet --out "$OUT" >"$CT_TMP/stale.log" 2>&1
rc=$?
dir=$(results_dir "$CT_TMP/stale.log")
ct_check "stale-udp-dnat without a canary: exit $rc" test "$rc" -eq 0
by() { # VARIANT INDEX: the UDP queries backend INDEX received
	/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['listeners'][int(sys.argv[2])]['udp'])" \
		"$dir/$1/responder.json" "$2"
}
ct_check "stale-udp-dnat baseline: after the switch the client kept to the gone backend (backend 2 got $(by baseline 1) queries)" \
	test "$(by baseline 1)" -eq 0
ct_check "stale-udp-dnat flush: after the switch the client's new entry led to backend 2 ($(by flush 1) queries)" \
	test "$(by flush 1)" -gt 0
ct_check "stale-udp-dnat flush: the deletion is in commands.log" \
	grep -q -- '--orig-dst 198.18.0.254 --dst-nat 198.18.1.2: [1-9][0-9]* deleted' "$dir/commands.log"
ct_check "stale-udp-dnat: the report's queries by backend (baseline none to backend 2, flush some)" \
	bash -c "grep -qx '| baseline | [1-9][0-9]* | 0 |' '$dir/report.md' && grep -qx '| flush | [1-9][0-9]* | [1-9][0-9]* |' '$dir/report.md'"
ct_check "stale-udp-dnat: one source port for the whole load (new_flows 1)" /usr/bin/python3 - "$dir" <<'PY'
import json, sys
sys.exit(0 if all(json.load(open(f"{sys.argv[1]}/{v}/loadgen.json"))["new_flows"] == 1 for v in ("baseline", "flush")) else 1)
PY
ct_summary
