#!/bin/bash
# Real hosts over real OpenSSH: a namespace acts as the host, running its
# own sshd (per-test host key and authorized key, listening only on its
# 198.18.0.0/15 address, its own CTSTORM_STATE_DIR by SetEnv); the
# controller, in another namespace, reaches it only over ssh.
#   - status and cleanup --host, deploy (copied, libraries resolve, version)
#   - a host without ctstorm, with another version, unreachable: exit 2
#     naming the host, nothing changed
#   - the agent (ctstorm node) journals a change on its host and restores
#     it when its ssh client is killed, when it is sent SIGTERM, and after a
#     SIGKILL of the agent itself through cleanup --host; one controller per
#     host (the lock)
# Sysctls are per-namespace ones (nf_conntrack_udp_timeout): the global
# nf_conntrack_max is writable from the initial namespace only.
#
# usage: remote_ssh.sh BUILD_DIR
BUILD=$(cd "$1" && pwd)
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
ct_require ssh sshd ssh-keygen python3 conntrack
CTSTORM=$BUILD/scenarios/ctstorm
T=$CT_TMP
ct_pair ssh
CTL=$CT_CLI   # the controller's namespace
HOSTNS=$CT_SRV # the "host"
HOST=198.18.0.2
mkdir -p "$T/state" "$T/state-bare"
# one host with ctstorm on its PATH, one (port 2222) without, and one (2223) whose copies arrive
# cut short (its cat keeps the first 4 KiB)
mkdir -p "$T/short-bin" "$T/state-short"
printf '#!/bin/sh\nexec head -c 4096\n' >"$T/short-bin/cat"
chmod 755 "$T/short-bin/cat"
ct_ssh_host "$HOSTNS" "$HOST" 22 "$BUILD/scenarios:/usr/sbin:/usr/bin:/sbin:/bin" "$T/state"
ct_ssh_host "$HOSTNS" "$HOST" 2222 "/usr/sbin:/usr/bin:/sbin:/bin" "$T/state-bare"
ct_ssh_host "$HOSTNS" "$HOST" 2223 "$T/short-bin:/usr/sbin:/usr/bin:/sbin:/bin" "$T/state-short"
ct_ssh_wait "$CTL" "$HOST"
ctl() { ip netns exec "$CTL" "$CTSTORM" "$@" --ssh-config "$CT_SSH_CONFIG"; }
hostval() { ip netns exec "$HOSTNS" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout; }
UDP_BEFORE=$(hostval)

# --- status, deploy ---
ctl status --host "ssh://$HOST" >"$T/status.out" 2>&1
ct_check "status --host: exit 0 on a clean host" test $? -eq 0
ct_check "status --host: the host, its kernel and ctstorm named" \
	grep -q "^ssh://$HOST (kernel $(uname -r), ctstorm " "$T/status.out"
ct_check "status --host: nothing outstanding" grep -q 'nothing outstanding' "$T/status.out"
ctl status --host "ssh://root@$HOST:22" --json >"$T/status.json"
ct_check "status --host --json: the host's journal" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["outstanding"] == [] and not d["running"] else 1)' "$T/status.json"

ctl deploy "ssh://$HOST" --remote-dir "$T/deployed" >"$T/deploy.out" 2>&1
ct_check "deploy: exit 0, ready" bash -c "grep -q 'ready in $T/deployed' '$T/deploy.out'"
ct_check "deploy: the libraries checked" grep -q 'every library resolves (ldd)' "$T/deploy.out"
ct_check "deploy: the four binaries, byte for byte" bash -c "
	cmp -s '$BUILD/scenarios/ctstorm' '$T/deployed/ctstorm' && cmp -s '$BUILD/loadgen/ctstorm-loadgen' '$T/deployed/ctstorm-loadgen' &&
	cmp -s '$BUILD/responder/ctstorm-responder' '$T/deployed/ctstorm-responder' && cmp -s '$BUILD/analysis/ctstorm-sampler' '$T/deployed/ctstorm-sampler'"
