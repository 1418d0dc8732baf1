#!/bin/bash
# ctstorm-responder as real clients see it: the server in one namespace,
# dig, kdig, dnsping and dnsperf in another, over a veth, IPv4 and IPv6.
#
# usage: responder_netns.sh PATH/TO/ctstorm-responder PATH/TO/tests/data
RESP=$1
DATA=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ct_require dig kdig dnsperf

ct_pair resp
S=198.18.0.2
# a second address on each side, for the wildcard listener below
ip -n "$CT_SRV" addr add 198.18.0.3/24 dev "$CT_SRV_DEV"
ip -n "$CT_SRV" addr add 2001:2::3/64 dev "$CT_SRV_DEV" nodad
chmod 0755 "$CT_TMP"
mkdir -m 0777 "$CT_TMP/out"

# Runs dig in the client namespace and prints header + answer lines.
q() {
	ip netns exec "$CT_CLI" dig +time=2 +tries=1 +norec "$@" 2>&1
}
status_is() { grep -q "status: $1," <<<"$2"; }
has_flag() { grep -Eq "flags:[a-z ]* $1[ ;]" <<<"$2"; }
count_is() { grep -q "$1: $2[,]\?" <<<"$3"; }

ct_start "$CT_SRV" "$CT_TMP/responder.log" "$RESP" \
	--listen "$S:53" --listen "[2001:2::2]:53" --listen "$S:5300,mode=drop" \
	--listen "$S:5301,mode=delay=200" --listen 0.0.0.0:5353 --listen "[::]:5353" \
	--zone "$DATA/example.zone" \
	--synthesize example.test. --stats-json "$CT_TMP/out/stats.json"
RPID=$CT_LAST_PID
if ! ct_wait_dns "$CT_CLI" "$S" 53 example.test; then
	cat "$CT_TMP/responder.log"
	ct_fail "responder answers within 5 s"
	ct_summary
	exit 1
fi
ct_ok "responder answers"
ct_check "dropped root: runs as nobody" \
	grep -Eq "^Uid:\s+$(id -u nobody)\s" "/proc/$RPID/status"

# --- the authoritative cases, over UDP ---
r=$(q @$S example.test SOA)
ct_check "apex SOA: NOERROR, aa" bash -c "grep -q 'status: NOERROR' <<<'$r' && grep -Eq 'flags: qr aa;' <<<'$r'"
r=$(q @$S www.example.test A)
ct_check "CNAME chased to two A records" bash -c "grep -c '	A	198.18.0.8' <<<'$r' | grep -qx 2 && grep -q CNAME <<<'$r'"
r=$(q @$S nope.test.example.test -t AAAA +nosearch)
ct_check "synthesized name answers NODATA for AAAA (apex has none)" status_is NOERROR "$r"
r=$(q @$S r4nd0m.example.test A)
ct_check "synthesized random label gets the apex A" grep -q "r4nd0m.example.test.	300	IN	A	198.18.0.10" <<<"$r"
r=$(q @$S web.example.test MX)
ct_check "NODATA carries the SOA" bash -c "grep -q 'status: NOERROR' <<<'$r' && grep -q 'AUTHORITY: 1' <<<'$r'"
r=$(q @$S x.wild.example.test TXT)
ct_check "wildcard answers with the query name" grep -q 'x.wild.example.test.	300	IN	TXT	"wildcard"' <<<"$r"
r=$(q @$S host.sub.example.test A)
ct_check "referral below the cut: no aa, NS + glue" \
	bash -c "grep -Eq 'flags: qr;' <<<'$r' && grep -q 'sub.example.test.	300	IN	NS' <<<'$r' && grep -q 'ns.sub.example.test.	300	IN	A' <<<'$r'"
r=$(q @$S www.elsewhere.test A)
ct_check "outside the zones: REFUSED" status_is REFUSED "$r"
r=$(q @$S +opcode=notify example.test SOA)
ct_check "NOTIFY: NOTIMP" status_is NOTIMP "$r"
r=$(q @$S +edns=1 +noednsneg example.test SOA)
ct_check "EDNS version 1: BADVERS" status_is BADVERS "$r"
r=$(q @$S WwW.ExAmPlE.TeSt A)
ct_check "question echoed as sent" grep -q ';WwW.ExAmPlE.TeSt.' <<<"$r"
r=$(q @$S +noedns +ignore big.example.test TXT)
ct_check "no EDNS, answer > 512: TC" has_flag tc "$r"
r=$(q @$S +bufsize=4096 big.example.test TXT)
ct_check "EDNS 4096: whole answer over UDP" bash -c "grep -q 'ANSWER: 6' <<<'$r' && ! grep -Eq 'flags:[a-z ]* tc' <<<'$r'"
r=$(q @$S +noedns big.example.test TXT)
ct_check "dig falls back to TCP after TC and gets 6 TXT" grep -q 'ANSWER: 6' <<<"$r"

