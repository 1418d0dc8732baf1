#!/bin/bash
# Benchmark: ctstorm-loadgen against dnsperf (and dnsping), in one
# invocation, in one namespace pair, NSD as the server (one process on CPU 1,
# the load generators on CPU 0):
#   1. closed loop, UDP, -c 100 -q 500: queries per second and the load
#      generator's CPU per query;
#   2. open loop at 20k qps for SECONDS: the achieved rate, the send lag,
#      and the sender's CPU (user and system apart) against dnsperf -Q at
#      the same rate; its CPU per query against the closed loop's; then
#      again with the server namespace's receive path steered to the
#      server's CPU (RPS): over a veth pair it otherwise runs on the
#      sender's CPU, in its system time, which two hosts would not do;
#   3. new conntrack entries per second in the server namespace (conntrack
#      active there), over the sending time (1 s): loadgen with a fresh
#      socket per query over a /16 of source addresses (-T 1 and -T 2),
#      against a raw flood that stays in the lab's range (hping3 --udp
#      --flood -a 198.19.0.N: its source port advances per packet; one
#      process, then two), dnsperf (-c 1000) and dnsping.
#
#   bench/loadgen.sh [SECONDS]    (default 10; needs root)
#   LOADGEN=/other/ctstorm-loadgen bench/loadgen.sh   measure another build
#   REPEAT=3 bench/loadgen.sh        open-loop runs, interleaved with dnsperf's (medians)
SECS=${1:-10}
REPEAT=${REPEAT:-3}
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require dnsperf nsd taskset iptables conntrack hping3
LG=$LOADGEN

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

# run_timed OUTFILE COMMAND...: runs in the client namespace on CPU 0,
# prints the CPU seconds it used: "user system"
run_timed() {
	local out=$1
	shift
	local a b
	local me=$BASHPID # this subshell: its waited-for children's CPU lands in its cutime, cstime
	a=$(awk '{print $16, $17}' /proc/$me/stat)
	ip netns exec "$CT_CLI" taskset -c 0 "$@" >"$out" 2>&1
	b=$(awk '{print $16, $17}' /proc/$me/stat)
	awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {split(a, x, " "); split(b, y, " ");
		printf "%.2f %.2f", (y[1] - x[1]) / hz, (y[2] - x[2]) / hz}'
}
sum() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a + b}'; }

echo "== 1. closed loop, UDP, -c 100 -q 500, $SECS s"
read -r u1 s1 < <(run_timed "$CT_TMP/dp1" dnsperf -s $S -d "$CT_TMP/q" -c 100 -q 500 -l "$SECS")
cpu=$(sum "$u1" "$s1")
dq=$(awk '/Queries per second/ {print $4}' "$CT_TMP/dp1")
dn=$(awk '/Queries completed/ {print $3}' "$CT_TMP/dp1")
printf '  dnsperf          %9.0f qps  CPU %6.2f s (user %.2f, sys %.2f)  %.2f us/query\n' "$dq" "$cpu" "$u1" "$s1" \
	"$(awk -v c=$cpu -v n=$dn 'BEGIN {print c * 1e6 / n}')"
read -r u2 s2 < <(run_timed "$CT_TMP/lg1" "$LG" --quiet -s $S -d "$CT_TMP/q" -c 100 -q 500 -l "$SECS" --summary "$CT_TMP/lg1.json")
cpu2=$(sum "$u2" "$s2")
read -r lq ln < <(python3 -c "import json; s=json.load(open('$CT_TMP/lg1.json')); print(s['qps'], s['answered'])")
closed_us=$(awk -v c=$cpu2 -v n=$ln 'BEGIN {print c * 1e6 / n}')
printf '  ctstorm-loadgen  %9.0f qps  CPU %6.2f s (user %.2f, sys %.2f)  %.2f us/query\n' "$lq" "$cpu2" "$u2" "$s2" "$closed_us"
awk -v a="$lq" -v b="$dq" -v c="$cpu2" -v d="$cpu" -v n1="$ln" -v n2="$dn" \
	'BEGIN {printf "  ratio: %.2fx dnsperf qps, %.2fx its CPU per query\n", a / b, (c / n1) / (d / n2)}'

