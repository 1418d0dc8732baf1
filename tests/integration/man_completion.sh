#!/bin/bash
# The man pages and the bash completion, from the build tree: each page
# renders without a warning (groff -ww, man --warnings) and lexgrog reads
# its NAME; every long option of a binary's --help, every subcommand, every
# scenario key and metric appears in its page; the scenario page's example
# passes `ctstorm check`. The completion script, in a bash of its own,
# completes subcommands, catalogue names, variants, --set keys and their
# words, and the tools' options and words.
#
# usage: man_completion.sh BUILD_DIR SOURCE_DIR
BUILD=$1
SRC=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
command -v groff >/dev/null && command -v man >/dev/null && command -v lexgrog >/dev/null ||
	ct_skip "needs groff and man-db"

declare -A BIN=([ctstorm]=scenarios/ctstorm [ctstorm-loadgen]=loadgen/ctstorm-loadgen
	[ctstorm-responder]=responder/ctstorm-responder [ctstorm-sampler]=analysis/ctstorm-sampler)
render() { MANWIDTH=100 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$1" 2>"$CT_TMP/man.err"; }

for page in ctstorm.1 ctstorm.scn.5 ctstorm-loadgen.1 ctstorm-responder.1 ctstorm-sampler.1; do
	f=$BUILD/man/$page
	groff -ww -z -man "$f" 2>"$CT_TMP/groff.err"
	ct_check "$page: groff -ww clean" bash -c "test ! -s $CT_TMP/groff.err || { cat $CT_TMP/groff.err; false; }"
	render "$f" >"$CT_TMP/$page.txt"
	ct_check "$page: man --warnings clean" bash -c "test ! -s $CT_TMP/man.err || { cat $CT_TMP/man.err; false; }"
	ct_check "$page: lexgrog reads its NAME" lexgrog "$f"
done

# every long option of every binary's --help is in its page
for b in "${!BIN[@]}"; do
	missing=()
	for opt in $("$BUILD/${BIN[$b]}" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -qF -- "$opt" "$CT_TMP/$b.1.txt" || missing+=("$opt")
	done
	ct_check "$b.1: every option of --help (${missing[*]:-none missing})" test ${#missing[@]} -eq 0
done
missing=()
for c in run check probe report plan list keys metrics status cleanup; do
	grep -qE "^ +ctstorm $c( |$)" "$CT_TMP/ctstorm.1.txt" || missing+=("$c")
done
ct_check "ctstorm.1: every subcommand (${missing[*]:-none missing})" test ${#missing[@]} -eq 0

# the scenario page: every key and metric, and an example that checks
missing=$("$BUILD/scenarios/ctstorm" keys --json | python3 -c '
import json, sys
text = open(sys.argv[1]).read()
print(" ".join(k["key"] for s in json.load(sys.stdin) for k in s["keys"] if k["key"] + " = " not in text))
' "$CT_TMP/ctstorm.scn.5.txt")
ct_check "ctstorm.scn.5: every key of ctstorm keys (${missing:-none missing})" test -z "$missing"
missing=$("$BUILD/scenarios/ctstorm" metrics --json | python3 -c '
import json, sys
text = open(sys.argv[1]).read()
print(" ".join(m["metric"] for m in json.load(sys.stdin) if m["metric"] not in text))
' "$CT_TMP/ctstorm.scn.5.txt")
ct_check "ctstorm.scn.5: every metric of ctstorm metrics (${missing:-none missing})" test -z "$missing"
sed -n '/^EXAMPLE/,/^FILES/p' "$CT_TMP/ctstorm.scn.5.txt" | sed '1d;$d' | sed 's/^       //' >"$CT_TMP/example.scn"
ct_check "ctstorm.scn.5: its example passes ctstorm check" \
	bash -c "'$BUILD/scenarios/ctstorm' check '$CT_TMP/example.scn' >/dev/null"

# completion: COMPREPLY for a command line, in a bash with the script loaded
complete_line() {
	PATH="$BUILD/scenarios:$BUILD/loadgen:$BUILD/responder:$BUILD/analysis:$PATH" bash --norc -c '
		. "$1"
		COMP_LINE=$2 COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		word=${COMP_WORDS[0]}
		_ctstorm "$word" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		echo "${COMPREPLY[*]}"' _ "$SRC/completion/ctstorm.bash" "$1"
}
expect_completion() {
	local got
	got=$(complete_line "$1")
	ct_check "completion of '$1': '$2' (got '$got')" test "$got" = "$2"
}
expect_completion "ctstorm c" "check cleanup"
expect_completion "ctstorm run se" "seed-000 seed-001 seed-002 seed-003 seed-004"
expect_completion "ctstorm run seed-000 --variant notrack" "notrack notrack-nft"
expect_completion "ctstorm check seed-000 --set server.fire" "server.firewall="
expect_completion "ctstorm check seed-000 --set server.firewall=notrack" "notrack-dns notrack-dns-nft"
expect_completion "ctstorm run seed-000 --qu" "--quick --quiet"
expect_completion "ctstorm-loadgen --mode " "udp tcp"
expect_completion "ctstorm-loadgen --resolver=" "none cares"
expect_completion "ctstorm-sampler --net" "--netns"
ct_summary
