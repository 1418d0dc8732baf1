#!/bin/bash
# ctstorm run against the real kernel, as a CI pipeline uses it:
#  - every catalogue scenario in its quick form: exit 0, every variant's
#    expectations hold, and the host is as before (namespaces, sysctls,
#    journal, processes);
#  - malformed scenario files: exit 2, file:line named, nothing touched;
#  - runs killed with SIGINT, SIGTERM and SIGKILL at random moments: nothing
#    left after the run (or after `ctstorm cleanup`), results readable;
#  - a child that crashes mid-run, the lock, --set and --variant.
#
# usage: runner_netns.sh BUILD_DIR SCENARIO_DIR [TRIALS]
#        CT_SCENARIOS="a.scn b.scn" runner_netns.sh ...   (only these of the catalogue)
BUILD=$1
SCN=$2
TRIALS=${3:-24}
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ct_require iptables ip6tables iptables-restore nft nsd python3
ct_save_max
CTSTORM=$BUILD/scenarios/ctstorm
OUT=$CT_TMP/results
STATE=${CTSTORM_STATE_DIR:-/run/ctstorm}
mkdir -p "$OUT"

# What a run may change, in one line: our namespaces, the global sysctls,
# an outstanding journal, processes whose command line names our results.
host_state() {
	printf 'netns=%s max=%s buckets=%s journal=%s procs=%s' \
		"$(ip netns list | grep -c '^cts-')" \
		"$(cat /proc/sys/net/netfilter/nf_conntrack_max)" \
		"$(cat /proc/sys/net/netfilter/nf_conntrack_buckets)" \
		"$(test -e "$STATE/journal" && echo yes || echo no)" \
		"$(ps -eo args | grep -F "$OUT" | grep -vc grep)"
}
BEFORE=$(host_state)
echo "host before: $BEFORE"
[[ $BEFORE == netns=0*journal=no* ]] || { echo "a run is in progress or left state behind: $BEFORE"; exit 1; }

# results_dir LOG: the folder a run printed on its last line
results_dir() { tail -n 1 "$1" | sed -n 's/^Results: //p'; }

verdicts() { # DIR: "variant=status ..." from the manifest
	python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
print(m["status"], " ".join(f'{v["name"]}={v["status"]}' for v in m["variants"]))
PY
}

