#!/bin/bash
# Two load hosts and a server, each a namespace with its own sshd on one
# bridge, the controller in a fourth reaching them only over ssh: seed-000's
# baseline and notrack with the load split 2:1 between the load hosts.
#   - the merged summary's counts are the sums of the hosts' own, and its
#     latency that of the union of their histograms (merged bucket by
#     bucket: the p99 recomputed from the union here, as ctstorm computes it)
#   - the shares follow the weights; the canary runs on the first host only
#   - the clocks' offsets are measured and recorded; every host restored
#   - a source range split between the load hosts: each sends from its
#     half (on its lo), the server routes each half back to its host
#
# usage: remote_clients.sh BUILD_DIR
BUILD=$(cd "$1" && pwd)
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
ct_require ssh sshd ssh-keygen python3 nft
CTSTORM=$BUILD/scenarios/ctstorm
T=$CT_TMP
ct_save_max

# four namespaces on a bridge: controller .1, server .2, load hosts .3 and .4
id=$$-$RANDOM
SW=ctsw-$id
CT_NETNS+=("$SW")
ip netns add "$SW"
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up
names=(ctl srv c1 c2)
for i in 0 1 2 3; do
	ns=ctn${names[$i]}-$id
	CT_NETNS+=("$ns")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "h$i-$$" netns "$ns" type veth peer name "b$i-$$" netns "$SW"
	ip -n "$SW" link set "b$i-$$" master br0 up
	ip -n "$ns" addr add "198.18.0.$((i + 1))/24" dev "h$i-$$"
	ip -n "$ns" link set "h$i-$$" up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	eval "NS_${names[$i]}=$ns"
done
P="$BUILD/scenarios:/usr/sbin:/usr/bin:/sbin:/bin"
ct_ssh_host "$NS_srv" 198.18.0.2 22 "$P" "$T/state-srv"
ct_ssh_host "$NS_c1" 198.18.0.3 22 "$P" "$T/state-c1"
ct_ssh_host "$NS_c2" 198.18.0.4 22 "$P" "$T/state-c2"
for a in 2 3 4; do ct_ssh_wait "$NS_ctl" 198.18.0.$a || ct_fail "ssh to 198.18.0.$a"; done
export CTSTORM_STATE_DIR=$T/state-ctl
mkdir -p "$CTSTORM_STATE_DIR"

ip netns exec "$NS_ctl" "$CTSTORM" run seed-000 --quick --variant baseline --variant notrack \
	--host server=ssh://198.18.0.2 --host client=ssh://198.18.0.3 --host client=ssh://198.18.0.4 \
	--set hosts.weights=2,1 --set server.allow-lower=yes --set load.src-range=198.19.0.0/16 \
	--ssh-config "$CT_SSH_CONFIG" --out "$T/r" >"$T/run.log" 2>&1
rc=$?
DIR=$(sed -n 's/^Results: //p' "$T/run.log" | tail -1)
[ $rc -ne 0 ] && tail -30 "$T/run.log"
ct_check "two load hosts: exit 0, the baseline reproduced and notrack held" \
	bash -c "[ $rc -eq 0 ] && grep -q '^| baseline | reproduced |' '$DIR/report.md' && grep -q '^| notrack | held |' '$DIR/report.md'"
ct_check "merged: counts the sums of the hosts' own, latency that of the union of their histograms" \
	python3 - "$DIR" <<'PY'
import json, math, sys
d = sys.argv[1]

def width(low_ns):  # the histogram's buckets (common/hist.c): 128 per power of two above 1024 ns
    if low_ns < 1024:
        return 1024
    return 1 << (int(math.log2(low_ns)) - 7)

