#!/bin/bash
# Benchmark: ctstorm-responder against NSD and Knot, in one invocation, in
# the same namespace pair with conntrack active in the server namespace.
# dnsperf loads each server (UDP, then TCP) pinned to CPU 0, the server
# runs with one worker pinned to CPU 1. Reports queries per second and the
# server's CPU seconds per 100k answers (utime+stime from /proc of the
# server's whole process tree, user and system apart, and CPU 1's busy time
# including softirq), and the ratios against NSD and Knot. Each server runs
# at full speed and at a fixed rate (FIXED_RATE, default 50000 qps) that all
# of them sustain. Then ctstorm-responder under a flood of twice what it
# answered at full speed (ctstorm-loadgen, open loop, both cores), with
# strace -c counting its system calls: calls per answer, errors.
#
#   bench/responder.sh [SECONDS_PER_RUN]    (default 10; needs root)
#   REPEAT=3 bench/responder.sh      each server's runs this many times, interleaved
#                                    (the table shows medians; default 3)
#   RESPONDER=/other/ctstorm-responder bench/responder.sh   another build
#   BENCH_JSON=out.json bench/responder.sh  also writes the table as JSON
set -uo pipefail
SECS=${1:-10}
# the fixed-rate pass compares CPU per answer at the same load for all
FIXED_RATE=${FIXED_RATE:-50000}
REPEAT=${REPEAT:-3}

. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require dnsperf nsd knotd taskset iptables strace

ct_pair bench
S=198.18.0.2
# conntrack active: a stateful ruleset, as on the seeds' hosts
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT
ip netns exec "$CT_SRV" iptables -A INPUT -p tcp --dport 53 -j ACCEPT

ZONE=$ROOT/tests/data/example.zone
cp "$ZONE" "$CT_TMP/example.test.zone"
chmod -R a+rX "$CT_TMP"
printf '%s\n' "www.example.test A" "web.example.test AAAA" "example.test SOA" "mail.example.test A" \
	"ns1.example.test AAAA" "example.test MX" "alias.example.test A" "web.example.test MX" >"$CT_TMP/queries"

write_nsd_conf "$CT_TMP" $S
mkdir -p "$CT_TMP/knot"
cat >"$CT_TMP/knot.conf" <<CONF
server:
  listen: $S@53
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
  rundir: "$CT_TMP/knot"
  user: root:root
database:
  storage: "$CT_TMP/knot"
log:
  - target: stderr
    any: error
zone:
  - domain: example.test
    file: "$CT_TMP/example.test.zone"
    journal-content: none
    zonefile-load: whole
CONF

