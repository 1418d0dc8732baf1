#!/bin/bash
# ctstorm-loadgen against ctstorm-responder in a namespace pair:
#  - the counts add up (sent = answered + timed out + failed), closed loop, UDP and TCP;
#  - open loop holds its rate when the responder never answers (mode drop);
#  - a fresh socket per query is a new flow per query;
#  - with nf_conntrack_max lowered (saved and restored) the server's
#    conntrack drops packets, and every query lost is a packet the kernel
#    counted as dropped in the server namespace (conntrack -S);
#  - bad input: exit 2 naming what is wrong.
#
# usage: loadgen_netns.sh BUILD_DIR DATA_DIR
BUILD=$1
DATA=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require conntrack iptables python3
ct_save_max
LG=$BUILD/loadgen/ctstorm-loadgen
RESP=$BUILD/responder/ctstorm-responder

ct_pair lg
S=198.18.0.2
ct_pair_ipv4_only
ct_start "$CT_SRV" "$CT_TMP/responder.log" "$RESP" --listen $S:53 --listen $S:5300,mode=drop \
	--zone "$DATA/example.zone" --synthesize example.test. --user root --quiet
ct_wait_dns "$CT_CLI" $S 53 example.test || { cat "$CT_TMP/responder.log"; exit 1; }
printf 'www.example.test A\nweb.example.test AAAA\nrnd.example.test TXT\nnope.sub.example.test A\n' >"$CT_TMP/q"

lg() { ip netns exec "$CT_CLI" "$LG" --quiet "$@"; }
# field NAME FILE: a value from the summary JSON (dotted path)
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[2])); [d:=d[k] for k in sys.argv[1].split('.')]; print(d)" "$1" "$2"; }
adds_up() {
	python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["sent"] > 0, s
assert s["sent"] == s["answered"] + s["timeouts"] + s["failed"] + s["abandoned"], s
if s["answered"]:
    for kind in ("intended", "actual"):
        lat = s["latency_us"][kind]
        assert lat["count"] == s["answered"], lat
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"], lat
PY
}

# --- closed loop, UDP and TCP ---
lg -s $S -d "$CT_TMP/q" -l 2 -c 8 -q 64 --stats-interval 250ms --json "$CT_TMP/closed.jsonl" --summary "$CT_TMP/closed.json"
ct_check "closed loop UDP: exit 0" test $? -eq 0
ct_check "closed loop UDP: counts add up" adds_up "$CT_TMP/closed.json"
ct_check "closed loop UDP: all answered" test "$(field timeouts "$CT_TMP/closed.json")" -eq 0
# each interval's latencies are its own answers' (the last interval, closed
# right after the one before it, once took the latter's)
ct_check "closed loop UDP: every interval's latency counts its answers" python3 - "$CT_TMP/closed.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
iv = [r for r in rows if r["type"] == "interval"]
ok = len(iv) >= 8 and sum(r["counts"]["answered"] for r in iv) == rows[-1]["summary"]["answered"]
for r in iv:
    lat = r["latency_us"]["actual"]
    ok &= (lat["count"] if lat else 0) == r["counts"]["answered"]
sys.exit(0 if ok else 1)
PY
ct_check "closed loop UDP: 8 sockets, 8 flows" test "$(field new_flows "$CT_TMP/closed.json")" -eq 8
ct_check "rcodes: NXDOMAIN-free zone answers NOERROR" test "$(field rcodes.NOERROR "$CT_TMP/closed.json")" -eq "$(field answered "$CT_TMP/closed.json")"
lg -s $S -d "$CT_TMP/q" -l 2 -m tcp -K 1 -c 8 -q 8 --summary "$CT_TMP/tcp.json"
ct_check "TCP, a connection per query: counts add up" adds_up "$CT_TMP/tcp.json"
ct_check "TCP, a connection per query: one flow per query" \
	test "$(field new_flows "$CT_TMP/tcp.json")" -eq "$(field sent "$CT_TMP/tcp.json")"
