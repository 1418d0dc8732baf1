#!/bin/bash
# Benchmark: ctstorm-sampler's own cost, and its table dump against
# conntrack-tools, in one invocation.
#   1. CPU of the sampler at 1 ms (CSV, then JSON lines) and 100 ms
#      intervals (no table dumps), in a namespace with conntrack active,
#      beside a process that only wakes as often (the floor); as a
#      reference, the CPU of polling the same numbers with `conntrack -C` +
#      `conntrack -S` every 100 ms.
#   2. A table of ENTRIES (default 1M) synthetic entries (--fill):
#      the sampler's dump-and-classify time against `conntrack -L | wc -l`
#      and `conntrack -C`.
# nf_conntrack_max is raised for part 2 and restored on every exit path.
#
#   bench/sampler.sh [SECONDS]      (default 10; needs root)
#   SAMPLER=/other/ctstorm-sampler bench/sampler.sh   another build
set -uo pipefail
SECS=${1:-10}
ENTRIES=${ENTRIES:-1000000}

. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require conntrack iptables
ct_save_max

ct_pair sbench
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

echo "== 1. sampler CPU, $SECS s per interval, namespace with conntrack active"
# the floor: a process that only wakes at the same intervals
declare -A FLOOR
for us in 1000 100000; do
	FLOOR[$us]=$("$ROOT/build/bench/ct-bench-wake" $us "$SECS")
	printf '  floor: waking every %-6s alone costs %s%% of one core\n' "$((us / 1000))ms" "${FLOOR[$us]}"
done
for run in 1ms:csv 1ms:json 100ms:csv; do
	iv=${run%%:*} out=${run#*:}
	"$SAMPLER" --netns "$CT_SRV" --interval "$iv" "--$out" "$CT_TMP/s-$iv.$out" \
		--summary "$CT_TMP/sum-$iv.json" --quiet &
	pid=$!
	CT_PIDS+=("$pid")
	sleep 1 # start-up is not the steady cost
	t0=$(ticks_of $pid)
	sleep "$SECS"
	t1=$(ticks_of $pid)
	ct_stop $pid
	samples=$(python3 -c "import json; s=json.load(open('$CT_TMP/sum-$iv.json')); print(s['samples'], s['missed_samples'])")
	us=$(( ${iv%ms} * 1000 ))
	awk -v t="$((t1 - t0))" -v hz="$HZ" -v s="$SECS" -v iv=$iv -v out=$out -v n="$samples" -v f="${FLOOR[$us]}" \
		'BEGIN {split(n, a, " "); c = 100 * t / hz / s;
		printf "  interval %-6s %-5s CPU %.2f%% of one core, %+.2f%% above the floor  (%d samples, %d missed)\n", iv, out, c, c - f, a[1], a[2]}'
done
# reference: what polling with conntrack-tools costs at 100 ms
start=$(date +%s%N)
cpu0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
n=0
while [ $(( $(date +%s%N) - start )) -lt $((SECS * 1000000000)) ]; do
	ip netns exec "$CT_SRV" conntrack -C >/dev/null 2>&1
	ip netns exec "$CT_SRV" conntrack -S >/dev/null 2>&1
	n=$((n + 1))
	sleep 0.1
done
cpu1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
awk -v a="$cpu0" -v b="$cpu1" -v hz="$HZ" -v s="$SECS" -v n=$n \
	'BEGIN {printf "  reference: conntrack -C + -S every 100 ms: CPU %.2f%% of one core (%d polls)\n", 100 * (b - a) / hz / s, n}'

echo "== 2. a table of $ENTRIES entries"
echo $((ENTRIES + 100000)) >/proc/sys/net/netfilter/nf_conntrack_max
t0=$(date +%s%N)
"$SAMPLER" --netns "$CT_SRV" --fill "$ENTRIES" --interval 1s --quiet --csv "$CT_TMP/fill.csv" &
FILLER=$!
CT_PIDS+=("$FILLER")
until [ "$(ip netns exec "$CT_SRV" conntrack -C 2>/dev/null)" -ge "$ENTRIES" ] 2>/dev/null; do
	kill -0 $FILLER 2>/dev/null || { echo "the filler stopped"; exit 1; }
	sleep 0.2
done
t1=$(date +%s%N)
awk -v a="$t0" -v b="$t1" -v n="$ENTRIES" 'BEGIN {printf "  --fill: %d entries in %.2f s (%.0f/s)\n", n, (b - a) / 1e9, n / ((b - a) / 1e9)}'

a=$(date +%s%N); n=$(ip netns exec "$CT_SRV" conntrack -L 2>/dev/null | wc -l); b=$(date +%s%N)
awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {printf "  conntrack -L | wc -l                %9.1f ms  (%d lines)\n", (b - a) / 1e6, n}'
a=$(date +%s%N); n=$(ip netns exec "$CT_SRV" conntrack -C 2>/dev/null); b=$(date +%s%N)
awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {printf "  conntrack -C                        %9.1f ms  (%d)\n", (b - a) / 1e6, n}'
"$SAMPLER" --netns "$CT_SRV" --table-every 1h --duration 3s --interval 100ms --summary "$CT_TMP/dump.json" \
	--csv "$CT_TMP/dump.csv" --quiet
python3 - "$CT_TMP/dump.json" "$CT_TMP/dump.csv" <<'PY'
import csv, json, sys
s = json.load(open(sys.argv[1]))
d = s["table_dumps"]
rows = list(csv.DictReader(open(sys.argv[2])))
gaps = [float(b["t_s"]) - float(a["t_s"]) for a, b in zip(rows, rows[1:])]
print(f"  ctstorm-sampler dump + classify      {d['max_ms']:9.1f} ms  ({d['entries_max']} entries)")
print(f"  sampling during the dump: {s['samples']} samples, {s['missed_samples']} missed, longest gap {max(gaps) * 1000:.0f} ms")
PY
t0=$(date +%s%N)
ct_stop "$FILLER"
t1=$(date +%s%N)
awk -v a="$t0" -v b="$t1" 'BEGIN {printf "  removing the fill at exit: %.2f s\n", (b - a) / 1e9}'
left=$(ip netns exec "$CT_SRV" conntrack -C)
echo "  entries left in the namespace: $left"
