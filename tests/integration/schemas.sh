#!/bin/bash
# The documented JSON schemas (docs/schema) hold: the stored real seed-000
# run's manifest, summaries and verdicts, and what `ctstorm plan --json`
# prints now. (The runner test checks a fresh run's files the same way.)
#
# usage: schemas.sh BUILD_DIR SOURCE_DIR
BUILD=$1
SRC=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || ct_skip "needs python3-jsonschema (scripts/install-deps.sh installs it)"
CHECK="/usr/bin/python3 $SRC/tests/integration/check_schemas.py $SRC/docs/schema"

$CHECK "$SRC/tests/data/results-seed-000" >"$CT_TMP/run.txt"
ct_check "the stored run: manifest, 5 loadgen, 5 sampler, 5 verdict files valid ($(grep -c 'a valid' "$CT_TMP/run.txt"))" \
	bash -c "[ \$(grep -c 'a valid' '$CT_TMP/run.txt') -eq 16 ]"
"$BUILD/scenarios/ctstorm" plan --flow udp:5000 --flow tcp:2000:time_wait --json >"$CT_TMP/plan1.json"
"$BUILD/scenarios/ctstorm" plan --flow udp:50000:30 --ram 1G --kernel 5.10 --entry-size 320 --json >"$CT_TMP/plan2.json"
"$BUILD/scenarios/ctstorm" plan --flow tcp:2000:time_wait:life=30s:dst=2 --open tcp:50000 --json >"$CT_TMP/plan4.json"
ct_check "plan --json, this host's, another's (refused: more than its RAM), with life, dst and --open, valid" \
	$CHECK "plan:$CT_TMP/plan1.json" "plan:$CT_TMP/plan2.json" "plan:$CT_TMP/plan4.json"
# the schemas are strict: a field they do not know is refused
python3 -c "import json; j=json.load(open('$CT_TMP/plan1.json')); j['surprise']=1; json.dump(j, open('$CT_TMP/plan3.json','w'))"
ct_check "a field no schema knows is refused" bash -c "! $CHECK plan:$CT_TMP/plan3.json >/dev/null"
ct_summary
