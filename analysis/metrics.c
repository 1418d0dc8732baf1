#include "metrics.h"

#include "opt.h"
#include "rf_names.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A family is written once and expanded: the loadgen's counters under
 * loadgen. and canary., the latency statistics under each histogram. */
struct leaf {
	const char *name, *unit, *meaning;
};

static const struct leaf stream[] = {
	{ "sent", "queries", "queries sent" },
	{ "answered", "queries", "queries answered (any rcode)" },
	{ "timeouts", "queries", "queries unanswered within --timeout" },
	{ "failed", "queries", "queries that failed outright: a send error, ICMP refused, a TCP failure" },
	{ "abandoned", "queries", "still in flight when the run was interrupted" },
	{ "late", "queries", "open loop: not sent, more than --max-lag behind their slot" },
	{ "throttled", "queries", "open loop: not sent, --max-outstanding already in flight" },
	{ "mismatched", "responses", "responses to no query of ours" },
	{ "malformed", "responses", "datagrams that were not DNS responses" },
	{ "truncated", "responses", "answers with TC=1" },
	{ "new_flows", "flows", "sockets or connections opened: new 5-tuples toward the server" },
	{ "attempt_timeouts", "attempts", "c-ares: attempts that timed out (retries)" },
	{ "lookups", "lookups", "lookups ended (--parallel-per-socket K queries each, else one query each)" },
	{ "lookups_failed", "lookups", "lookups with a query unanswered: what a resolver waits out (5 s in glibc)" },
	{ "qps", "queries/s", "answered per second of the load" },
	{ "sent_qps", "queries/s", "sent per second of the load" },
	{ "new_flows_per_s", "flows/s", "new 5-tuples per second of the load" },
	{ "loss_pct", "%", "lost queries (timeouts and failures) of those sent and not abandoned" },
	{ "lookup_loss_pct", "%", "failed lookups of those ended" },
	{ "errors.eperm", "queries", "send refused by the sender's own netfilter (EPERM: its table full)" },
	{ "errors.enobufs", "queries", "send failed: ENOBUFS" },
	{ "errors.econnrefused", "queries", "ICMP port unreachable" },
	{ "errors.eaddrnotavail", "queries", "out of source ports or addresses" },
	{ "errors.other", "queries", "other send or receive errors" },
	{ "errors.tcp_connect_failed", "connections", "TCP connects refused or reset" },
	{ "errors.tcp_connect_timeout", "connections", "TCP connects that timed out" },
	{ "errors.tcp_closed", "connections", "closed by the server with queries outstanding" },
};

static const struct leaf load_only[] = {
	{ "duration_s", "s", "length of the load" },
	{ "started_unix_ms", "ms", "the load's start on the wall clock, ms since the epoch (time 0 of the report's plots)" },
	{ "interval_s", "s", "the length of an interval of loadgen.jsonl" },
	{ "load_hosts", "hosts", "load hosts whose loads were merged into this one ([hosts] client)" },
	{ "interrupted", "bool", "1 when the load was interrupted" },
	{ "config.per_query_sockets", "bool", "1 when every query had a fresh socket" },
	{ "config.flows", "flows", "sockets or connections used in turn" },
	{ "config.queries_per_flow", "queries", "queries per socket or connection before it is replaced (0: never)" },
	{ "config.threads", "threads", "sending threads" },
	{ "config.timeout_s", "s", "the query timeout" },
	{ "config.src_addresses", "addresses", "source addresses in --src-range (0: the kernel chose)" },
};

