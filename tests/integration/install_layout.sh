#!/bin/bash
# `cmake --install` gives a tree that works without the checkout: the four
# binaries in bin, the catalogue and its zones in share/ctstorm/scenarios,
# the docs in share/doc/ctstorm. From a folder outside the source, the
# installed ctstorm finds its catalogue beside itself (also after the tree
# is moved: nothing of the build machine's paths is used), checks and runs
# seed-000 --quick with its installed siblings, and every binary reports
# the project's one version.
#
# usage: install_layout.sh BUILD_DIR VERSION
BUILD=$1
VERSION=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
trap 'exit 130' INT TERM
ct_require iptables nft

PREFIX=$CT_TMP/prefix
cmake --install "$BUILD" --prefix "$PREFIX" >"$CT_TMP/install.log" 2>&1
ct_check "cmake --install into a prefix" test $? -eq 0
for b in ctstorm ctstorm-loadgen ctstorm-responder ctstorm-sampler; do
	ct_check "bin/$b installed, version $VERSION" \
		bash -c "[ -x '$PREFIX/bin/$b' ] && [ \"\$('$PREFIX/bin/$b' --version)\" = '$b $VERSION' ]"
done
ct_check "the catalogue and its zones in share/ctstorm/scenarios" \
	test -f "$PREFIX/share/ctstorm/scenarios/seed-000.scn" -a -f "$PREFIX/share/ctstorm/scenarios/zones/example.test.zone"
ct_check "docs in share/doc/ctstorm" test -f "$PREFIX/share/doc/ctstorm/README.md" -a -f "$PREFIX/share/doc/ctstorm/metrics.txt"

# moved elsewhere, run from a folder that is not the checkout
MOVED=$CT_TMP/moved
mv "$PREFIX" "$MOVED"
cd "$CT_TMP" || exit 1
out=$(env -u CTSTORM_DATA_DIR "$MOVED/bin/ctstorm" list 2>&1)
ct_check "list: the installed catalogue, found beside the moved binary" \
	bash -c "grep -q '^seed-000 ' <<<\"\$0\" && grep -qF '$MOVED/share/ctstorm/scenarios' <<<\"\$0\"" "$out"
out=$(env -u CTSTORM_DATA_DIR "$MOVED/bin/ctstorm" check seed-000 2>&1)
ct_check "check seed-000 by its catalogue name" bash -c "grep -q 'valid, 5 variants' <<<\"\$0\"" "$out"
ct_save_max
env -u CTSTORM_DATA_DIR "$MOVED/bin/ctstorm" run seed-000 --quick --quiet --out "$CT_TMP/results" >"$CT_TMP/run.log" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$CT_TMP/run.log"
ct_check "run seed-000 --quick with the installed binaries: exit 0" test $rc -eq 0
ct_check "its responder, sampler and loadgen were the installed ones" \
	bash -c "grep -q '$MOVED/bin/ctstorm-responder' $CT_TMP/results/*/commands.log && grep -q '$MOVED/bin/ctstorm-loadgen' $CT_TMP/results/*/commands.log"
ct_check "no namespace left" test "$(ip netns list | grep -c '^cts-')" -eq 0
ct_summary
