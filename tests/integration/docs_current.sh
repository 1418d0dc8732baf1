#!/bin/bash
# The reference pages generated from the option tables and the metric
# registry (scripts/gen-docs.sh) say what this build says.
#
# usage: docs_current.sh BUILD_DIR DOCS_DIR
CTSTORM=$1/scenarios/ctstorm
DOCS=$2
rc=0
diff -u "$DOCS/scenario-keys.txt" <("$CTSTORM" keys) || { echo "docs/scenario-keys.txt is stale: run scripts/gen-docs.sh"; rc=1; }
diff -u "$DOCS/metrics.txt" <("$CTSTORM" metrics) || { echo "docs/metrics.txt is stale: run scripts/gen-docs.sh"; rc=1; }
[ $rc -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $rc