static const char *const rcodes[] = { "NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
				      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", NULL };

static const struct leaf hists[] = {
	{ "latency_us.intended", "us", "latency from the intended send time (open loop: includes the sender's lag)" },
	{ "latency_us.actual", "us", "latency from the actual send time" },
	{ "send_lag_us", "us", "how far behind its slot each query was sent" },
};

static const struct leaf stats[] = {
	{ "count", "samples", "samples in" }, { "mean", NULL, "mean of" },   { "p50", NULL, "median of" },
	{ "p90", NULL, "90th percentile of" }, { "p99", NULL, "99th percentile of" },
	{ "p999", NULL, "99.9th percentile of" }, { "max", NULL, "largest" }, { "min", NULL, "smallest" },
};

static const struct leaf counters[] = {
	{ "found", "lookups", "lookups that found an entry" },
	{ "invalid", "packets", "packets conntrack could not track" },
	{ "insert", "entries", "entries inserted (stays 0 on recent kernels)" },
	{ "insert_failed", "packets", "an insert lost a race (a clash the kernel could not resolve)" },
	{ "drop", "packets", "dropped for want of an entry: the table was full" },
	{ "early_drop", "entries", "unassured entries evicted to make room" },
	{ "error", "packets", "ICMP errors that matched no entry" },
	{ "search_restart", "lookups", "lookups restarted (a resize or a moved entry)" },
	{ "clash_resolve", "packets", "clashes the kernel resolved (two packets of one new tuple at once)" },
	{ "chaintoolong", "packets", "inserts refused: the hash chain too long (past 50 to 79 entries, drawn per insert: too few buckets)" },
};

static const struct leaf sampler[] = {
	{ "interval_s", "s", "time between samples" },
	{ "duration_s", "s", "how long the sampler ran" },
	{ "samples", "samples", "samples taken" },
	{ "missed_samples", "samples", "samples the sampler could not take in time" },
	{ "peak_count", "entries", "largest nf_conntrack_count seen" },
	{ "peak_t_s", "s", "when it was seen, since the sampler started" },
	{ "max", "entries", "nf_conntrack_max as sampled" },
	{ "first_drop_s", "s", "first sample with a drop, since the sampler started" },
	{ "kmsg_table_full", "lines", "kernel log lines 'table full, dropping packet' for this namespace" },
	{ "kmsg_suppressed", "lines", "kernel log lines the printk rate limit suppressed" },
	{ "kmsg_lost", "lines", "kernel log records overwritten before they were read" },
	{ "kmsg.table_full", "lines", "as kmsg_table_full" },
	{ "kmsg.suppressed", "lines", "as kmsg_suppressed" },
	{ "kmsg.lost", "lines", "as kmsg_lost" },
	{ "table_dumps.count", "dumps", "table dumps (--table-every)" },
	{ "table_dumps.mean_ms", "ms", "mean time of a table dump" },
	{ "table_dumps.max_ms", "ms", "longest table dump" },
	{ "table_dumps.entries_max", "entries", "most entries one dump returned" },
};

static const struct leaf responder[] = {
	{ "uptime_s", "s", "how long the responder ran" },
	{ "queries.total", "queries", "queries received" },
	{ "queries.udp", "queries", "over UDP" },
	{ "queries.tcp", "queries", "over TCP" },
	{ "answers.NOERROR", "answers", "answered NOERROR" },
	{ "answers.FORMERR", "answers", "answered FORMERR" },
	{ "answers.SERVFAIL", "answers", "answered SERVFAIL" },
	{ "answers.NXDOMAIN", "answers", "answered NXDOMAIN" },
	{ "answers.NOTIMP", "answers", "answered NOTIMP" },
	{ "answers.REFUSED", "answers", "answered REFUSED" },
	{ "answers.BADVERS", "answers", "answered BADVERS" },
	{ "answers.other", "answers", "answered another rcode" },
	{ "nodata", "answers", "NOERROR with no answer of the type" },
	{ "referral", "answers", "referrals" },
	{ "truncated", "answers", "sent with TC=1" },
	{ "edns", "queries", "queries with an OPT record" },
	{ "malformed", "queries", "not DNS queries (no reply)" },
	{ "mode.dropped", "queries", "--mode drop: left unanswered" },
	{ "mode.delayed", "queries", "--mode delay: answered late" },
	{ "mode.delay_overflow", "queries", "--mode delay: dropped, the delay queue full" },
	{ "send_errors", "answers", "replies the kernel refused to send" },
	{ "recv_errors", "queries", "receive errors" },
	{ "tcp.accepted", "connections", "TCP connections accepted" },
	{ "tcp.rejected_limit", "connections", "closed at once: --tcp-max-conns reached" },
	{ "tcp.idle_closed", "connections", "closed idle or stalled" },
	{ "tcp.active", "connections", "open at exit" },
};

static struct ct_metric *reg;
static size_t nreg, capreg;

static void add(const char *prefix, const char *name, const char *unit, const char *source, const char *meaning,
		bool zero)
{
	if (nreg == capreg) {
		capreg = capreg ? capreg * 2 : 256;
		reg = realloc(reg, capreg * sizeof *reg);
		if (!reg)
			abort();
	}
	char *path;
	if (asprintf(&path, "%s.%s", prefix, name) < 0)
		abort();
	reg[nreg++] = (struct ct_metric){ path, unit, source, meaning, zero };
}

static void add_leaves(const char *prefix, const struct leaf *v, size_t n, const char *source)
{
	for (size_t i = 0; i < n; i++)
		add(prefix, v[i].name, v[i].unit, source, v[i].meaning, false);
}

#define N(a) (sizeof(a) / sizeof *(a))

/* The loadgen's summary of a stream: the load's, or the canary's. */
static void add_stream(const char *prefix, const char *src)
{
	add_leaves(prefix, stream, N(stream), src);
	for (size_t i = 0; rcodes[i]; i++) {
		char *n;
		if (asprintf(&n, "rcodes.%s", rcodes[i]) < 0)
			abort();
		add(prefix, n, "answers", src, "answers with this rcode", true);
		free(n);
	}
	for (size_t h = 0; h < N(hists); h++)
		for (size_t s = 0; s < N(stats); s++) {
			char *n, *m;
			if (asprintf(&n, "%s.%s", hists[h].name, stats[s].name) < 0 ||
			    asprintf(&m, "%s %s", stats[s].meaning, hists[h].meaning) < 0)
				abort();
			add(prefix, n, stats[s].unit ? stats[s].unit : hists[h].unit, src, m, false);
			free(n); /* the path is a copy; the meaning stays in the registry */
		}
}

static void build(void)
{
	if (reg)
		return;
	add_stream("loadgen", RF_LOADGEN_JSON);
	add_leaves("loadgen", load_only, N(load_only), RF_LOADGEN_JSON);
	add_stream("canary", "loadgen.json (canary)");
	add_leaves("sampler", counters, N(counters), "sampler.json (totals over the run)");
	for (size_t i = 0; i < N(counters); i++) {
		char *n;
		if (asprintf(&n, "totals.%s", counters[i].name) < 0)
			abort();
		add("sampler", n, counters[i].unit, RF_SAMPLER_JSON, "as the counter of that name", false);
		free(n);
		if (asprintf(&n, "last.%s", counters[i].name) < 0)
			abort();
		add("sampler", n, counters[i].unit, RF_SAMPLER_JSON, "the counter's value in the last sample", false);
		free(n);
	}
	add_leaves("sampler", sampler, N(sampler), RF_SAMPLER_JSON);
	add_leaves("responder", responder, N(responder), "responder.json (ctstorm-responder only)");
}

size_t ct_metrics_count(void)
{
	build();
	return nreg;
}

const struct ct_metric *ct_metric_at(size_t i)
{
	build();
	return i < nreg ? &reg[i] : NULL;
}

const struct ct_metric *ct_metric_find(const char *path)
{
	build();
	for (size_t i = 0; i < nreg; i++)
		if (strcmp(reg[i].path, path) == 0)
			return &reg[i];
	return NULL;
}

const char *ct_metric_suggest(const char *path)
{
	build();
	const char **names = malloc(nreg * sizeof *names);
	if (!names)
		abort();
	for (size_t i = 0; i < nreg; i++)
		names[i] = reg[i].path;
	const char *hint = ct_did_you_mean(path, names, nreg);
	free(names);
	return hint;
}

bool ct_metric_value(json_t *metrics, const char *path, double *out)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *cur = metrics;
	char *save = NULL, *part = strtok_r(buf, ".", &save);
	const char *root = part;
	for (; part && cur; part = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, part);
	if (json_is_number(cur)) {
		*out = json_number_value(cur);
		return true;
	}
	if (json_is_boolean(cur)) {
		*out = json_is_true(cur);
		return true;
	}
	/* a count left out for being zero, in a file that was written */
	const struct ct_metric *m = ct_metric_find(path);
	if (!cur && m && m->zero_if_absent && root && json_object_get(metrics, root)) {
		*out = 0;
		return true;
	}
	return false;
}