ct_check "deploy: nothing half-written left" bash -c "! ls -A '$T/deployed' | grep -q tmp"
# a copy cut short on its way: refused there, nothing installed, nothing half-written left
mkdir -p "$T/short-deployed"
cp "$BUILD/scenarios/ctstorm" "$T/short-deployed/ctstorm" # what was there before stays
ctl deploy "ssh://$HOST:2223" --remote-dir "$T/short-deployed" >"$T/short.out" 2>&1
rc=$?
ct_check "deploy cut short: it fails ($rc), saying so ($(grep -o 'arrived cut short[^;]*' "$T/short.out" | head -1))" \
	bash -c "[ $rc -ne 0 ] && grep -q 'arrived cut short or changed' '$T/short.out' && grep -q 'not installed' '$T/short.out'"
ct_check "deploy cut short: the binary there before untouched, no other installed, no temporary left" bash -c "
	cmp -s '$BUILD/scenarios/ctstorm' '$T/short-deployed/ctstorm' && [ ! -e '$T/short-deployed/ctstorm-loadgen' ] &&
	! ls -A '$T/short-deployed' | grep -q tmp"
# the bare host has no ctstorm on its PATH: the deployed one is used
ctl status --host "ssh://$HOST:2222" --remote-dir "$T/deployed" >/dev/null 2>&1
ct_check "a host with only the deployed ctstorm: status works" test $? -eq 0

# --- hosts that cannot be used: exit 2, the host named, nothing changed ---
ctl status --host "ssh://$HOST:2222" >/dev/null 2>"$T/bare.err"
ct_check "no ctstorm on the host: exit 2" test $? -eq 2
ct_check "no ctstorm on the host: named, with what to do ($(head -1 "$T/bare.err"))" \
	grep -q "ssh://$HOST:2222: no ctstorm on the host (\`ctstorm deploy ssh://$HOST:2222\`" "$T/bare.err"
mkdir -p "$T/other"
printf '#!/bin/sh\necho "ctstorm 0.0.1"\n' >"$T/other/ctstorm"
chmod 755 "$T/other/ctstorm"
ctl cleanup --host "ssh://$HOST" --remote-dir "$T/other" >/dev/null 2>"$T/other.err"
ct_check "another ctstorm version: exit 2" test $? -eq 2
ct_check "another ctstorm version: both named ($(head -1 "$T/other.err"))" \
	grep -q "ssh://$HOST: the host has ctstorm 0.0.1, this is ctstorm " "$T/other.err"
ctl status --host ssh://198.18.0.9 --ssh-option ConnectTimeout=2 >/dev/null 2>"$T/unreach.err"
ct_check "an unreachable host: exit 2" test $? -eq 2
ct_check "an unreachable host: named ($(head -1 "$T/unreach.err"))" grep -q '^ctstorm: error: ssh://198.18.0.9: cannot connect' "$T/unreach.err"
ctl status --host "ssh://-oProxyCommand=x" >/dev/null 2>"$T/inject.err"
ct_check "a host that ssh would read as an option: refused, exit 2" \
	bash -c "[ $? -eq 2 ] && grep -q 'may not start with' '$T/inject.err'"
ct_check "the unusable hosts: nothing changed" test "$(hostval)" = "$UDP_BEFORE"

# --- the agent over ssh ---
# agent NAME: starts `ctstorm node` on the host over ssh as a coprocess;
# say LINE sends a request and reads the reply into REPLY
agent() {
	coproc AGENT { ip netns exec "$CTL" ssh -F "$CT_SSH_CONFIG" "$HOST" ctstorm node 2>"$T/agent-$1.err"; }
	APID=$AGENT_PID # bash unsets AGENT_PID once the coprocess ends
}
say() {
	echo "$1" >&"${AGENT[1]}"
	REPLY=
	read -r -t 10 REPLY <&"${AGENT[0]}"
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$REPLY" "$1"; }
# wait_for CMD...: up to 10 s
wait_for() {
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	return 1
}
gone() { ! kill -0 "$1" 2>/dev/null; }
outstanding() { ctl status --host "ssh://$HOST" --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["outstanding"]))'; }