# --- TCP and IPv6 with kdig ---
r=$(ip netns exec "$CT_CLI" kdig +tcp +norec @$S web.example.test A 2>&1)
ct_check "kdig over TCP" bash -c "grep -q 'status: NOERROR' <<<'$r' && grep -c '198.18.0.8' <<<'$r' | grep -qx 2"
r=$(ip netns exec "$CT_CLI" kdig +norec @2001:2::2 ns1.example.test AAAA 2>&1)
ct_check "kdig over IPv6 UDP" grep -q '2001:2::2' <<<"$r"
r=$(ip netns exec "$CT_CLI" kdig +tcp +norec @2001:2::2 example.test MX 2>&1)
ct_check "kdig over IPv6 TCP, MX with additional A" grep -q 'mail.example.test.*198.18.0.25' <<<"$r"

# --- behaviour modes ---
r=$(q @$S -p 5300 example.test SOA)
ct_check "mode=drop never answers" grep -q 'timed out\|no servers could be reached' <<<"$r"
r=$(q @$S -p 5301 example.test SOA)
ct_check "mode=delay answers (late)" status_is NOERROR "$r"

# --- wildcard listeners answer from the address that was asked ---
r=$(q @198.18.0.3 -p 5353 web.example.test A)
ct_check "0.0.0.0: reply from the second address" \
	bash -c "grep -q 'status: NOERROR' <<<'$r' && ! grep -q 'unexpected source' <<<'$r'"
r=$(q @2001:2::3 -p 5353 web.example.test AAAA)
ct_check "[::]: reply from the second IPv6 address" \
	bash -c "grep -q 'status: NOERROR' <<<'$r' && ! grep -q 'unexpected source' <<<'$r'"

# --- dnsping, if dnsdiag is installed ---
if command -v dnsping >/dev/null; then
	r=$(ip netns exec "$CT_CLI" dnsping -c 5 -w 2 -s $S www.example.test 2>&1)
	ct_check "dnsping: 0% lost" grep -q '0% lost' <<<"$r"
fi

# --- dnsperf, UDP then TCP: nothing lost ---
printf 'www.example.test A\nweb.example.test AAAA\nnope.example.test A\nexample.test MX\nrnd1.example.test A\nx.wild.example.test TXT\n' >"$CT_TMP/queries"
r=$(ip netns exec "$CT_CLI" dnsperf -s $S -d "$CT_TMP/queries" -l 3 -Q 5000 -c 4 2>&1)
ct_check "dnsperf UDP: 0 lost" grep -Eq 'Queries lost:\s+0 ' <<<"$r"
r=$(ip netns exec "$CT_CLI" dnsperf -m tcp -s $S -d "$CT_TMP/queries" -l 3 -Q 2000 -c 4 2>&1)
ct_check "dnsperf TCP: 0 lost" grep -Eq 'Queries lost:\s+0 ' <<<"$r"

# --- counters on SIGUSR1 and at exit ---
kill -USR1 "$RPID"
for _ in $(seq 50); do [ -s "$CT_TMP/out/stats.json" ] && break; sleep 0.1; done
ct_check "SIGUSR1 writes the stats JSON" test -s "$CT_TMP/out/stats.json"
ct_stop "$RPID"
ct_check "SIGTERM: clean exit 0" test $? -eq 0
ct_check "final stats count the queries" python3 -c "
import json, sys
s = json.load(open('$CT_TMP/out/stats.json'))
assert s['queries']['total'] > 1000, s
assert s['mode']['dropped'] >= 1 and s['mode']['delayed'] >= 1, s
assert s['nodata'] > 0 and s['referral'] > 0 and s['tcp']['accepted'] > 0, s
"

# --- bad input: exit 2, file:line named ---
printf 'example. 300 IN SOA ns.example. h.example. 1 2 3 4 5\nwww 60 IN A 198.18.0.300\n' >"$CT_TMP/bad.zone"
out=$(ip netns exec "$CT_SRV" "$RESP" --listen "$S:53" --zone "$CT_TMP/bad.zone" 2>&1)
rc=$?
ct_check "malformed zone: exit 2" test $rc -eq 2
ct_check "malformed zone: names file:line" grep -q "bad.zone:2:" <<<"$out"
out=$(ip netns exec "$CT_SRV" "$RESP" --listne "$S:53" --zone "$DATA/example.zone" 2>&1)
ct_check "unknown flag: exit 2" test $? -eq 2
ct_check "unknown flag: a suggestion" grep -q "did you mean '--listen'" <<<"$out"
out=$(ip netns exec "$CT_SRV" "$RESP" --listen "$S:53" --mode delay=abc --zone "$DATA/example.zone" 2>&1)
ct_check "bad mode: exit 2" test $? -eq 2

ct_summary
