#!/bin/bash
# What a real host costs: the same scenario (default seed-000 --quick) in
# the namespace lab and with its server on an ssh "host" (a namespace with
# its own sshd, as the tests make it), REPEAT interleaved rounds; per
# variant, the median wall time of each and the difference (the control
# connection's requests: flows forgotten, sysctls, the owned table, the
# responder and sampler started and stopped through the agent, files
# fetched, the host restored). The ssh connection is opened once per run
# and counted in neither (it is before the first variant).
#
#   bench/remote.sh [REPEAT] [SCENARIO]     (needs root, sshd)
. "$(dirname "$0")/lib.sh"
REPEAT=${1:-3}
SCENARIO=${2:-seed-000}
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require ssh sshd ssh-keygen python3 nft
ct_save_max
ct_pair rbench
HOST=198.18.0.2
ct_ssh_host "$CT_SRV" "$HOST" 22 "$ROOT/build/scenarios:/usr/sbin:/usr/bin:/sbin:/bin" "$CT_TMP/state-host"
ct_ssh_wait "$CT_CLI" "$HOST" || { echo "the ssh host did not come up" >&2; exit 1; }
export CTSTORM_STATE_DIR=$CT_TMP/state-ctl
mkdir -p "$CTSTORM_STATE_DIR"

run() { # KIND: prints the results folder
	local log=$CT_TMP/$1.log
	if [ "$1" = lab ]; then
		build/scenarios/ctstorm run "$SCENARIO" --quick --quiet --out "$CT_TMP/$1" >"$log" 2>&1
	else
		ip netns exec "$CT_CLI" build/scenarios/ctstorm run "$SCENARIO" --quick --quiet --out "$CT_TMP/$1" \
			--host "server=ssh://$HOST" --set server.allow-lower=yes --ssh-config "$CT_SSH_CONFIG" >"$log" 2>&1
	fi
	sed -n 's/^Results: //p' "$log" | tail -1
}
dirs=()
for i in $(seq "$REPEAT"); do
	dirs+=("lab=$(run lab)" "ssh=$(run ssh)")
done
python3 - "${dirs[@]}" <<'PY'
import json, statistics, sys
walls = {"lab": {}, "ssh": {}}
verdicts = {"lab": set(), "ssh": set()}
for arg in sys.argv[1:]:
    kind, d = arg.split("=", 1)
    m = json.load(open(d + "/manifest.json"))
    verdicts[kind].add(" ".join(f"{v['name']}={v['status']}" for v in m["variants"]))
    for v in m["variants"]:
        walls[kind].setdefault(v["name"], []).append(v["wall_s"])
print(f"{'variant':<16}{'lab s':>9}{'ssh host s':>12}{'overhead s':>12}{'overhead':>10}")
for name in walls["lab"]:
    a, b = statistics.median(walls["lab"][name]), statistics.median(walls["ssh"][name])
    print(f"{name:<16}{a:>9.2f}{b:>12.2f}{b - a:>12.2f}{100 * (b - a) / a:>9.0f}%")
print("verdicts, lab:     ", " | ".join(sorted(verdicts["lab"])))
print("verdicts, ssh host:", " | ".join(sorted(verdicts["ssh"])))
PY