agent kill-ssh
say '{"op":"hello"}'
ct_check "agent: hello names its version and kernel" bash -c "[ '$(field version)' = '$("$CTSTORM" --version | cut -d' ' -f2)' ] && [ '$(field kernel)' = '$(uname -r)' ]"
AGENT_REMOTE=$(field pid)
say '{"op":"sysctl-set","key":"nf_conntrack_udp_timeout","value":7}'
ct_check "agent: a sysctl set on the host, the old value returned" bash -c "[ '$(field ok)' = True ] && [ '$(field old)' = '$UDP_BEFORE' ] && [ \"\$(ip netns exec $HOSTNS cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)\" = 7 ]"
ct_check "agent: journaled on the host" test "$(outstanding)" = 1
# a second controller on the same host is refused while the first holds it
second=$(echo '{"op":"hello"}' | ip netns exec "$CTL" ssh -F "$CT_SSH_CONFIG" "$HOST" ctstorm node 2>/dev/null)
ct_check "a second controller: refused, the lock holder named" bash -c "grep -q '\"ok\":false' <<<'$second' && grep -q 'holds the host (run $AGENT_REMOTE' <<<'$second'"
say '{"op":"sysctl-set","key":"nf_conntrack_udp_timeout","value":"7; reboot"}'
ct_check "agent: a value that is no sysctl value refused" bash -c "[ '$(field ok)' = False ]"
kill -KILL "$APID"
wait "$APID" 2>/dev/null
ct_check "ssh client killed: the host restored itself" wait_for bash -c "[ \"\$(ip netns exec $HOSTNS cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)\" = '$UDP_BEFORE' ]"
ct_check "ssh client killed: the agent is gone" wait_for gone "$AGENT_REMOTE"
ct_check "ssh client killed: status --host reports nothing outstanding" test "$(outstanding)" = 0

agent term
say '{"op":"hello"}'
AGENT_REMOTE=$(field pid)
say '{"op":"sysctl-set","key":"nf_conntrack_udp_timeout","value":8}'
kill -TERM "$AGENT_REMOTE"
ct_check "agent sent SIGTERM: restored" wait_for bash -c "[ \"\$(ip netns exec $HOSTNS cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)\" = '$UDP_BEFORE' ]"
ct_check "agent sent SIGTERM: gone" wait_for gone "$AGENT_REMOTE"
ct_check "agent sent SIGTERM: nothing outstanding" test "$(outstanding)" = 0
wait "$APID" 2>/dev/null

agent sigkill
say '{"op":"hello"}'
AGENT_REMOTE=$(field pid)
say '{"op":"sysctl-set","key":"nf_conntrack_udp_timeout","value":9}'
kill -KILL "$AGENT_REMOTE"
wait "$APID" 2>/dev/null
ct_check "agent SIGKILLed: its change outstanding on the host" test "$(outstanding)" = 1
ctl status --host "ssh://$HOST" >/dev/null 2>&1
ct_check "agent SIGKILLed: status --host exit 1" test $? -eq 1
ctl cleanup --host "ssh://$HOST" >"$T/cleanup.out" 2>&1
ct_check "cleanup --host: exit 0" test $? -eq 0
ct_check "cleanup --host: the sysctl restored" test "$(hostval)" = "$UDP_BEFORE"
ct_check "cleanup --host: nothing outstanding" test "$(outstanding)" = 0
ct_check "cleanup --host: the dead agent's folder removed" bash -c "! ls -d '$T/state'/node-* 2>/dev/null"

