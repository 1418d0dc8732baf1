#include "runner.h"

#include "atomicfile.h"
#include "clock.h"
#include "ct_err.h"
#include "ct_report.h"
#include "host.h"
#include "junit.h"
#include "proc.h"
#include "rf_names.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef CT_BIN_TO_DATA
#define CT_BIN_TO_DATA "../share/ctstorm/scenarios"
#endif

const char *run_data_dir(void)
{
	static char dir[PATH_MAX];
	const char *d = getenv("CTSTORM_DATA_DIR");
	if (d && *d)
		return d;
	if (*dir)
		return dir;
	/* beside our own binary: BINDIR/../share/ctstorm/scenarios installed,
	 * and the build tree mirrors it (a link to the source's catalogue) */
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof "/" CT_BIN_TO_DATA);
	path[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(path, '/');
	memcpy(slash ? slash : path, "/" CT_BIN_TO_DATA, sizeof "/" CT_BIN_TO_DATA);
	if (!realpath(path, dir))
		memcpy(dir, path, sizeof dir);
	return dir;
}

/* ---- signals: one signalfd; a second signal hurries the teardown ---- */

static int sigfd = -1;
volatile int run_stop_signal;
int run_stop_count;

static void signals_setup(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
}

static void signals_read(void)
{
	struct signalfd_siginfo si;
	while (sigfd >= 0 && read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (!run_stop_signal)
			run_stop_signal = (int)si.ssi_signo;
		run_stop_count++;
	}
}

/* A second signal: stop waiting for children to finish writing. */
static bool hurry(void)
{
	signals_read();
	return run_stop_count > 1;
}

/* The session's site, whose leases the tick renews. */
static struct site *tick_site;

/* Sleeps up to ms, waking early for a signal (a child's exit included);
 * the real hosts' leases renewed. */
void run_tick(int ms)
{
	if (tick_site && tick_site->ops->keepalive)
		tick_site->ops->keepalive(tick_site);
	struct pollfd p = { .fd = sigfd, .events = POLLIN };
	if (ms > 0)
		poll(&p, 1, ms);
	signals_read();
}

uint64_t run_now_ms(void)
{
	return ct_now_ns() / CT_NS_PER_MS;
}

/* ---- small helpers ---- */

