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
#   REPEAT=3 bench/sampler.sh        rounds of floor, CSV and JSON at 1 ms, interleaved (medians)
set -uo pipefail
SECS=${1:-10}
ENTRIES=${ENTRIES:-1000000}
REPEAT=${REPEAT:-3}

. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require conntrack iptables
ct_save_max

ct_pair sbench
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

echo "== 1. sampler CPU, $SECS s per run, namespace with conntrack active ($REPEAT interleaved rounds, medians)"
# sampler_cpu INTERVAL FORMAT: percent of one core, steady state
sampler_cpu() {
	local iv=$1 out=$2 pid t0 t1
	"$SAMPLER" --netns "$CT_SRV" --interval "$iv" "--$out" "$CT_TMP/s-$iv.$out" \
		--summary "$CT_TMP/sum-$iv-$out.json" --quiet &
	pid=$!
	CT_PIDS+=("$pid")
	sleep 1 # start-up is not the steady cost
	t0=$(ticks_of $pid)
	sleep "$SECS"
	t1=$(ticks_of $pid)
	ct_stop $pid
	awk -v t="$((t1 - t0))" -v hz="$HZ" -v s="$SECS" 'BEGIN {printf "%.2f", 100 * t / hz / s}'
}
: >"$CT_TMP/cpu.txt"
for rep in $(seq "$REPEAT"); do
	# the floor: a process that only wakes as often
	echo "floor-1ms $("$ROOT/build/bench/ct-bench-wake" 1000 "$SECS")" >>"$CT_TMP/cpu.txt"
	echo "1ms-csv $(sampler_cpu 1ms csv)" >>"$CT_TMP/cpu.txt"
	echo "1ms-json $(sampler_cpu 1ms json)" >>"$CT_TMP/cpu.txt"
done
echo "floor-100ms $("$ROOT/build/bench/ct-bench-wake" 100000 "$SECS")" >>"$CT_TMP/cpu.txt"
echo "100ms-csv $(sampler_cpu 100ms csv)" >>"$CT_TMP/cpu.txt"
python3 - "$CT_TMP/cpu.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    runs.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in runs.items()}
for k in ("floor-1ms", "floor-100ms"):
    print(f"  floor: waking every {k[6:]:<6} alone costs {med[k]:.2f}% of one core   runs: {', '.join(f'{v:.2f}' for v in runs[k])}")
for k in ("1ms-csv", "1ms-json", "100ms-csv"):
    iv, fmt = k.split("-")
    f = med["floor-" + iv]
    print(f"  interval {iv:<6} {fmt:<5} CPU {med[k]:.2f}% of one core, {med[k] - f:+.2f}% above the floor   "
          f"runs: {', '.join(f'{v:.2f}' for v in runs[k])}")
PY
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
"$SAMPLER" --netns "$CT_SRV" --table-every 1h --duration 15s --interval 100ms --summary "$CT_TMP/dump.json" \
	--csv "$CT_TMP/dump.csv" --quiet
python3 - "$CT_TMP/dump.json" "$CT_TMP/dump.csv" <<'PY'
import csv, json, sys
s = json.load(open(sys.argv[1]))
d = s.get("table_dumps")
if not d:
    sys.exit("  ctstorm-sampler: its dump did not finish within the 15 s run")
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
