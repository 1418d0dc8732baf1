/* ctstorm-responder: a minimal, fast authoritative DNS server (UDP + TCP). */
#include "atomicfile.h"
#include "clock.h"
#include "ct_err.h"
#include "db.h"
#include "handler.h"
#include "log.h"
#include "opt.h"
#include "server.h"
#include "stats.h"
#include "zone.h"

#include <errno.h>
#include <event2/event.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "responder_cli.h"

struct app {
	struct responder_cli cfg;
	struct ct_listen *listens;
	struct ct_zone *zones;
	struct ct_db *db;
	struct ct_server *srv;
	struct event_base *base;
	struct event *sigs[3], *status;
	bool tty;
	uint64_t last_queries;
	uint64_t last_ns;
};

static void write_stats(struct app *a, bool final)
{
	struct ct_stats_snapshot s;
	char err[CT_ERRLEN];
	ct_server_snapshot(a->srv, &s);
	if (a->cfg.stats_json) {
		json_t *j = ct_stats_json(&s);
		if (!j || ct_json_write_atomic(a->cfg.stats_json, j, err, sizeof err) < 0)
			ct_log_error("%s", j ? err : "cannot build the stats JSON");
		json_decref(j);
	}
	if ((final && !a->cfg.quiet) || (!final && !a->cfg.stats_json)) {
		if (a->tty)
			fputs("\r\033[K", stderr);
		ct_stats_print(stderr, &s);
	}
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct app *a = arg;
	(void)what;
	if (sig == SIGUSR1)
		write_stats(a, false);
	else
		event_base_loopbreak(a->base);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	struct ct_stats_snapshot s;
	(void)fd;
	(void)what;
	ct_server_snapshot(a->srv, &s);
	uint64_t now = ct_now_ns(), q = ct_stats_queries(&s);
	double dt = (double)(now - a->last_ns) / 1e9;
	fprintf(stderr, "\r\033[K%.0f qps  queries %llu  NOERROR %llu  NXDOMAIN %llu  tcp open %llu  dropped %llu",
		dt > 0 ? (double)(q - a->last_queries) / dt : 0.0, (unsigned long long)q,
		(unsigned long long)s.c[CT_C_RCODE_NOERROR], (unsigned long long)s.c[CT_C_RCODE_NXDOMAIN],
		(unsigned long long)s.tcp_active, (unsigned long long)s.c[CT_C_MODE_DROPPED]);
	a->last_queries = q;
	a->last_ns = now;
}

