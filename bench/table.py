#!/usr/bin/env python3
"""Turns bench result rows into a Markdown table with ratios against peers.

stdin: one row per run, "server proto qps answered lost cpu_s cpu_s_per_100k cpu1_s_per_100k
user_s_per_100k sys_s_per_100k"; a server and proto run several times (interleaved with the
others, so that a slow minute of the machine falls on all of them) is shown as the median of
its runs, figure by figure.
argv[1]: the server being judged; argv[2:]: the peers to compare with.
BENCH_JSON=FILE also writes the rows as JSON.
"""
import json
import os
import statistics
import sys


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "-"


def main():
    ours, peers = sys.argv[1], sys.argv[2:]
    rows = [line.split() for line in sys.stdin if line.strip()]
    runs = {}
    for r in rows:
        runs.setdefault((r[0], r[1]), []).append(
            {"qps": float(r[2]), "answered": int(r[3]), "lost": r[4], "cpu_s": float(r[5]),
             "cpu_s_per_100k": float(r[6]), "cpu1_s_per_100k": float(r[7]),
             "user_s_per_100k": float(r[8]), "sys_s_per_100k": float(r[9])})
    res = {}
    for key, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k != "lost"}
        med["lost"] = "/".join(r["lost"] for r in rs)
        med["runs"] = len(rs)
        res[key] = med
    n = max(r["runs"] for r in res.values())
    if n > 1:
        print(f"Medians of {n} interleaved runs; lost: each run's.\n")
    head = "| run | server | qps | lost | process CPU s / 100k | user | sys | CPU1 s / 100k |"
    head += "".join(f" qps vs {p} | CPU vs {p} |" for p in peers)
    print(head)
    print("|---|---|---:|---:|---:|---:|---:|---:|" + "---:|---:|" * len(peers))
    for proto in sorted({k[1] for k in res}, key=lambda p: (p.startswith("tcp"), p)):
        for name in [ours] + peers:
            r = res.get((name, proto))
            if not r:
                continue
            line = (f"| {proto} | {name} | {r['qps']:.0f} | {r['lost']} | {r['cpu_s_per_100k']:.4f} |"
                    f" {r['user_s_per_100k']:.4f} | {r['sys_s_per_100k']:.4f} | {r['cpu1_s_per_100k']:.4f} |")
            for p in peers:
                pr = res.get((p, proto))
                line += (f" {ratio(r['qps'], pr['qps'])} | {ratio(r['cpu_s_per_100k'], pr['cpu_s_per_100k'])} |"
                         if pr else " - | - |")
            print(line)
    out = os.environ.get("BENCH_JSON")
    if out:
        with open(out, "w") as f:
            json.dump([{"server": k[0], "proto": k[1], **v} for k, v in res.items()], f, indent=2)


if __name__ == "__main__":
    main()
