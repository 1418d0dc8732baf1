#!/bin/bash
# Writes the reference pages that come from the code's own tables:
# docs/scenario-keys.txt (`ctstorm keys`: every scenario key with its type,
# words, default and meaning) and docs/metrics.txt (`ctstorm metrics`:
# every metric an expectation can name). A test fails when they drift.
#
#   scripts/gen-docs.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
"$BUILD/scenarios/ctstorm" keys >docs/scenario-keys.txt
"$BUILD/scenarios/ctstorm" metrics >docs/metrics.txt
echo "docs/scenario-keys.txt and docs/metrics.txt written"