# Busy ticks of CPU 1 (where the server runs), softirq included: the
# kernel work a veth delivers there is charged to no process when it
# overflows into ksoftirqd, so the process figure alone flatters batching.
cpu1_ticks() {
	awk '$1 == "cpu1" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# user and system ticks of a process tree, apart
tree_ticks_split() {
	local u=0 y=0 p a b
	for p in $(descendants "$1"); do
		read -r a b < <(ticks_split "$p")
		u=$((u + a)) y=$((y + b))
	done
	echo "$u $y"
}

RESULTS=()
FULL_QPS=0
run_one() { # name proto pid [rate]
	local name=$1 proto=$2 pid=$3 rate=${4:-}
	local t0 t1 c0 c1 out qps answered label=$proto
	[ -n "$rate" ] && label="$proto@$((rate / 1000))k"
	local u0 y0 u1 y1
	read -r u0 y0 < <(tree_ticks_split "$pid")
	t0=$((u0 + y0))
	c0=$(cpu1_ticks)
	out=$(ip netns exec "$CT_CLI" taskset -c 0 dnsperf -m "$proto" -s $S -d "$CT_TMP/queries" \
		-l "$SECS" -c 20 -q 500 ${rate:+-Q $rate} 2>&1)
	read -r u1 y1 < <(tree_ticks_split "$pid")
	t1=$((u1 + y1))
	c1=$(cpu1_ticks)
	qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
	answered=$(awk '/Queries completed/ {print $3}' <<<"$out")
	local lost
	lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
	local hz=$HZ
	local cpu
	cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.3f", (b - a) / hz}')
	local per
	per=$(awk -v c="$cpu" -v n="$answered" 'BEGIN {printf "%.4f", (n > 0) ? c * 100000 / n : 0}')
	local core
	core=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$answered" \
		'BEGIN {printf "%.4f", (n > 0) ? (b - a) / hz * 100000 / n : 0}')
	local usr sys
	usr=$(awk -v a="$u0" -v b="$u1" -v hz="$hz" -v n="$answered" 'BEGIN {printf "%.4f", (n > 0) ? (b - a) / hz * 100000 / n : 0}')
	sys=$(awk -v a="$y0" -v b="$y1" -v hz="$hz" -v n="$answered" 'BEGIN {printf "%.4f", (n > 0) ? (b - a) / hz * 100000 / n : 0}')
	RESULTS+=("$name $label ${qps:-0} ${answered:-0} ${lost:-?} $cpu $per $core $usr $sys")
	[ -z "$rate" ] && [ "$proto" = udp ] && FULL_QPS=${qps%.*}
	printf '  %-18s %-8s %10.0f qps  lost %-6s process cpu %7.3f s = %.4f s/100k (user %.4f, sys %.4f)  cpu1 %.4f s/100k\n' \
		"$name" "$label" "${qps:-0}" "${lost:-?}" "$cpu" "$per" "$usr" "$sys" "$core"
}

start_server() { # name command...
	local name=$1
	shift
	ct_start "$CT_SRV" "$CT_TMP/$name.log" taskset -c 1 "$@"
	SPID=$CT_LAST_PID
	if ! ct_wait_dns "$CT_CLI" $S 53 example.test; then
		echo "$name did not start:" >&2
		cat "$CT_TMP/$name.log" >&2
		return 1
	fi
	# Knot pins its UDP workers itself (to CPU 0, beside dnsperf): pin every
	# thread of every server to CPU 1 again, so all are measured alike.
	local p
	for p in $(descendants "$SPID"); do taskset -a -p -c 1 "$p" >/dev/null; done
}

echo "== $SECS s per run; dnsperf -c 20 -q 500 on CPU 0, server (1 worker) on CPU 1"
# flood PID: twice the full-speed rate from both cores for SECS, the
# server's system calls counted by strace meanwhile
flood() {
	local pid=$1 rate=$((2 * FULL_QPS))
	[ "$rate" -gt 0 ] || return 0
	timeout -s INT $((SECS + 2)) strace -c -f -p "$pid" -o "$CT_TMP/strace.txt" 2>/dev/null &
	local spid=$!
	sleep 0.5
	ip netns exec "$CT_CLI" "$LOADGEN" --quiet -s $S -d "$CT_TMP/queries" -Q "$rate" -T 2 -c 64 -l "$SECS" \
		-t 500ms --summary "$CT_TMP/flood.json" >/dev/null 2>&1
	wait "$spid"
	python3 - "$CT_TMP/flood.json" "$CT_TMP/strace.txt" "$rate" "$SECS" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rate, secs = float(sys.argv[3]), float(sys.argv[4])
calls, errors = {}, {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
        calls[f[-1]] = int(f[3])
        errors[f[-1]] = int(f[4]) if len(f) == 6 else 0
ans = max(s["answered"], 1)
total = sum(calls.values())
print(f"  flood: {rate:.0f} qps offered ({s['sent_qps']:.0f} sent), {s['answered']} answered "
      f"({100 * s['answered'] / max(s['sent'], 1):.1f}%) under strace; "
      f"{total / ans:.3f} system calls per answer")
for name in sorted(calls, key=lambda n: -calls[n])[:5]:
    print(f"    {name:<14} {calls[name]:>9} calls  {calls[name] / ans:.4f}/answer  {errors[name]} errors")
PY
}

for rep in $(seq "$REPEAT"); do
	[ "$REPEAT" -gt 1 ] && echo "-- round $rep of $REPEAT"
	if start_server ctstorm-responder "$RESPONDER" --listen $S:53 \
		--zone "$CT_TMP/example.test.zone" --workers 1 --user root --quiet; then
		run_one ctstorm-responder udp "$SPID"
		run_one ctstorm-responder udp "$SPID" "$FIXED_RATE"
		run_one ctstorm-responder tcp "$SPID"
		[ "$rep" -eq 1 ] && flood "$SPID"
		ct_stop "$SPID"
	fi
	if start_server nsd nsd -d -c "$CT_TMP/nsd.conf"; then
		run_one nsd udp "$SPID"
		run_one nsd udp "$SPID" "$FIXED_RATE"
		run_one nsd tcp "$SPID"
		ct_stop "$SPID"
	fi
	if start_server knot knotd -c "$CT_TMP/knot.conf"; then
		run_one knot udp "$SPID"
		run_one knot udp "$SPID" "$FIXED_RATE"
		run_one knot tcp "$SPID"
		ct_stop "$SPID"
	fi
done

echo
printf '%s\n' "${RESULTS[@]}" | python3 "$ROOT/bench/table.py" ctstorm-responder nsd knot
