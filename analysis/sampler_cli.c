#include "sampler_cli.h"

#include "clock.h"
#include "ctnl.h"

#include <stddef.h>

#define OFF(f) offsetof(struct sampler_cli, f)
const struct ct_opt sampler_cli_options[] = {
	{ "netns", 'n', CT_OPT_STR, OFF(netns), NULL, 0, 0, "NAME|PATH|PID",
	  "observe this network namespace (a name under /run/netns, a path, or a PID); default: our own", NULL },
	{ "interval", 'i', CT_OPT_DURATION, OFF(interval), "100ms", CT_NS_PER_MS, 600 * CT_NS_PER_SEC, "DURATION",
	  "time between samples", NULL },
	{ "duration", 'd', CT_OPT_DURATION, OFF(duration), "0", 0, 7 * 24 * 3600 * CT_NS_PER_SEC, "DURATION",
	  "stop after this long (0: run until SIGINT or SIGTERM)", NULL },
	{ "csv", 'c', CT_OPT_STR, OFF(csv), NULL, 0, 0, "FILE", "write samples as CSV (header documented in analysis/README.md)", NULL },
	{ "json", 'j', CT_OPT_STR, OFF(json), NULL, 0, 0, "FILE", "write samples as JSON lines", NULL },
	{ "summary", 's', CT_OPT_STR, OFF(summary), NULL, 0, 0, "FILE",
	  "write the run summary as JSON at exit (peak count, first drop, totals)", NULL },
	{ "kmsg-log", 'k', CT_OPT_STR, OFF(kmsg_log), NULL, 0, 0, "FILE",
	  "keep the kernel log lines that matter (conntrack, suppression) verbatim", NULL },
	{ "table-every", 't', CT_OPT_DURATION, OFF(table_every), "0", 0, 3600 * CT_NS_PER_SEC, "DURATION",
	  "also dump and classify the table this often, in a thread of its own (0: never)", NULL },
	{ "fill", 'f', CT_OPT_UINT, OFF(fill), "0", 0, CT_FILL_MAX, "N",
	  "pre-fill the table with N synthetic ASSURED UDP entries (198.19.0.0/16 -> 198.18.255.254:9) and remove "
	  "exactly those at exit",
	  NULL },
	{ "prom-file", 'p', CT_OPT_STR, OFF(prom_file), NULL, 0, 0, "FILE",
	  "keep a Prometheus textfile-collector file up to date (atomically, at most once a second)", NULL },
	{ "listen", 'l', CT_OPT_STR, OFF(listen), NULL, 0, 0, "ADDR:PORT",
	  "serve Prometheus metrics on http://ADDR:PORT/metrics (bound in our own namespace)", NULL },
	{ "quiet", 'q', CT_OPT_FLAG, OFF(quiet), NULL, 0, 0, NULL, "no status line on the terminal", NULL },
	CT_OPT_END,
};

const char sampler_cli_synopsis[] =
	"[--netns NAME|PATH|PID] [--interval DUR] [--duration DUR] [--csv FILE] [--json FILE]\n"
	"       [--summary FILE] [--kmsg-log FILE] [--table-every DUR] [--fill N]\n"
	"       [--prom-file FILE | --listen ADDR:PORT]";
const char sampler_cli_about[] =
	"Samples a network namespace's conntrack table: count, limit, buckets, the per-CPU statistics "
	"counters summed (over ctnetlink, or /proc/net/stat/nf_conntrack where ctnetlink is missing), "
	"and the kernel's 'table full, dropping packet' lines for that namespace from /dev/kmsg (from "
	"the start of the run on). Without --fill it changes nothing on the host. Exit status: 0 done, "
	"1 runtime failure (e.g. no conntrack in the kernel), 2 bad usage or bad input.";
