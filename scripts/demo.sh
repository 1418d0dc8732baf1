#!/bin/bash
# The main job, until the scenario runner (issue 5) takes it over: seed 000
# reproduced and its mitigations compared, with the three ctstorm binaries.
#
# Seed 000 set nf_conntrack_max=15 and sent dnsping queries, a fresh
# source port each, to a DNS server: most were dropped ("nf_conntrack:
# table full, dropping packet"). Here the server runs in a namespace whose
# table is filled (ctstorm-sampler --fill) until only 15 entries are free:
# the same full table for the server, without lowering the host's global
# limit. Then, per variant, 60 queries from fresh source ports (the seed's
# test, ctstorm-loadgen --sockets per-query) and the kernel's own counts:
#   baseline       a stateful firewall (ESTABLISHED,RELATED accept): conntrack on
#   notrack        the seed's fix: raw-table NOTRACK for port 53 (iptables)
#   notrack-nft    the same in nftables
#   conntrack-off  no stateful rule, so conntrack never activates in the namespace
#   raised-max     nf_conntrack_max raised by 1000 (saved and restored)
# Everything it makes (namespaces, veth, rules, processes, entries) is
# removed on exit, and nf_conntrack_max is restored on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=$ROOT/build

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

set +e
. tests/integration/lib.sh
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require iptables nft conntrack python3
ct_save_max

FREE=15
QUERIES=60
ct_pair seed000
S=198.18.0.2
ct_pair_ipv4_only
ct_start "$CT_SRV" "$CT_TMP/responder.log" "$B/responder/ctstorm-responder" --listen $S:53 \
	--zone "$ROOT/tests/data/example.zone" --user root --quiet
ct_wait_dns "$CT_CLI" $S 53 example.test || { cat "$CT_TMP/responder.log"; exit 1; }

firewall() { # variant
	ip netns exec "$CT_SRV" iptables -F INPUT
	ip netns exec "$CT_SRV" iptables -t raw -F
	ip netns exec "$CT_SRV" nft delete table inet ctstorm_raw 2>/dev/null
	case $1 in
	conntrack-off)
		ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT
		return
		;;
	notrack)
		for chain in PREROUTING OUTPUT; do
			for dir in --dport --sport; do
				ip netns exec "$CT_SRV" iptables -t raw -A $chain -p udp $dir 53 -j NOTRACK
				ip netns exec "$CT_SRV" iptables -t raw -A $chain -p tcp $dir 53 -j NOTRACK
			done
		done
		;;
	notrack-nft)
		ip netns exec "$CT_SRV" nft -f - <<'NFT'
table inet ctstorm_raw {
	chain prerouting { type filter hook prerouting priority raw; udp dport 53 notrack; tcp dport 53 notrack; }
	chain output { type filter hook output priority raw; udp sport 53 notrack; tcp sport 53 notrack; }
}
NFT
		;;
	esac
	ip netns exec "$CT_SRV" iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED,UNTRACKED -j ACCEPT
	ip netns exec "$CT_SRV" iptables -A INPUT -p udp --dport 53 -j ACCEPT
}

run_variant() { # name
	local v=$1 out=$CT_TMP/$1
	mkdir -p "$out"
	firewall "$v"
	ip netns exec "$CT_SRV" conntrack -F >/dev/null 2>&1
	if [ "$v" = raised-max ]; then
		echo $((CT_SAVED_MAX + 1000)) >/proc/sys/net/netfilter/nf_conntrack_max
	fi
	# the table full but for FREE entries, as in the seed (nf_conntrack_max=15)
	local count
	count=$(ip netns exec "$CT_SRV" cat /proc/sys/net/netfilter/nf_conntrack_count)
	local fill=$((CT_SAVED_MAX - FREE - count))
	[ "$v" = conntrack-off ] && fill=0
	"$B/analysis/ctstorm-sampler" --netns "$CT_SRV" --interval 100ms --duration 60s --fill $fill --quiet \
		--csv "$out/sampler.csv" --summary "$out/sampler.json" --kmsg-log "$out/kmsg.log" &
	local sp=$!
	CT_PIDS+=("$sp")
	for _ in $(seq 200); do
		[ -s "$out/sampler.csv" ] && [ "$(wc -l <"$out/sampler.csv")" -ge 2 ] && break
		sleep 0.1
	done
	# the seed's test: queries one after another, each from a fresh source port
	ip netns exec "$CT_CLI" "$B/loadgen/ctstorm-loadgen" --quiet -s $S --qname www.example.test -Q 20 \
		-l $((QUERIES / 20)) --sockets per-query -t 1 --summary "$out/loadgen.json" >/dev/null
	sleep 0.3
	ct_stop "$sp"
	ct_restore_max
	printf '  %-14s done\n' "$v" >&2
}

echo "== seed 000: $QUERIES queries, a fresh source port each, to a server whose conntrack table has $FREE free entries" >&2
for v in baseline notrack notrack-nft conntrack-off raised-max; do
	run_variant $v
done

python3 - "$CT_TMP" <<'PY'
import json, os, sys
root = sys.argv[1]
rows = []
for v in ("baseline", "notrack", "notrack-nft", "conntrack-off", "raised-max"):
    lg = json.load(open(os.path.join(root, v, "loadgen.json")))
    sm = json.load(open(os.path.join(root, v, "sampler.json")))
    t = sm["totals"]
    kmsg = sm["kmsg"]["table_full"] if sm["kmsg"] else "-"
    rows.append((v, lg["sent"], lg["answered"], lg["loss_pct"], sm["peak_count"], sm["max"], t["drop"],
                 t["early_drop"], kmsg,
                 lg["latency_us"]["actual"]["p99"] / 1000 if lg["latency_us"]["actual"] else None))
print()
print("| variant | queries | answered | lost | peak count / max | drop | early_drop | kernel 'table full' lines | p99 ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    p99 = f"{r[9]:.2f}" if r[9] is not None else "-"
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.0f}% | {r[4]} / {r[5]} | {r[6]} | {r[7]} | {r[8]} | {p99} |")
base = rows[0]
print()
if base[3] > 0 and all(r[3] == 0 for r in rows[1:]):
    print(f"Seed 000 reproduced: with the table full, {base[3]:.0f}% of fresh-port queries were lost "
          f"(the kernel counted {base[6]} drops); every mitigation answered all {rows[1][1]}.")
else:
    print("Not the seed's picture on this machine: see the table.")
PY