static void utc_stamp(char *buf, size_t len, bool compact)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int mkdirs(const char *path)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static char *command_output(char *const argv[])
{
	char *out = NULL, err[CT_ERRLEN];
	if (pr_cmd(-1, argv, NULL, &out, 5000, err, sizeof err) < 0 || !out) {
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static json_t *host_state(void)
{
	static const char *const keys[] = { "nf_conntrack_max", "nf_conntrack_buckets", "nf_conntrack_count" };
	json_t *o = json_object();
	for (size_t i = 0; i < 3; i++) {
		char path[128], v[64];
		snprintf(path, sizeof path, "/proc/sys/net/netfilter/%s", keys[i]);
		if (host_read_sysctl(-1, path, v, sizeof v) == 0)
			json_object_set_new(o, keys[i], json_integer(strtoll(v, NULL, 10)));
		else
			json_object_set_new(o, keys[i], json_null());
	}
	return o;
}

static void manifest_write(struct run_session *c)
{
	char path[1100], err[CT_ERRLEN];
	snprintf(path, sizeof path, "%s/" RF_MANIFEST, c->dir);
	if (ct_json_write_atomic(path, c->manifest, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
}

static void manifest_start(struct run_session *c)
{
	struct utsname u;
	uname(&u);
	char stamp[32];
	utc_stamp(stamp, sizeof stamp, false);
	json_t *cmdline = json_array();
	for (int i = 0; i < c->o->argc; i++)
		json_array_append_new(cmdline, json_string(c->o->argv[i]));
	char *ipt_argv[] = { "iptables", "--version", NULL }, *nft_argv[] = { "nft", "--version", NULL };
	char *ipt = command_output(ipt_argv), *nft = command_output(nft_argv);
	c->manifest = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:b, s:s, s:n, s:{s:s, s:s, s:s}, s:{s:s, s:s?, s:s?},"
				" s:{s:o}, s:[]}",
				"status", "running", "run_id", c->id, "scenario", "name", "", "file", c->f->path, "text",
				c->f->text, "command", cmdline, "quick", c->o->quick, "started", stamp, "ended", "kernel",
				"sysname", u.sysname, "release", u.release, "version", u.version, "tools", "ctstorm",
				CT_VERSION, "iptables", ipt, "nft", nft, "host", "before", host_state(), "variants");
	free(ipt);
	free(nft);
	/* the scenario's name as resolved without variants */
	struct sc_resolved r;
	sc_resolve(c->f, (size_t)-1, c->o->quick, &r);
	json_object_set_new(json_object_get(c->manifest, "scenario"), "name",
			    json_string(sc_value(&r, "scenario", "name", "scenario")));
	json_object_set_new(c->manifest, "hostname", json_string(u.nodename));
	json_object_set_new(json_object_get(c->manifest, "scenario"), "description",
			    json_string(sc_value(&r, "scenario", "description", "")));
	const char *seed = sc_value(&r, "scenario", "seed", NULL);
	if (seed)
		json_object_set_new(json_object_get(c->manifest, "scenario"), "seed", json_string(seed));
	sc_resolved_free(&r);
	manifest_write(c);
}

/* ---- the comparison table ---- */


/* The expectations that failed, with what was measured, under the table. */
static void print_failures(struct run_session *c, FILE *out)
{
	for (size_t i = 0; i < c->nres; i++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/%s/" RF_VERDICT, c->dir, c->res[i].name);
		json_t *vj = json_load_file(path, 0, NULL);
		size_t k;
		json_t *x;
		json_array_foreach(json_object_get(vj, "expectations"), k, x) {
			if (json_is_false(json_object_get(x, "pass"))) {
				json_t *mv = json_object_get(x, "measured");
				fprintf(out, "  %s: expected %s, measured %s%g (%s:%d)\n", c->res[i].name,
					json_string_value(json_object_get(x, "expect")), json_is_null(mv) ? "nothing" : "",
					json_is_null(mv) ? 0.0 : json_number_value(mv), c->f->path,
					(int)json_integer_value(json_object_get(x, "line")));
			}
		}
		json_decref(vj);
	}
}

struct run_session *run_open(const struct sc_file *f, const struct run_opts *o, size_t total, int *rc)
{
	struct run_session *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->f = f;
	c->o = o;
	c->total = total;
	char err[CT_ERRLEN];
	host_init();
	signals_setup();
	pr_set_hurry(hurry);
	c->tty = isatty(STDERR_FILENO) && !o->quiet;
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
		rnd = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	snprintf(c->id, sizeof c->id, "%06x", rnd & 0xffffff);

	struct sc_resolved r0;
	sc_resolve(f, (size_t)-1, o->quick, &r0);
	/* a real host first: one that cannot be used is refused before
	 * anything changes, here or there */
	err[0] = '\0';
	const char *server = sc_value(&r0, "hosts", "server", ""), *router = sc_value(&r0, "hosts", "router", "");
	c->site = *server || *router ? site_hosts_open(c, &r0, err, sizeof err) : site_lab_new();
	if (!c->site) {
		fprintf(stderr, "ctstorm: error: %s\nctstorm: nothing was changed on any host\n", err);
		sc_resolved_free(&r0);
		free(c);
		*rc = CT_EXIT_USAGE;
		return NULL;
	}
	char stamp[32];
	utc_stamp(stamp, sizeof stamp, true);
	const char *out = o->out_dir ? o->out_dir : "results";
	snprintf(c->dir, sizeof c->dir, "%s/%s%s-%s", out, sc_value(&r0, "scenario", "name", "scenario"),
		 o->probe ? "-probe" : "", stamp);
	sc_resolved_free(&r0);
	for (int k = 2; access(c->dir, F_OK) == 0 && k < 100; k++) {
		size_t len = strlen(c->dir);
		if (k > 2)
			c->dir[strrchr(c->dir, '-') - c->dir] = '\0', len = strlen(c->dir);
		snprintf(c->dir + len, sizeof c->dir - len, "-%d", k);
	}
	/* the host first: a run refused for the lock leaves no folder */
	if (jr_open(&c->j, o->wait, c->dir, err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: %s\n", err);
		c->site->ops->close(c->site, "");
		free(c);
		*rc = CT_EXIT_FAIL;
		return NULL;
	}
	if (mkdirs(c->dir) < 0) {
		fprintf(stderr, "ctstorm: error: cannot create %s: %s\n", c->dir, strerror(errno));
		jr_close(&c->j);
		c->site->ops->close(c->site, "");
		free(c);
		*rc = CT_EXIT_USAGE;
		return NULL;
	}
	char path[1200];
	snprintf(path, sizeof path, "%s/" RF_COMMANDS_LOG, c->dir);
	c->cmdlog = fopen(path, "w");
	if (c->cmdlog)
		setvbuf(c->cmdlog, NULL, _IOLBF, 0);
	c->j.log = c->cmdlog;
	manifest_start(c);
	/* the control connections are up before any load, and their flows
	 * exempt from conntrack where ctstorm owns the rules */
	if (c->site->real)
		run_manifest_set(c, "hosts", site_hosts_json(c->site));
	tick_site = c->site;
	c->res = calloc(total ? total : 1, sizeof *c->res);
	if (!c->res)
		abort();
	*rc = CT_EXIT_OK;
	return c;
}

int run_host_sysctl(struct run_session *c, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	struct node *n = c->site->host;
	if (!n)
		return ct_err(err, errlen, "%s: no real host in this run", key);
	return n->ops->sysctl_get(n, key, buf, len, err, errlen);
}

bool run_stopped(const struct run_session *c)
{
	(void)c;
	return run_stop_signal != 0;
}

const char *run_dir(const struct run_session *c)
{
	return c->dir;
}

void run_manifest_set(struct run_session *c, const char *key, json_t *value)
{
	json_object_set_new(c->manifest, key, value);
	manifest_write(c);
}

json_t *run_step(struct run_session *c, size_t vi, const char *label, const char **status)
{
	if (c->nres == c->total) {
		c->total++;
		c->res = realloc(c->res, c->total * sizeof *c->res);
		if (!c->res)
			abort();
		memset(&c->res[c->nres], 0, sizeof *c->res);
	}
	struct vresult *v = &c->res[c->nres];
	run_variant(c, vi, c->nres, label, v);
	c->nres++;
	json_t *vs = json_object_get(c->manifest, "variants");
	json_array_append_new(vs, json_pack("{s:s, s:s, s:s, s:f}", "name", v->name, "dir", v->name, "status", v->status,
					    "wall_s", v->wall_s));
	manifest_write(c);
	*status = v->status;
	return v->metrics;
}

int run_close(struct run_session *c, int rc)
{
	char err[CT_ERRLEN], stamp[32];
	bool broke = c->site->ops->broken(c->site) != NULL;
	tick_site = NULL;
	c->site->ops->close(c->site, c->dir);
	size_t failed = jr_close(&c->j);
	json_object_set_new(c->manifest, "host", json_pack("{s:O, s:o}", "before",
							   json_object_get(json_object_get(c->manifest, "host"), "before"),
							   "after", host_state()));
	utc_stamp(stamp, sizeof stamp, false);
	json_object_set_new(c->manifest, "ended", json_string(stamp));
	const char *status = run_stop_signal ? "interrupted" : failed || broke ? "failed" : "complete";
	json_object_set_new(c->manifest, "status", json_string(status));
	if (run_stop_signal)
		json_object_set_new(c->manifest, "interrupted_by", json_string(strsignal(run_stop_signal)));
	if (failed)
		json_object_set_new(c->manifest, "undo_failures", json_integer((json_int_t)failed));
	manifest_write(c);
	if (c->nres) {
		/* the report of this run: its table here, report.html beside the results */
		/* with a baseline, the report sets this run against it */
		const char *runs[] = { c->o->baseline ? c->o->baseline : c->dir, c->dir };
		struct ct_report_opts ro = { .runs = c->o->baseline ? runs : runs + 1, .nruns = c->o->baseline ? 2 : 1,
					     .out = c->dir, .table_out = stdout };
		fputc('\n', stdout);
		if (ct_report(&ro, err, sizeof err) < 0)
			fprintf(stderr, "ctstorm: the report failed: %s\n", err);
		print_failures(c, stdout);
		printf("\nReport: %s/report.html\n", c->dir);
		if (c->o->baseline && !run_stop_signal) {
			printf("\nAgainst the baseline %s (tolerance %.0f%%):\n", c->o->baseline, c->o->tolerance * 100);
			int n = ct_report_regressions(c->o->baseline, c->dir, c->o->tolerance, stdout, err, sizeof err);
			if (n < 0)
				fprintf(stderr, "ctstorm: --baseline: %s\n", err);
			else if (n == 0)
				printf("  no regression\n");
			if (n != 0)
				rc = CT_EXIT_FAIL;
		}
	}
	/* also when nothing ran to its end: a CI job then finds its file, with
	 * the variants it has as errors or skipped, not a missing file */
	if (c->o->junit && junit_write(c->dir, c->o->junit, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: --junit: %s\n", err);
	if (run_stop_signal) {
		fprintf(stdout, "\nInterrupted by %s after %zu variants; what was measured is kept.\n", strsignal(run_stop_signal),
			c->nres);
		rc = 128 + run_stop_signal;
	}
	if (failed)
		rc = CT_EXIT_FAIL;
	fprintf(stdout, "\nResults: %s\n", c->dir);
	fflush(stdout);
	for (size_t i = 0; i < c->nres; i++)
		json_decref(c->res[i].metrics);
	free(c->res);
	json_decref(c->manifest);
	if (c->cmdlog)
		fclose(c->cmdlog);
	free(c);
	return rc;
}

int run_scenario(const struct sc_file *f, const size_t *variants, size_t n, const struct run_opts *o)
{
	int rc;
	struct run_session *c = run_open(f, o, n, &rc);
	if (!c)
		return rc;
	for (size_t i = 0; i < n && !run_stop_signal; i++) {
		const char *status;
		run_step(c, variants[i], NULL, &status);
		if (strcmp(status, "pass") != 0)
			rc = CT_EXIT_FAIL;
	}
	return run_close(c, rc);
}
