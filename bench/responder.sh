#!/bin/bash
# Benchmark: ctstorm-responder against NSD and Knot, in one invocation, in
# the same namespace pair with conntrack active in the server namespace.
# dnsperf loads each server (UDP, then TCP) pinned to CPU 0, the server
# runs with one worker pinned to CPU 1. Reports queries per second and the
# server's CPU seconds per 100k answers (utime+stime from /proc of the
# server's whole process tree, and CPU 1's busy time including softirq),
# and the ratios against NSD and Knot. Each server runs at full speed and
# at a fixed rate (FIXED_RATE, default 50000 qps) that all of them sustain.
#
#   bench/responder.sh [SECONDS_PER_RUN]    (default 10; needs root)
#   BENCH_JSON=out.json bench/responder.sh  also writes the table as JSON
set -uo pipefail
SECS=${1:-10}
# the fixed-rate pass compares CPU per answer at the same load for all
FIXED_RATE=${FIXED_RATE:-50000}

. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require dnsperf nsd knotd taskset iptables

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

RESULTS=()
run_one() { # name proto pid [rate]
	local name=$1 proto=$2 pid=$3 rate=${4:-}
	local t0 t1 c0 c1 out qps answered label=$proto
	[ -n "$rate" ] && label="$proto@$((rate / 1000))k"
	t0=$(tree_ticks "$pid")
	c0=$(cpu1_ticks)
	out=$(ip netns exec "$CT_CLI" taskset -c 0 dnsperf -m "$proto" -s $S -d "$CT_TMP/queries" \
		-l "$SECS" -c 20 -q 500 ${rate:+-Q $rate} 2>&1)
	t1=$(tree_ticks "$pid")
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
	RESULTS+=("$name $label ${qps:-0} ${answered:-0} ${lost:-?} $cpu $per $core")
	printf '  %-18s %-8s %10.0f qps  lost %-6s process cpu %7.3f s = %.4f s/100k  cpu1 %.4f s/100k\n' \
		"$name" "$label" "${qps:-0}" "${lost:-?}" "$cpu" "$per" "$core"
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
if start_server ctstorm-responder "$ROOT/build/responder/ctstorm-responder" --listen $S:53 \
	--zone "$CT_TMP/example.test.zone" --workers 1 --user root --quiet; then
	run_one ctstorm-responder udp "$SPID"
	run_one ctstorm-responder udp "$SPID" "$FIXED_RATE"
	run_one ctstorm-responder tcp "$SPID"
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

echo
printf '%s\n' "${RESULTS[@]}" | python3 "$ROOT/bench/table.py" ctstorm-responder nsd knot
