#!/bin/bash
# Benchmark: ctstorm-loadgen against dnsperf (and dnsping), in one
# invocation, in one namespace pair, NSD as the server (one process on CPU 1,
# the load generators on CPU 0):
#   1. closed loop, UDP, -c 100 -q 500: queries per second and the load
#      generator's CPU per query;
#   2. open loop at 20k qps for SECONDS: the achieved rate and the send lag;
#   3. new conntrack entries per second in the server namespace (conntrack
#      active there): loadgen with a fresh socket per query over a /16 of
#      source addresses, against dnsperf (-c 1000) and dnsping.
#
#   bench/loadgen.sh [SECONDS]    (default 10; needs root)
SECS=${1:-10}
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require dnsperf nsd taskset iptables conntrack
LG=$ROOT/build/loadgen/ctstorm-loadgen

ct_pair lgbench
S=198.18.0.2
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT
# 198.19.0.0/16 is local to the client (AnyIP) and routed back by the server
ip -n "$CT_CLI" route add local 198.19.0.0/16 dev lo
ip -n "$CT_SRV" route add 198.19.0.0/16 via 198.18.0.1

cp "$ROOT/tests/data/example.zone" "$CT_TMP/example.test.zone"
chmod -R a+rX "$CT_TMP"
write_nsd_conf "$CT_TMP" $S
ct_start "$CT_SRV" "$CT_TMP/nsd.log" taskset -c 1 nsd -d -c "$CT_TMP/nsd.conf"
ct_wait_dns "$CT_CLI" $S 53 example.test || { cat "$CT_TMP/nsd.log"; exit 1; }
for p in $(descendants "$CT_LAST_PID"); do taskset -a -p -c 1 "$p" >/dev/null; done
printf '%s\n' "www.example.test A" "web.example.test AAAA" "example.test SOA" "mail.example.test A" >"$CT_TMP/q"

# run_timed OUTFILE COMMAND...: runs in the client namespace on CPU 0, prints CPU seconds used
run_timed() {
	local out=$1
	shift
	local a b
	local me=$BASHPID # this subshell: its waited-for children's CPU lands in its cutime
	a=$(awk '{print $16 + $17}' /proc/$me/stat)
	ip netns exec "$CT_CLI" taskset -c 0 "$@" >"$out" 2>&1
	b=$(awk '{print $16 + $17}' /proc/$me/stat)
	awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}'
}

echo "== 1. closed loop, UDP, -c 100 -q 500, $SECS s"
cpu=$(run_timed "$CT_TMP/dp1" dnsperf -s $S -d "$CT_TMP/q" -c 100 -q 500 -l "$SECS")
dq=$(awk '/Queries per second/ {print $4}' "$CT_TMP/dp1")
dn=$(awk '/Queries completed/ {print $3}' "$CT_TMP/dp1")
printf '  dnsperf          %9.0f qps  CPU %6.2f s  %.2f us/query\n' "$dq" "$cpu" "$(awk -v c=$cpu -v n=$dn 'BEGIN {print c * 1e6 / n}')"
cpu2=$(run_timed "$CT_TMP/lg1" "$LG" --quiet -s $S -d "$CT_TMP/q" -c 100 -q 500 -l "$SECS" --summary "$CT_TMP/lg1.json")
read -r lq ln < <(python3 -c "import json; s=json.load(open('$CT_TMP/lg1.json')); print(s['qps'], s['answered'])")
printf '  ctstorm-loadgen  %9.0f qps  CPU %6.2f s  %.2f us/query\n' "$lq" "$cpu2" "$(awk -v c=$cpu2 -v n=$ln 'BEGIN {print c * 1e6 / n}')"
awk -v a="$lq" -v b="$dq" -v c="$cpu2" -v d="$cpu" -v n1="$ln" -v n2="$dn" \
	'BEGIN {printf "  ratio: %.2fx dnsperf qps, %.2fx its CPU per query\n", a / b, (c / n1) / (d / n2)}'

echo "== 2. open loop, 20000 qps for $SECS s"
run_timed "$CT_TMP/dp2" dnsperf -s $S -d "$CT_TMP/q" -c 20 -Q 20000 -l "$SECS" >/dev/null
dsent=$(awk '/Queries sent/ {print $3}' "$CT_TMP/dp2")
awk -v s="$dsent" -v t="$SECS" 'BEGIN {printf "  dnsperf -Q       sent %d: %+.3f%% of the schedule\n", s, 100 * (s / (20000 * t) - 1)}'
run_timed "$CT_TMP/lg2" "$LG" --quiet -s $S -d "$CT_TMP/q" -c 20 -Q 20000 -l "$SECS" --summary "$CT_TMP/lg2.json" >/dev/null
python3 - "$CT_TMP/lg2.json" "$SECS" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
want = 20000 * float(sys.argv[2])
lag = s["send_lag_us"]
print(f"  ctstorm-loadgen  sent {s['sent']}: {100 * (s['sent'] / want - 1):+.3f}% of the schedule, "
      f"{s['late']} late; send lag p50 {lag['p50']:.1f} us, p99 {lag['p99']:.1f} us, max {lag['max']:.0f} us")
PY

echo "== 3. new conntrack entries per second in the server namespace (1 s runs; the table holds $(cat /proc/sys/net/netfilter/nf_conntrack_max))"
new_entries() { # label command...
	local label=$1
	shift
	ip netns exec "$CT_SRV" conntrack -F 2>/dev/null
	local c0 c1 t0 t1
	c0=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
	t0=$(date +%s%N)
	ip netns exec "$CT_CLI" taskset -c 0 "$@" >"$CT_TMP/ne.out" 2>&1
	t1=$(date +%s%N)
	c1=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
	awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v l="$label" \
		'BEGIN {printf "  %-48s %8d entries  %9.0f new entries/s\n", l, b - a, (b - a) / ((t1 - t0) / 1e9)}'
}
new_entries "loadgen per-query, src range (pktinfo), CPU 0" "$LG" --quiet -s $S -d "$CT_TMP/q" -l 1 -Q 200000 \
	--sockets per-query --src-range 198.19.0.0/16 -t 1
new_entries "loadgen per-query, one address (socket per query)" "$LG" --quiet -s $S -d "$CT_TMP/q" -l 1 -Q 100000 \
	--sockets per-query -t 1
new_entries "dnsperf -c 1000 (fixed sockets)" dnsperf -s $S -d "$CT_TMP/q" -c 1000 -l 1
new_entries "dnsping (one query at a time, fresh socket)" timeout 1 dnsping -c 100000 -i 0 -s $S www.example.test
echo "  (hping3 --rand-source is left out: its random sources would leave the lab's 198.18.0.0/15)"
