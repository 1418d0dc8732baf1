#!/bin/bash
# ctstorm probe against the real kernel, short: a few steps of 1 s warm-up
# and 2 s judged on scenarios/probe.scn. What is asserted is what does not
# depend on the machine's speed: the steps ran in fresh labs and were
# judged, each step's rate follows from the one before as the search says
# (a quarter more after a clean step, the middle or half after a failing
# one), the manifest records them, and nothing is left on the host. How
# close the found rate comes to the model is bench/probe.sh's figure.
#
# usage: probe_netns.sh BUILD_DIR SCENARIO_DIR
BUILD=$1
SCN=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require iptables python3
ct_save_max
CTSTORM=$BUILD/scenarios/ctstorm
OUT=$CT_TMP/results
before=$(cat /proc/sys/net/netfilter/nf_conntrack_max)

"$CTSTORM" probe "$SCN/probe.scn" --quick --quiet --out "$OUT" --set probe.warmup=1s --set probe.hold=2s \
	--set probe.budget=16s >"$CT_TMP/probe.log" 2>&1
rc=$?
grep -v '^\[' "$CT_TMP/probe.log"
ct_check "probe: exit 0 (a clean step) or 1 (none), not an error ($rc)" test $rc -le 1
dir=$(tail -n 1 "$CT_TMP/probe.log" | sed -n 's/^Results: //p')
ct_check "probe: a results folder" test -d "$dir"
python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
p = m["probe"]
steps = p["steps"]
assert m["status"] == "complete", m["status"]
assert 1 <= len(steps) == len(m["variants"]), (len(steps), m["variants"])
lo, hi = 0, float("inf")
for i, s in enumerate(steps):
    v = m["variants"][i]
    assert v["status"] in ("pass", "fail"), v
    for f in ("sampler.csv", "loadgen.jsonl", "verdict.json", "ruleset.txt"):
        assert os.path.getsize(f"{d}/{v['dir']}/{f}") > 0, (v, f)
    if s["clean"]:
        lo = max(lo, s["rate"])
    else:
        hi = min(hi, s["rate"])
    if i + 1 < len(steps):
        nxt = steps[i + 1]["rate"]
        want = (lo + hi) / 2 if lo and hi < float("inf") else hi / 2 if hi < float("inf") else s["rate"] * 1.25
        assert abs(nxt - want) <= 0.2, (i, s, nxt, want)
assert p["found_rate"] == lo, (p["found_rate"], lo)
print(f"{len(steps)} steps, search consistent, highest clean {lo}")
PY
ct_check "probe: every step measured in its own lab, the search's rates consistent, the manifest complete" test $? -eq 0
ct_check "probe: nf_conntrack_max restored" test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$before"
ct_check "probe: no namespace left" test "$(ip netns list | grep -c '^cts-')" -eq 0
ct_summary