agent bye
say '{"op":"sysctl-set","key":"nf_conntrack_udp_timeout","value":11}'
# a variant's stateful rules, then its restore: the kernel releases the
# deleted table's conntrack hooks a moment later, and the restore's reply
# goes out in that moment; the control flow must not be tracked then either
has_table() { ip netns exec "$HOSTNS" nft list table inet "$1" >/dev/null 2>&1; }
control_entries() { ip netns exec "$HOSTNS" conntrack -L -p tcp 2>/dev/null | grep -E "$HOST" | grep -cE '(s|d)port=22 '; }
say '{"op":"firewall","nft":"\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state established,related accept\n\t}\n"}'
ct_check "firewall: the variant's table and the control connection's exemption" \
	bash -c "[ '$(field ok)' = True ] && $(declare -f has_table); HOSTNS=$HOSTNS; has_table ctstorm && has_table ctstorm_control"
say '{"op":"restore"}'
sleep 0.5
ct_check "restore: the variant's table gone, the exemption kept (one change outstanding)" \
	bash -c "[ '$(field ok)' = True ] && $(declare -f has_table); HOSTNS=$HOSTNS; ! has_table ctstorm && has_table ctstorm_control && [ '$(outstanding)' = 1 ]"
ct_check "restore: the control connection has no conntrack entry" test "$(control_entries)" = 0
say '{"op":"bye"}'
ct_check "bye: restored, the agent ends" bash -c "[ '$(field ok)' = True ] && [ \"\$(ip netns exec $HOSTNS cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)\" = '$UDP_BEFORE' ]"
ct_check "bye: the exemption's table gone too" bash -c "! ip netns exec $HOSTNS nft list table inet ctstorm_control >/dev/null 2>&1"
wait "$APID" 2>/dev/null
ct_check "bye: the ssh session ended with exit 0" test $? -eq 0

# --- seed 000 with its server on the ssh host: the same verdicts as the lab ---
# the user's own rules on the host (none that tracks): intact after every run
printf 'table inet mine {\n\tchain input {\n\t\ttype filter hook input priority 10; policy accept;\n\t\ttcp dport 9 accept\n\t}\n}\n' |
	ip netns exec "$HOSTNS" nft -f -
ip netns exec "$HOSTNS" iptables -A INPUT -p tcp --dport 9 -j ACCEPT
rules() { ip netns exec "$HOSTNS" nft -s list ruleset; ip netns exec "$HOSTNS" iptables -S; }
RULES_BEFORE=$(rules)
ct_save_max
MAX_BEFORE=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
verdicts() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json")); print(" ".join(v["name"]+"="+v["status"] for v in m["variants"]))' "$1"; }
results_dir() { sed -n 's/^Results: //p' "$1" | tail -1; }
host_clean() {
	[ "$(rules)" = "$RULES_BEFORE" ] && [ "$(hostval)" = "$UDP_BEFORE" ] &&
		[ "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$MAX_BEFORE" ] &&
		! ip netns pids "$HOSTNS" | xargs -r ps -o comm= -p | grep -qvx sshd # the test's sshd, nothing of ours
}
export CTSTORM_STATE_DIR=$T/state-ctl # the controller's own journal
mkdir -p "$CTSTORM_STATE_DIR"
"$CTSTORM" run seed-000 --quick --out "$T/lab" >"$T/lab.log" 2>&1
LAB=$(verdicts "$(results_dir "$T/lab.log")")
ctl run seed-000 --quick --host "server=ssh://$HOST" --set server.allow-lower=yes --out "$T/real" >"$T/real.log" 2>&1
rc=$?
[ $rc -ne 0 ] && tail -25 "$T/real.log"
REAL_DIR=$(results_dir "$T/real.log")
REAL=$(verdicts "$REAL_DIR")
ct_check "seed-000 on an ssh host: exit 0" test $rc -eq 0
ct_check "seed-000 on an ssh host: the lab's verdicts ($REAL)" test "$REAL" = "$LAB"
ct_check "the manifest names the server host, its kernel and the control connection" \
	python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
