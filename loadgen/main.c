/* ctstorm-loadgen: DNS load over UDP and TCP that controls the query rate
 * and, apart from it, how many new 5-tuples per second reach the kernel. */
#include "atomicfile.h"
#include "clock.h"
#include "ct_err.h"
#include "engine.h"
#include "log.h"
#include "netaddr.h"
#include "opt.h"
#include "queryfile.h"
#include "report.h"
#include "schedule.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lg_cli.h"

struct app {
	struct lg_cli cfg;
	const struct lg_config *lc;  /* what the options became */
	struct lg_engine *engine;
	struct event_base *base;
	struct event *poll_ev, *sigs[2];
	FILE *json;
	uint64_t next_interval;
	bool tty;
	bool interrupted;
	struct lg_totals last_peek;
	uint64_t last_peek_ns;
};

static int resolve_server(const char *host, uint16_t port, struct ct_sockaddr *out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char p[8];
	snprintf(p, sizeof p, "%u", port);
	int rc = getaddrinfo(host, p, &hints, &res);
	if (rc != 0)
		return ct_err(err, errlen, "-s %s: cannot resolve: %s", host, gai_strerror(rc));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int parse_cidr(const char *text, int family, struct lg_src_range *r, char *err, size_t errlen)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	if (!slash || (size_t)(slash - text) >= sizeof addr)
		return ct_err(err, errlen, "--src-range: '%s' is not ADDR/PREFIX", text);
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	uint64_t prefix;
	if (ct_parse_uint(slash + 1, &prefix, NULL, 0) < 0)
		return ct_err(err, errlen, "--src-range: '%s': bad prefix length", text);
	memset(r, 0, sizeof *r);
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&r->base.ss;
		if (inet_pton(AF_INET, addr, &v4->sin_addr) != 1 || prefix > 32)
			return ct_err(err, errlen, "--src-range: '%s' is not an IPv4 CIDR (the server is IPv4)", text);
		uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
		v4->sin_addr.s_addr = htonl(ntohl(v4->sin_addr.s_addr) & mask);
		v4->sin_family = AF_INET;
		r->base.len = sizeof *v4;
		r->count = 1ull << (32 - prefix);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&r->base.ss;
		if (inet_pton(AF_INET6, addr, &v6->sin6_addr) != 1 || prefix > 128 || prefix < 64)
			return ct_err(err, errlen, "--src-range: '%s' is not an IPv6 CIDR of /64 to /128 (the server is IPv6)",
				      text);
		for (unsigned b = (unsigned)prefix; b < 128; b++)
			v6->sin6_addr.s6_addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
		v6->sin6_family = AF_INET6;
		r->base.len = sizeof *v6;
		r->count = prefix == 64 ? UINT64_MAX : 1ull << (128 - prefix);
	}
	return 0;
}

static int parse_rate(const char *opt, const char *text, double *out, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || *end || end == text || v <= 0 || v > 1e8)
		return ct_err(err, errlen, "%s: '%s' is not a rate in queries per second", opt, text);
	*out = v;
	return 0;
}

/* Turns the options into the engine's configuration; every refusal says
 * which option and why. */
