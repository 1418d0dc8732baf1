#!/bin/bash
# The main job, as far as it exists today: builds ctstorm, starts
# ctstorm-responder in a server namespace with conntrack active, queries it
# from a client namespace with dig, then loads it with dnsperf while
# showing the server namespace's conntrack count. Removes everything it
# made on exit. (The scenario runner, issue 5, will reproduce seed 000.)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

set +e
. tests/integration/lib.sh
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require dig dnsperf iptables

ct_pair demo
# A stateful rule: from now on every flow to the server gets a conntrack entry.
ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT

ct_start "$CT_SRV" "$CT_TMP/responder.log" "$ROOT/build/responder/ctstorm-responder" \
	--listen 198.18.0.2:53 --listen "[2001:2::2]:53" --zone "$ROOT/tests/data/example.zone" \
	--synthesize example.test. --stats-json "$CT_TMP/stats.json" --user root --quiet
RPID=$CT_LAST_PID
ct_wait_dns "$CT_CLI" 198.18.0.2 53 example.test || { cat "$CT_TMP/responder.log"; exit 1; }

echo "== dig from the client namespace"
for q in "www.example.test A" "random-label-42.example.test A" "nope.sub.example.test A"; do
	echo "\$ dig @198.18.0.2 $q"
	ip netns exec "$CT_CLI" dig +norec +noall +comments +answer +authority @198.18.0.2 $q |
		grep -Ev '^;; (Got answer|OPT)|^$'
done

echo "== dnsperf for 5 s, conntrack count in the server namespace"
printf 'www.example.test A\nweb.example.test AAAA\nrnd.example.test A\n' >"$CT_TMP/q"
ip netns exec "$CT_CLI" dnsperf -s 198.18.0.2 -d "$CT_TMP/q" -l 5 -c 50 >"$CT_TMP/perf" 2>&1 &
PERF=$!
for i in 1 2 3 4 5; do
	sleep 1
	echo "  t=${i}s  nf_conntrack_count=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)"
done
wait $PERF
grep -E 'Queries (sent|completed|lost)|Queries per second' "$CT_TMP/perf"
ct_stop "$RPID"
echo "== responder counters"
cat "$CT_TMP/stats.json"