s = m["hosts"]["server"]
ok = s["url"] == "ssh://" + sys.argv[2] and s["kernel"] and s["version"] and s["ssh_connection"].startswith("198.18.0.1:")
sys.exit(0 if ok and m["hosts"]["client"] == "local" and m["status"] == "complete" else 1)' "$REAL_DIR/manifest.json" "$HOST"
ct_check "each variant's files fetched from the host" bash -c "for v in baseline notrack conntrack-off; do
	for f in sampler.csv sampler.json responder.json loadgen.json; do test -s '$REAL_DIR'/\$v/\$f || exit 1; done
	test -e '$REAL_DIR'/\$v/kmsg.log || exit 1; done"
ct_check "the run's manifest, summaries and verdicts match docs/schema" \
	bash -c "/usr/bin/python3 '$(dirname "$0")/check_schemas.py' '$(dirname "$0")/../../docs/schema' '$REAL_DIR' >'$T/schemas.txt' || { cat '$T/schemas.txt'; false; }"
ct_check "the report names the server's host and kernel" grep -q "server on ssh://$HOST (.*, kernel $(uname -r))" "$REAL_DIR/report.md"
ct_check "the report says the control connection was up before the load, and exempt" \
	grep -q "control connection: ssh, established before the first variant and kept; its flow exempt from conntrack" "$REAL_DIR/report.md"
ct_check "ruleset.txt: the rules in ctstorm's own table" grep -q "in ctstorm's own table, table inet ctstorm" "$REAL_DIR/baseline/ruleset.txt"
ct_check "after the run: the host as before (the user's rules, sysctls, no process of ours)" host_clean
ct_check "after the run: nothing outstanding on the host" test "$(outstanding)" = 0

# --- [server] iptables on a real host: in chains ctstorm owns, a chain of the text's own renamed ---
IPT=$'*raw\n:DNS - [0:0]\n-A PREROUTING -p udp --dport 53 -j DNS\n-A OUTPUT -p udp --sport 53 -j DNS\n-A DNS -j CT --notrack\nCOMMIT'
ctl run seed-000 --quick --variant baseline --host "server=ssh://$HOST" --set server.allow-lower=yes \
	--set "server.iptables=$IPT" --out "$T/ipt" >"$T/ipt.log" 2>&1
IPT_DIR=$(results_dir "$T/ipt.log")
ct_check "iptables on the host: loaded in chains ctstorm owns, jumped to first (ruleset.txt)" bash -c "
	grep -q '^-A PREROUTING -j CTSTORM-PREROUTING' '$IPT_DIR/baseline/ruleset.txt' &&
	grep -q '^-A CTSTORM-PREROUTING -p udp -m udp --dport 53 -j CTSTORM-DNS' '$IPT_DIR/baseline/ruleset.txt' &&
	grep -q '^-A CTSTORM-DNS -j CT --notrack' '$IPT_DIR/baseline/ruleset.txt'"
ct_check "iptables on the host: they worked (the baseline's queries untracked: all answered, no drop)" \
	python3 -c '
import json, sys
l = json.load(open(sys.argv[1] + "/loadgen.json")); s = json.load(open(sys.argv[1] + "/sampler.json"))
sys.exit(0 if l["sent"] > 0 and l["answered"] == l["sent"] and s["totals"]["drop"] == 0 else 1)' "$IPT_DIR/baseline"
ct_check "iptables on the host: after the run, the host's own chains and rules as before" host_clean
ct_check "iptables on the host: nothing outstanding" test "$(outstanding)" = 0

# --- probe on the ssh host: its table, the timeout the host has (read by its agent) ---
ctl probe "$(dirname "$0")/../data/probe-real.scn" --host "server=ssh://$HOST" --quiet --out "$T/probe" >"$T/probe.log" 2>&1
rc=$?
PROBE_DIR=$(results_dir "$T/probe.log")
ct_check "probe on an ssh host: exit 0 or 1 (a clean step or none), not an error ($rc)" test $rc -le 1
ct_check "probe on an ssh host: the host's table (512) and its own UDP timeout ($UDP_BEFORE s), steps measured there" \
	python3 -c '
