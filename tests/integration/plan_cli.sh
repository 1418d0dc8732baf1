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

# a table that takes most of a small host's RAM: 50000/s x 30 s on 1 GiB
out=$(plan --flow udp:50000:30 --ram 1G --kernel 6.1 --entry-size 320 --gc-lag 1s)
ct_check "plan: a warning when the table takes much of the RAM" \
	bash -c "grep -qE 'Warning: the recommended table takes [0-9]+% of the RAM' <<<\"\$0\"" "$out"

# bad input: exit 2, named
for bad in "--ram 64" "--kernel six" "--flow udp:10:0" "--flow tcp:10:timewait" "--entry-size 10"; do
	# shellcheck disable=SC2086
	err=$(plan --flow udp:10 $bad 2>&1 >/dev/null)
	rc=$?
	ct_check "plan $bad: exit 2 ($err)" test $rc -eq 2
done
err=$(plan --flow udp:10 --ram 64 2>&1)
ct_check "plan --ram 64: asks for a unit" bash -c "grep -q \"'64' needs a unit: 64G\" <<<\"\$0\"" "$err"
ct_summary
