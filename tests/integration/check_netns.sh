#!/bin/bash
# ctstorm check refuses what a run would refuse, before anything changes:
# every file in tests/data/bad-scenarios (one per kind of value: the
# binaries' enums, rates, profiles, query types, CIDRs, counts, durations,
# flags and the rules between options; the runner's own sections; metrics
# that do not exist; rulesets iptables-restore or nft reject; sysctl values
# the kernel rejects) must give exit 2 from `check` and from `run`, name
# FILE:LINE with the message in its first line, and leave the host as it
# was: namespaces, the host's own rules, the global sysctls, the journal,
# no results folder. The catalogue checks clean, as root and not.
#
# usage: check_netns.sh BUILD_DIR BAD_DIR SCENARIO_DIR
BUILD=$1
BADDIR=$2
SCN=$3
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM

ct_require iptables iptables-restore iptables-save nft lsns
CTSTORM=$BUILD/scenarios/ctstorm
OUT=$CT_TMP/results
STATE=${CTSTORM_STATE_DIR:-/run/ctstorm}
mkdir -p "$OUT"

# Everything a check or a refused run could have changed, in one line.
host_state() {
	printf 'netns=%s netns-held=%s nft=%s iptables=%s max=%s buckets=%s journal=%s results=%s' \
		"$(ip netns list | md5sum | cut -c1-8)" \
		"$(lsns -t net -n | wc -l)" \
		"$(nft list ruleset 2>/dev/null | md5sum | cut -c1-8)" \
		"$(iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | md5sum | cut -c1-8)" \
		"$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null)" \
		"$(cat /proc/sys/net/netfilter/nf_conntrack_buckets 2>/dev/null)" \
		"$(test -e "$STATE/journal" && echo yes || echo no)" \
		"$(ls "$OUT" | wc -l)"
}
BEFORE=$(host_state)
echo "host before: $BEFORE"

n=0
for f in "$BADDIR"/*.scn; do
	n=$((n + 1))
	name=$(basename "$f" .scn)
	want=$(head -n 1 "$f" | sed 's/^# expect: //')
	for cmd in check run; do
		if [ $cmd = run ]; then
			err=$("$CTSTORM" run "$f" --quick --quiet --out "$OUT" 2>&1 >/dev/null)
		else
			err=$("$CTSTORM" check "$f" 2>&1 >/dev/null)
		fi
		rc=$?
		first=$(grep -m1 '^ctstorm: error: ' <<<"$err")
		if [ $rc -eq 2 ] && grep -qE "^ctstorm: error: $f:[0-9]+: " <<<"$first" && grep -qF -- "$want" <<<"$first" &&
			[ "$(host_state)" = "$BEFORE" ]; then
			ct_ok "$name: $cmd exits 2 at file:line with '$want', host as before"
		else
			ct_fail "$name: $cmd exit $rc, wanted file:line and '$want' first in: $err (host: $(host_state))"
		fi
	done
done
ct_check "the table holds every kind of bad value ($n files)" test "$n" -ge 30

# The catalogue is valid, and checking it (with its rulesets tried in the
# kernel) changes nothing either.
for f in "$SCN"/*.scn; do
	out=$("$CTSTORM" check "$f" 2>&1)
	ct_check "$(basename "$f"): valid ($(tail -n 1 <<<"$out"))" test $? -eq 0
done
ct_check "after the catalogue's checks: host as before" test "$(host_state)" = "$BEFORE"

# Without root the values are still checked; the kernel's part is skipped
# with a note (where an unprivileged user can run this build at all).
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups "$CTSTORM" --version >/dev/null 2>&1; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CTSTORM" check "$SCN/seed-000.scn" 2>&1)
	rc=$?
	ct_check "not root: seed-000 valid, with a note that the kernel was not asked" \
		bash -c "[ $rc -eq 0 ] && grep -q 'not tried in the kernel' <<<\"\$0\"" "$out"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CTSTORM" check "$BADDIR/load-mode.scn" 2>&1)
	ct_check "not root: a bad value is still refused" test $? -eq 2
else
	echo "# not root: skipped (this build is not readable by an unprivileged user)"
fi
ct_summary