import json, os, sys
d, timeout = sys.argv[1], float(sys.argv[2])
m = json.load(open(d + "/manifest.json")); p = m["probe"]
ok = p["max"] == 512 and p["timeout_s"] == timeout and len(p["steps"]) >= 1 and m["hosts"]["server"]["url"].startswith("ssh://")
ok &= all(os.path.getsize(d + "/" + v["dir"] + "/sampler.csv") > 0 for v in m["variants"])
sys.exit(0 if ok else 1)' "$PROBE_DIR" "$UDP_BEFORE"
ct_check "probe on an ssh host: the host as before" host_clean
ct_check "probe on an ssh host: nothing outstanding" test "$(outstanding)" = 0

# --- a source range with a real server: on our lo, routed back by the server via us ---
routes() { ip -n "$1" route show table all | grep -c '198\.19\.'; }
ctl run seed-000 --quick --variant raised-max --host "server=ssh://$HOST" --set server.allow-lower=yes \
	--set load.src-range=198.19.0.0/16 --out "$T/src" >"$T/src.log" 2>&1
rc=$?
SRC_DIR=$(results_dir "$T/src.log")
[ $rc -ne 0 ] && tail -15 "$T/src.log"
ct_check "src-range on an ssh host: exit 0, every query from the range answered (the server routed them back)" \
	python3 -c '
import json, sys
l = json.load(open(sys.argv[1] + "/raised-max/loadgen.json"))
sys.exit(0 if sys.argv[2] == "0" and l["config"]["src_addresses"] > 0 and l["sent"] > 0 and l["answered"] == l["sent"] else 1)' "$SRC_DIR" $rc
ct_check "src-range on an ssh host: the routes gone again, here and on the host" \
	bash -c "[ \$($(declare -f routes); routes $CTL) = 0 ] && [ \$($(declare -f routes); routes $HOSTNS) = 0 ]"
ct_check "src-range on an ssh host: the host as before" host_clean
ct_check "src-range on an ssh host: nothing outstanding" test "$(outstanding)" = 0

# --- responder = external: the DNS server the host runs already is what is queried ---
ct_start "$HOSTNS" "$T/own-dns.log" "$BUILD/responder/ctstorm-responder" --listen=$HOST:53 \
	--zone="$(dirname "$0")/../../scenarios/zones/example.test.zone" --user=root --quiet
OWN_DNS=$CT_LAST_PID
ct_wait_dns "$CTL" "$HOST" 53 www.example.test
ctl run seed-000 --quick --variant notrack --host "server=ssh://$HOST" --set server.allow-lower=yes \
	--set server.responder=external --set load.qname=www.example.test --out "$T/ext" >"$T/ext.log" 2>&1
rc=$?
EXT_DIR=$(results_dir "$T/ext.log")
ct_check "responder = external: the host's own DNS server answered, verdict pass (exit $rc)" \
	bash -c "[ $rc -eq 0 ] && [ '$(verdicts "$EXT_DIR")' = 'notrack=pass' ]"
ct_check "responder = external: none of ours started, the host's left running" \
	bash -c "[ ! -e '$EXT_DIR/notrack/responder.json' ] && kill -0 $OWN_DNS"
ct_stop "$OWN_DNS"
ct_check "responder = external: the host as before" host_clean

# --- a zone that is not UTF-8 (Latin-1) for a real host: said, the run goes on, nothing crashes ---
sed 's/^www .*/&\ntxt IN TXT "caf\xe9"/' "$(dirname "$0")/../../scenarios/zones/example.test.zone" >"$T/latin1.zone"
ctl run seed-000 --quick --variant baseline --host "server=ssh://$HOST" --set server.allow-lower=yes \
	--set "server.zone=$T/latin1.zone" --out "$T/latin1" >"$T/latin1.log" 2>&1
