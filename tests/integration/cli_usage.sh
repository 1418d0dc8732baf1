#!/bin/bash
# Every usage error of ctstorm exits 2 and says what is wrong, in that
# command's name, pointing at that command's help; nothing runs. Each
# command's help shows that command alone. Runs without root: a usage
# error must be refused before anything would need it.
#
# usage: cli_usage.sh BUILD_DIR
CTSTORM=$1/scenarios/ctstorm
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT

# "ARGS|what stderr must say": one case a line
cases=(
	# wrong arity, every command
	"run|run takes one scenario file"
	"run --quick|run takes one scenario file"
	"run seed-000 seed-001|run takes one scenario file"
	"check|check takes one scenario file"
	"probe --quick|probe takes one scenario file"
	"report|report takes one or more results folders"
	"plan extra|plan takes no arguments"
	"list extra|list takes no arguments"
	"keys extra|keys takes no arguments"
	"metrics extra|metrics takes no arguments"
	"status extra|status takes no arguments"
	"cleanup extra|cleanup takes no arguments"
	"deploy|deploy takes one host"
	"node extra|node takes no arguments"
	# a flag of another command
	"check --quick seed-000|--quick: not an option of check (it is for run, probe)"
	"list --flow udp:1|--flow: not an option of list (it is for plan)"
	"plan --quick --flow udp:1|--quick: not an option of plan"
	"plan --variant x --flow udp:1|--variant: not an option of plan"
	"check --ram 64G seed-000|--ram: not an option of check (it is for plan)"
	"check --baseline /tmp seed-000|--baseline: not an option of check (it is for run)"
	"deploy --quiet ssh://h|--quiet: not an option of deploy"
	"status --flow udp:1|--flow: not an option of status"
	"report --quick /tmp|--quick: not an option of report"
	"keys -q|-q: not an option of keys (it is for run, probe)"
	# a missing or bad value
	"run seed-000 --out|--out"
	"plan --flow|--flow"
	"plan --flow udp:1 --headroom x|--headroom"
	"run seed-000 --tolerance 5000|--tolerance"
	"list --nosuch|unknown option"
	# a scenario or variant name mistyped: the nearest, and the list
	"check seed-00|did you mean 'seed-000'?"
	"run seed-00 --quick|ctstorm list"
	"check seed-000 --variant nosuch|its variants: baseline, notrack, notrack-nft, conntrack-off, raised-max"
	"check seed-000 --variant notrak|did you mean 'notrack'?"
	# an unknown command, help of one
	"nosuch|unknown command 'nosuch'"
	"help nosuch|unknown command 'nosuch'"
	"help plan run|help takes one command at most"
)
for c in "${cases[@]}"; do
	args=${c%%|*} want=${c#*|}
	# shellcheck disable=SC2086 # the case's words
	"$CTSTORM" $args >"$CT_TMP/out" 2>"$CT_TMP/err"
	rc=$?
	ct_check "ctstorm $args: exit 2 ($rc), $want" bash -c 'test "$1" -eq 2 && grep -qF -- "$2" "$3/err" && test ! -s "$3/out"' \
		_ "$rc" "$want" "$CT_TMP"
done

# the error names the command and points at its help
"$CTSTORM" list --flow udp:1 2>"$CT_TMP/err"
ct_check "the error is the command's: 'ctstorm list: error:', 'Try 'ctstorm list --help''" \
	bash -c "grep -q '^ctstorm list: error:' '$CT_TMP/err' && grep -qF \"Try 'ctstorm list --help'.\" '$CT_TMP/err'"

# each command's help: its usage and its options, no other's
for cmd in run check probe report plan list keys metrics status cleanup deploy node; do
	"$CTSTORM" help "$cmd" >"$CT_TMP/help" 2>&1
	rc=$?
	"$CTSTORM" "$cmd" --help >"$CT_TMP/help2" 2>&1
	ct_check "help $cmd: exit 0 ($rc), 'Usage: ctstorm $cmd', the same as $cmd --help" \
		bash -c "test $rc -eq 0 && head -1 '$CT_TMP/help' | grep -q '^Usage: ctstorm $cmd' && cmp -s '$CT_TMP/help' '$CT_TMP/help2'"
done
ct_check "help plan: plan's options, not run's" \
	bash -c "'$CTSTORM' help plan | grep -q -- '--flow' && ! '$CTSTORM' help plan | grep -q -- '--quick'"
ct_check "help list: --json alone (and --help, --version)" \
	bash -c "test \"\$('$CTSTORM' help list | grep -oE -- '--[a-z-]+' | sort -u | tr '\n' ' ')\" = '--help --json --version '"
ct_check "ctstorm help: every command, exit 0" bash -c "'$CTSTORM' help | grep -q 'plan' && '$CTSTORM' help >/dev/null"
ct_check "ctstorm alone: the usage on stderr, exit 2" bash -c "'$CTSTORM' >/dev/null 2>'$CT_TMP/e'; test \$? -eq 2 && grep -q Usage '$CT_TMP/e'"

# completion is the command's own
complete() { "$CTSTORM" --complete "$1" | tr '\n' ' '; }
ct_check "completion: plan offers no --quick" test -z "$(complete 'ctstorm plan --qu')"
ct_check "completion: status offers no --flow" test -z "$(complete 'ctstorm status --fl')"
ct_check "completion: --flow's grammar" test "$(complete 'ctstorm plan --flow ')" = "udp: tcp: "
ct_check "completion: tcp:RATE: and its states" \
	bash -c "'$CTSTORM' --complete 'ctstorm plan --flow tcp:500:ti' | grep -qx 'tcp:500:time_wait'"
ct_check "completion: help and its commands" test "$(complete 'ctstorm help pl')" = "plan "
ct_summary
