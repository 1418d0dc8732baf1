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

/* The source range as the engine takes it: the family must be the server's. */
static int src_range(const struct ct_cidr *c, int family, struct lg_src_range *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	if (c->base.ss.ss_family != family)
		return ct_err(err, errlen, "--src-range: the range is %s but the server is %s",
			      c->base.ss.ss_family == AF_INET ? "IPv4" : "IPv6", family == AF_INET ? "IPv4" : "IPv6");
	r->base = c->base;
	unsigned bits = family == AF_INET ? 32 : 128;
	r->count = bits - c->prefix >= 64 ? UINT64_MAX : 1ull << (bits - c->prefix);
	return 0;
}

/* Turns the options into the engine's configuration. Option errors (exit
 * 2 with a hint) are refused by lg_cli_check before this; what is left
 * needs the world: the server's name, the query file. */
static int build_config(struct app *a, struct ct_queryset *qs, struct lg_config *lc, char *err, size_t errlen)
{
	const struct lg_cli *c = &a->cfg;
	memset(lc, 0, sizeof *lc);
	lc->cares = c->resolver == LG_RESOLVER_CARES;
	lc->cares_tries = (unsigned)c->tries;
	if (resolve_server(c->server, (uint16_t)c->port, &lc->server, err, errlen) < 0)
		return -1;
	lc->proto = c->mode == LG_MODE_TCP ? LG_TCP : LG_UDP;
	lc->duration_ns = lg_cli_duration_ns(c);
	lc->timeout_ns = c->timeout;
	lc->max_lag_ns = c->max_lag;
	lc->pace_slack_ns = c->pace_slack;
	lc->start_at_ns = c->start_at * CT_NS_PER_MS;
	lc->threads = (unsigned)c->threads;
	lc->outstanding = c->outstanding ? (uint32_t)c->outstanding : LG_CLOSED_OUTSTANDING;
	lc->max_queries = c->max_queries;
	lc->interval_ns = c->interval;
	lc->load.pool = (uint32_t)c->clients;
	lc->load.per_flow = c->per_flow;
	lc->parallel = (unsigned)c->parallel;
	lc->parallel_threads = c->parallel_threads;
	lc->sport = (uint16_t)c->sport;
	if (c->sockets.per_query) {
		lc->load.pool = 1;
		lc->load.per_flow = 1;
	} else if (c->sockets.given) {
		lc->load.pool = (uint32_t)c->sockets.n;
	}
	if (c->qps > 0) {
		lc->load.open_loop = true;
		ct_sched_constant(&lc->load.sched, c->qps, lc->duration_ns);
	} else if (c->profile.n) {
		lc->load.sched = c->profile;
		lc->load.open_loop = true;
	}
	if (lc->load.open_loop && !c->outstanding)
		lc->outstanding = 65536 * lc->threads; /* bounded only by the ID space */
	lc->canary_rate = c->canary;
	if (c->src_range.base.len && src_range(&c->src_range, lc->server.ss.ss_family, &lc->src, err, errlen) < 0)
		return -1;

	struct ct_query_opts qo = { .rd = !c->no_rd, .edns = (uint16_t)c->edns };
	if ((c->datafile ? ct_queryset_load(c->datafile, &qo, qs, err, errlen)
			 : ct_queryset_types(c->qname, c->qtype.t, c->qtype.n, &qo, qs, err, errlen)) < 0)
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
			lg_write_interval(a->json, &iv, a->cfg.interval_histograms);
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

/* The files the options name, opened before any query goes out. */
static int open_outputs(struct app *a, struct lg_config *lc)
{
	char err[CT_ERRLEN];
	if (a->cfg.json && !(a->json = fopen(a->cfg.json, "w"))) {
		snprintf(err, sizeof err, "--json %s: %s", a->cfg.json, strerror(errno));
		return ct_usage_error(err);
	}
	if (a->cfg.canary_log && !(lc->canary_log = fopen(a->cfg.canary_log, "w"))) {
		snprintf(err, sizeof err, "--canary-log %s: %s", a->cfg.canary_log, strerror(errno));
		return ct_usage_error(err);
	}
	if (a->cfg.summary && ct_dir_writable(a->cfg.summary, err, sizeof err) < 0)
		return ct_usage_error(err);
	return -1;
}

/* The engine's threads and the loop that collects their intervals,
 * until the load ends or a signal stops it. */
static int run_load(struct app *a, const struct lg_config *lc)
{
	char err[CT_ERRLEN];
	a->lc = lc;
	if (lg_engine_new(&a->engine, lc, err, sizeof err) < 0 || !(a->base = event_base_new())) {
		ct_log_error("%s", a->engine ? "cannot create the event loop" : err);
		return CT_EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	const int signals[2] = { SIGINT, SIGTERM };
	for (int i = 0; i < 2; i++) {
		a->sigs[i] = evsignal_new(a->base, signals[i], signal_cb, a);
		if (!a->sigs[i] || evsignal_add(a->sigs[i], NULL) < 0)
			return CT_EXIT_FAIL;
	}
	a->poll_ev = event_new(a->base, -1, EV_PERSIST, poll_cb, a);
	struct timeval tick = ct_timeval(50 * CT_NS_PER_MS);
	if (!a->poll_ev || event_add(a->poll_ev, &tick) < 0)
		return CT_EXIT_FAIL;
	a->tty = isatty(STDERR_FILENO) && !a->cfg.quiet;
	a->next_interval = 1;
	if (lg_engine_start(a->engine, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_FAIL;
	}
	a->last_peek_ns = lg_engine_start_ns(a->engine);
	event_base_dispatch(a->base);
	return -1;
}

/* The summary: on the terminal, as the last --json line, and as the
 * --summary document. */
static int report(struct app *a, const struct lg_config *lc)
{
	char err[CT_ERRLEN];
	struct lg_result load, canary;
	lg_engine_join(a->engine, &load, &canary);
	collect_intervals(a, true);
	/* rates are over the sending time, not the wait for the last answers */
	double secs = (double)(ct_now_ns() - lg_engine_start_ns(a->engine)) / 1e9;
	if (secs > (double)lc->duration_ns / 1e9)
		secs = (double)lc->duration_ns / 1e9;
	if (a->tty)
		fputs("\r\033[K", stderr);
	struct lg_report rep = { .load = &load, .canary = lc->canary_rate > 0 ? &canary : NULL,
				 .cfg = lc, .duration_s = secs, .interrupted = a->interrupted,
				 .started_unix_ms = (ct_wall_ns() - (ct_now_ns() - lg_engine_start_ns(a->engine))) / CT_NS_PER_MS };
	if (!a->cfg.quiet)
		lg_print_summary(stdout, &rep);
	if (a->json) {
		json_t *j = lg_summary_json(&rep, false);
		fputs("{\"type\":\"summary\",\"summary\":", a->json);
		json_dumpf(j, a->json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputs("}\n", a->json);
		json_decref(j);
	}
	if (a->cfg.summary) {
		json_t *j = lg_summary_json(&rep, true);
		int rc = ct_json_write_atomic(a->cfg.summary, j, err, sizeof err);
		json_decref(j);
		if (rc < 0) {
			ct_log_error("%s", err);
			lg_result_free(&load);
			return CT_EXIT_FAIL;
		}
	}
	lg_result_free(&load);
	return CT_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	struct ct_queryset qs = { 0 };
	struct lg_config lc = { 0 };
	char err[CT_ERRLEN];
	const char *key;
	int rc = CT_EXIT_USAGE;
	if (!ct_opt_main(lg_cli_options, &a.cfg, argc, argv, "ctstorm-loadgen", lg_cli_synopsis, lg_cli_about, &rc))
		goto out;
	if (lg_cli_check(&a.cfg, &key, err, sizeof err) < 0) {
		rc = ct_usage_error(err);
		goto out;
	}
	/* bad data (the server's name, the query file) is no usage error: no hint */
	if (build_config(&a, &qs, &lc, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		goto out;
	}
	if ((rc = open_outputs(&a, &lc)) >= 0 || (rc = run_load(&a, &lc)) >= 0)
		goto out;
	rc = report(&a, &lc);
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
