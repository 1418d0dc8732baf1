#!/bin/bash
# The Debian package, as a user meets it: built from the tree with
# dpkg-buildpackage, lintian without errors, installed into the system with
# apt-get, used from a folder without the checkout (list, check, run
# seed-000 --quick, man, bash completion), then purged, leaving nothing of
# its own behind. Prints the package's size and build time for the record;
# asserts neither.
#
# usage: tests/package/deb.sh            (root; scripts/test.sh runs it)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/integration/lib.sh"
INSTALLED=0
purge() {
	if [ "$INSTALLED" = 1 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ctstorm >"$CT_TMP/purge.log" 2>&1
		INSTALLED=0
	fi
}
trap 'purge; ct_cleanup' EXIT
trap 'exit 130' INT TERM
ct_require iptables nft dpkg-buildpackage dh lintian apt-get man
if dpkg-query -W -f='${Status}' ctstorm 2>/dev/null | grep -q 'ok installed'; then
	ct_skip "a ctstorm package is installed on this host already; this test installs and purges its own"
fi

VERSION=$(grep -m1 '^project' "$SRC/CMakeLists.txt" | grep -o 'VERSION [0-9.]*' | cut -d' ' -f2)
TREE=$CT_TMP/src/ctstorm-$VERSION
mkdir -p "$TREE"
# the tree as committed, plus files not yet committed; never a build folder
(cd "$SRC" && git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T -) | tar -xf - -C "$TREE"

t0=$(date +%s.%N)
(cd "$TREE" && dpkg-buildpackage -us -uc -b) >"$CT_TMP/build.log" 2>&1
rc=$?
t1=$(date +%s.%N)
[ $rc -eq 0 ] || tail -40 "$CT_TMP/build.log"
DEB=$CT_TMP/src/ctstorm_${VERSION}_$(dpkg --print-architecture).deb
ct_check "dpkg-buildpackage -us -uc -b: ${DEB##*/}" test $rc -eq 0 -a -f "$DEB"
[ -f "$DEB" ] || { ct_summary; exit 1; }
echo "# package: $(stat -c %s "$DEB") bytes, installed $(dpkg-deb -f "$DEB" Installed-Size) KiB, built in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

depends=$(dpkg-deb -f "$DEB" Depends)
ct_check "Depends computed by dh_shlibdeps ($depends)" \
	bash -c "grep -q 'libc6' <<<'$depends' && grep -q 'libldns3' <<<'$depends' && grep -q 'libnetfilter-conntrack3' <<<'$depends'"
ct_check "Recommends iproute2, iptables, nftables, gnuplot, openssh-client" \
	bash -c "[ \"\$(dpkg-deb -f '$DEB' Recommends)\" = 'iproute2, iptables, nftables, gnuplot-nox | gnuplot, openssh-client' ]"

lintian --tag-display-limit 0 "${DEB%.deb}.changes" >"$CT_TMP/lintian.log" 2>&1
grep -v 'running with root privileges' "$CT_TMP/lintian.log" | sed 's/^/# lintian: /'
ct_check "lintian: no errors" bash -c "! grep -q '^E:' '$CT_TMP/lintian.log'"

DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" >"$CT_TMP/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] && INSTALLED=1 || cat "$CT_TMP/install.log"
ct_check "apt-get install ./${DEB##*/}" test $rc -eq 0
dpkg -L ctstorm | sort >"$CT_TMP/files"

# from a folder that is not the checkout, with the system's binaries only
mkdir -p "$CT_TMP/elsewhere" && cd "$CT_TMP/elsewhere" || exit 1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset CTSTORM_DATA_DIR
ct_check "ctstorm is /usr/bin/ctstorm" test "$(command -v ctstorm)" = /usr/bin/ctstorm
for b in ctstorm ctstorm-loadgen ctstorm-responder ctstorm-sampler; do
	ct_check "$b --version: the package's version $VERSION" test "$($b --version)" = "$b $VERSION"
done
ct_check "ctstorm list: the installed catalogue" \
	bash -c "ctstorm list | grep -q '^seed-000 ' && ctstorm list | grep -q '/usr/share/ctstorm/scenarios'"
ct_check "ctstorm check seed-000" bash -c "ctstorm check seed-000 | grep -q 'valid, 5 variants'"
ct_save_max
ctstorm run seed-000 --quick --quiet --out "$CT_TMP/elsewhere/results" >"$CT_TMP/run.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -20 "$CT_TMP/run.log"
ct_check "ctstorm run seed-000 --quick: exit 0" test $rc -eq 0
ct_check "the run's manifest names version $VERSION" \
	bash -c "python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m[\"tools\"][\"ctstorm\"] == \"$VERSION\", m[\"tools\"]' $CT_TMP/elsewhere/results/*/manifest.json"
ct_check "its responder and loadgen were the package's" \
	bash -c "grep -q '/usr/bin/ctstorm-responder' $CT_TMP/elsewhere/results/*/commands.log"
ct_check "no namespace left" test "$(ip netns list | grep -c '^cts-')" -eq 0
for page in ctstorm ctstorm-loadgen ctstorm-responder ctstorm-sampler ctstorm.scn; do
	ct_check "man $page renders" bash -c "MANWIDTH=80 man $page 2>/dev/null | grep -q '^NAME'"
done
ct_check "man 5 ctstorm.scn lists the node keys" bash -c "man 5 ctstorm.scn 2>/dev/null | grep -q 'nf_conntrack_max = '"
got=$(bash --norc -c '
	. /usr/share/bash-completion/completions/ctstorm
	COMP_LINE="ctstorm run se" COMP_POINT=14 COMP_WORDS=(ctstorm run se) COMP_CWORD=2
	_ctstorm ctstorm se run
	echo "${COMPREPLY[*]}"')
ct_check "bash completes 'ctstorm run se' to the seeds ($got)" \
	test "$got" = "seed-000 seed-001 seed-002 seed-003 seed-004"
got=$(bash --norc -c '
	. /usr/share/bash-completion/completions/ctstorm-loadgen
	COMP_LINE="ctstorm-loadgen --sock" COMP_POINT=22 COMP_WORDS=(ctstorm-loadgen --sock) COMP_CWORD=1
	_ctstorm ctstorm-loadgen --sock ctstorm-loadgen
	echo "${COMPREPLY[*]}"')
ct_check "bash completes 'ctstorm-loadgen --sock' through its link ($got)" test "$got" = "--sockets"

purge
ct_check "apt-get purge ctstorm" bash -c "! dpkg-query -W -f='\${Status}' ctstorm 2>/dev/null | grep -q 'ok installed'"
left=()
while read -r f; do
	# directories the package shared with others (/usr/bin, /usr/share/man/man1) stay
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ -d "$f" ] && [ -n "$(ls -A "$f")" ] && continue
	left+=("$f")
done <"$CT_TMP/files"
ct_check "nothing of the package left (${left[*]:-none})" test ${#left[@]} -eq 0
ct_summary
