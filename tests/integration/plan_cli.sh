#!/bin/bash
# ctstorm plan as a planner uses it, checked by hand arithmetic: every
# figure given (RAM, kernel, entry size, collector lag) so the host's own do
# not enter; sizes need a unit; states as conntrack -L prints them;
# timeouts with units; the kernel's defaults before and after 5.15; the
# RAM warning; the host's current row.
#
# usage: plan_cli.sh BUILD_DIR
CTSTORM=$1/scenarios/ctstorm
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT

plan() { "$CTSTORM" plan "$@"; }

# 1000/s x 10 s = 10000, + 1000/s x 2 s of collector lag = 12000, x 1.25 = 15000
# -> the next multiple of 1024: 15360; memory 15360 x (320 + 8) = 5038080
plan --flow udp:1000:10s --ram 16G --kernel 6.1 --entry-size 320 --gc-lag 2s --after-quiet 0 --json >"$CT_TMP/a.json"
ct_check "plan --json: exit 0" test $? -eq 0
python3 - "$CT_TMP/a.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["steady_entries"] == 10000 and j["gc_lag_entries"] == 2000 and j["peak_entries"] == 15000, j
assert j["headroom_pct"] == 25 and j["entry_bytes"] == 320 and j["entry_bytes_from"] == "given", j
assert j["recommended"] == {"nf_conntrack_max": 15360, "nf_conntrack_buckets": 15360,
                            "memory_bytes": 5038080, "holds_peak": True}, j["recommended"]
# 16 GiB / 16384 / (64 / 32) = 524288, buckets / 8; 6.1's default: 262144 = buckets
assert j["rule_of_thumb_seed_004"]["nf_conntrack_max"] == 524288, j
assert j["rule_of_thumb_seed_004"]["nf_conntrack_buckets"] == 65536, j
assert j["kernel_default"]["nf_conntrack_max"] == 262144 and j["kernel_default"]["holds_peak"] is True, j
assert j["kernel"] == "6.1" and j["warnings"] == [], j
assert j["this_host_now"] is None or isinstance(j["this_host_now"]["holds_peak"], bool), j
PY
ct_check "plan --json: Little's law, the sizings and holds_peak by hand" test $? -eq 0

# after a quiet period (the default 60 s): 1000/s x 60 s = 60000 held at the
# collector's first pass, above the steady 12000: x 1.25 = 75000 -> 75776
plan --flow udp:1000:10s --ram 16G --kernel 6.1 --entry-size 320 --gc-lag 2s --json >"$CT_TMP/q.json"
python3 - "$CT_TMP/q.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["after_quiet_s"] == 60 and j["after_quiet_entries"] == 60000 and j["peak_entries"] == 75000, j
assert j["recommended"]["nf_conntrack_max"] == 75776, j["recommended"]
PY
ct_check "plan --json: a burst after quiet, 60 s of flows before the collector's first pass" test $? -eq 0
out=$(plan --flow udp:400:5 --ram 4G --kernel 6.18 --entry-size 320 --after-quiet 30s)
ct_check "plan: the after-quiet line (400/s x 30 s = 12000)" \
	bash -c "grep -Eq 'after quiet +400/s x +30s = +12000' <<<\"\$0\"" "$out"

# Linux 5.10 on 2 GiB: buckets 16384 above 1 GiB, max 4 x buckets; its
# collector is not the model's: a warning, unless the lag is given
out=$(plan --flow TCP:100:TIME_WAIT:2m --ram 2G --kernel 5.10.0-28-amd64 --entry-size 320)
ct_check "plan: TIME_WAIT and 2m accepted, 100/s x 120s = 12000" bash -c "grep -q 'tcp time_wait .* 120s = *12000' <<<\"\$0\"" "$out"
ct_check "plan: the kernel's default for 5.10 on 2 GiB: 65536 max, 16384 buckets" \
	bash -c "grep -qE \"the kernel's default \\(5.10\\) +65536 +16384\" <<<\"\$0\"" "$out"
ct_check "plan: the rule of thumb by its name" bash -c "grep -q 'RAM/16384/(bits/32) rule of thumb (seed 004)' <<<\"\$0\"" "$out"
ct_check "plan: 'peak with 25% headroom'" bash -c "grep -q 'peak with 25% headroom' <<<\"\$0\"" "$out"
ct_check "plan: a 5.10 host's collector is flagged" bash -c "grep -q 'Warning: the collector lag is modelled on Linux 5.19' <<<\"\$0\"" "$out"