static int build_config(struct app *a, struct ct_queryset *qs, struct lg_config *lc, char *err, size_t errlen)
{
	const struct lg_cli *c = &a->cfg;
	memset(lc, 0, sizeof *lc);
	if (!c->server)
		return ct_err(err, errlen, "-s (the server) is required");
	if (!c->datafile == !c->qname)
		return ct_err(err, errlen, "give either -d FILE or --qname NAME");
	if (c->qps && c->rate_profile)
		return ct_err(err, errlen, "-Q and --rate-profile exclude each other");
	if (strcmp(c->mode, "udp") != 0 && strcmp(c->mode, "tcp") != 0)
		return ct_err(err, errlen, "-m: '%s' is neither udp nor tcp", c->mode);
	if (c->resolver && strcmp(c->resolver, "cares") != 0)
		return ct_err(err, errlen, "--resolver: '%s' is not a resolver (use cares)", c->resolver);
	if (c->resolver && (c->sockets || c->per_flow || c->src_range))
		return ct_err(err, errlen,
			      "--resolver cares keeps its own sockets: --sockets, --queries-per-flow and --src-range do not apply");
	lc->cares = c->resolver != NULL;
	lc->cares_tries = (unsigned)c->tries;
	if (resolve_server(c->server, (uint16_t)c->port, &lc->server, err, errlen) < 0)
		return -1;
	lc->proto = strcmp(c->mode, "tcp") == 0 ? LG_TCP : LG_UDP;
	/* 0: not given (the options have no default text for these) */
	lc->duration_ns = c->duration ? c->duration : 10 * CT_NS_PER_SEC;
	lc->timeout_ns = c->timeout;
	lc->max_lag_ns = c->max_lag;
	lc->threads = (unsigned)c->threads;
	lc->outstanding = c->outstanding ? (uint32_t)c->outstanding : 100;
	lc->max_queries = c->max_queries;
	lc->interval_ns = c->interval;
	lc->load.pool = (uint32_t)c->clients;
	lc->load.per_flow = c->per_flow;
	if (c->sockets) {
		uint64_t n;
		if (strcmp(c->sockets, "per-query") == 0) {
			lc->load.pool = 1;
			lc->load.per_flow = 1;
		} else if (ct_parse_uint(c->sockets, &n, NULL, 0) == 0 && n >= 1 && n <= 1000000) {
			lc->load.pool = (uint32_t)n;
		} else {
			return ct_err(err, errlen, "--sockets: '%s' is neither per-query nor a count 1..1000000", c->sockets);
		}
	}
	if (c->qps) {
		double r;
		if (parse_rate("-Q", c->qps, &r, err, errlen) < 0)
			return -1;
		lc->load.open_loop = true;
		ct_sched_constant(&lc->load.sched, r, lc->duration_ns);
	} else if (c->rate_profile) {
		char why[CT_ERRLEN];
		if (ct_sched_parse(c->rate_profile, &lc->load.sched, why, sizeof why) < 0)
			return ct_err(err, errlen, "--rate-profile: %s", why);
		lc->load.open_loop = true;
		/* the profile's length is the run's, unless -l cuts it shorter */
		if (!c->duration || lc->load.sched.total_ns < lc->duration_ns)
			lc->duration_ns = lc->load.sched.total_ns;
	}
	if (lc->load.open_loop && !c->outstanding)
		lc->outstanding = 65536 * lc->threads; /* bounded only by the ID space */
	if (c->canary && parse_rate("--canary", c->canary, &lc->canary_rate, err, errlen) < 0)
		return -1;
	if (c->src_range && parse_cidr(c->src_range, lc->server.ss.ss_family, &lc->src, err, errlen) < 0)
		return -1;

	struct ct_query_opts qo = { .rd = !c->no_rd, .edns = (uint16_t)c->edns };
	if ((c->datafile ? ct_queryset_load(c->datafile, &qo, qs, err, errlen)
			 : ct_queryset_one(c->qname, c->qtype, &qo, qs, err, errlen)) < 0)
		return -1;
	lc->queries = qs;
	return 0;
}

