#!/bin/bash
# A real router between the client and a real server, each a namespace
# with its own sshd; the controller (and the client: this host's own
# stack) in a third, routing to the server through the router:
#   controller 198.18.0.1 -- 198.18.0.2 router 198.18.1.1 -- 198.18.1.2 server
# A routed scenario with [hosts] router and server:
#   - check accepts it; a router without a real server is refused (exit 2)
#   - baseline: the router's small table (its [router] nf_conntrack_max,
#     its stateful rules in ctstorm's table there) drops new flows through
#     it, counted by the sampler on the router; raised-max holds
#   - the router's rules and sysctls there, the responder on the server
#     host, the manifest and report name both hosts
#   - after the run: both hosts as before, nothing outstanding
#
# usage: remote_router.sh BUILD_DIR
BUILD=$(cd "$1" && pwd)
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
ct_require ssh sshd ssh-keygen python3 nft
CTSTORM=$BUILD/scenarios/ctstorm
T=$CT_TMP
ct_save_max

id=$$-$RANDOM
CTL=ctnctl-$id RTR=ctnrtr-$id SRV=ctnsrv-$id
for ns in "$CTL" "$RTR" "$SRV"; do
	CT_NETNS+=("$ns")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip link add "rc-$$" netns "$CTL" type veth peer name "rr-$$" netns "$RTR"
ip link add "rs-$$" netns "$RTR" type veth peer name "ss-$$" netns "$SRV"
ip -n "$CTL" addr add 198.18.0.1/24 dev "rc-$$"
ip -n "$RTR" addr add 198.18.0.2/24 dev "rr-$$"
ip -n "$RTR" addr add 198.18.1.1/24 dev "rs-$$"
ip -n "$SRV" addr add 198.18.1.2/24 dev "ss-$$"
ip -n "$CTL" link set "rc-$$" up
ip -n "$RTR" link set "rr-$$" up
ip -n "$RTR" link set "rs-$$" up
ip -n "$SRV" link set "ss-$$" up
ip -n "$CTL" route add 198.18.1.0/24 via 198.18.0.2
ip -n "$SRV" route add 198.18.0.0/24 via 198.18.1.1
ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=1

P="$BUILD/scenarios:/usr/sbin:/usr/bin:/sbin:/bin"
ct_ssh_host "$RTR" 198.18.0.2 22 "$P" "$T/state-rtr"
ct_ssh_host "$SRV" 198.18.1.2 22 "$P" "$T/state-srv"
for a in 198.18.0.2 198.18.1.2; do ct_ssh_wait "$CTL" "$a" || ct_fail "ssh to $a"; done
export CTSTORM_STATE_DIR=$T/state-ctl
mkdir -p "$CTSTORM_STATE_DIR"
ctl() { ip netns exec "$CTL" "$CTSTORM" "$@" --ssh-config "$CT_SSH_CONFIG"; }
outstanding() { ctl status --host "ssh://$1" --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["outstanding"]))'; }
rules() { for ns in "$RTR" "$SRV"; do ip netns exec "$ns" nft -s list ruleset; ip netns exec "$ns" iptables -S; done; }
RULES_BEFORE=$(rules)

cat >"$T/router.scn" <<'EOF'
[scenario]
name = real-router
description = a real router's small table under new UDP flows through it
topology = routed
settle = 200ms
tail = 300ms

[router]
nf_conntrack_max = 15
allow-lower = yes
firewall = stateful

[load]
max-qps = 40
limit = 1500ms
sockets = per-query
timeout = 1s
qname = www.example.test

[variant baseline]
description = the router's table full: new flows through it dropped
sampler.drop > 0
loadgen.answered < 60

[variant raised-max]
description = the router's table raised
router.nf_conntrack_max = 65536
sampler.drop == 0
loadgen.loss_pct == 0
EOF

HOSTS=(--host server=ssh://198.18.1.2 --host router=ssh://198.18.0.2)
ctl check "$T/router.scn" "${HOSTS[@]}" >"$T/check.out" 2>&1
rc=$?
ct_check "check: a routed scenario with a real router and server accepted ($(tail -1 "$T/check.out"))" test $rc -eq 0
ctl check "$T/router.scn" --host router=ssh://198.18.0.2 >/dev/null 2>"$T/check2.err"
rc=$?
ct_check "check: a real router before the lab's server refused, exit 2 ($(head -1 "$T/check2.err"))" \
	bash -c "[ $rc -eq 2 ] && grep -q 'the server behind a real router is a real host too' '$T/check2.err'"

ctl run "$T/router.scn" "${HOSTS[@]}" --out "$T/r" >"$T/run.log" 2>&1
rc=$?
DIR=$(sed -n 's/^Results: //p' "$T/run.log" | tail -1)
[ $rc -ne 0 ] && tail -30 "$T/run.log"
ct_check "the run: exit 0, the router's table reproduced the drops and raised-max held" \
	bash -c "[ $rc -eq 0 ] && grep -q '^| baseline | reproduced |' '$DIR/report.md' && grep -q '^| raised-max | held |' '$DIR/report.md'"
ct_check "the sampler ran on the router: its drops, the server answered what passed" python3 -c '
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/baseline/sampler.json")); l = json.load(open(d + "/baseline/loadgen.json"))
r = json.load(open(d + "/baseline/responder.json"))
sys.exit(0 if s["totals"]["drop"] > 0 and s["max"] == 15 and 0 < l["answered"] < l["sent"] else 1)' "$DIR"
ct_check "ruleset.txt: the router's table in ctstorm's own table there, the server's own rules untouched" bash -c "
	grep -q '^## ssh://198.18.0.2 (router): firewall = stateful (in ctstorm.s own table, table inet ctstorm)' '$DIR/baseline/ruleset.txt' &&
	grep -q '^## ssh://198.18.1.2 (server): firewall = default (the host.s own rules, untouched)' '$DIR/baseline/ruleset.txt'"
ct_check "the manifest and the report name the router and the server" python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
h = m["hosts"]
ok = h["router"]["url"] == "ssh://198.18.0.2" and h["server"]["url"] == "ssh://198.18.1.2"
ok &= h["router"]["address"] == h["server"]["address"] == "198.18.1.2" and m["status"] == "complete"
ok &= "router on ssh://198.18.0.2" in open(sys.argv[1] + "/report.md").read()
sys.exit(0 if ok else 1)' "$DIR"
ct_check "the run's files match docs/schema" \
	bash -c "/usr/bin/python3 '$(dirname "$0")/check_schemas.py' '$(dirname "$0")/../../docs/schema' '$DIR' >'$T/schemas.txt' || { cat '$T/schemas.txt'; false; }"
RULES_AFTER=$(rules)
ct_check "after the run: both hosts' rules as before, nf_conntrack_max as before" \
	env RB="$RULES_BEFORE" RA="$RULES_AFTER" \
	bash -c "[ \"\$(cat /proc/sys/net/netfilter/nf_conntrack_max)\" = '$CT_SAVED_MAX' ] && [ \"\$RB\" = \"\$RA\" ]"
ct_check "after the run: nothing outstanding on either host" \
	bash -c "[ '$(outstanding 198.18.0.2)' = 0 ] && [ '$(outstanding 198.18.1.2)' = 0 ]"
ct_check "after the run: no process of ours on either host (only their sshd)" \
	bash -c "[ \$(ip netns pids $RTR | wc -l) = 1 ] && [ \$(ip netns pids $SRV | wc -l) = 1 ]"
unset CTSTORM_STATE_DIR
ct_summary
