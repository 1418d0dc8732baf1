#!/bin/bash
# The main job: seed 000 reproduced and its mitigations compared, by the
# scenario runner on a namespace lab (scenarios/seed-000.scn).
#
# The seed set nf_conntrack_max=15 and ran dnsping against a DNS server:
# once 15 flows were tracked, queries from fresh source ports timed out and
# the kernel logged "table full, dropping packet". Here: 200 queries from
# fresh ports at 10/s and a dnsping-like canary, per variant: baseline,
# NOTRACK (iptables raw, as in the seed), NOTRACK (nftables), conntrack off,
# raised max. The global nf_conntrack_max is journaled and restored; the
# run leaves no namespace, rule or process behind.
#
#   scripts/demo.sh              the seed's pace (about 2 minutes)
#   scripts/demo.sh --quick      60 queries per variant, as CI runs it (about 12 s)
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

exec build/scenarios/ctstorm run scenarios/seed-000.scn "$@"