static void collect_intervals(struct app *a, bool final)
{
	struct lg_interval iv;
	while (lg_engine_interval(a->engine, a->next_interval, &iv)) {
		a->next_interval++;
		if (a->json && (iv.t.c[LG_SENT] || !final))
			lg_write_interval(a->json, &iv);
	}
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	(void)fd;
	(void)what;
	collect_intervals(a, false);
	uint64_t now = ct_now_ns();
	if (a->tty && now - a->last_peek_ns >= CT_NS_PER_SEC) {
		struct lg_totals load, canary, d;
		lg_engine_peek(a->engine, &load, &canary);
		lg_totals_sub(&d, &load, &a->last_peek);
		double dt = (double)(now - a->last_peek_ns) / 1e9;
		lg_status_line(stderr, (double)(now - lg_engine_start_ns(a->engine)) / 1e9,
			       (double)a->lc->duration_ns / 1e9, &load, &d, dt, a->lc->canary_rate > 0 ? &canary : NULL);
		a->last_peek = load;
		a->last_peek_ns = now;
	}
	if (lg_engine_done(a->engine))
		event_base_loopbreak(a->base);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct app *a = arg;
	(void)sig;
	(void)what;
	a->interrupted = true;
	lg_engine_stop(a->engine);
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	struct ct_queryset qs = { 0 };
	struct lg_config lc = { 0 };
	char err[CT_ERRLEN];
	int rc = CT_EXIT_USAGE;

	if (!ct_opt_main(lg_cli_options, &a.cfg, argc, argv, "ctstorm-loadgen", lg_cli_synopsis, lg_cli_about, &rc))
		goto out;
	if (build_config(&a, &qs, &lc, err, sizeof err) < 0) {
		rc = ct_usage_error(err);
		goto out;
	}
	if (a.cfg.json && !(a.json = fopen(a.cfg.json, "w"))) {
		snprintf(err, sizeof err, "--json %s: %s", a.cfg.json, strerror(errno));
		rc = ct_usage_error(err);
		goto out;
	}
	if (a.cfg.canary_log && !(lc.canary_log = fopen(a.cfg.canary_log, "w"))) {
		snprintf(err, sizeof err, "--canary-log %s: %s", a.cfg.canary_log, strerror(errno));
		rc = ct_usage_error(err);
		goto out;
	}
	if (a.cfg.summary && ct_dir_writable(a.cfg.summary, err, sizeof err) < 0) {
		rc = ct_usage_error(err);
		goto out;
	}
	a.lc = &lc;
	rc = CT_EXIT_FAIL;
	if (lg_engine_new(&a.engine, &lc, err, sizeof err) < 0 || !(a.base = event_base_new())) {
		ct_log_error("%s", a.engine ? "cannot create the event loop" : err);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	const int signals[2] = { SIGINT, SIGTERM };
	for (int i = 0; i < 2; i++) {
		a.sigs[i] = evsignal_new(a.base, signals[i], signal_cb, &a);
		if (!a.sigs[i] || evsignal_add(a.sigs[i], NULL) < 0)
			goto out;
	}
	a.poll_ev = event_new(a.base, -1, EV_PERSIST, poll_cb, &a);
	struct timeval tick = ct_timeval(50 * CT_NS_PER_MS);
	if (!a.poll_ev || event_add(a.poll_ev, &tick) < 0)
		goto out;
	a.tty = isatty(STDERR_FILENO) && !a.cfg.quiet;
	a.next_interval = 1;
	if (lg_engine_start(a.engine, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		goto out;
	}
	a.last_peek_ns = lg_engine_start_ns(a.engine);
	event_base_dispatch(a.base);

	struct lg_result load, canary;
	lg_engine_join(a.engine, &load, &canary);
	collect_intervals(&a, true);
	/* rates are over the sending time, not the wait for the last answers */
	double secs = (double)(ct_now_ns() - lg_engine_start_ns(a.engine)) / 1e9;
	if (secs > (double)lc.duration_ns / 1e9)
		secs = (double)lc.duration_ns / 1e9;
	if (a.tty)
		fputs("\r\033[K", stderr);
	struct lg_report rep = { .load = &load, .canary = lc.canary_rate > 0 ? &canary : NULL,
				 .cfg = &lc, .duration_s = secs, .interrupted = a.interrupted };
	if (!a.cfg.quiet)
		lg_print_summary(stdout, &rep);
	if (a.json) {
		json_t *j = lg_summary_json(&rep, false);
		fputs("{\"type\":\"summary\",\"summary\":", a.json);
		json_dumpf(j, a.json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputs("}\n", a.json);
		json_decref(j);
	}
	if (a.cfg.summary) {
		json_t *j = lg_summary_json(&rep, true);
		if (ct_json_write_atomic(a.cfg.summary, j, err, sizeof err) < 0) {
			ct_log_error("%s", err);
			json_decref(j);
			goto out;
		}
		json_decref(j);
	}
	rc = CT_EXIT_OK;
out:
	if (a.json)
		fclose(a.json);
	if (lc.canary_log)
		fclose(lc.canary_log);
	for (int i = 0; i < 2; i++)
		if (a.sigs[i])
			event_free(a.sigs[i]);
	if (a.poll_ev)
		event_free(a.poll_ev);
	lg_engine_free(a.engine);
	if (a.base)
		event_base_free(a.base);
	ct_queryset_free(&qs);
	ct_opt_free(lg_cli_options, &a.cfg);
	return rc;
}