rc=$?
LATIN_DIR=$(results_dir "$T/latin1.log")
ct_check "a Latin-1 zone for a real host: the variant fails saying why, the run ends (exit $rc)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'not UTF-8 text' '$LATIN_DIR/baseline/verdict.json'"
ct_check "a Latin-1 zone for a real host: the host as before" host_clean

# --- the controller killed mid-variant: the host restores itself ---
in_table() { ip netns exec "$HOSTNS" nft list table inet ctstorm >/dev/null 2>&1; }
ip netns exec "$CTL" "$CTSTORM" run seed-000 --quick --variant baseline --set load.limit=20s --host "server=ssh://$HOST" --set server.allow-lower=yes \
	--ssh-config "$CT_SSH_CONFIG" --out "$T/killed" >"$T/killed.log" 2>&1 &
KPID=$!
CT_PIDS+=("$KPID")
wait_for in_table
ct_check "killed: the variant was under way (ctstorm's table on the host)" in_table
sleep 1
kill -KILL "$KPID"
wait "$KPID" 2>/dev/null
KILLED=$KPID
ct_check "controller SIGKILLed: its ssh folder left (until the next ctstorm)" bash -c "ls -d /tmp/ctstorm-ssh.$KILLED.* >/dev/null 2>&1"
ct_check "controller SIGKILLed: the host restored itself" wait_for host_clean
ct_check "controller SIGKILLed: nothing outstanding on the host" test "$(outstanding)" = 0
"$CTSTORM" cleanup >/dev/null 2>&1 # the controller's own journal (its loadgen)

# --- the controller silent mid-variant (stopped: its ssh connection stays up, nothing more is
# asked, as in a partition or a controller host that lost its power): the agent's lease runs out
# and it restores the host ---
ip netns exec "$CTL" "$CTSTORM" run seed-000 --quick --variant baseline --set load.limit=60s --lease 3s \
	--host "server=ssh://$HOST" --set server.allow-lower=yes --ssh-config "$CT_SSH_CONFIG" --out "$T/silent" \
	>"$T/silent.log" 2>&1 &
KPID=$!
CT_PIDS+=("$KPID")
wait_for in_table
ct_check "silent: the variant was under way (ctstorm's table on the host)" in_table
sleep 2
kill -STOP "$KPID"
silent_from=$(date +%s%N)
# the rules, the sysctls, and no process of ctstorm's on the host (the ssh session's own sshd
# stays while the silent controller's connection does, as it would across a partition)
restored() {
	[ "$(rules)" = "$RULES_BEFORE" ] && [ "$(hostval)" = "$UDP_BEFORE" ] &&
		[ "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" = "$MAX_BEFORE" ] &&
		! ip netns pids "$HOSTNS" | xargs -r ps -o comm= -p | grep -q ctstorm
}
for _ in $(seq 300); do restored && break; sleep 0.1; done
silent_ms=$(( ($(date +%s%N) - silent_from) / 1000000 ))
ct_check "silent controller: the host restored itself by its lease (3 s; here after ${silent_ms} ms), no ctstorm process left" restored
ct_check "silent controller: nothing outstanding on the host" test "$(outstanding)" = 0
ct_check "silent controller: the agent said why (its lease)" \
	bash -c "grep -rqs 'silent for its lease' /tmp/ctstorm-ssh.$KPID.*/agent.log"
kill -KILL "$KPID"
kill -CONT "$KPID" 2>/dev/null
wait "$KPID" 2>/dev/null
"$CTSTORM" cleanup >/dev/null 2>&1 # the controller's own journal (its loadgen)

# --- only the controller's ssh to the agent killed: reported, the host restores itself ---
ip netns exec "$CTL" "$CTSTORM" run seed-000 --quick --variant baseline --variant notrack --set load.limit=20s \
	--host "server=ssh://$HOST" --set server.allow-lower=yes --ssh-config "$CT_SSH_CONFIG" --out "$T/cut" >"$T/cut.log" 2>&1 &
