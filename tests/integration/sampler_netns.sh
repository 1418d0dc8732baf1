#!/bin/bash
# ctstorm-sampler against the real kernel: a server namespace's table is
# filled (--fill, with nf_conntrack_max lowered, saved and restored), then
# dnsperf opens more flows than fit, so the kernel drops packets. In the
# same run the sampler's count must equal `conntrack -C`, its drop,
# early_drop and insert_failed must equal `conntrack -S` summed, the
# table-full kernel lines for that namespace must be seen, and --fill must
# leave no entry behind.
#
# usage: sampler_netns.sh BUILD_DIR DATA_DIR
BUILD=$1
DATA=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ct_require conntrack dnsperf iptables
ct_save_max
SAMPLER=$BUILD/analysis/ctstorm-sampler
RESP=$BUILD/responder/ctstorm-responder

ct_pair smp
S=198.18.0.2
ct_pair_ipv4_only
# a stateful rule: conntrack tracks every flow into the server namespace
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT
ct_start "$CT_SRV" "$CT_TMP/responder.log" "$RESP" --listen $S:53 --zone "$DATA/example.zone" \
	--user root --quiet
ct_wait_dns "$CT_CLI" $S 53 example.test || { cat "$CT_TMP/responder.log"; exit 1; }

# --- bad input changes nothing and says what is wrong ---
out=$("$SAMPLER" --netns no-such-namespace-$$ --duration 1s 2>&1)
ct_check "missing namespace: exit 2" test $? -eq 2
ct_check "missing namespace: named" grep -q "no-such-namespace-$$" <<<"$out"
out=$("$SAMPLER" --interval 0 2>&1)
ct_check "interval 0: exit 2" test $? -eq 2

# the whole table is global: keep it small only for this test
MAX=400
FILL=300
echo $MAX >/proc/sys/net/netfilter/nf_conntrack_max
base=$(ip netns exec "$CT_SRV" conntrack -C)
out=$("$SAMPLER" --netns "$CT_SRV" --fill $((MAX)) --duration 1s 2>&1)
ct_check "--fill beyond the room left: exit 2" test $? -eq 2
ct_check "--fill beyond the room left: says how much room" grep -q "room for" <<<"$out"
ct_check "--fill refused: nothing created" test "$(ip netns exec "$CT_SRV" conntrack -C)" -eq "$base"

"$SAMPLER" --netns "$CT_SRV" --interval 50ms --fill $FILL --table-every 500ms \
	--csv "$CT_TMP/s.csv" --json "$CT_TMP/s.jsonl" --summary "$CT_TMP/summary.json" \
	--kmsg-log "$CT_TMP/kmsg.log" --prom-file "$CT_TMP/ct.prom" --quiet >"$CT_TMP/sampler.log" 2>&1 &
SPID=$!
CT_PIDS+=("$SPID")
for _ in $(seq 50); do [ -s "$CT_TMP/s.csv" ] && break; sleep 0.1; done
sleep 0.3
filled=$(ip netns exec "$CT_SRV" conntrack -L -s 198.19.0.0/16 2>/dev/null | grep -c 'dport=9 ')
ct_check "--fill created $FILL ASSURED entries" test "$filled" -eq $FILL

# 200 sockets, 200 flows: about 100 fit, every packet of the rest is dropped
echo "www.example.test A" >"$CT_TMP/q"
ip netns exec "$CT_CLI" dnsperf -s $S -d "$CT_TMP/q" -c 200 -l 2 -Q 2000 >"$CT_TMP/perf" 2>&1 || cat "$CT_TMP/perf"
sleep 0.5
# the same moment from both sides: conntrack's view, then the sampler's last word
ct_count=$(ip netns exec "$CT_SRV" conntrack -C)
ct_stats=$(ip netns exec "$CT_SRV" conntrack -S)
kill -TERM "$SPID"
wait "$SPID"
ct_check "sampler: exit 0 on SIGTERM" test $? -eq 0
CT_PIDS=("${CT_PIDS[@]/$SPID}")

