#!/bin/bash
# ctstorm report from a stored results folder (a real run of seed-000
# --quick, tests/data/results-seed-000): the table equals the golden one,
# every plot exists as SVG and PNG, report.html is self-contained and
# renders in headless Chromium with every plot in it; two runs side by side
# flag a regression. The screenshot is kept as docs/report-seed-000.png
# when CT_KEEP_SCREENSHOT is set.
#
# usage: report_render.sh BUILD_DIR DATA_DIR
BUILD=$1
DATA=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
command -v gnuplot >/dev/null || ct_skip "needs gnuplot (scripts/install-deps.sh installs it)"
CTSTORM=$BUILD/scenarios/ctstorm
FIX=$DATA/results-seed-000
OUT=$CT_TMP/report
VARIANTS="baseline notrack notrack-nft conntrack-off raised-max"

"$CTSTORM" report "$FIX" --out "$OUT" >"$CT_TMP/report.log" 2>&1
ct_check "report: exit 0" test $? -eq 0
ct_check "report: says where report.html is" grep -q "^Report: $OUT/report.html" "$CT_TMP/report.log"
grep '^|' "$OUT/report.md" >"$CT_TMP/table.md"
ct_check "report.md: the table equals the golden one" diff -u "$DATA/report-seed-000.golden.md" "$CT_TMP/table.md"
for v in $VARIANTS; do
	for kind in conntrack queries latency composition; do
		ct_check "plot $v $kind: SVG and PNG" test -s "$OUT/plots/r0-$v-$kind.svg" -a -s "$OUT/plots/r0-$v-$kind.png"
	done
done
ct_check "overlay plots" test -s "$OUT/plots/r0-overlay-conntrack.svg" -a -s "$OUT/plots/r0-overlay-answered.svg"
nsvg=$(ls "$OUT"/plots/*.svg | wc -l)
ct_check "report.html embeds every SVG ($nsvg)" test "$(grep -c '<svg' "$OUT/report.html")" -eq "$nsvg"
ct_check "report.html loads nothing from the network" bash -c "! grep -Eq '(src|href)=\"(https?:)?//' '$OUT/report.html'"
ct_check "report.html names every variant" bash -c "for v in $VARIANTS; do grep -q \"<h3>\$v: \" '$OUT/report.html' || exit 1; done"

# before/after: the same run, with notrack answering half
AFTER=$CT_TMP/after
cp -r "$FIX" "$AFTER"
python3 - "$AFTER/notrack/verdict.json" <<'PY'
import json, sys
p = sys.argv[1]
v = json.load(open(p))
v["metrics"]["loadgen"]["answered"] = 30
v["metrics"]["sampler"]["drop"] = 30
json.dump(v, open(p, "w"))
PY
"$CTSTORM" report "$FIX" "$AFTER" --out "$CT_TMP/cmp" >"$CT_TMP/cmp.log" 2>&1
ct_check "two runs: exit 0" test $? -eq 0
ct_check "two runs: the halved answers flagged as a regression" \
	grep -q 'notrack, answered: 60 -> 30 \*\*regression\*\*' "$CT_TMP/cmp/report.md"
ct_check "two runs: the new drops flagged" grep -q 'notrack, drop: 0 -> 30 \*\*regression\*\*' "$CT_TMP/cmp/report.md"
ct_check "two runs: nothing else changed" test "$(grep -c '^- .*: .* -> ' "$CT_TMP/cmp/report.md")" -eq 2
"$CTSTORM" report "$CT_TMP/no-such-folder" >/dev/null 2>&1
ct_check "not a results folder: exit 2" test $? -eq 2

# the page in a browser
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	echo "SKIP (render): needs chromium (scripts/install-deps.sh installs it)"
else
	run_chromium() { timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$CT_TMP/chromium" "$@" 2>>"$CT_TMP/chromium.log"; }
	run_chromium --dump-dom "file://$OUT/report.html" >"$CT_TMP/dom.html"
	ct_check "chromium: renders (exit 0)" test $? -eq 0
	ct_check "chromium: every plot in the rendered page ($nsvg)" test "$(grep -c '<svg' "$CT_TMP/dom.html")" -eq "$nsvg"
	ct_check "chromium: no script or load errors" bash -c "! grep -Eiq 'Uncaught|ERR_FILE_NOT_FOUND|Failed to load' '$CT_TMP/chromium.log'"
	run_chromium --window-size=1400,2600 --screenshot="$CT_TMP/report.png" "file://$OUT/report.html" >/dev/null
	ct_check "chromium: a screenshot of the page" test "$(stat -c %s "$CT_TMP/report.png" 2>/dev/null || echo 0)" -gt 50000
	if [ -n "${CT_KEEP_SCREENSHOT:-}" ]; then cp "$CT_TMP/report.png" "$CT_KEEP_SCREENSHOT"; fi
fi
ct_summary