KPID=$!
CT_PIDS+=("$KPID")
wait_for in_table
sleep 1
agent_ssh=$(for p in $(ps -o pid= --ppid "$KPID"); do grep -qa 'ctstorm node' "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done)
ct_check "cut: the controller's ssh to the agent found" test -n "$agent_ssh"
ct_check "the next ctstorms removed the SIGKILLed controller's ssh folder" bash -c "! ls -d /tmp/ctstorm-ssh.$KILLED.* >/dev/null 2>&1"
kill -KILL $agent_ssh
wait "$KPID"
rc=$?
ct_check "cut: the run fails (exit 1)" test $rc -eq 1
CUT_DIR=$(results_dir "$T/cut.log")
ct_check "cut: the variant reports the broken control connection ($(grep -o '"error": "[^"]*' "$CUT_DIR/baseline/verdict.json"))" \
	grep -q 'control connection to ssh://198.18.0.2 broke' "$CUT_DIR/baseline/verdict.json"
ct_check "cut: the next variant not run, and why" grep -q 'not run: the control connection' "$CUT_DIR/notrack/verdict.json"
ct_check "cut: the host restored itself" wait_for host_clean
ct_check "cut: nothing outstanding on the host" test "$(outstanding)" = 0

# --- a login that is not root: the host's ctstorm runs under sudo -n ---
SU=ctst$$
if ! command -v sudo >/dev/null || ! command -v useradd >/dev/null; then
	echo "skip - a login that is not root: needs sudo and useradd (scripts/install-deps.sh installs them)"
elif ! ct_ssh_user "$SU"; then
	ct_fail "a login that is not root: useradd $SU"
elif ! sudo -u "$SU" test -x "$CTSTORM"; then
	echo "skip - a login that is not root: $CTSTORM is out of another user's reach"
else
	ctl status --host "ssh://$SU@$HOST" >/dev/null 2>"$T/nosudo.err"
	ct_check "not root, no sudo rule: exit 2" test $? -eq 2
	ct_check "not root, no sudo rule: named, with what to do ($(head -1 "$T/nosudo.err"))" \
		grep -q "ssh://$SU@$HOST: the login is not root, and \`sudo -n ctstorm\` was refused there" "$T/nosudo.err"
	SUDOERS=/etc/sudoers.d/ctstorm-test-$$
	CT_FILES+=("$SUDOERS")
	printf 'Defaults:%s env_keep += "CTSTORM_STATE_DIR"\n%s ALL=(root) NOPASSWD: %s\n' "$SU" "$SU" "$CTSTORM" >"$SUDOERS"
	chmod 440 "$SUDOERS"
	ct_check "the test's sudoers rule is valid" visudo -cqf "$SUDOERS"
	ctl status --host "ssh://$SU@$HOST" >"$T/sudo-status.out" 2>&1
	ct_check "not root, sudo -n allowed for ctstorm: status --host works" test $? -eq 0
	ctl run seed-000 --quick --variant baseline --variant notrack-nft --host "server=ssh://$SU@$HOST" \
		--set server.allow-lower=yes --out "$T/sudo" >"$T/sudo.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && tail -15 "$T/sudo.log"
	SUDO_DIR=$(results_dir "$T/sudo.log")
	SUDO_V=$(verdicts "$SUDO_DIR" 2>/dev/null)
	ct_check "not root: seed-000's baseline and notrack-nft, the lab's verdicts (exit $rc: $SUDO_V)" \
		test "$SUDO_V" = "baseline=pass notrack-nft=pass"
	ct_check "not root: the agent knew its control connection under sudo (its exemption)" \
		grep -q "table inet ctstorm_control" "$SUDO_DIR/baseline/ruleset.txt"
	ct_check "not root: after the run, the host as before" wait_for host_clean
	ct_check "not root: nothing outstanding on the host" test "$(outstanding)" = 0
fi
unset CTSTORM_STATE_DIR
ct_summary