# --- the catalogue, quick ---
for f in ${CT_SCENARIOS:-"$SCN"/*.scn}; do
	name=$(basename "$f" .scn)
	log=$CT_TMP/$name.log
	start=$(date +%s%N)
	"$CTSTORM" run "$f" --quick --quiet --out "$OUT" >"$log" 2>&1
	rc=$?
	secs=$(( ($(date +%s%N) - start) / 1000000000 ))
	dir=$(results_dir "$log")
	if [ $rc -ne 0 ] || [ -z "$dir" ]; then
		cat "$log"
		ct_fail "$name --quick: exit $rc"
		continue
	fi
	v=$(verdicts "$dir")
	ct_check "$name --quick: exit 0, every expectation held (${secs} s): $v" \
		bash -c "[[ '$v' == complete* ]] && ! grep -qE '=(fail|error|interrupted)' <<<'$v'"
	ct_check "$name: host as before" test "$(host_state)" = "$BEFORE"
	for vd in "$dir"/*/; do
		[ "$(basename "$vd")" = plots ] && continue
		for file in verdict.json loadgen.json sampler.json sampler.csv ruleset.txt; do
			[ -s "$vd/$file" ] || ct_fail "$name: $(basename "$vd")/$file missing"
		done
	done
	ct_check "$name: its report" test -s "$dir/report.html" -a -s "$dir/report.md" -a -s "$dir/plots/r0-variants-conntrack.svg"
	# every expectation held: the headline leads with the answer, and the
	# table's verdict words say so (a fix did not hold only where the
	# scenario shows one that does not)
	ct_check "$name: the report's headline and verdict words: $(sed -n 3p "$dir/report.md")" /usr/bin/python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
md = open(f"{d}/report.md").read().splitlines()
ok = md[2].startswith(("**Reproduced: ", "**As expected: ", "**Fixes that held: "))
# the variants' table: the first block of table rows (others follow, e.g. queries by backend)
start = next(i for i, row in enumerate(md) if row.startswith("|"))
end = next((i for i in range(start, len(md)) if not md[i].startswith("|")), len(md))
for row in md[start:end]:
    cells = [c.strip() for c in row.split("|")]
    if len(cells) < 4 or cells[1] in ("variant", "---"):
        continue
    shows = json.load(open(f"{d}/{cells[1]}/verdict.json"))["shows"]
    want = {"incident": "reproduced", "fix": "held", "failed-fix": "did not hold", "behaviour": "as expected"}[shows]
    ok &= cells[2] == want
sys.exit(0 if ok else 1)
PY
done

# --- malformed scenarios: exit 2, file:line, nothing touched ---
BAD=$CT_TMP/bad
mkdir -p "$BAD"
HEAD=$'[scenario]\nname = bad\n[load]\nlimit = 1s\n'
bad_case() { # NAME EXPECTED-SUBSTRING CONTENT
	printf '%s' "$3" >"$BAD/$1.scn"
	local before_out
	before_out=$(ls "$OUT" | wc -l)
	local err
	err=$("$CTSTORM" run "$BAD/$1.scn" --quick --quiet --out "$OUT" 2>&1 >/dev/null)
	local rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$2" <<<"$err" && [ "$(host_state)" = "$BEFORE" ] &&
		[ "$(ls "$OUT" | wc -l)" -eq "$before_out" ]; then
		ct_ok "malformed ($1): exit 2, '$2', nothing touched"
	else
		ct_fail "malformed ($1): exit $rc, wanted '$2' in: $err"
	fi
}
bad_case unknown-section "$BAD/unknown-section.scn:5: unknown section [lod]" "$HEAD"$'[lod]\nx = 1\n'
bad_case typo-key "$BAD/typo-key.scn:5: [load] max-qsp: not an option of ctstorm-loadgen (did you mean 'max-qps'?)" "$HEAD"$'max-qsp = 5\n'
bad_case bad-value "$BAD/bad-value.scn:5: [load] clients:" "$HEAD"$'clients = many\n'
bad_case bad-max "$BAD/bad-max.scn:6: [server] nf_conntrack_max: 'fifteen'" "$HEAD"$'[server]\nnf_conntrack_max = fifteen\n'
bad_case bad-preset "did you mean 'notrack-dns'" "$HEAD"$'[server]\nfirewall = notrack\n'
bad_case bad-expect "$BAD/bad-expect.scn:6: [expect]" "$HEAD"$'[expect]\nsampler.drop >> 0\n'
bad_case metric-root "did you mean 'sampler.drop'" "$HEAD"$'[expect]\nsamplr.drop > 0\n'
bad_case no-load "no [load] section" $'[scenario]\nname = x\n'
bad_case src-outside "outside 198.18.0.0/15" "$HEAD"$'src-range = 10.1.0.0/16\n'
bad_case variant-typo "did you mean 'server'" "$HEAD"$'[variant a]\nsever.firewall = none\n'
bad_case runner-key "set by the runner" "$HEAD"$'server = 192.0.2.1\n'
bad_case dup-key "is set twice (first at line 4)" "$HEAD"$'limit = 2s\n'
bad_case no-sysctl "no such sysctl" "$HEAD"$'[server]\nnet.ipv4.no_such_knob = 1\n'
bad_case bad-zone "no-such.zone" "$HEAD"$'[server]\nzone = no-such.zone\n'
printf '\x00\x01' >"$BAD/binary.scn"
err=$("$CTSTORM" run "$BAD/binary.scn" --out "$OUT" 2>&1)
ct_check "binary file: exit 2" test $? -eq 2
err=$("$CTSTORM" run "$SCN/seed-000.scn" --variant basline --out "$OUT" 2>&1)
ct_check "unknown variant: exit 2 with a suggestion" bash -c "[ $? -eq 2 ] && grep -q \"did you mean 'baseline'\" <<<\"\$0\"" "$err"
err=$("$CTSTORM" run "$SCN/seed-000.scn" --set load.limit=forever --out "$OUT" 2>&1)
ct_check "bad --set: exit 2" bash -c "[ $? -eq 2 ] && grep -q 'set load.limit' <<<\"\$0\"" "$err"
ct_check "after the malformed ones: host as before" test "$(host_state)" = "$BEFORE"

# --- --set and --variant ---
log=$CT_TMP/set.log
"$CTSTORM" run seed-000 --quick --quiet --variant notrack --variant raised-max --set load.limit=500ms \
	--out "$OUT" --junit "$CT_TMP/run.xml" >"$log" 2>&1
rc=$?
dir=$(results_dir "$log")
v=$(verdicts "$dir")
ct_check "--variant twice, --set: exit 0, two variants ($v)" \
	bash -c "[ $rc -eq 0 ] && [ '$v' = 'complete notrack=pass raised-max=pass' ]"
ct_check "--junit: a testsuite per variant run, every case passing" \
	bash -c "[ \$(grep -c '<testsuite ' '$CT_TMP/run.xml') -eq 2 ] && grep -q 'failures=\"0\" errors=\"0\"' '$CT_TMP/run.xml'"
ct_check "--set reached the loadgen (20 queries in 500 ms)" \
	python3 -c "import json,sys; sys.exit(json.load(open('$dir/notrack/loadgen.json'))['sent'] != 20)"
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	ct_check "a fresh run's manifest, summaries and verdicts match docs/schema" \
		bash -c "/usr/bin/python3 '$(dirname "$0")/check_schemas.py' '$(dirname "$0")/../../docs/schema' '$dir' >'$CT_TMP/schemas.txt' || { cat '$CT_TMP/schemas.txt'; false; }"
fi
# --baseline, end to end: a baseline whose notrack answered far more (an
# edited copy of the run above: a fresh run's own figures, latency above
# all, move from run to run) makes the run fail, naming the metric; that
# an identical run passes is the unit test's (test_baseline)
cp -r "$dir" "$CT_TMP/better"
python3 - "$CT_TMP/better/notrack/verdict.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
v["metrics"]["loadgen"]["answered"] = 1000
json.dump(v, open(sys.argv[1], "w"))
PY
"$CTSTORM" run seed-000 --quick --quiet --variant notrack --set load.limit=500ms --out "$OUT" \
	--baseline "$CT_TMP/better" >"$CT_TMP/base.log" 2>&1
rc=$?
grep -q '^  notrack: answered 1000 -> 20 ' "$CT_TMP/base.log" || cat "$CT_TMP/base.log"
ct_check "--baseline: a regression beyond the tolerance fails the run (exit $rc), named" \
	bash -c "[ $rc -eq 1 ] && grep -q '^  notrack: answered 1000 -> 20 ' '$CT_TMP/base.log'"
err=$("$CTSTORM" run early-drop --quick --baseline "$dir" --out "$OUT" 2>&1)
rc=$?
ct_check "--baseline of another scenario: exit 2, named" \
	bash -c "[ $rc -eq 2 ] && grep -q \"is a run of 'seed-000', not of 'early-drop'\" <<<\"\$0\"" "$err"

# --- IPv6 labs: a pair, and a routed one with a DNAT port forward and a source range ---
log=$CT_TMP/v6.log
"$CTSTORM" run seed-000 --quick --quiet --variant baseline --variant notrack-nft --set scenario.family=ipv6 \
	--out "$OUT" >"$log" 2>&1
rc=$?
v=$(verdicts "$(results_dir "$log")")
ct_check "IPv6 pair: exit 0 ($v)" test $rc -eq 0
log=$CT_TMP/v6r.log
"$CTSTORM" run seed-001 --quick --quiet --variant raised-max --set scenario.family=ipv6 --set scenario.nat=dnat \
	--set load.src-range=2001:2:0:100::/64 --out "$OUT" >"$log" 2>&1
rc=$?
dir=$(results_dir "$log")
ct_check "IPv6 routed, DNAT, source range: exit 0, every query answered" \
	bash -c "[ $rc -eq 0 ] && python3 -c \"import json,sys; d=json.load(open('$dir/raised-max/loadgen.json')); sys.exit(not (d['sent'] > 1000 and d['answered'] == d['sent']))\""
ct_check "after the IPv6 labs: host as before" test "$(host_state)" = "$BEFORE"

# --- a child that crashes mid-run ---
log=$CT_TMP/crash.log
"$CTSTORM" run seed-000 --variant baseline --quiet --out "$OUT" >"$log" 2>&1 &
run=$!
pid=
for _ in $(seq 100); do
	pid=$("$CTSTORM" status --json 2>/dev/null | python3 -c \
		'import json,sys; print(next((e["pid"] for e in json.load(sys.stdin)["outstanding"] if e["what"] == "responder"), ""))')
	[ -n "$pid" ] && grep -q 'loadgen' <<<"$("$CTSTORM" status 2>/dev/null)" && break
	sleep 0.1
done
[ -n "$pid" ] && kill -KILL "$pid" # the responder this run started
wait $run
rc=$?
dir=$(results_dir "$log")
ct_check "responder killed mid-run: exit 1 ($rc), the variant in error, named" \
	bash -c "[ $rc -eq 1 ] && grep -q 'the responder killed by signal 9' '$dir/baseline/verdict.json'"
[ $rc -eq 1 ] || cat "$log"
ct_check "after the crash: host as before" test "$(host_state)" = "$BEFORE"

# --- one run at a time ---
log=$CT_TMP/lock-a.log
"$CTSTORM" run seed-000 --quick --quiet --variant baseline --out "$OUT" >"$log" 2>&1 &
a=$!
for _ in $(seq 100); do [ -e "$STATE/journal" ] && break; sleep 0.05; done
err=$("$CTSTORM" run seed-000 --quick --quiet --variant notrack --out "$OUT" 2>&1)
rc=$?
ct_check "a second run refuses while one holds the host (exit 1, says so)" \
	bash -c "[ $rc -eq 1 ] && grep -q 'another ctstorm run holds the host' <<<\"\$0\"" "$err"
"$CTSTORM" run seed-000 --quick --quiet --variant notrack --wait --out "$OUT" >"$CT_TMP/lock-b.log" 2>&1 &
b=$!
wait $a
ra=$?
wait $b
rb=$?
ct_check "with --wait it runs after the first (both exit 0)" test "$ra$rb" = 00
ct_check "after the lock test: host as before" test "$(host_state)" = "$BEFORE"

# --- killed at random moments ---
sigs=(INT TERM KILL)
for i in $(seq "$TRIALS"); do
	sig=${sigs[$((i % 3))]}
	delay=$(python3 -c "import random; print(round(random.uniform(0.05, 4.0), 2))")
	log=$CT_TMP/kill-$i.log
	# a folder per trial: a run killed before it made its own must not be
	# judged by an earlier trial's
	"$CTSTORM" run seed-000 --quick --quiet --out "$OUT/trial-$i" >"$log" 2>&1 &
	run=$!
	sleep "$delay"
	kill -"$sig" $run
	wait $run
	rc=$?
	extra=
	if [ "$sig" = KILL ]; then
		"$CTSTORM" cleanup >>"$log" 2>&1 || extra=" (cleanup failed)"
	fi
	state=$(host_state)
	dir=$(ls -td "$OUT/trial-$i"/seed-000-* 2>/dev/null | head -n 1)
	status=$(python3 -c "import json; print(json.load(open('$dir/manifest.json'))['status'])" 2>/dev/null)
	# a run that finished before the signal is complete; otherwise interrupted
	if [ "$state" = "$BEFORE" ] && [ "$("$CTSTORM" status >/dev/null; echo $?)" = 0 ] &&
		[[ -z $status || $status == interrupted || ($status == complete && $rc -eq 0) ]] && [ -z "$extra" ]; then
		ct_ok "trial $i: SIG$sig after ${delay}s (exit $rc, manifest ${status:-not yet written}): nothing left"
	else
		cat "$log"
		ct_fail "trial $i: SIG$sig after ${delay}s (exit $rc, manifest $status): $state$extra"
		"$CTSTORM" cleanup >/dev/null 2>&1
	fi
done

ct_summary