lg -s $S -d "$CT_TMP/q" -l 2 -m tcp -c 2 -Q 2000 --summary "$CT_TMP/tcpp.json"
ct_check "TCP pipelined, open loop: counts add up" adds_up "$CT_TMP/tcpp.json"
ct_check "TCP pipelined, open loop: every query sent is answered, on 2 connections" \
	bash -c "test $(field answered "$CT_TMP/tcpp.json") -eq $(field sent "$CT_TMP/tcpp.json") && test $(field new_flows "$CT_TMP/tcpp.json") -eq 2"

# --- open loop holds its rate when nothing answers ---
lg -s $S -p 5300 -d "$CT_TMP/q" -l 3 -Q 3000 -t 1 --json "$CT_TMP/drop.jsonl" --summary "$CT_TMP/drop.json"
python3 - "$CT_TMP/drop.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["sent"] + s["late"] == 9000, s   # every slot of 3000 qps for 3 s, sent or late
assert s["sent"] > 0, s                   # how many were sent in time is bench/loadgen.sh's figure
assert s["answered"] == 0 and s["timeouts"] == s["sent"], s
# each timeout also by the interval its query was sent in: all of them,
# none after the 3 s of sending
by = s["timeouts_by_sent_interval"]
assert sum(by) == s["timeouts"] and len(by) <= 3 / s["interval_s"] + 1e-9, (by, s["interval_s"])
PY
ct_check "open loop: 3000 qps for 3 s scheduled, every slot sent or late, although nothing answers; timeouts by send time" test $? -eq 0
ct_check "open loop: one JSON line per interval, then the summary" \
	bash -c "test \$(grep -c '\"type\":\"interval\"' '$CT_TMP/drop.jsonl') -ge 3 && tail -1 '$CT_TMP/drop.jsonl' | grep -q '\"type\":\"summary\"'"

# --- a fresh socket per query, and the canary ---
lg -s $S -d "$CT_TMP/q" -l 2 -Q 2000 --sockets per-query --canary 20 --canary-log "$CT_TMP/canary.jsonl" \
	--summary "$CT_TMP/pq.json"
ct_check "per-query sockets: a new flow per query" \
	test "$(field new_flows "$CT_TMP/pq.json")" -eq "$(field sent "$CT_TMP/pq.json")"
ct_check "canary: one log line per canary query" \
	test "$(wc -l <"$CT_TMP/canary.jsonl")" -eq "$(field canary.sent "$CT_TMP/pq.json")"

# --- a new 5-tuple per query from a source range (IP_PKTINFO over an AnyIP route) ---
ip -n "$CT_CLI" route add local 198.19.0.0/16 dev lo
ip -n "$CT_SRV" route add 198.19.0.0/16 via 198.18.0.1
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$CT_SRV" conntrack -F 2>/dev/null
c0=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
lg -s $S -d "$CT_TMP/q" -l 1 -Q 5000 --sockets per-query --src-range 198.19.0.0/16 --summary "$CT_TMP/range.json"
c1=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
ct_check "source range: counts add up, all answered" \
	bash -c "test $(field answered "$CT_TMP/range.json") -eq $(field sent "$CT_TMP/range.json")"
ct_check "source range: a new flow per query" test "$(field new_flows "$CT_TMP/range.json")" -eq "$(field sent "$CT_TMP/range.json")"
ct_check "source range: a new conntrack entry per query in the server ($((c1 - c0)))" \
	test $((c1 - c0)) -ge "$(field sent "$CT_TMP/range.json")"
ip netns exec "$CT_SRV" iptables -F INPUT