# open_loop LABEL: REPEAT interleaved runs of dnsperf -Q and the loadgen at
# 20k qps, their medians and ratios
open_loop() {
	echo "== $1"
	: >"$CT_TMP/open.txt"
	for rep in $(seq "$REPEAT"); do
		read -r u3 s3 < <(run_timed "$CT_TMP/dp2" dnsperf -s $S -d "$CT_TMP/q" -c 20 -Q 20000 -l "$SECS")
		echo "dnsperf $u3 $s3 $(awk '/Queries sent/ {print $3}' "$CT_TMP/dp2")" >>"$CT_TMP/open.txt"
		read -r u4 s4 < <(run_timed "$CT_TMP/lg2" "$LG" --quiet -s $S -d "$CT_TMP/q" -c 20 -Q 20000 -l "$SECS" \
			--summary "$CT_TMP/lg2-$rep.json")
		echo "loadgen $u4 $s4 $CT_TMP/lg2-$rep.json" >>"$CT_TMP/open.txt"
	done
	python3 - "$CT_TMP/open.txt" "$SECS" "$closed_us" <<'PY'
import json, statistics, sys
secs, closed_us = float(sys.argv[2]), float(sys.argv[3])
want = 20000 * secs
dp, lg = [], []
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "dnsperf":
        dp.append((float(f[1]), float(f[2]), int(f[3])))
    else:
        lg.append((float(f[1]), float(f[2]), json.load(open(f[3]))))
med = statistics.median
du, ds = med(r[0] for r in dp), med(r[1] for r in dp)
print(f"  dnsperf -Q       sent {med(r[2] for r in dp):.0f}: {100 * (med(r[2] for r in dp) / want - 1):+.3f}% of the schedule; "
      f"CPU {du + ds:.2f} s (user {du:.2f}, sys {ds:.2f})   runs: {', '.join(f'{r[0] + r[1]:.2f}' for r in dp)}")
lu, ls = med(r[0] for r in lg), med(r[1] for r in lg)
sent = med(r[2]["sent"] for r in lg)
late = med(r[2]["late"] for r in lg)
p99 = med(r[2]["send_lag_us"]["p99"] for r in lg)
p50 = med(r[2]["send_lag_us"]["p50"] for r in lg)
print(f"  ctstorm-loadgen  sent {sent:.0f}: {100 * (sent / want - 1):+.3f}% of the schedule, {late:.0f} late; send lag "
      f"p50 {p50:.1f} us, p99 {p99:.1f} us; CPU {lu + ls:.2f} s (user {lu:.2f}, sys {ls:.2f})   "
      f"runs: {', '.join(f'{r[0] + r[1]:.2f}' for r in lg)}")
per_q = (lu + ls) * 1e6 / sent
print(f"  ratio: CPU {(lu + ls) / (du + ds):.2f}x dnsperf -Q's; {per_q:.2f} us/query = {per_q / closed_us:.2f}x the closed loop's")
PY
}
open_loop "2. open loop, 20000 qps for $SECS s: the rate, the send lag, the sender's CPU ($REPEAT interleaved runs, medians)"
# Over a veth pair the server namespace's receive path (its conntrack, its
# rules, the delivery to NSD) runs on the sending CPU, in the sender's
# system time. Steered to the server's CPU (RPS), as it is on two hosts,
# what is left is the sender's own work.
ip netns exec "$CT_SRV" sh -c "echo 2 >/sys/class/net/$CT_SRV_DEV/queues/rx-0/rps_cpus"
open_loop "2b. the same with the server's receive path on the server's CPU (RPS to CPU 1, as on two hosts)"
ip netns exec "$CT_SRV" sh -c "echo 0 >/sys/class/net/$CT_SRV_DEV/queues/rx-0/rps_cpus"

SEND=1
echo "== 3. new conntrack entries per second in the server namespace, over $SEND s of sending (the table holds $(cat /proc/sys/net/netfilter/nf_conntrack_max))"
# new_entries LABEL CPUS COMMAND...: entries the server's table gained, per second of sending
new_entries() {
	local label=$1 cpus=$2
	shift 2
	ip netns exec "$CT_SRV" conntrack -F 2>/dev/null
	local c0 c1
	c0=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
	ip netns exec "$CT_CLI" taskset -c "$cpus" "$@" >"$CT_TMP/ne.out" 2>&1
	c1=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
	awk -v a="$c0" -v b="$c1" -v t="$SEND" -v l="$label" \
		'BEGIN {printf "  %-52s %8d entries  %9.0f new entries/s\n", l, b - a, (b - a) / t}'
}
# hping3_flood N: N processes, one a core, each from its own address of the range
hping3_flood() {
	local n=$1 i pids=()
	for ((i = 0; i < n; i++)); do
		taskset -c "$i" timeout "$SEND" hping3 --udp --flood -q -p 53 -a "198.19.0.$((i + 1))" $S 2>/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	return 0
}
export -f hping3_flood
export SEND S
new_entries "loadgen per-query, src range (pktinfo), -T 1, CPU 0" 0 "$LG" --quiet -s $S -d "$CT_TMP/q" -l $SEND \
	-Q 400000 --sockets per-query --src-range 198.19.0.0/16 -t 100ms -T 1
new_entries "hping3 --udp --flood -a 198.19.0.1, 1 process, CPU 0" 0 bash -c "hping3_flood 1"
new_entries "loadgen per-query, src range (pktinfo), -T 2, CPUs 0-1" 0-1 "$LG" --quiet -s $S -d "$CT_TMP/q" -l $SEND \
	-Q 400000 --sockets per-query --src-range 198.19.0.0/16 -t 100ms -T 2
new_entries "hping3 --udp --flood, 2 processes, CPUs 0 and 1" 0-1 bash -c "hping3_flood 2"
new_entries "loadgen per-query, one address (socket per query)" 0 "$LG" --quiet -s $S -d "$CT_TMP/q" -l $SEND \
	-Q 100000 --sockets per-query -t 100ms
new_entries "dnsperf -c 1000 (fixed sockets)" 0 dnsperf -s $S -d "$CT_TMP/q" -c 1000 -l $SEND
new_entries "dnsping (one query at a time, fresh socket)" 0 timeout $SEND dnsping -c 100000 -i 0 -s $S www.example.test
echo "  (hping3's source port advances per packet from a random base: at most 65536 new tuples per address)"