# a table that takes much of a small host's RAM: 50000/s x 30 s on 1 GiB
out=$(plan --flow udp:50000:30 --ram 1G --kernel 6.1 --entry-size 320 --gc-lag 1s --after-quiet 0)
ct_check "plan: a warning when the table takes much of the RAM" \
	bash -c "grep -qE 'Warning: the recommended table takes [0-9]+% of the RAM' <<<\"\$0\"" "$out"
# more than the RAM: refused, with why, and no line to deploy
out=$(plan --flow udp:50000:30 --ram 1G --kernel 6.1 --entry-size 320 --gc-lag 1s)
rc=$?
ct_check "plan: a table larger than the RAM is refused (exit 1, no sysctl line)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'Cannot be planned' <<<\"\$0\" && ! grep -q '^net.netfilter' <<<\"\$0\"" "$out"
# an idle timeout taken for a life: refused beyond the kernel's int, and why
out=$(plan --flow tcp:50000:established --ram 64G --kernel 6.1 --entry-size 320)
rc=$?
ct_check "plan tcp:50000:established: exit 1, beyond what nf_conntrack_max takes, the fix named" \
	bash -c "[ $rc -eq 1 ] && grep -q '2147483647' <<<\"\$0\" && grep -q 'life=' <<<\"\$0\" && grep -q -- '--open' <<<\"\$0\" && ! grep -q '^net.netfilter' <<<\"\$0\"" "$out"
plan --flow udp:1e9 --json --ram 64G --kernel 6.1 --entry-size 320 >"$CT_TMP/big.json"
ct_check "plan udp:1e9 --json: refused, no sysctl" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["recommended"] is None and j["refused"] and j["sysctl"] == [], j' "$CT_TMP/big.json"
# life and open connections: 2000/s x (30 s + 120 s) = 300000; 50000 open; lag 2 s x 2000 = 4000
# (300000 + 50000 + 4000) x 1.25 = 442500 -> 443392
out=$(plan --flow tcp:2000:time_wait:120:life=30s --open tcp:50000 --ram 64G --kernel 6.1 --entry-size 320 \
	--gc-lag 2s --after-quiet 0 --json)
ct_check "plan life= and --open: 2000/s x (30 s + 120 s) + 50000 open -> max 443392" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["flows"][0]["entries"] == 300000 and j["flows"][0]["life_s"] == 30, j["flows"]
assert j["open"][0]["entries"] == 50000, j["open"]
assert j["steady_entries"] == 350000 and j["peak_entries"] == 442500, j
assert j["recommended"]["nf_conntrack_max"] == 443392, j["recommended"]' "$out"
# connections held open alone: 50000 x 1.25 = 62500 -> 63488
out=$(plan --open tcp:50000 --ram 64G --kernel 6.1 --entry-size 320 --gc-lag 2s --json)
ct_check "plan --open alone: 50000 open -> max 63488" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["flows"] == [] and j["steady_entries"] == 50000 and j["recommended"]["nf_conntrack_max"] == 63488, j' "$out"
# the term that drove it, named
out=$(plan --flow udp:20000:30 --ram 64G --kernel 6.1 --entry-size 320 --gc-lag 15.0075s)
ct_check "plan: the arithmetic recomputes (20000/s x 15.008s = 300160)" \
	bash -c "grep -qE '20000/s x +15.008s = +300160' <<<\"\$0\"" "$out"
ct_check "plan: the term that drove the peak is named" \
	bash -c "grep -q 'Driven by: after quiet' <<<\"\$0\" && grep -q -- '--after-quiet 0' <<<\"\$0\"" "$out"
# flows toward one destination beyond the source ports
out=$(plan --flow udp:2000:30:dst=1 --ram 64G --kernel 6.1 --entry-size 320)
ct_check "plan dst=1: 60000 live flows toward one destination need more than one address's ports" \
	bash -c "grep -q 'source ports' <<<\"\$0\" && grep -q 'snat-exhaustion' <<<\"\$0\"" "$out"

# bad input: exit 2, named
for bad in "--ram 64" "--kernel six" "--flow udp:10:0" "--flow tcp:10:timewait" "--entry-size 10" \
	"--flow udp:10:life=x" "--flow udp:10:dst=0.5" "--open tcp:x" "--open tcp:10:nosuch" "--open udp:10:established"; do
	# shellcheck disable=SC2086
	err=$(plan --flow udp:10 $bad 2>&1 >/dev/null)
	rc=$?
	ct_check "plan $bad: exit 2 ($err)" test $rc -eq 2
done
err=$(plan --flow udp:10 --ram 64 2>&1)
ct_check "plan --ram 64: asks for a unit" bash -c "grep -q \"'64' needs a unit: 64G\" <<<\"\$0\"" "$err"
ct_summary
