#!/bin/bash
# ctstorm's JUnit XML, read back by a real consumer (Debian's
# python3-junitparser): the stored seed-000 run gives a testsuite per
# variant and a testcase per expectation, all passing; a copy with a
# failed expectation, a variant that could not run and one interrupted
# gives a failure with the measured value, an error and skipped cases.
#
# usage: junit.sh BUILD_DIR STORED_RUN
CTSTORM=$1/scenarios/ctstorm
RUN=$2
. "$(dirname "$0")/lib.sh"
trap ct_cleanup EXIT
PY=/usr/bin/python3
$PY -c 'import junitparser' 2>/dev/null || ct_skip "needs python3-junitparser (scripts/install-deps.sh installs it)"

cp -r "$RUN" "$CT_TMP/run"
"$CTSTORM" report "$CT_TMP/run" --junit "$CT_TMP/ok.xml" >/dev/null
ct_check "report --junit: exit 0" test $? -eq 0
$PY - "$CT_TMP/ok.xml" <<'PYX'
import sys
from junitparser import JUnitXml, TestSuite
xml = JUnitXml.fromfile(sys.argv[1])
suites = list(xml)
assert [s.name for s in suites] == ["seed-000.baseline", "seed-000.notrack", "seed-000.notrack-nft",
                                    "seed-000.conntrack-off", "seed-000.raised-max"], [s.name for s in suites]
cases = [c for s in suites for c in s]
assert len(cases) == 21 and xml.tests == 21 and xml.failures == 0 and xml.errors == 0, (len(cases), xml.tests)
assert all(c.is_passed for c in cases)
c = [c for c in suites[0] if c.name == "sampler.drop > 0"][0]
assert c.classname == "seed-000.baseline" and c.system_out == "measured 52", (c.classname, c.system_out)
words = [{p.name: p.value for p in s.properties()}["verdict"] for s in suites]
assert words == ["reproduced", "held", "held", "held", "held"], words
PYX
ct_check "junitparser reads 5 suites, 21 passing cases, measured values, the verdict words" test $? -eq 0

# a failed expectation, a variant that did not run, one interrupted
$PY - "$CT_TMP/run" <<'PYX'
import json, os, sys
d = sys.argv[1]
v = json.load(open(f"{d}/baseline/verdict.json"))
v["status"] = "fail"
v["expectations"][1]["pass"] = False
v["expectations"][1]["measured"] = 0
json.dump(v, open(f"{d}/baseline/verdict.json", "w"))
os.remove(f"{d}/notrack/verdict.json")
m = json.load(open(f"{d}/manifest.json"))
for e in m["variants"]:
    if e["name"] == "notrack":
        e["status"] = "failed"
json.dump(m, open(f"{d}/manifest.json", "w"))
v = json.load(open(f"{d}/raised-max/verdict.json"))
v["status"] = "interrupted"
for x in v["expectations"]:
    x["pass"] = None
json.dump(v, open(f"{d}/raised-max/verdict.json", "w"))
PYX
"$CTSTORM" report "$CT_TMP/run" --junit "$CT_TMP/bad.xml" >/dev/null
$PY - "$CT_TMP/bad.xml" <<'PYX'
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites = {s.name: s for s in xml}
base = suites["seed-000.baseline"]
failed = [c for c in base if any(isinstance(r, Failure) for r in c.result)]
assert len(failed) == 1 and failed[0].name == "sampler.drop > 0", [c.name for c in failed]
msg = failed[0].result[0].message
assert msg == "expected sampler.drop > 0, measured 0", msg
nt = suites["seed-000.notrack"]
assert nt.errors == 1 and any(isinstance(r, Error) for c in nt for r in c.result)
rm = suites["seed-000.raised-max"]
assert rm.skipped == rm.tests and all(isinstance(r, Skipped) for c in rm for r in c.result), rm.skipped
assert xml.failures == 1 and xml.errors == 1, (xml.failures, xml.errors)
PYX
ct_check "a failure with its measured value, an error for a variant that did not run, skipped when interrupted" \
	test $? -eq 0
ct_summary