def percentile(buckets, lo, hi, p):  # as ct_hist_percentile: a bucket's middle, within min and max
    total = sum(n for _, n in buckets)
    rank = max(1, int(p / 100 * total + 0.999999))
    seen = 0
    for low_us, n in sorted(buckets):
        seen += n
        if seen >= rank:
            low = round(low_us * 1e3)
            return min(max(low + width(low) // 2, lo), hi)

ok = True
for v in ("baseline", "notrack"):
    m = json.load(open(f"{d}/{v}/loadgen.json"))
    hosts = [json.load(open(f"{d}/{v}/client-{i}/loadgen.json")) for i in (1, 2)]
    for k in ("sent", "answered", "timeouts", "late", "new_flows"):
        ok &= m[k] == sum(h[k] for h in hosts)
    union = {}
    for h in hosts:
        for low, n in h["histogram_us"]["actual"]:
            union[low] = union.get(low, 0) + n
    if union:
        lat = [h["latency_us"]["actual"] for h in hosts if h["latency_us"]["actual"]]
        lo = round(min(x["min"] for x in lat) * 1e3)
        hi = round(max(x["max"] for x in lat) * 1e3)
        p99 = percentile(list(union.items()), lo, hi, 99) / 1e3
        ok &= abs(m["latency_us"]["actual"]["p99"] - p99) < 1e-6
        ok &= sorted(map(tuple, m["histogram_us"]["actual"])) == sorted(union.items())
    # the shares: 40 queries/s for 1.5 s, 2:1
    ok &= [h["sent"] + h["late"] for h in hosts] == [40, 20]
    ok &= m["load_hosts"] == 2
    print(v, m["sent"], m["answered"], [h["sent"] + h["late"] for h in hosts], m["latency_us"]["actual"] and m["latency_us"]["actual"]["p99"], p99 if union else None, ok)
sys.exit(0 if ok else 1)
PY
ct_check "merged intervals: counts summed per interval, each one's latency from the union of the hosts' histograms" \
	python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
def intervals(path):
    return [j for j in map(json.loads, open(path)) if j["type"] == "interval"]
ok, latencies = True, 0
for v in ("baseline", "notrack"):
    merged = intervals(f"{d}/{v}/loadgen.jsonl")
    hosts = [intervals(f"{d}/{v}/client-{i}/loadgen.jsonl") for i in (1, 2)]
    ok &= len(merged) == max(map(len, hosts))
    for k, m in enumerate(merged):
        parts = [h[k] for h in hosts if k < len(h)]
        ok &= all("histogram_us" in p for p in parts)
        for c in ("sent", "answered", "timeouts"):
            ok &= m["counts"][c] == sum(p["counts"][c] for p in parts)
        lat = m["latency_us"]["actual"]
        union = sum(n for p in parts for _, n in p["histogram_us"]["actual"])
        ok &= (lat is None) if union == 0 else lat["count"] == union == m["counts"]["answered"]
        if lat:
            latencies += 1
            ok &= lat["min"] == min(p["latency_us"]["actual"]["min"] for p in parts if p["latency_us"]["actual"])
    print(v, len(merged), "intervals", ok)
sys.exit(0 if ok and latencies else 1)
PY
ct_check "the source range split: each load host sent from its half, and its answers came back to it" python3 -c '
import json, sys
h = [json.load(open(f"{sys.argv[1]}/notrack/client-{i}/loadgen.json")) for i in (1, 2)]
n = [x["config"]["src_addresses"] for x in h]
sys.exit(0 if n[0] == n[1] > 0 and all(x["answered"] == x["sent"] > 0 for x in h) else 1)' "$DIR"
ct_check "the source range's routes gone from every host" bash -c "
	for ns in $NS_ctl $NS_srv $NS_c1 $NS_c2; do [ \$(ip -n \$ns route show table all | grep -c '198\\.19\\.') = 0 ] || exit 1; done"
ct_check "the canary on the first load host only" \
	bash -c "test -s '$DIR/notrack/client-1/canary.jsonl' && test ! -e '$DIR/notrack/client-2/canary.jsonl' && test -s '$DIR/notrack/canary.jsonl'"
ct_check "the manifest: both load hosts, their weights and clock offsets" python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
c = m["hosts"]["clients"]
sys.exit(0 if [x["url"] for x in c] == ["ssh://198.18.0.3", "ssh://198.18.0.4"] and [x["weight"] for x in c] == [2, 1]
         and all(isinstance(x["clock_offset_ms"], float) and x["clock_rtt_ms"] > 0 for x in c) else 1)' "$DIR"
ct_check "the run's files match docs/schema" \
	bash -c "/usr/bin/python3 '$(dirname "$0")/check_schemas.py' '$(dirname "$0")/../../docs/schema' '$DIR' >'$T/schemas.txt' || { cat '$T/schemas.txt'; false; }"
ct_check "every host restored: no ctstorm table, no process but sshd" bash -c "
	! ip netns exec $NS_srv nft list table inet ctstorm >/dev/null 2>&1 &&
	for ns in $NS_srv $NS_c1 $NS_c2; do [ \$(ip netns pids \$ns | wc -l) = 1 ] || exit 1; done"
ct_check "nf_conntrack_max as before" test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$CT_SAVED_MAX"

# probe with the load from both hosts: each step's rate profile split 2:1
ip netns exec "$NS_ctl" "$CTSTORM" probe "$(dirname "$0")/../data/probe-real.scn" --set probe.budget=10s \
	--host server=ssh://198.18.0.2 --host client=ssh://198.18.0.3 \
	--host client=ssh://198.18.0.4 --set hosts.weights=2,1 --quiet --ssh-config "$CT_SSH_CONFIG" --out "$T/p" >"$T/probe.log" 2>&1
rc=$?
PDIR=$(sed -n 's/^Results: //p' "$T/probe.log" | tail -1)
[ $rc -gt 1 ] && tail -20 "$T/probe.log"
ct_check "probe from two load hosts: each step's profile split by weight, its results merged (exit $rc)" python3 -c '
import json, sys
d, rc = sys.argv[1], int(sys.argv[2])
m = json.load(open(d + "/manifest.json"))
ok = rc <= 1 and len(m["probe"]["steps"]) >= 1 and m["probe"]["max"] == 512
for v in m["variants"]:
    step = d + "/" + v["dir"]
    h = [json.load(open(f"{step}/client-{i}/loadgen.json")) for i in (1, 2)]
    a, b = (x["sent"] + x["late"] for x in h)
    t = json.load(open(step + "/loadgen.json"))
    ok &= b > 0 and abs(a - 2 * b) <= 2 and t["sent"] == h[0]["sent"] + h[1]["sent"]
sys.exit(0 if ok else 1)' "$PDIR" $rc
ct_check "probe from two load hosts: nf_conntrack_max as before, no ctstorm table left" bash -c "
	[ \"\$(cat /proc/sys/net/netfilter/nf_conntrack_max)\" = '$CT_SAVED_MAX' ] && ! ip netns exec $NS_srv nft list table inet ctstorm >/dev/null 2>&1"
# for the figures: CT_SHOW=1 prints the merged and per-host rows and the clocks
if [ -n "${CT_SHOW:-}" ]; then
	grep -E '^\| (variant|baseline|notrack)' "$DIR/report.md" | cut -d'|' -f2,5-8,10,11
	python3 -c 'import json,sys; [print(c["url"], "offset %+.3f ms, round trip %.3f ms" % (c["clock_offset_ms"], c["clock_rtt_ms"])) for c in json.load(open(sys.argv[1]+"/manifest.json"))["hosts"]["clients"]]' "$DIR"
fi
unset CTSTORM_STATE_DIR
ct_summary