sum_stat() { grep -oE "(^| )$1=[0-9]+" <<<"$ct_stats" | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }
last=$(tail -1 "$CT_TMP/s.csv")
col() { awk -F, -v name="$1" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == name) c = i} END {print $c}' \
	<(head -1 "$CT_TMP/s.csv"; echo "$last"); }
ct_check "count equals conntrack -C ($ct_count)" test "$(col count)" -eq "$ct_count"
for k in drop early_drop insert_failed; do
	ct_check "$k: sampler $(col $k), conntrack -S summed $(sum_stat $k)" test "$(col $k)" -eq "$(sum_stat $k)"
done
ct_check "max is the lowered nf_conntrack_max" test "$(col max)" -eq $MAX
# one read of /proc a sample where it has every counter ctnetlink has
# (newer kernels print clashres and chainlength there; 5.15 has no
# chainlength, 5.4 neither): the values
# above are checked against ctnetlink's (conntrack -S) all the same
src=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["source"])' "$CT_TMP/summary.json")
if ip netns exec "$CT_SRV" head -1 /proc/net/stat/nf_conntrack | grep -q 'clashres.*chainlength'; then
	ct_check "counters read from /proc (source $src)" test "$src" = proc
else
	ct_check "counters' source named ($src)" test "$src" = proc -o "$src" = ctnetlink
fi
ct_check "packets were dropped" test "$(col drop)" -gt 0
python3 - "$CT_TMP/summary.json" "$CT_TMP/s.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2])]
assert s["peak_count"] == max(l["count"] for l in lines), "peak"
assert s["totals"]["drop"] > 0 and s["first_drop_s"] is not None, "drops and first drop"
assert s["fill"] == {"requested": 300, "created": 300, "removed": 300}, s["fill"]
assert s["table_dumps"]["count"] >= 1 and s["table_dumps"]["entries_max"] >= 300, s["table_dumps"]
assert any("table" in l and l["table"]["udp"]["assured"] >= 300 for l in lines), "composition"
assert s["kmsg"]["table_full"] + s["kmsg"]["suppressed"] > 0, s["kmsg"]
PY
ct_check "summary: peak, first drop, fill, table dumps, kernel lines" test $? -eq 0
# the kernel rate-limits these lines host-wide (10 per 5 s): a line for this
# namespace, or the count of suppressed ones, must be there
ct_check "kmsg.log keeps the table-full line for this namespace" \
	grep -Eq "table full in netns $(stat -L -c %i /run/netns/"$CT_SRV")|callbacks suppressed" "$CT_TMP/kmsg.log"
ct_check "Prometheus file: ctstorm's own names, labelled by namespace" \
	grep -q "^ctstorm_conntrack_stat_drop_total{netns=\"$CT_SRV\"} [1-9]" "$CT_TMP/ct.prom"
if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$CT_TMP/ct.prom" 2>&1)
	ct_check "promtool check metrics: clean (${out:-no remarks})" bash -c "[ -z \"\$0\" ]" "$out"
else
	echo "promtool not installed (Debian's prometheus): exposition not linted"
fi
missing=$(python3 - "$(dirname "$0")/../../docs/grafana-ctstorm-sampler.json" "$CT_TMP/ct.prom" <<'PY'
import json, re, sys
exported = set(re.findall(r"^# TYPE (\S+)", open(sys.argv[2]).read(), re.M))
used = set()
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p["targets"]:
        used |= set(re.findall(r"ctstorm_[a-z_]+", t["expr"]))
print(" ".join(sorted(used - exported)))
PY
)
ct_check "the Grafana dashboard asks only for metrics the sampler exports (${missing:-none missing})" test -z "$missing"
left=$(ip netns exec "$CT_SRV" conntrack -L -s 198.19.0.0/16 2>/dev/null | grep -c 'dport=9 ')
ct_check "--fill left no entry behind" test "$left" -eq 0

ct_restore_max
ct_check "nf_conntrack_max restored" test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" -eq "$CT_SAVED_MAX"
ct_summary