# --- through c-ares, as an application resolves ---
lg -s $S -d "$CT_TMP/q" -l 1 -q 20 --resolver cares --summary "$CT_TMP/cares.json"
ct_check "c-ares: counts add up" adds_up "$CT_TMP/cares.json"
ct_check "c-ares: answered" test "$(field answered "$CT_TMP/cares.json")" -gt 1000
lg -s $S -p 5300 -d "$CT_TMP/q" -l 1 -Q 50 -t 200ms --tries 2 --resolver cares --summary "$CT_TMP/cares-drop.json"
python3 - "$CT_TMP/cares-drop.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["sent"] + s["late"] == 50 and s["sent"] > 0, s   # every slot sent or late (how many in time is bench's)
assert s["timeouts"] == s["sent"] and s["answered"] == 0, s
assert s["attempt_timeouts"] >= 2 * s["sent"] - 4, s   # both attempts of (nearly) every lookup
assert sum(s["timeouts_by_sent_interval"]) == s["timeouts"], s
PY
ct_check "c-ares against silence: every lookup fails after its retries" test $? -eq 0

# --- a full table: every lost query is a packet the server's conntrack dropped ---
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT
ip netns exec "$CT_SRV" conntrack -F 2>/dev/null
before=$(ip netns exec "$CT_SRV" conntrack -S | grep -oE '(^| )drop=[0-9]+' | cut -d= -f2 | awk '{s += $1} END {print s + 0}')
echo 200 >/proc/sys/net/netfilter/nf_conntrack_max
lg -s $S -d "$CT_TMP/q" -l 2 -Q 1000 --sockets per-query -t 1 --summary "$CT_TMP/full.json"
ct_restore_max
after=$(ip netns exec "$CT_SRV" conntrack -S | grep -oE '(^| )drop=[0-9]+' | cut -d= -f2 | awk '{s += $1} END {print s + 0}')
lost=$(field timeouts "$CT_TMP/full.json")
ct_check "full table: queries were lost ($lost)" test "$lost" -gt 0
ct_check "full table: lost queries ($lost) = packets dropped by the server's conntrack ($((after - before)))" \
	test "$lost" -eq $((after - before))
ct_check "full table: counts add up" adds_up "$CT_TMP/full.json"
ct_check "full table: every timeout by the interval its query was sent in" \
	test "$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["timeouts_by_sent_interval"]))' "$CT_TMP/full.json")" -eq "$lost"

# --- SIGINT ends a run early with a valid summary ---
ip netns exec "$CT_CLI" "$LG" --quiet -s $S -p 5300 -d "$CT_TMP/q" -l 60 -Q 1000 --summary "$CT_TMP/int.json" &
LPID=$!
sleep 1.5
kill -INT $LPID
wait $LPID
ct_check "SIGINT: exit 0" test $? -eq 0
ct_check "SIGINT: summary says interrupted, in-flight queries abandoned" \
	bash -c "test '$(field interrupted "$CT_TMP/int.json")' = True && test $(field abandoned "$CT_TMP/int.json") -gt 0"
ct_check "SIGINT: counts add up" adds_up "$CT_TMP/int.json"

# --- bad input ---
out=$(lg -s $S -d /nonexistent/queries -l 1 2>&1)
ct_check "missing query file: exit 2" test $? -eq 2
ct_check "missing query file: named" grep -q "/nonexistent/queries" <<<"$out"
printf 'www.example.test A\nbad.example.test NOSUCHTYPE\n' >"$CT_TMP/bad"
out=$(lg -s $S -d "$CT_TMP/bad" -l 1 2>&1)
ct_check "bad query file: exit 2" test $? -eq 2
ct_check "bad query file: names file:line" grep -q "bad:2: unknown query type 'NOSUCHTYPE'" <<<"$out"
out=$(lg -s $S -d "$CT_TMP/q" --rate-profile 'ramp:10@1s' 2>&1)
ct_check "bad rate profile: exit 2" test $? -eq 2
out=$(lg -s no-such-host.invalid -d "$CT_TMP/q" -l 1 2>&1)
ct_check "unresolvable server: exit 2" test $? -eq 2
out=$(lg -s $S -d "$CT_TMP/q" --sokets per-query 2>&1)
ct_check "unknown flag: exit 2" test $? -eq 2
ct_check "unknown flag: a suggestion" grep -q "did you mean '--sockets'" <<<"$out"

ct_check "nf_conntrack_max restored" test "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" -eq "$CT_SAVED_MAX"
ct_summary