static int drop_privileges(const char *user, char *err, size_t errlen)
{
	if (geteuid() != 0 || strcmp(user, "root") == 0)
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return ct_err(err, errlen, "--user: no such user '%s'", user);
	/* the kernel clears the parent-death signal on a change of
	 * credentials: keep the one our parent (ctstorm run) asked for */
	int deathsig = 0;
	prctl(PR_GET_PDEATHSIG, &deathsig);
	pid_t parent = getppid();
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return ct_err(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
	if (deathsig) {
		prctl(PR_SET_PDEATHSIG, deathsig);
		if (getppid() != parent) /* it died in between */
			raise(deathsig);
	}
	return 0;
}

/* The listeners and the zones, compiled into the answer database: bad
 * input (exit 2) never gets as far as a socket. Returns the exit status
 * to stop with, or -1 to go on. */
static int load_input(struct app *a)
{
	char err[CT_ERRLEN];
	if (a->cfg.listen.n == 0 || a->cfg.zone.n == 0)
		return ct_usage_error(a->cfg.listen.n == 0 ? "--listen is required" : "--zone is required");
	a->listens = calloc(a->cfg.listen.n, sizeof *a->listens);
	a->zones = calloc(a->cfg.zone.n, sizeof *a->zones);
	if (!a->listens || !a->zones) {
		ct_log_error("out of memory");
		return CT_EXIT_FAIL;
	}
	for (size_t i = 0; i < a->cfg.listen.n; i++) {
		if (ct_listen_parse(a->cfg.listen.v[i], &a->listens[i], err, sizeof err) < 0) {
			char msg[CT_ERRLEN + 16];
			snprintf(msg, sizeof msg, "--listen: %s", err);
			return ct_usage_error(msg);
		}
		if (!a->listens[i].has_mode)
			a->listens[i].mode = a->cfg.mode;
	}
	/* data errors name the file and line; they are no usage error */
	for (size_t i = 0; i < a->cfg.zone.n; i++)
		if (ct_zone_load(a->cfg.zone.v[i], &a->zones[i], err, sizeof err) < 0) {
			ct_log_error("%s", err);
			return CT_EXIT_USAGE;
		}
	if (ct_db_build(&a->db, a->zones, a->cfg.zone.n, &a->cfg.synthesize, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_USAGE;
	}
	if (a->cfg.stats_json && ct_dir_writable(a->cfg.stats_json, err, sizeof err) < 0) {
		ct_log_error("--stats-json: %s", err);
		return CT_EXIT_USAGE;
	}
	return -1;
}

/* Binds, drops root, and serves until SIGINT or SIGTERM. */
static int serve(struct app *a)
{
	char err[CT_ERRLEN];
	struct ct_handler_cfg hcfg = { .db = a->db, .edns_udp_max = (uint16_t)a->cfg.edns_size };
	struct ct_server_cfg scfg = {
		.handler = &hcfg, .listens = a->listens, .nlistens = a->cfg.listen.n,
		.workers = (unsigned)a->cfg.workers, .tcp_idle_ns = a->cfg.tcp_idle,
		.tcp_max_conns = (unsigned)a->cfg.tcp_max_conns, .delay_queue = (unsigned)a->cfg.delay_queue,
	};
	if (ct_server_open(&a->srv, &scfg, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_FAIL;
	}
	if (drop_privileges(a->cfg.user, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return errno ? CT_EXIT_FAIL : CT_EXIT_USAGE;
	}
	if (a->cfg.stats_json && ct_dir_writable(a->cfg.stats_json, err, sizeof err) < 0) {
		ct_log_error("--stats-json: %s (as user '%s'; pass --user root or choose another place)", err,
			     a->cfg.user);
		return CT_EXIT_USAGE;
	}
	a->base = event_base_new();
	a->tty = isatty(STDERR_FILENO) && !a->cfg.quiet;
	const int signals[3] = { SIGINT, SIGTERM, SIGUSR1 };
	for (int i = 0; i < 3; i++) {
		a->sigs[i] = a->base ? evsignal_new(a->base, signals[i], signal_cb, a) : NULL;
		if (!a->sigs[i] || evsignal_add(a->sigs[i], NULL) < 0) {
			ct_log_error("cannot install signal handlers");
			return CT_EXIT_FAIL;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (ct_server_start(a->srv, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_FAIL;
	}
	if (!a->cfg.quiet) {
		char mode[32];
		for (size_t i = 0; i < a->cfg.listen.n; i++)
			ct_log_info("listening on %s udp+tcp, mode %s", a->listens[i].text,
				    ct_mode_str(&a->listens[i].mode, mode, sizeof mode));
		ct_log_info("serving %zu zone(s), %zu names, %zu precomputed answers, %u worker(s)", a->cfg.zone.n,
			    ct_db_names(a->db), ct_db_answers(a->db), scfg.workers);
	}
	if (a->tty) {
		struct timeval one = { 1, 0 };
		a->status = event_new(a->base, -1, EV_PERSIST, status_cb, a);
		a->last_ns = ct_now_ns();
		if (a->status)
			event_add(a->status, &one);
	}
	event_base_dispatch(a->base);
	ct_server_stop(a->srv);
	write_stats(a, true);
	return CT_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	int rc = CT_EXIT_USAGE;
	if (ct_opt_main(responder_cli_options, &a.cfg, argc, argv, "ctstorm-responder", responder_cli_synopsis,
			responder_cli_about, &rc)) {
		rc = load_input(&a);
		if (rc < 0)
			rc = serve(&a);
	}
	if (a.status)
		event_free(a.status);
	for (int i = 0; i < 3; i++)
		if (a.sigs[i])
			event_free(a.sigs[i]);
	if (a.base)
		event_base_free(a.base);
	ct_server_free(a.srv);
	ct_db_free(a.db);
	for (size_t i = 0; a.zones && i < a.cfg.zone.n; i++)
		ct_zone_free(&a.zones[i]);
	free(a.zones);
	free(a.listens);
	ct_opt_free(responder_cli_options, &a.cfg);
	return rc;
}
