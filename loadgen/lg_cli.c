#include "lg_cli.h"

#include "clock.h"
#include "ct_err.h"
#include "optargv.h"
#include "queryfile.h"

#include <inttypes.h>
#include <ldns/ldns.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* A, or a comma list (A,AAAA): one query of --qname per type, in turn. */
static int parse_qtypes(const char *text, void *field, char *err, size_t errlen)
{
	struct lg_qtypes *q = field;
	memset(q, 0, sizeof *q);
	const char *p = text;
	for (;;) {
		size_t len = strcspn(p, ",");
		char word[32];
		if (len == 0 || len >= sizeof word)
			return ct_err(err, errlen, "'%s': a type or a comma list of types (A,AAAA)", text);
		if (q->n == LG_MAX_QTYPES)
			return ct_err(err, errlen, "'%s': at most %d types", text, LG_MAX_QTYPES);
		memcpy(word, p, len);
		word[len] = '\0';
		if (ct_qtype_parse(word, &q->t[q->n++], err, errlen) < 0)
			return -1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int parse_profile(const char *text, void *field, char *err, size_t errlen)
{
	return ct_sched_parse(text, field, err, errlen);
}

static int parse_cidr(const char *text, void *field, char *err, size_t errlen)
{
	return ct_cidr_parse(text, field, err, errlen);
}

static int parse_sockets(const char *text, void *field, char *err, size_t errlen)
{
	struct lg_sockets *s = field;
	memset(s, 0, sizeof *s);
	s->given = true;
	if (strcmp(text, "per-query") == 0) {
		s->per_query = true;
		return 0;
	}
	if (ct_parse_uint(text, &s->n, NULL, 0) == 0 && s->n >= 1 && s->n <= 1000000)
		return 0;
	return ct_err(err, errlen, "'%s' is neither per-query nor a count 1..1000000", text);
}

/* The values back as text (the runner's command-line builder), and a
 * load host's part of them. */
static int format_qtypes(const void *field, char *buf, size_t len)
{
	const struct lg_qtypes *q = field;
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < q->n; i++) {
		char *name = ldns_rr_type2str((ldns_rr_type)q->t[i]);
		int n = name ? snprintf(buf + used, len - used, "%s%s", i ? "," : "", name) : -1;
		free(name);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

static int format_profile(const void *field, char *buf, size_t len)
{
	buf[0] = '\0';
	return ct_sched_format(field, 1.0, buf, len);
}

static int split_profile(void *field, const struct ct_opt_part *p, char *err, size_t errlen)
{
	struct ct_sched *s = field;
	double share = ct_opt_share(p);
	for (size_t i = 0; i < s->n; i++) {
		s->seg[i].r0 *= share;
		s->seg[i].r1 *= share;
	}
	s->total *= share;
	char text[4096];
	if (s->n && ct_sched_format(s, 1.0, text, sizeof text) < 0)
		return ct_err(err, errlen, "--rate-profile: too many segments to split among load hosts");
	return 0;
}

static int format_sockets(const void *field, char *buf, size_t len)
{
	const struct lg_sockets *s = field;
	int n = !s->given ? snprintf(buf, len, "%s", "")
		: s->per_query ? snprintf(buf, len, "per-query")
			       : snprintf(buf, len, "%" PRIu64, s->n);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* a pool of sockets is divided as the rate is; per-query stays */
static int split_sockets(void *field, const struct ct_opt_part *p, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct lg_sockets *s = field;
	if (s->given && !s->per_query)
		s->n = (uint64_t)fmax(1, round((double)s->n * ct_opt_share(p)));
	return 0;
}

static int format_cidr(const void *field, char *buf, size_t len)
{
	const struct ct_cidr *c = field;
	buf[0] = '\0';
	return !c->base.len || ct_cidr_str(c, buf, len) ? 0 : -1;
}

/* each load host its own part of the range (on its lo, routed back) */
static int split_cidr(void *field, const struct ct_opt_part *p, char *err, size_t errlen)
{
	struct ct_cidr *c = field, part;
	char text[80];
	if (!c->base.len)
		return 0;
	if (ct_cidr_part(c, p->n, p->i, &part) < 0)
		return ct_err(err, errlen, "--src-range %s: too small for %u load hosts", ct_cidr_str(c, text, sizeof text),
			      p->n);
	*c = part;
	return 0;
}

static const char *const qtype_hints[] = { "A", "AAAA", "A,AAAA", "MX", "TXT", "NS", "SOA", NULL };
static const char *const sockets_hints[] = { "per-query", NULL };
static const char *const mode_words[] = { "udp", "tcp", NULL };
static const char *const resolver_words[] = { "none", "cares", NULL };

#define OFF(f) offsetof(struct lg_cli, f)
const struct ct_opt lg_cli_options[] = {
	{ "server", 's', CT_OPT_STR, OFF(server), NULL, 0, 0, "ADDR", "the DNS server (address or name)", NULL },
	{ "port", 'p', CT_OPT_UINT, OFF(port), "53", 1, 65535, "PORT", "its port", NULL },
	{ "datafile", 'd', CT_OPT_STR, OFF(datafile), NULL, 0, 0, "FILE",
	  "queries, one 'NAME TYPE' a line (dnsperf's format), sent in turn", NULL },
	{ "qname", 0, CT_OPT_STR, OFF(qname), NULL, 0, 0, "NAME", "send this one name instead of -d", NULL },
	{ "qtype", 0, CT_OPT_CUSTOM, OFF(qtype), "A", 0, 0, "TYPE[,TYPE...]",
	  "the type for --qname (A, AAAA, MX, TYPE65...); a comma list asks each in turn (A,AAAA: what a stub "
	  "resolver asks for one name)",
	  parse_qtypes, qtype_hints, .format = format_qtypes },
	{ "limit", 'l', CT_OPT_DURATION, OFF(duration), NULL, CT_NS_PER_MS, 24 * 3600 * CT_NS_PER_SEC, "SECONDS",
	  "run this long (seconds, or with a unit: 500ms, 2m); default 10 s, or the rate profile's length: "
	  "every run ends by itself",
	  NULL },
	{ "max-qps", 'Q', CT_OPT_RATE, OFF(qps), NULL, 0, 100000000, "QPS",
	  "open loop at this constant rate (keeps sending when answers stop)", NULL, .split = CT_SPLIT_SCALE },
	{ "rate-profile", 'R', CT_OPT_CUSTOM, OFF(profile), NULL, 0, 0, "PROFILE",
	  "open loop on a schedule: RATE@DUR and ramp:FROM-TO@DUR, comma separated "
	  "(1000@10s,ramp:1000-50000@30s,50000@10s)",
	  parse_profile, .format = format_profile, .split = CT_SPLIT_CUSTOM, .split_fn = split_profile },
	{ "clients", 'c', CT_OPT_UINT, OFF(clients), "1", 1, 1000000, "N",
	  "sockets (UDP) or connections (TCP) used in turn, as dnsperf -c", NULL, .split = CT_SPLIT_SCALE },
	{ "max-outstanding", 'q', CT_OPT_UINT, OFF(outstanding), NULL, 1, 65536 * 64, "N",
	  "queries in flight at most; the closed loop keeps this many (default " LG_STR(LG_CLOSED_OUTSTANDING)
	  "); open loop: 65536 per thread",
	  NULL, .split = CT_SPLIT_SCALE },
	{ "timeout", 't', CT_OPT_DURATION, OFF(timeout), "5", CT_NS_PER_MS, 60 * CT_NS_PER_SEC, "SECONDS",
	  "a query unanswered this long has timed out", NULL },
	{ "mode", 'm', CT_OPT_ENUM, OFF(mode), "udp", 0, 0, NULL, "transport", NULL, mode_words },
	{ "threads", 'T', CT_OPT_UINT, OFF(threads), "1", 1, 64, "N", "sending threads", NULL },
	{ "stats-interval", 'S', CT_OPT_DURATION, OFF(interval), "1", 10 * CT_NS_PER_MS, 3600 * CT_NS_PER_SEC,
	  "SECONDS", "length of the intervals in --json (the live line updates every second)", NULL },
	{ "sockets", 0, CT_OPT_CUSTOM, OFF(sockets), NULL, 0, 0, "per-query|N",
	  "per-query: a fresh socket (new source port) for every query, as stub resolvers do; N: a pool of N "
	  "(same as -c)",
	  parse_sockets, sockets_hints, .format = format_sockets, .split = CT_SPLIT_CUSTOM, .split_fn = split_sockets },
	{ "queries-per-flow", 'K', CT_OPT_UINT, OFF(per_flow), "0", 0, UINT32_MAX, "K",
	  "replace a socket or connection after K queries (0: never); TCP with 1 is a connection per query", NULL },
	{ "parallel-per-socket", 0, CT_OPT_UINT, OFF(parallel), "1", 1, 16, "K",
	  "a lookup is K queries sent at once from one socket, as glibc sends A and AAAA (with --qtype A,AAAA); "
	  "it succeeds only when all K are answered (lookups, lookups_failed); -Q counts lookups",
	  NULL },
	{ "parallel-threads", 0, CT_OPT_FLAG, OFF(parallel_threads), NULL, 0, 0, NULL,
	  "the K queries of a lookup leave from K threads released together (spinning, a core each while the "
	  "load runs), so they cross the kernel on several CPUs at once: conntrack's insertion race, as the "
	  "kernel's udpclash selftest makes it",
	  NULL },
	{ "sport", 0, CT_OPT_UINT, OFF(sport), "0", 0, 65535, "PORT",
	  "send every query of the load from this source port (one UDP socket for the whole run; the canary keeps "
	  "its fresh sockets): a long-lived resolver, an NTP or syslog forwarder; 0: the kernel's choice",
	  NULL },
	{ "src-range", 0, CT_OPT_CUSTOM, OFF(src_range), NULL, 0, 0, "CIDR",
	  "bind new sockets to the addresses of this range in turn (the range must route back to us; IPv6: /64 or "
	  "longer)",
	  parse_cidr, .format = format_cidr, .split = CT_SPLIT_CUSTOM, .split_fn = split_cidr },
	{ "canary", 0, CT_OPT_RATE, OFF(canary), NULL, 0, 100000, "RATE",
	  "beside the load, fresh-socket queries at this rate, each logged: what a normal client sees", NULL,
	  .split = CT_SPLIT_FIRST },
	{ "canary-log", 0, CT_OPT_STR, OFF(canary_log), NULL, 0, 0, "FILE",
	  "one JSON line per canary query (seq, time, rcode and latency, or timeout)", NULL, .split = CT_SPLIT_FIRST },
	{ "resolver", 0, CT_OPT_ENUM, OFF(resolver), "none", 0, 0, NULL,
	  "none: our own sockets; cares: resolve through c-ares as an application does: its own sockets, -t per "
	  "attempt, --tries attempts; reports failed resolutions and the time to resolve including retries",
	  NULL, resolver_words },
	{ "tries", 0, CT_OPT_UINT, OFF(tries), "2", 1, 10, "N", "--resolver cares: attempts per lookup", NULL },
	{ "json", 'j', CT_OPT_STR, OFF(json), NULL, 0, 0, "FILE",
	  "one JSON line per interval, then the summary (schema in loadgen/README.md)", NULL },
	{ "interval-histograms", 0, CT_OPT_FLAG, OFF(interval_histograms), NULL, 0, 0, NULL,
	  "--json: each interval line carries its full latency histograms too, so the intervals of load hosts "
	  "that ran together merge exactly (ctstorm run does it)",
	  NULL },
	{ "summary", 0, CT_OPT_STR, OFF(summary), NULL, 0, 0, "FILE",
	  "the summary with the full latency histograms, as one JSON document (atomically)", NULL },
	{ "max-queries", 'n', CT_OPT_UINT, OFF(max_queries), "0", 0, UINT64_MAX, "N",
	  "stop after sending N queries (0: no limit but -l)", NULL, .split = CT_SPLIT_EXACT },
	{ "max-lag", 0, CT_OPT_DURATION, OFF(max_lag), "10ms", 1000, 10 * CT_NS_PER_SEC, "DURATION",
	  "open loop: a query this far behind its slot is not sent (counted late): no bursts to catch up", NULL },
	{ "start-at", 0, CT_OPT_UINT, OFF(start_at), NULL, 1, UINT64_MAX, "UNIX_MS",
	  "the first slot at this wall-clock time (ms since the epoch; at most 60 s ahead, at once if past): "
	  "load hosts that start together",
	  NULL },
	{ "pace-slack", 0, CT_OPT_DURATION, OFF(pace_slack), "1ms", 0, 100 * CT_NS_PER_MS, "DURATION",
	  "open loop: a wake-up sends every query due within this much of now (sent early by up to it; latency "
	  "then counts from the send), so the sender wakes per batch, not per query; 0: a wake-up per slot",
	  NULL },
	{ "edns", 'e', CT_OPT_UINT, OFF(edns), "0", 0, 65535, "SIZE",
	  "add an OPT record advertising this UDP size (0: none)", NULL },
	{ "no-rd", 0, CT_OPT_FLAG, OFF(no_rd), NULL, 0, 0, NULL, "clear the Recursion Desired bit", NULL },
	{ "quiet", 0, CT_OPT_FLAG, OFF(quiet), NULL, 0, 0, NULL, "no live line and no text summary", NULL },
	CT_OPT_END,
};

const char lg_cli_synopsis[] =
	"-s ADDR [-p PORT] -d FILE|--qname NAME [--qtype T] -l SECONDS [-Q QPS | --rate-profile P]\n"
	"       [-c N] [-q N] [-t SECONDS] [-m udp|tcp] [-T N] [--sockets per-query|N]\n"
	"       [--queries-per-flow K] [--src-range CIDR] [--canary RATE] [--resolver cares] [--json FILE]\n"
	"       [--qtype A,AAAA --parallel-per-socket K [--parallel-threads]] [--sport PORT]";
const char lg_cli_about[] =
	"DNS load for conntrack experiments. Closed loop (like dnsperf) unless -Q or --rate-profile "
	"makes it open loop: sends on a fixed schedule whatever the answers, never bursts to catch up, "
	"and measures latency from the intended send time as well as the actual one. Controls how many "
	"new 5-tuples reach the server apart from the query rate. Exit status: 0 the run completed "
	"(whatever it measured), 2 bad usage or bad input.";

int lg_cli_check(const struct lg_cli *c, const char **key, char *err, size_t errlen)
{
#define REFUSE(k, ...) (*key = (k), ct_err(err, errlen, __VA_ARGS__))
	if (!c->server)
		return REFUSE("server", "-s (the server) is required");
	if (!c->datafile == !c->qname)
		return REFUSE(c->datafile ? "datafile" : "qname", "give either -d FILE or --qname NAME");
	if (c->qps > 0 && c->profile.n)
		return REFUSE("rate-profile", "-Q and --rate-profile exclude each other");
	if (c->resolver == LG_RESOLVER_CARES && (c->sockets.given || c->per_flow || c->src_range.base.len))
		return REFUSE(c->sockets.given ? "sockets" : c->per_flow ? "queries-per-flow" : "src-range",
			      "--resolver cares keeps its own sockets: --sockets, --queries-per-flow and --src-range do "
			      "not apply");
	if (c->parallel > 1 && c->resolver == LG_RESOLVER_CARES)
		return REFUSE("parallel-per-socket", "--resolver cares sends its own queries: --parallel-per-socket does "
						     "not apply");
	if (c->parallel_threads && (c->parallel < 2 || c->mode != LG_MODE_UDP))
		return REFUSE("parallel-threads", "--parallel-threads needs --parallel-per-socket 2 or more, over UDP");
	if (c->sport) {
		const char *clash = c->mode != LG_MODE_UDP		      ? "mode"
				    : c->resolver == LG_RESOLVER_CARES	      ? "resolver"
				    : c->sockets.per_query || c->sockets.n > 1 ? "sockets"
				    : c->clients > 1			      ? "clients"
				    : c->per_flow			      ? "queries-per-flow"
				    : c->threads > 1			      ? "threads"
				    : c->src_range.base.len		      ? "src-range"
									      : NULL;
		if (clash)
			return REFUSE(clash, "--sport keeps one UDP socket for the whole run: --%s does not go with it",
				      clash);
	}
	if (c->src_range.base.len && c->src_range.base.ss.ss_family == AF_INET6 && c->src_range.prefix < 64)
		return REFUSE("src-range", "--src-range: an IPv6 range is /64 or longer");
	return 0;
#undef REFUSE
}

uint64_t lg_cli_duration_ns(const struct lg_cli *c)
{
	uint64_t ns = c->duration ? c->duration : 10 * CT_NS_PER_SEC;
	if (c->profile.n && (!c->duration || c->profile.total_ns < ns))
		ns = c->profile.total_ns;
	return ns;
}
