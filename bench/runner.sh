#!/bin/bash
# Wall time of a catalogue scenario end to end, as a user or CI sees it
# (default: seed-000 --quick, target under 15 s for all five variants),
# REPEAT times, with the time each variant spends outside its load (lab
# setup, process start, teardown, journal), and the table of the last run.
#
#   bench/runner.sh [REPEAT] [SCENARIO] [ctstorm run options...]
. "$(dirname "$0")/lib.sh"
REPEAT=${1:-3}
SCENARIO=${2:-seed-000}
shift $(($# < 2 ? $# : 2))
OPTS=("$@")
[ ${#OPTS[@]} -eq 0 ] && OPTS=(--quick)
ct_require python3 iptables nft
OUT=$CT_TMP/results
trap ct_cleanup EXIT

for i in $(seq "$REPEAT"); do
	start=$(date +%s%N)
	build/scenarios/ctstorm run "$SCENARIO" "${OPTS[@]}" --quiet --out "$OUT" >"$CT_TMP/run.log" 2>&1
	rc=$?
	end=$(date +%s%N)
	dir=$(tail -n 1 "$CT_TMP/run.log" | sed -n 's/^Results: //p')
	python3 - "$dir" "$(( (end - start) / 1000000 ))" "$rc" "$i" <<'PY'
import json, sys
d, ms, rc, i = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = json.load(open(d + "/manifest.json"))
parts = []
for v in m["variants"]:
    lg = json.load(open(f"{d}/{v['dir']}/loadgen.json"))
    parts.append(f"{v['name']} {v['wall_s']:.2f} s (load {lg['duration_s']:.2f} s)")
print(f"run {i}: {ms / 1000:.2f} s end to end, exit {rc}, {m['status']}; " + "; ".join(parts))
PY
done
echo
sed -n '/^variant/,$p' "$CT_TMP/run.log"
