#include "run.h"

#include "atomicfile.h"
#include "clock.h"
#include "config.h"
#include "ct_err.h"
#include "ct_report.h"
#include "host.h"
#include "journal.h"
#include "netaddr.h"
#include "schedule.h"
#include "lg_cli.h"
#include "metrics.h"
#include "opt.h"
#include "proc.h"
#include "progress.h"
#include "responder_cli.h"
#include "responders.h"
#include "sampler_cli.h"
#include "junit.h"
#include "nodeclient.h"
#include "sshhost.h"
#include "merge.h"
#include "verdict.h"
#include "zone.h"

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
static int stop_signal;
static int stop_count;

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
		if (!stop_signal)
			stop_signal = (int)si.ssi_signo;
		stop_count++;
	}
}

/* A second signal: stop waiting for children to finish writing. */
static bool hurry(void)
{
	signals_read();
	return stop_count > 1;
}

/* Sleeps up to ms, waking early for a signal (a child's exit included). */
static void tick(int ms)
{
	struct pollfd p = { .fd = sigfd, .events = POLLIN };
	if (ms > 0)
		poll(&p, 1, ms);
	signals_read();
}

static uint64_t now_ms(void)
{
	return ct_now_ns() / CT_NS_PER_MS;
}

/* ---- small helpers ---- */

struct argvb {
	char **v;
	size_t n, cap;
};

static void av_add(struct argvb *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void av_add(struct argvb *a, const char *fmt, ...)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = realloc(a->v, a->cap * sizeof *a->v);
		if (!a->v)
			abort();
	}
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&a->v[a->n++], fmt, ap) < 0)
		abort();
	va_end(ap);
	a->v[a->n] = NULL;
}

static void av_free(struct argvb *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* A section's keys that are options of the binary (table) as --key=value;
 * flags as --key when yes; a file named in the scenario (path_key)
 * relative to the scenario's folder. */
static void av_section(struct argvb *a, const struct sc_resolved *r, const char *section, const struct ct_opt *table,
		       const char *path_key)
{
	for (size_t i = 0; i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (strcmp(s->section, section) != 0 || !*s->value)
			continue; /* an empty override unsets the key */
		const struct ct_opt *o = NULL;
		for (const struct ct_opt *t = table; t->name && !o; t++)
			if (strcmp(t->name, s->key) == 0)
				o = t;
		if (!o) /* not the binary's: a node key of [server] */
			continue;
		bool on;
		if (o->type == CT_OPT_FLAG) {
			if (ct_parse_bool(s->value, &on) == 0 && on)
				av_add(a, "--%s", s->key);
		} else if (path_key && strcmp(s->key, path_key) == 0) {
			char *path = sc_path(r->file, s->value);
			av_add(a, "--%s=%s", s->key, path);
			free(path);
		} else {
			av_add(a, "--%s=%s", s->key, s->value);
		}
	}
}

/* A sampler is ready once its CSV holds a sample (after a --fill): a
 * header line and one more. */
static bool has_sample(const void *csv)
{
	return pr_has_sample(csv);
}

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

/* ---- the run ---- */

struct vresult {
	char name[64];
	char status[16];   /* pass, fail, error, interrupted, skipped */
	char error[1400];
	json_t *metrics;   /* loadgen, canary, sampler, responder */
	double wall_s;
};

/* The server as a real host: its control connection and agent, opened
 * before anything changes and kept for the whole run. */
struct remote {
	const char *role;  /* "server", "client-1", ... */
	unsigned weight;   /* a load host's share */
	int64_t offset_ns; /* a load host's clock less ours, at the smallest round trip */
	int64_t rtt_ns;
	char src[64];      /* a load host's own address (its side of the control connection) */
	struct ssh_host h;
	struct node_client nc;
	char address[64];  /* where the load goes */
	uint64_t checked_ms; /* when the host's programs were last seen alive */
	char agent_log[160];
	json_t *hello;
};

struct run_session {
	/* the real host under test, its table sampled: the server of a pair,
	 * the router of a routed scenario; NULL: the lab's namespaces */
	struct remote *remote;
	/* where the responder runs: remote itself in a pair; the server
	 * behind a real router; NULL there with responder = external */
	struct remote *server;
	struct remote *clients[SC_MAX_LOAD_HOSTS]; /* the load hosts ([hosts] client); none: local */
	size_t nclients;
	const struct sc_file *f;
	const struct run_opts *o;
	struct journal j;
	char id[16];
	char dir[1024];
	FILE *cmdlog;
	bool tty;
	json_t *manifest;
	struct vresult *res;
	size_t nres;
	size_t total;
	char binaries[3][512];
};

static const char *bin_responder(struct run_session *c)
{
	return pr_find_binary("ctstorm-responder", "responder", c->binaries[0], sizeof c->binaries[0]);
}
static const char *bin_sampler(struct run_session *c)
{
	return pr_find_binary("ctstorm-sampler", "analysis", c->binaries[1], sizeof c->binaries[1]);
}
static const char *bin_loadgen(struct run_session *c)
{
	return pr_find_binary("ctstorm-loadgen", "loadgen", c->binaries[2], sizeof c->binaries[2]);
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
	snprintf(path, sizeof path, "%s/manifest.json", c->dir);
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

/* ---- metrics and verdicts ---- */

/* What the variant changes against the scenario, as written:
 * ["server.firewall = notrack-dns", ...]. */
static json_t *variant_overrides(const struct sc_resolved *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->file->nvar; i++) {
		const struct sc_variant *v = &r->file->var[i];
		if (strcmp(v->name, r->name) != 0)
			continue;
		for (size_t k = 0; k < v->nset; k++)
			json_array_append_new(a, json_sprintf("%s.%s = %s", v->set[k].section, v->set[k].key,
							      v->set[k].value));
	}
	return a;
}

static void write_verdict(const struct sc_resolved *r, const char *vdir, struct vresult *v)
{
	bool all, judged = strcmp(v->status, "measured") == 0;
	json_t *exps = vd_judge(r, v->metrics, judged, &all);
	if (judged)
		snprintf(v->status, sizeof v->status, "%s", all ? "pass" : "fail");
	json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:o}", "variant", v->name, "description", r->description, "status",
			      v->status, "wall_s", v->wall_s, "expectations", exps);
	if (*v->error)
		json_object_set_new(o, "error", json_string(v->error));
	json_object_set_new(o, "shows", json_string(sc_shows_words[r->shows]));
	json_object_set_new(o, "overrides", variant_overrides(r));
	json_object_set(o, "metrics", v->metrics ? v->metrics : json_null());
	char path[1200], err[CT_ERRLEN];
	snprintf(path, sizeof path, "%s/verdict.json", vdir);
	if (ct_json_write_atomic(path, o, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
	json_decref(o);
}

/* ---- one variant ---- */

struct listening {
	pid_t pid;
	bool ipv6;
};

static bool port53_ready(const void *arg)
{
	const struct listening *l = arg;
	return pr_listening53(l->pid, l->ipv6);
}

/* Waits until ready(arg) while the child lives; a failure names the child
 * and its log. */
static int wait_ready(struct run_session *c, struct pr_child *k, bool (*ready)(const void *), const void *arg, uint64_t ms,
		      const char *what, char *err, size_t errlen)
{
	for (uint64_t deadline = now_ms() + ms;;) {
		if (ready(arg))
			return 0;
		char why[128];
		if (pr_exited(k, &c->j))
			return ct_err(err, errlen, "the %s %s before %s: see %s.log", k->name,
				      pr_describe(k, why, sizeof why), what, k->name);
		if (stop_signal)
			return ct_err(err, errlen, "interrupted");
		if (now_ms() > deadline)
			return ct_err(err, errlen, "the %s was not %s after %.0f s: see %s.log", k->name, what,
				      (double)ms / 1e3, k->name);
		tick(20);
	}
}

struct lab {
	struct host h;
	bool built;
	struct pr_child resp, samp, load;
	char zone[256]; /* the served zone's apex: what the load asks when the scenario names no query */
};

/* Starts a long-lived child in node's namespace (-1: the host's), its
 * command line in commands.log beside the short commands'. */
static int spawn(struct run_session *c, struct lab *L, struct pr_child *k, const char *name, int node, char *argv[],
		 const char *out, const char *errlog, char *err, size_t errlen)
{
	if (c->cmdlog) {
		fprintf(c->cmdlog, "[%s]", node < 0 ? "host" : L->h.ns[node]);
		for (char **v = argv; *v; v++)
			fprintf(c->cmdlog, " %s", *v);
		fputc('\n', c->cmdlog);
	}
	return pr_spawn(k, name, node < 0 ? -1 : L->h.fd[node], argv, out, errlog, &c->j, err, errlen);
}

/* A variant as it runs: its settings resolved, and typed once by the
 * tables that checked them. */
struct variant {
	struct sc_resolved r;
	struct sc_scenario_cfg sc;
	struct sc_node_cfg server;
	struct sc_canary_cfg canary;
	struct lg_cli lg;
	struct sampler_cli sm;
	const char *name;
	char vdir[1100];
	uint64_t load_ms;
};

static void variant_open(struct run_session *c, size_t vi, const char *label, struct variant *V)
{
	memset(V, 0, sizeof *V);
	sc_resolve(c->f, vi, c->o->quick, &V->r);
	sc_section(&V->r, "scenario", sc_scenario_options, &V->sc, sizeof V->sc);
	sc_section(&V->r, "server", sc_server_options, &V->server, sizeof V->server);
	sc_section(&V->r, "canary", sc_canary_options, &V->canary, sizeof V->canary);
	sc_section(&V->r, "load", lg_cli_options, &V->lg, sizeof V->lg);
	sc_section(&V->r, "sampler", sampler_cli_options, &V->sm, sizeof V->sm);
	V->name = label ? label : V->r.name;
	snprintf(V->vdir, sizeof V->vdir, "%s/%s", c->dir, V->name);
	V->load_ms = lg_cli_duration_ns(&V->lg) / CT_NS_PER_MS;
}

static void variant_close(struct variant *V)
{
	ct_opt_free(lg_cli_options, &V->lg);
	ct_opt_free(sampler_cli_options, &V->sm);
	sc_resolved_free(&V->r);
}

/* The zone to serve and its apex: the scenario's, or example.test. */
static char *zone_file(struct run_session *c, const struct variant *V, struct lab *L, char *err, size_t errlen)
{
	char *zone;
	if (V->server.zone)
		zone = sc_path(c->f, V->server.zone);
	else if (asprintf(&zone, "%s/zones/example.test.zone", run_data_dir()) < 0)
		abort();
	struct ct_zone z;
	if (ct_zone_load(zone, &z, err, errlen) < 0) {
		free(zone);
		return NULL;
	}
	ct_zone_name(&z, L->zone, sizeof L->zone);
	ct_zone_free(&z);
	return zone;
}

/* An external responder's argv: its configuration written into the
 * variant's folder. */
static int ext_argv(const struct ext_responder *x, const struct variant *V, struct lab *L, const char *zone,
		    struct argvb *a, char *err, size_t errlen)
{
	char dir[1200], conf[1300], apex[256];
	snprintf(dir, sizeof dir, "%s/%s", V->vdir, x->name);
	mkdir(dir, 0755);
	snprintf(apex, sizeof apex, "%s", L->zone);
	size_t n = strlen(apex);
	if (n > 1 && apex[n - 1] == '.')
		apex[n - 1] = '\0';
	snprintf(conf, sizeof conf, "%s/%s.conf", dir, x->name);
	FILE *f = fopen(conf, "w");
	if (!f)
		return ct_err(err, errlen, "%s: %s", conf, strerror(errno));
	x->write_conf(f, L->h.listen, dir, apex, zone);
	if (fclose(f) != 0)
		return ct_err(err, errlen, "%s: %s", conf, strerror(errno));
	for (const char *const *w = x->argv; *w; w++)
		av_add(a, "%s", strcmp(*w, "%c") == 0 ? conf : *w);
	return 0;
}

static int start_responder(struct run_session *c, const struct variant *V, struct lab *L, char *err, size_t errlen)
{
	char *zone = zone_file(c, V, L, err, errlen);
	if (!zone)
		return -1;
	const struct ext_responder *x = ext_responder_find(sc_value(&V->r, "server", "responder", "ctstorm"));
	struct argvb a = { 0 };
	char log[1200];
	snprintf(log, sizeof log, "%s/responder.log", V->vdir);
	int rc = 0;
	if (x) {
		rc = ext_argv(x, V, L, zone, &a, err, errlen);
	} else {
		av_add(&a, "%s", bin_responder(c));
		for (int i = 0; i < 2; i++)
			if (*L->h.listen[i])
				av_add(&a, i ? "--listen=[%s]:53" : "--listen=%s:53", L->h.listen[i]);
		for (unsigned b = 1; b < L->h.backends; b++) {
			for (int v6 = 0; v6 <= (L->h.ipv6 ? 1 : 0); v6++) {
				char addr[64];
				host_backend(b, v6, addr, sizeof addr);
				av_add(&a, v6 ? "--listen=[%s]:53" : "--listen=%s:53", addr);
			}
		}
		av_add(&a, "--zone=%s", zone);
		/* root in the lab namespace: it writes its counters into the results */
		av_add(&a, "--user=root");
		av_add(&a, "--quiet");
		av_add(&a, "--stats-json=%s/responder.json", V->vdir);
		av_section(&a, &V->r, "server", responder_cli_options, NULL);
	}
	free(zone);
	if (rc == 0)
		rc = spawn(c, L, &L->resp, "responder", H_SERVER, a.v, log, log, err, errlen);
	av_free(&a);
	if (rc < 0)
		return -1;
	struct listening l = { L->resp.pid, L->h.ipv6 };
	return wait_ready(c, &L->resp, port53_ready, &l, 10000, "listening on port 53", err, errlen);
}

static int start_sampler(struct run_session *c, const struct variant *V, struct lab *L, char *err, size_t errlen)
{
	struct argvb a = { 0 };
	char log[1200], csv[1200];
	snprintf(log, sizeof log, "%s/sampler.log", V->vdir);
	snprintf(csv, sizeof csv, "%s/sampler.csv", V->vdir);
	av_add(&a, "%s", bin_sampler(c));
	av_add(&a, "--netns=/run/netns/%s", L->h.ns[L->h.test]);
	av_add(&a, "--csv=%s", csv);
	av_add(&a, "--summary=%s/sampler.json", V->vdir);
	av_add(&a, "--kmsg-log=%s/kmsg.log", V->vdir);
	av_add(&a, "--quiet");
	av_section(&a, &V->r, "sampler", sampler_cli_options, NULL);
	int rc = spawn(c, L, &L->samp, "sampler", -1, a.v, log, log, err, errlen);
	av_free(&a);
	if (rc < 0)
		return -1;
	/* ready once it has a sample (after a --fill, which takes a while) */
	return wait_ready(c, &L->samp, has_sample, csv, 10000 + V->sm.fill / 20, "sampling", err, errlen);
}

static int start_loadgen(struct run_session *c, const struct variant *V, struct lab *L, char *err, size_t errlen)
{
	struct argvb a = { 0 };
	char log[1200];
	snprintf(log, sizeof log, "%s/loadgen.log", V->vdir);
	av_add(&a, "%s", bin_loadgen(c));
	av_add(&a, "--server=%s", L->h.target);
	av_add(&a, "--port=53");
	av_add(&a, "--json=%s/loadgen.jsonl", V->vdir);
	av_add(&a, "--summary=%s/loadgen.json", V->vdir);
	av_add(&a, "--quiet");
	const char *rate = sc_value(&V->r, "canary", "rate", NULL);
	if (rate) {
		av_add(&a, "--canary=%s", rate);
		av_add(&a, "--canary-log=%s/canary.jsonl", V->vdir);
	}
	if (!V->lg.qname && !V->lg.datafile)
		av_add(&a, "--qname=%s", L->zone); /* its SOA's owner exists in any zone */
	if (!sc_get(&V->r, "load", "stats-interval"))
		av_add(&a, "--stats-interval=500ms");
	av_section(&a, &V->r, "load", lg_cli_options, "datafile");
	int rc = spawn(c, L, &L->load, "loadgen", H_CLIENT, a.v, NULL, log, err, errlen);
	av_free(&a);
	return rc;
}

static void stop_all(struct run_session *c, struct lab *L, bool hurry)
{
	/* in order: the load ends, the sampler writes its summary, the server its counters */
	pr_stop(&L->load, SIGINT, hurry ? 0 : 5000, &c->j);
	pr_stop(&L->samp, SIGINT, hurry ? 0 : 30000, &c->j);
	pr_stop(&L->resp, SIGTERM, hurry ? 0 : 5000, &c->j);
}

static bool remote_failed(struct run_session *c, struct vresult *v);

static bool child_failed(struct run_session *c, struct lab *L, struct vresult *v)
{
	if (c->remote)
		return remote_failed(c, v);
	struct pr_child *kids[] = { &L->resp, &L->samp };
	static const char *const logs[] = { "responder.log", "sampler.log" };
	for (int i = 0; i < 2; i++) {
		if (kids[i]->pid && pr_exited(kids[i], &c->j)) {
			char why[128];
			snprintf(v->error, sizeof v->error, "the %s %s during the load: see %s", kids[i]->name,
				 pr_describe(kids[i], why, sizeof why), logs[i]);
			return true;
		}
	}
	return false;
}

/* Waits ms while the servers live (false: one died, or a signal came). */
static bool wait_while_up(struct run_session *c, struct lab *L, struct vresult *v, uint64_t ms)
{
	for (uint64_t until = now_ms() + ms; now_ms() < until && !stop_signal;) {
		if ((L->samp.pid || c->remote) && child_failed(c, L, v))
			return false;
		tick((int)(until - now_ms() < 100 ? until - now_ms() : 100));
	}
	return !stop_signal;
}

/* Phase 1: the lab, its rules and sysctls, the servers; then the settle. */
static int lab_up(struct run_session *c, const struct variant *V, struct lab *L, const char *prefix,
		  struct vresult *v)
{
	char err[CT_ERRLEN] = "", path[1200];
	if (mkdir(V->vdir, 0755) < 0)
		return ct_err(v->error, sizeof v->error, "%s: %s", V->vdir, strerror(errno));
	if (c->cmdlog)
		fprintf(c->cmdlog, "# variant %s\n", V->name);
	L->built = true;
	if (host_build(&L->h, &V->r, prefix, &c->j, c->cmdlog, err, sizeof err) < 0 ||
	    host_configure(&L->h, &V->r, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "building the lab: %s", err);
	snprintf(path, sizeof path, "%s/ruleset.txt", V->vdir);
	if (host_save_ruleset(&L->h, path, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
	if (start_responder(c, V, L, err, sizeof err) < 0 || start_sampler(c, V, L, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	return wait_while_up(c, L, v, V->sc.settle / CT_NS_PER_MS) ? 0 : -1;
}

#define MARKER_FLOWS 20
#define PASS_WAIT_MS 130000

/* after-collector-pass: marker flows into the namespace under test, then
 * a wait until the collector has freed them (the table's count back where
 * it was): a pass over a table of expired entries schedules the next one
 * at the collector's longest interval, so the load that follows meets an
 * idle collector, as a burst after a quiet period does. */
static int wait_collector_pass(struct run_session *c, const struct variant *V, struct lab *L, size_t idx,
			       struct vresult *v)
{
	char err[CT_ERRLEN], before[32], now[32];
	const char *count = "/proc/sys/net/netfilter/nf_conntrack_count";
	int fd = L->h.fd[L->h.test];
	if (host_read_sysctl(fd, count, before, sizeof before) < 0)
		return ct_err(v->error, sizeof v->error, "the collector's pass: cannot read %s", count);
	struct argvb a = { 0 };
	av_add(&a, "%s", bin_loadgen(c));
	av_add(&a, "--server=%s", L->h.target);
	av_add(&a, "--qname=%s", L->zone);
	av_add(&a, "--sockets=per-query");
	av_add(&a, "--max-qps=1000");
	av_add(&a, "--max-queries=%d", MARKER_FLOWS);
	av_add(&a, "--limit=1s");
	av_add(&a, "--timeout=500ms");
	av_add(&a, "--quiet");
	if (c->cmdlog) {
		fprintf(c->cmdlog, "[%s] # %d marker flows for the collector's pass:", L->h.ns[H_CLIENT], MARKER_FLOWS);
		for (size_t i = 0; i < a.n; i++)
			fprintf(c->cmdlog, " %s", a.v[i]);
		fputc('\n', c->cmdlog);
	}
	char *out = NULL;
	int rc = pr_cmd(L->h.fd[H_CLIENT], a.v, NULL, &out, 10000, err, sizeof err);
	av_free(&a);
	free(out);
	if (rc != 0)
		return ct_err(v->error, sizeof v->error, "the collector's pass: the marker flows: %s",
			      rc < 0 ? err : "the loadgen failed");
	host_read_sysctl(fd, count, now, sizeof now);
	uint64_t base = strtoull(before, NULL, 10);
	if (strtoull(now, NULL, 10) <= base)
		return ct_err(v->error, sizeof v->error,
			      "the collector's pass: the marker flows made no conntrack entry in the %s's namespace "
			      "(its rules do not need conntrack): nothing to see the collector by",
			      host_node_names[L->h.test]);
	uint64_t started = now_ms();
	if (!c->tty)
		fprintf(stderr, "[%zu/%zu] %s: waiting for a pass of the kernel's conntrack collector (at most %d s)\n",
			idx + 1, c->total, V->name, PASS_WAIT_MS / 1000);
	while (!stop_signal) {
		if (child_failed(c, L, v))
			return -1;
		if (host_read_sysctl(fd, count, now, sizeof now) == 0 && strtoull(now, NULL, 10) <= base)
			break;
		if (now_ms() - started > PASS_WAIT_MS)
			return ct_err(v->error, sizeof v->error,
				      "the collector's pass: the marker entries still held after %d s (another table "
				      "on this host keeps the collector busy?)",
				      PASS_WAIT_MS / 1000);
		if (c->tty)
			fprintf(stderr, "\r\033[K[%zu/%zu] %s: waiting for a pass of the kernel's conntrack collector: %.0f s "
					"(at most %d)",
				idx + 1, c->total, V->name, (double)(now_ms() - started) / 1e3, PASS_WAIT_MS / 1000);
		tick(250);
	}
	if (c->cmdlog)
		fprintf(c->cmdlog, "[%s] # the collector freed the markers after %.1f s: the load starts\n",
			L->h.ns[L->h.test], (double)(now_ms() - started) / 1e3);
	return stop_signal ? -1 : 0;
}

/* Phase 2: the load, to its end (bounded: its length, its timeout and a
 * grace), with the live line. */
static int load_run(struct run_session *c, const struct variant *V, struct lab *L, size_t idx, struct vresult *v)
{
	char err[CT_ERRLEN];
	if (V->sc.after_pass && wait_collector_pass(c, V, L, idx, v) < 0)
		return -1;
	if (start_loadgen(c, V, L, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	struct progress prog = { 0 };
	snprintf(prog.vdir, sizeof prog.vdir, "%s", V->vdir);
	double total = (double)V->load_ms / 1e3;
	uint64_t started = now_ms();
	uint64_t deadline = started + V->load_ms + V->lg.timeout / CT_NS_PER_MS + 15000;
	bool switched = !L->h.switching;
	while (!pr_exited(&L->load, &c->j) && !stop_signal) {
		if (child_failed(c, L, v))
			return -1;
		if (!switched && now_ms() - started >= V->sc.dnat_switch / CT_NS_PER_MS) {
			switched = true;
			if (host_dnat_switch(&L->h, V->sc.dnat_switch_flush, err, sizeof err) < 0)
				return ct_err(v->error, sizeof v->error, "the DNAT switch: %s", err);
		}
		if (now_ms() > deadline)
			return ct_err(v->error, sizeof v->error, "the loadgen ran past its time (%.0f s): stopped",
				      (double)(deadline - started) / 1e3);
		double t = (double)(now_ms() - started) / 1e3;
		if (c->tty)
			progress_line(&prog, idx, c->total, V->name, t < total ? t : total, total);
		tick(50);
	}
	if (stop_signal)
		return -1;
	char why[128];
	if (!pr_ok(&L->load))
		return ct_err(v->error, sizeof v->error, "the loadgen %s: see loadgen.log",
			      pr_describe(&L->load, why, sizeof why));
	return 0;
}

/* Phase 3: the table after the load (entries expire, the collector
 * catches up), then the servers stop and write what they counted. */
static int lab_drain(struct run_session *c, const struct variant *V, struct lab *L, struct vresult *v)
{
	if (!wait_while_up(c, L, v, V->sc.tail / CT_NS_PER_MS) || child_failed(c, L, v))
		return -1;
	stop_all(c, L, false);
	char why[128];
	if (!pr_ok(&L->samp))
		return ct_err(v->error, sizeof v->error, "the sampler %s: see sampler.log",
			      pr_describe(&L->samp, why, sizeof why));
	return 0;
}

/* ---- a real server, over its agent ---- */

/* The first of the host under test and the server whose control
 * connection broke, or NULL. */
static const struct remote *broken_host(const struct run_session *c)
{
	return c->remote && c->remote->nc.broken ? c->remote : c->server && c->server->nc.broken ? c->server : NULL;
}

/* A request to the server's agent: err names the host; a broken
 * connection ends the run (the host restores itself). */
static json_t *ask_host(struct run_session *c, struct remote *rm, json_t *req, int timeout_ms, char *err,
			size_t errlen)
{
	if (c->cmdlog) {
		char *t = json_dumps(req, JSON_COMPACT);
		fprintf(c->cmdlog, "[%s] %.300s%s\n", rm->h.t.url, t ? t : "?", t && strlen(t) > 300 ? " ..." : "");
		free(t);
	}
	return nc_call(&rm->nc, req, timeout_ms, err, errlen);
}

static json_t *ask(struct run_session *c, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	return ask_host(c, c->remote, req, timeout_ms, err, errlen);
}

static bool ask_ok_host(struct run_session *c, struct remote *rm, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	json_t *r = ask_host(c, rm, req, timeout_ms, err, errlen);
	json_decref(r);
	return r != NULL;
}

/* The variant's sysctls of a section (server, router) on its real host:
 * the globals (in the host's initial namespace) and the per-namespace
 * ones, journaled by its agent. */
static int remote_sysctls(struct run_session *c, struct remote *rm, const struct variant *V, const char *section,
			  char *err, size_t errlen)
{
	struct sc_node_cfg cfg;
	sc_section(&V->r, section, sc_node_table(section), &cfg, sizeof cfg);
	for (size_t i = 0; i < V->r.nset; i++) {
		const struct sc_setting *s = V->r.set[i];
		char *path = strcmp(s->section, section) == 0 && *s->value ? sc_sysctl_path(s->key) : NULL;
		if (!path)
			continue;
		free(path);
		json_t *req = json_pack("{s:s, s:s, s:s, s:b}", "op", "sysctl-set", "key", s->key, "value", s->value,
					"allow_lower", cfg.allow_lower);
		if (!ask_ok_host(c, rm, req, 10000, err, errlen))
			return -1;
	}
	return 0;
}

/* Polls rm's agent until prog is ready (what: port53, sample). */
static int remote_ready(struct run_session *c, struct remote *rm, const char *prog, const char *what, uint64_t ms,
			char *err, size_t errlen)
{
	for (uint64_t deadline = now_ms() + ms;;) {
		json_t *r = ask_host(c, rm, json_pack("{s:s, s:s, s:s}", "op", "ready", "prog", prog, "what", what), 10000,
				     err, errlen);
		if (!r)
			return -1;
		bool ready = json_is_true(json_object_get(r, "ready")), running = json_is_true(json_object_get(r, "running"));
		json_decref(r);
		if (ready)
			return 0;
		if (!running)
			return ct_err(err, errlen, "%s: the %s ended before %s: see %s.log", rm->h.t.url, prog,
				      strcmp(what, "port53") == 0 ? "listening on port 53" : "sampling", prog);
		if (stop_signal)
			return ct_err(err, errlen, "interrupted");
		if (now_ms() > deadline)
			return ct_err(err, errlen, "%s: the %s was not ready after %.0f s", rm->h.t.url, prog,
				      (double)ms / 1e3);
		tick(50);
	}
}

static int remote_spawn(struct run_session *c, struct remote *rm, const char *prog, struct argvb *a, char *err,
			size_t errlen)
{
	json_t *args = json_array();
	for (size_t i = 0; i < a->n; i++)
		json_array_append_new(args, json_string(a->v[i]));
	return ask_ok_host(c, rm, json_pack("{s:s, s:s, s:o}", "op", "spawn", "prog", prog, "args", args), 10000, err,
			   errlen)
		       ? 0
		       : -1;
}

/* The host's programs, seen alive once a second (which also notices a
 * broken control connection): false while all is well. */
static bool remote_failed(struct run_session *c, struct vresult *v)
{
	if (now_ms() - c->remote->checked_ms < 1000)
		return false;
	c->remote->checked_ms = now_ms();
	static const char *const progs[] = { "sampler", "responder" };
	struct remote *hosts[] = { c->remote, c->server };
	for (size_t i = 0; i < 2; i++) {
		char err[CT_ERRLEN];
		struct remote *rm = hosts[i];
		if (!rm)
			continue; /* the server behind a real router, the user's own */
		json_t *r = ask_host(c, rm, json_pack("{s:s, s:s}", "op", "alive", "prog", progs[i]), 10000, err,
				     sizeof err);
		if (!r) {
			snprintf(v->error, sizeof v->error, "%s", err);
			return true;
		}
		bool gone = !json_is_true(json_object_get(r, "running")) &&
			    strcmp(json_string_value(json_object_get(r, "how")), "never started") != 0;
		if (gone)
			snprintf(v->error, sizeof v->error, "%s: the %s %s during the load: see %s.log", rm->h.t.url,
				 progs[i], json_string_value(json_object_get(r, "how")), progs[i]);
		json_decref(r);
		if (gone)
			return true;
	}
	return false;
}

/* The entries of the variant's flows in rm's table deleted: from its
 * sources (a source range, the load hosts, or us: the agent's default,
 * the controller's ssh address) to the server's port 53. Before a variant
 * (what the previous one left) and after it (nothing of ours lingers for
 * the timeout's length). */
static bool forget_flows(struct run_session *c, struct remote *rm, const struct variant *V, char *err, size_t errlen)
{
	const char *dst = c->remote->address, *range = sc_value(&V->r, "load", "src-range", NULL);
	if (range)
		return ask_ok_host(c, rm,
				   json_pack("{s:s, s:s, s:s, s:i}", "op", "forget", "src", range, "dst", dst, "port", 53),
				   30000, err, errlen);
	bool ok = c->nclients ||
		  ask_ok_host(c, rm, json_pack("{s:s, s:s, s:i}", "op", "forget", "dst", dst, "port", 53), 30000, err, errlen);
	for (size_t i = 0; ok && i < c->nclients; i++)
		ok = !*c->clients[i]->src ||
		     ask_ok_host(c, rm,
				 json_pack("{s:s, s:s, s:s, s:i}", "op", "forget", "src", c->clients[i]->src, "dst", dst,
					   "port", 53),
				 30000, err, errlen);
	return ok;
}

/* A real node's part of phase 1: the previous variant's flows forgotten in
 * its table, its section's (server, router) sysctls and the rules ctstorm
 * owns there, recorded in ruleset.txt (rf). */
static int node_up(struct run_session *c, struct remote *rm, const struct variant *V, const char *section, FILE *rf,
		   char *err, size_t errlen)
{
	const char *dst = c->remote->address;
	bool ok = forget_flows(c, rm, V, err, errlen);
	if (!ok || remote_sysctls(c, rm, V, section, err, errlen) < 0)
		return -1;
	char *rules = host_owned_rules(&V->r, section), *ipt = host_owned_iptables(&V->r, section, err, errlen);
	char *ipt_owned = NULL;
	ok = !*err && (!rules || ask_ok_host(c, rm, json_pack("{s:s, s:s}", "op", "firewall", "nft", rules), 10000, err,
					     errlen));
	if (ok && ipt) {
		json_t *r = ask_host(c, rm,
				     json_pack("{s:s, s:s, s:i}", "op", "iptables", "rules", ipt, "family",
					       strchr(dst, ':') ? 6 : 4),
				     10000, err, errlen);
		ok = r != NULL;
		const char *t = json_string_value(json_object_get(r, "rules"));
		ipt_owned = t ? strdup(t) : NULL;
		json_decref(r);
	}
	if (rf) {
		struct sc_node_cfg cfg;
		sc_section(&V->r, section, sc_node_table(section), &cfg, sizeof cfg);
		fprintf(rf, "## %s (%s): firewall = %s%s\n%s\n", rm->h.t.url, section, sc_firewall_words[cfg.firewall],
			rules ? " (in ctstorm's own table, table inet ctstorm)"
			: ipt ? ""
			      : " (the host's own rules, untouched)",
			rules ? rules : "");
		if (ipt_owned)
			fprintf(rf, "## %s: iptables (in chains ctstorm owns, CTSTORM-*)\n%s\n", rm->h.t.url, ipt_owned);
		char e2[CT_ERRLEN];
		json_t *rs = ok ? ask_host(c, rm, json_pack("{s:s}", "op", "ruleset"), 10000, e2, sizeof e2) : NULL;
		if (rs)
			fprintf(rf, "## %s: nft list ruleset\n%s\n## %s: iptables-save\n%s\n", rm->h.t.url,
				json_string_value(json_object_get(rs, "nft")), rm->h.t.url,
				json_string_value(json_object_get(rs, "iptables")));
		json_decref(rs);
	}
	free(rules);
	free(ipt);
	free(ipt_owned);
	return ok ? 0 : -1;
}

/* A source range on real hosts: the load's host (this one, or each load
 * host its part) holds its range on lo, and the server routes each range
 * back to its host (over the link they share: a gateway must be on-link).
 * Journaled where they are added (ours in c->j), undone with the variant. */
static int src_routes(struct run_session *c, const struct variant *V, char *err, size_t errlen)
{
	const char *text = sc_value(&V->r, "load", "src-range", NULL);
	struct ct_cidr whole, part;
	if (!text)
		return 0;
	if (ct_cidr_parse(text, &whole, err, errlen) < 0)
		return -1;
	int family = whole.base.ss.ss_family == AF_INET6 ? 6 : 4;
	char range[80];
	if (!c->nclients) {
		char *out = NULL;
		char *add[] = { "ip", family == 6 ? "-6" : "-4", "route", "add", "local", (char *)text, "dev", "lo", NULL };
		if (jr_push_route(&c->j, family, text, NULL, err, errlen) < 0)
			return -1;
		int rc = pr_cmd(-1, add, NULL, &out, 10000, err, errlen);
		if (rc != 0) {
			jr_pop(&c->j);
			if (rc > 0)
				ct_err(err, errlen, "this host: route %s (local): %s", text, out ? out : "ip failed");
		}
		free(out);
		return rc == 0 && ask_ok_host(c, c->server, json_pack("{s:s, s:s}", "op", "route", "range", text), 10000,
					      err, errlen)
			       ? 0
			       : -1;
	}
	for (size_t i = 0; i < c->nclients; i++) {
		if (ct_cidr_part(&whole, (unsigned)c->nclients, (unsigned)i, &part) < 0)
			return ct_err(err, errlen, "src-range %s: too small for %zu load hosts", text, c->nclients);
		ct_cidr_str(&part, range, sizeof range);
		if (!ask_ok_host(c, c->clients[i], json_pack("{s:s, s:s, s:b}", "op", "route", "range", range, "local", 1),
				 10000, err, errlen) ||
		    !ask_ok_host(c, c->server,
				 json_pack("{s:s, s:s, s:s}", "op", "route", "range", range, "via", c->clients[i]->src), 10000,
				 err, errlen))
			return -1;
	}
	return 0;
}

/* Phase 1 on real hosts: on the host under test (the server, or the
 * router) and on a real server behind it, the previous variant's flows
 * forgotten, the sysctls and the owned rules; then the responder where the
 * server is, and the sampler on the host under test. The client is this
 * host's own stack, or the load hosts. */
static int remote_up(struct run_session *c, struct variant *V, struct lab *L, struct vresult *v)
{
	struct remote *rm = c->remote;
	char err[CT_ERRLEN] = "";
	if (mkdir(V->vdir, 0755) < 0)
		return ct_err(v->error, sizeof v->error, "%s: %s", V->vdir, strerror(errno));
	if (c->cmdlog)
		fprintf(c->cmdlog, "# variant %s on %s\n", V->name, rm->h.t.url);
	for (int n = 0; n < H_NODES; n++)
		L->h.fd[n] = -1;
	snprintf(L->h.target, sizeof L->h.target, "%s", rm->address);
	char path[1200];
	snprintf(path, sizeof path, "%s/ruleset.txt", V->vdir);
	FILE *rf = fopen(path, "w");
	int rc = node_up(c, rm, V, rm == c->server ? "server" : "router", rf, err, sizeof err);
	if (rc == 0 && c->server && c->server != rm)
		rc = node_up(c, c->server, V, "server", rf, err, sizeof err);
	if (rf)
		fclose(rf);
	if (rc == 0)
		rc = src_routes(c, V, err, sizeof err);
	if (rc < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	if (V->server.responder != SC_RESP_EXTERNAL && c->server) {
		struct remote *srv = c->server;
		char *zone = zone_file(c, V, L, err, sizeof err);
		if (!zone)
			return ct_err(v->error, sizeof v->error, "%s", err);
		char *text = ct_read_file(zone, NULL, err, sizeof err);
		free(zone);
		if (!text)
			return ct_err(v->error, sizeof v->error, "%s", err);
		bool ok = ask_ok_host(c, srv, json_pack("{s:s, s:s, s:s}", "op", "put", "name", "zone.txt", "data", text),
				      10000, err, sizeof err);
		free(text);
		struct argvb a = { 0 };
		av_add(&a, strchr(rm->address, ':') ? "--listen=[%s]:53" : "--listen=%s:53", rm->address);
		av_add(&a, "--zone=zone.txt");
		av_add(&a, "--user=root");
		av_add(&a, "--quiet");
		av_add(&a, "--stats-json=responder.json");
		av_section(&a, &V->r, "server", responder_cli_options, NULL);
		ok = ok && remote_spawn(c, srv, "responder", &a, err, sizeof err) == 0;
		av_free(&a);
		if (!ok || remote_ready(c, srv, "responder", "port53", 10000, err, sizeof err) < 0)
			return ct_err(v->error, sizeof v->error, "%s", err);
	}
	struct argvb a = { 0 };
	av_add(&a, "--csv=sampler.csv");
	av_add(&a, "--summary=sampler.json");
	av_add(&a, "--kmsg-log=kmsg.log");
	av_add(&a, "--quiet");
	av_section(&a, &V->r, "sampler", sampler_cli_options, NULL);
	bool ok = remote_spawn(c, rm, "sampler", &a, err, sizeof err) == 0;
	av_free(&a);
	if (!ok || remote_ready(c, rm, "sampler", "sample", 10000 + V->sm.fill / 20, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	return wait_while_up(c, L, v, V->sc.settle / CT_NS_PER_MS) ? 0 : -1;
}

/* The files the host's side wrote, into the variant's folder. */
static void remote_fetch(struct run_session *c, const struct variant *V)
{
	static const char *const files[] = { "sampler.csv", "sampler.json", "kmsg.log",	  "sampler.log",
					     "responder.json", "responder.log" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char err[CT_ERRLEN], path[1300];
		struct remote *rm = i < 4 ? c->remote : c->server; /* the sampler's host, the responder's */
		if (!rm || rm->nc.broken)
			continue;
		json_t *r = ask_host(c, rm, json_pack("{s:s, s:s}", "op", "get", "name", files[i]), 60000, err, sizeof err);
		if (!r)
			continue; /* not written (no responder of ours): the report says what is missing */
		const char *data = json_string_value(json_object_get(r, "data"));
		snprintf(path, sizeof path, "%s/%s", V->vdir, files[i]);
		if (data && ct_write_atomic(path, data, strlen(data), err, sizeof err) < 0)
			fprintf(stderr, "ctstorm: %s\n", err);
		json_decref(r);
	}
}

/* Phase 3 on a real server: the tail, the host's programs stopped in
 * order, their files fetched, and the host restored by its agent. */
static int remote_drain(struct run_session *c, const struct variant *V, struct lab *L, struct vresult *v)
{
	char err[CT_ERRLEN];
	if (!wait_while_up(c, L, v, V->sc.tail / CT_NS_PER_MS))
		return -1;
	stop_all(c, L, false);
	json_t *s = ask(c, json_pack("{s:s, s:s, s:s, s:i}", "op", "stop", "prog", "sampler", "signal", "INT", "grace_ms",
				     30000),
			40000, err, sizeof err);
	bool sampler_ok = s && json_is_true(json_object_get(s, "exited_ok"));
	char how[CT_ERRLEN];
	snprintf(how, sizeof how, "%s", s ? json_string_value(json_object_get(s, "how")) : err);
	json_decref(s);
	if (c->server)
		ask_ok_host(c, c->server,
			    json_pack("{s:s, s:s, s:s, s:i}", "op", "stop", "prog", "responder", "signal", "TERM", "grace_ms",
				      5000),
			    10000, err, sizeof err);
	remote_fetch(c, V);
	const struct remote *broken = broken_host(c);
	if (broken)
		return ct_err(v->error, sizeof v->error, "the control connection to %s broke: the host restores itself",
			      broken->h.t.url);
	if (!sampler_ok)
		return ct_err(v->error, sizeof v->error, "%s: the sampler %s: see sampler.log", c->remote->h.t.url, how);
	return 0;
}

/* The hosts as they were before the variant, each by its agent (one
 * whose connection broke restores itself), the entries of its flows
 * deleted. */
static void remote_restore(struct run_session *c, const struct variant *V, struct vresult *v)
{
	char err[CT_ERRLEN];
	struct remote *hosts[] = { c->remote, c->server != c->remote ? c->server : NULL };
	for (size_t i = 0; i < 2; i++) {
		struct remote *rm = hosts[i];
		if (!rm)
			continue;
		if (rm->nc.broken) {
			if (!*v->error)
				snprintf(v->error, sizeof v->error,
					 "the control connection to %s broke: the host restores itself", rm->h.t.url);
			continue;
		}
		if (!forget_flows(c, rm, V, err, sizeof err))
			fprintf(stderr, "ctstorm: %s\n", err); /* they expire by themselves */
		if (!ask_ok_host(c, rm, json_pack("{s:s}", "op", "restore"), 60000, err, sizeof err))
			fprintf(stderr, "ctstorm: %s: `ctstorm status --host %s` lists what is left\n", err, rm->h.t.url);
	}
}

/* One real host's control connection and agent, its ctstorm checked
 * first: any failure is the user's to fix (exit 2), and nothing has
 * changed anywhere. */
static struct remote *host_connect(const char *url, const char *role, const struct run_opts *o, char *err,
				   size_t errlen)
{
	struct remote *rm = calloc(1, sizeof *rm);
	struct ssh_target t;
	static const struct ssh_opts none = { 0 };
	if (!rm)
		abort();
	rm->role = role;
	if (ssh_target_parse(url, &t, err, errlen) < 0 || ssh_open(&rm->h, &t, o->ssh ? o->ssh : &none, err, errlen) < 0) {
		free(rm);
		return NULL;
	}
	if (ssh_check_ctstorm(&rm->h, err, errlen) < 0) {
		ssh_close(&rm->h);
		free(rm);
		return NULL;
	}
	snprintf(rm->agent_log, sizeof rm->agent_log, "%s/agent.log", rm->h.ctl_dir);
	int fd = open(rm->agent_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = nc_open(&rm->nc, &rm->h, fd, &rm->hello, err, errlen);
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		unlink(rm->agent_log);
		ssh_close(&rm->h);
		free(rm);
		return NULL;
	}
	/* its own address, as it sees the control connection: the source of
	 * its load toward the server */
	const char *sc = json_string_value(json_object_get(rm->hello, "ssh_connection")), *arrow = sc ? strstr(sc, "-> ") : NULL;
	if (arrow)
		snprintf(rm->src, sizeof rm->src, "%.*s", (int)(strrchr(arrow, ':') - arrow - 3), arrow + 3);
	return rm;
}

/* A load host's clock against ours: five round trips, the offset of the
 * shortest (NTP's estimate). */
static int clock_offset(struct run_session *c, struct remote *rm, char *err, size_t errlen)
{
	rm->rtt_ns = INT64_MAX;
	for (int i = 0; i < 5; i++) {
		int64_t t0 = (int64_t)ct_wall_ns();
		json_t *r = ask_host(c, rm, json_pack("{s:s}", "op", "time"), 10000, err, errlen);
		int64_t t1 = (int64_t)ct_wall_ns();
		if (!r)
			return -1;
		int64_t there = json_integer_value(json_object_get(r, "wall_ns"));
		json_decref(r);
		if (t1 - t0 < rm->rtt_ns) {
			rm->rtt_ns = t1 - t0;
			rm->offset_ns = there - (t0 + (t1 - t0) / 2);
		}
	}
	return 0;
}

static json_t *host_json(const struct remote *rm)
{
	json_t *hl = json_deep_copy(rm->hello);
	json_object_del(hl, "ok");
	json_object_set_new(hl, "url", json_string(rm->h.t.url));
	json_object_set_new(hl, "control", json_string("ssh, established before the first variant and kept; its flow "
						      "exempt from conntrack (table inet ctstorm_control) wherever "
						      "ctstorm owns rules on the host"));
	return hl;
}

/* The server and the load hosts of [hosts], connected before anything
 * changes. False with err when one cannot be used. */
static bool hosts_open(struct run_session *c, const struct sc_resolved *r0, char *err, size_t errlen)
{
	const char *server = sc_value(r0, "hosts", "server", NULL), *client = sc_value(r0, "hosts", "client", NULL),
		   *router = sc_value(r0, "hosts", "router", NULL);
	if (router && *router && !(c->remote = host_connect(router, "router", c->o, err, errlen)))
		return false;
	if (server && *server) {
		if (!(c->server = host_connect(server, "server", c->o, err, errlen)))
			return false;
		if (!c->remote)
			c->remote = c->server;
	}
	if (c->remote) { /* where the load goes: the server's, through the router if there is one */
		const char *to = sc_value(r0, "server", "address", c->server ? c->server->h.t.host : "");
		snprintf(c->remote->address, sizeof c->remote->address, "%s", to);
		if (c->server)
			snprintf(c->server->address, sizeof c->server->address, "%s", to);
	}
	char *urls[SC_MAX_LOAD_HOSTS];
	unsigned w[SC_MAX_LOAD_HOSTS];
	int n = client && *client ? sc_load_hosts(client, sc_value(r0, "hosts", "weights", NULL), urls, w, err, errlen) : 0;
	static const char *const roles[SC_MAX_LOAD_HOSTS] = { "client-1",  "client-2",  "client-3",  "client-4",
							      "client-5",  "client-6",  "client-7",  "client-8",
							      "client-9",  "client-10", "client-11", "client-12",
							      "client-13", "client-14", "client-15", "client-16" };
	bool ok = n >= 0;
	for (int i = 0; ok && i < n; i++) {
		struct remote *rm = host_connect(urls[i], roles[i], c->o, err, errlen);
		if (!rm) {
			ok = false;
			break;
		}
		rm->weight = w[i];
		c->clients[c->nclients++] = rm;
		ok = clock_offset(c, rm, err, errlen) == 0;
	}
	for (int i = 0; i < n; i++)
		free(urls[i]);
	return ok;
}

static void host_close(struct run_session *c, struct remote *rm)
{
	nc_close(&rm->nc);
	/* what the agent said (its undo lines) beside the run's own */
	char dst[1200], err[CT_ERRLEN];
	size_t len;
	char *text = *c->dir ? ct_read_file(rm->agent_log, &len, err, sizeof err) : NULL;
	snprintf(dst, sizeof dst, "%s/agent-%s.log", c->dir, rm->role);
	if (text && ct_write_atomic(dst, text, len, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
	free(text);
	unlink(rm->agent_log);
	ssh_close(&rm->h);
	json_decref(rm->hello);
	free(rm);
}

static void remote_close(struct run_session *c)
{
	if (c->server && c->server != c->remote)
		host_close(c, c->server);
	if (c->remote)
		host_close(c, c->remote);
	c->remote = c->server = NULL;
	for (size_t i = 0; i < c->nclients; i++)
		host_close(c, c->clients[i]);
	c->nclients = 0;
}

/* ---- load hosts ---- */

/* The load's share of host i: the [load] options with the rate and the
 * flows split by weight, the canary on the first host only, the start at
 * an agreed wall-clock time on its clock. */
static void client_args(struct run_session *c, const struct variant *V, const struct lab *L, size_t i,
			uint64_t start_ms, struct argvb *a)
{
	unsigned total = 0;
	for (size_t k = 0; k < c->nclients; k++)
		total += c->clients[k]->weight;
	const struct remote *rm = c->clients[i];
	double share = (double)rm->weight / total;
	av_add(a, "--server=%s", c->remote->address);
	av_add(a, "--port=53");
	av_add(a, "--json=loadgen.jsonl");
	av_add(a, "--interval-histograms"); /* the merged intervals' latency */
	av_add(a, "--summary=loadgen.json");
	av_add(a, "--quiet");
	av_add(a, "--start-at=%" PRIu64, (uint64_t)((int64_t)start_ms + rm->offset_ns / (int64_t)CT_NS_PER_MS));
	const char *rate = sc_value(&V->r, "canary", "rate", NULL);
	if (rate && i == 0) {
		av_add(a, "--canary=%s", rate);
		av_add(a, "--canary-log=canary.jsonl");
	}
	if (!V->lg.qname && !V->lg.datafile)
		av_add(a, "--qname=%s", L->zone);
	if (!sc_get(&V->r, "load", "stats-interval"))
		av_add(a, "--stats-interval=500ms");
	struct argvb all = { 0 };
	av_section(&all, &V->r, "load", lg_cli_options, NULL);
	static const char *const split[] = { "--max-qps=", "--clients=",  "--max-outstanding=", "--max-queries=",
					     "--datafile=", "--src-range=", "--rate-profile=" };
	for (size_t k = 0; k < all.n; k++) {
		bool skip = strncmp(all.v[k], "--sockets=", 10) == 0 && V->lg.sockets.given && !V->lg.sockets.per_query;
		for (size_t x = 0; x < sizeof split / sizeof *split; x++)
			skip |= strncmp(all.v[k], split[x], strlen(split[x])) == 0;
		if (!skip)
			av_add(a, "%s", all.v[k]);
	}
	av_free(&all);
	struct ct_cidr whole, part;
	char err[CT_ERRLEN], range[80];
	const char *text = sc_value(&V->r, "load", "src-range", NULL);
	if (text && ct_cidr_parse(text, &whole, err, sizeof err) == 0 &&
	    ct_cidr_part(&whole, (unsigned)c->nclients, (unsigned)i, &part) == 0)
		av_add(a, "--src-range=%s", ct_cidr_str(&part, range, sizeof range)); /* its own part, on its lo */
	char profile[4096];
	if (V->lg.profile.n && ct_sched_format(&V->lg.profile, share, profile, sizeof profile) == 0)
		av_add(a, "--rate-profile=%s", profile); /* every rate times its share */
	if (V->lg.qps > 0)
		av_add(a, "--max-qps=%.17g", V->lg.qps * share);
	if (sc_get(&V->r, "load", "clients"))
		av_add(a, "--clients=%.0f", fmax(1, round((double)V->lg.clients * share)));
	if (V->lg.outstanding)
		av_add(a, "--max-outstanding=%.0f", fmax(1, round((double)V->lg.outstanding * share)));
	if (V->lg.max_queries) {
		/* exactly the whole: the remainder to the first hosts */
		uint64_t base = 0, done = 0;
		for (size_t k = 0; k < c->nclients; k++) {
			uint64_t q = (uint64_t)((double)V->lg.max_queries * c->clients[k]->weight / total);
			if (k == i)
				base = q;
			done += q;
		}
		av_add(a, "--max-queries=%" PRIu64, base + (i < V->lg.max_queries - done ? 1 : 0));
	}
	if (V->lg.sockets.given && !V->lg.sockets.per_query)
		av_add(a, "--sockets=%.0f", fmax(1, round((double)V->lg.sockets.n * share)));
	if (V->lg.datafile)
		av_add(a, "--datafile=queries.txt");
}

/* The hosts' files into the variant's folder (client-N/), and their
 * summaries and intervals merged into the variant's own. */
static int clients_collect(struct run_session *c, const struct variant *V, char *err, size_t errlen)
{
	static const char *const files[] = { "loadgen.json", "loadgen.jsonl", "loadgen.log", "canary.jsonl" };
	json_t *parts[SC_MAX_LOAD_HOSTS];
	FILE *lines[SC_MAX_LOAD_HOSTS];
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < c->nclients; i++) {
		struct remote *rm = c->clients[i];
		char dir[1300], path[1400];
		snprintf(dir, sizeof dir, "%s/%s", V->vdir, rm->role);
		mkdir(dir, 0755);
		for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
			json_t *r = ask_host(c, rm, json_pack("{s:s, s:s}", "op", "get", "name", files[f]), 60000, err, errlen);
			const char *data = json_string_value(json_object_get(r, "data"));
			snprintf(path, sizeof path, "%s/%s", dir, files[f]);
			if (data)
				ct_write_atomic(path, data, strlen(data), err, errlen);
			json_decref(r);
		}
		snprintf(path, sizeof path, "%s/loadgen.json", dir);
		json_t *j = json_load_file(path, 0, NULL);
		snprintf(path, sizeof path, "%s/loadgen.jsonl", dir);
		FILE *f = fopen(path, "r");
		if (!j || !f) {
			rc = ct_err(err, errlen, "%s: its load wrote no summary: see %s/loadgen.log", rm->h.t.url, rm->role);
			json_decref(j);
			if (f)
				fclose(f);
			continue;
		}
		parts[n] = j;
		lines[n++] = f;
	}
	if (rc == 0) {
		json_t *m = lg_summary_merge(parts, n, err, errlen);
		char path[1300];
		snprintf(path, sizeof path, "%s/loadgen.json", V->vdir);
		if (!m || ct_json_write_atomic(path, m, err, errlen) < 0)
			rc = -1;
		if (m) {
			json_t *brief = json_deep_copy(m);
			json_object_del(brief, "histogram_us");
			json_object_del(json_object_get(brief, "canary"), "histogram_us");
			char *text = NULL;
			size_t len = 0;
			FILE *out = open_memstream(&text, &len);
			if (!out || lg_jsonl_merge(lines, n, brief, out, err, errlen) < 0)
				rc = -1;
			if (out)
				fclose(out);
			snprintf(path, sizeof path, "%s/loadgen.jsonl", V->vdir);
			if (rc == 0 && ct_write_atomic(path, text, len, err, errlen) < 0)
				rc = -1;
			free(text);
			json_decref(brief);
		}
		json_decref(m);
		/* the canary ran on the first host */
		char from[1400], to[1300];
		snprintf(from, sizeof from, "%s/%s/canary.jsonl", V->vdir, c->clients[0]->role);
		snprintf(to, sizeof to, "%s/canary.jsonl", V->vdir);
		if (access(from, R_OK) == 0 && link(from, to) < 0)
			rc = ct_err(err, errlen, "%s: %s", to, strerror(errno));
	}
	for (size_t i = 0; i < n; i++) {
		json_decref(parts[i]);
		fclose(lines[i]);
	}
	return rc;
}

/* Phase 2 with load hosts: each starts its share at the agreed time; the
 * phase ends when every one has ended (bounded as a local load is). */
static int clients_load(struct run_session *c, const struct variant *V, struct lab *L, size_t idx, struct vresult *v)
{
	char err[CT_ERRLEN];
	char *queries = NULL;
	if (V->lg.datafile) {
		char *path = sc_path(V->r.file, V->lg.datafile);
		queries = ct_read_file(path, NULL, err, sizeof err);
		free(path);
		if (!queries)
			return ct_err(v->error, sizeof v->error, "%s", err);
	}
	uint64_t start_ms = ct_wall_ns() / CT_NS_PER_MS + 1500; /* time to start them all */
	for (size_t i = 0; i < c->nclients; i++) {
		struct remote *rm = c->clients[i];
		if (queries && !ask_ok_host(c, rm, json_pack("{s:s, s:s, s:s}", "op", "put", "name", "queries.txt", "data", queries),
					    10000, err, sizeof err)) {
			free(queries);
			return ct_err(v->error, sizeof v->error, "%s", err);
		}
		struct argvb a = { 0 };
		client_args(c, V, L, i, start_ms, &a);
		if (c->cmdlog)
			fprintf(c->cmdlog, "[%s] loadgen, its share %u, clock offset %+.3f ms\n", rm->h.t.url, rm->weight,
				(double)rm->offset_ns / 1e6);
		json_t *args = json_array();
		for (size_t k = 0; k < a.n; k++)
			json_array_append_new(args, json_string(a.v[k]));
		av_free(&a);
		if (!ask_ok_host(c, rm, json_pack("{s:s, s:s, s:o}", "op", "spawn", "prog", "loadgen", "args", args), 10000, err,
				 sizeof err)) {
			free(queries);
			return ct_err(v->error, sizeof v->error, "%s", err);
		}
	}
	free(queries);
	struct progress prog = { 0 };
	snprintf(prog.vdir, sizeof prog.vdir, "%s", V->vdir);
	double total = (double)V->load_ms / 1e3;
	uint64_t started = now_ms() + 1500;
	uint64_t deadline = started + V->load_ms + V->lg.timeout / CT_NS_PER_MS + 15000;
	for (size_t running = c->nclients; running && !stop_signal;) {
		if (child_failed(c, L, v))
			return -1;
		if (now_ms() > deadline)
			return ct_err(v->error, sizeof v->error, "the load hosts ran past their time (%.0f s): stopped",
				      (double)(deadline - started) / 1e3);
		running = 0;
		for (size_t i = 0; i < c->nclients; i++) {
			json_t *r = ask_host(c, c->clients[i], json_pack("{s:s, s:s}", "op", "alive", "prog", "loadgen"), 10000, err,
					     sizeof err);
			if (!r)
				return ct_err(v->error, sizeof v->error, "%s", err);
			running += json_is_true(json_object_get(r, "running"));
			bool bad = !json_is_true(json_object_get(r, "running")) && !json_is_true(json_object_get(r, "exited_ok"));
			if (bad)
				ct_err(v->error, sizeof v->error, "%s: the loadgen %s: see %s/loadgen.log",
				       c->clients[i]->h.t.url, json_string_value(json_object_get(r, "how")), c->clients[i]->role);
			json_decref(r);
			if (bad) {
				clients_collect(c, V, err, sizeof err);
				return -1;
			}
		}
		double t = now_ms() > started ? (double)(now_ms() - started) / 1e3 : 0;
		if (c->tty)
			progress_line(&prog, idx, c->total, V->name, t < total ? t : total, total);
		tick(200);
	}
	if (stop_signal)
		return -1;
	if (clients_collect(c, V, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	return 0;
}

static void run_variant(struct run_session *c, size_t vi, size_t idx, const char *label, struct vresult *v)
{
	struct variant V;
	variant_open(c, vi, label, &V);
	snprintf(v->name, sizeof v->name, "%s", V.name);
	snprintf(v->status, sizeof v->status, "error");
	char prefix[64];
	snprintf(prefix, sizeof prefix, "cts-%s-%zu", c->id, idx + 1);
	uint64_t t0 = now_ms();
	struct lab L = { 0 };
	size_t mark = c->j.n;
	if (!c->tty)
		fprintf(stderr, "[%zu/%zu] %s: %s\n", idx + 1, c->total, V.name, V.r.description);
	if (broken_host(c)) {
		snprintf(v->error, sizeof v->error, "not run: the control connection to %s broke earlier",
			 broken_host(c)->h.t.url);
		mkdir(V.vdir, 0755); /* its verdict says so */
	} else if (c->remote) {
		if (remote_up(c, &V, &L, v) == 0 &&
		    (c->nclients ? clients_load(c, &V, &L, idx, v) : load_run(c, &V, &L, idx, v)) == 0 &&
		    remote_drain(c, &V, &L, v) == 0)
			snprintf(v->status, sizeof v->status, "measured");
	} else if (lab_up(c, &V, &L, prefix, v) == 0 && load_run(c, &V, &L, idx, v) == 0 &&
		   lab_drain(c, &V, &L, v) == 0)
		snprintf(v->status, sizeof v->status, "measured");
	if (c->tty)
		fputs("\r\033[K", stderr);
	if (stop_signal) {
		snprintf(v->status, sizeof v->status, "interrupted");
		snprintf(v->error, sizeof v->error, "interrupted by %s", strsignal(stop_signal));
	}
	/* a first signal still lets the children write what they measured */
	stop_all(c, &L, stop_count > 1);
	if (c->remote)
		remote_restore(c, &V, v);
	for (size_t i = 0; i < c->nclients; i++) {
		char err[CT_ERRLEN];
		/* a load host still sending (interrupted): stopped, then restored */
		if (!c->clients[i]->nc.broken &&
		    !ask_ok_host(c, c->clients[i], json_pack("{s:s}", "op", "restore"), 60000, err, sizeof err))
			fprintf(stderr, "ctstorm: %s\n", err);
	}
	if (L.built)
		host_release(&L.h);
	if ((L.built || c->remote) && jr_undo_to(&c->j, mark))
		fprintf(stderr, "ctstorm: some changes could not be undone: `ctstorm status` lists them\n");
	v->wall_s = (double)(now_ms() - t0) / 1e3;
	v->metrics = vd_collect_metrics(V.vdir);
	struct stat st;
	if (stat(V.vdir, &st) == 0)
		write_verdict(&V.r, V.vdir, v);
	double sent = 0, answered = 0, drop = 0;
	ct_metric_value(v->metrics, "loadgen.sent", &sent);
	ct_metric_value(v->metrics, "loadgen.answered", &answered);
	ct_metric_value(v->metrics, "sampler.drop", &drop);
	bool good;
	const char *word = ct_verdict_word(sc_shows_words[V.r.shows], v->status, V.r.nexp, &good);
	fprintf(stderr, "[%zu/%zu] %s: %s (%s)  (answered %.0f of %.0f, conntrack drop %.0f, %.1f s)%s%s\n", idx + 1,
		c->total, V.name, word, v->status, answered, sent, drop, v->wall_s, *v->error ? "\n        " : "",
		v->error);
	variant_close(&V);
}

/* ---- the comparison table ---- */


/* The expectations that failed, with what was measured, under the table. */
static void print_failures(struct run_session *c, FILE *out)
{
	for (size_t i = 0; i < c->nres; i++) {
		char path[1200];
		snprintf(path, sizeof path, "%s/%s/verdict.json", c->dir, c->res[i].name);
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
	if (!hosts_open(c, &r0, err, sizeof err)) {
		fprintf(stderr, "ctstorm: error: %s\nctstorm: nothing was changed on any host\n", err);
		remote_close(c);
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
		remote_close(c);
		free(c);
		*rc = CT_EXIT_FAIL;
		return NULL;
	}
	if (mkdirs(c->dir) < 0) {
		fprintf(stderr, "ctstorm: error: cannot create %s: %s\n", c->dir, strerror(errno));
		jr_close(&c->j);
		remote_close(c);
		free(c);
		*rc = CT_EXIT_USAGE;
		return NULL;
	}
	char path[1200];
	snprintf(path, sizeof path, "%s/commands.log", c->dir);
	c->cmdlog = fopen(path, "w");
	if (c->cmdlog)
		setvbuf(c->cmdlog, NULL, _IOLBF, 0);
	c->j.log = c->cmdlog;
	manifest_start(c);
	if (c->remote) {
		/* the control connection is up before any load, and its flow is
		 * exempt from conntrack where ctstorm owns the rules */
		json_t *hosts = json_pack("{s:s}", "client", c->nclients ? "load hosts" : "local");
		if (c->server) {
			json_t *hl = host_json(c->server);
			json_object_set_new(hl, "address", json_string(c->server->address));
			json_object_set_new(hosts, "server", hl);
		} else /* behind a real router: the DNS server the user runs there */
			json_object_set_new(hosts, "server_address", json_string(c->remote->address));
		if (c->remote != c->server) {
			json_t *hl = host_json(c->remote);
			json_object_set_new(hl, "address", json_string(c->remote->address));
			json_object_set_new(hosts, "router", hl);
		}
		if (c->nclients) {
			json_t *cl = json_array();
			for (size_t i = 0; i < c->nclients; i++) {
				json_t *h = host_json(c->clients[i]);
				json_object_set_new(h, "role", json_string(c->clients[i]->role));
				json_object_set_new(h, "weight", json_integer(c->clients[i]->weight));
				json_object_set_new(h, "clock_offset_ms", json_real((double)c->clients[i]->offset_ns / 1e6));
				json_object_set_new(h, "clock_rtt_ms", json_real((double)c->clients[i]->rtt_ns / 1e6));
				json_array_append_new(cl, h);
			}
			json_object_set_new(hosts, "clients", cl);
		}
		run_manifest_set(c, "hosts", hosts);
	}
	c->res = calloc(total ? total : 1, sizeof *c->res);
	if (!c->res)
		abort();
	*rc = CT_EXIT_OK;
	return c;
}

int run_host_sysctl(struct run_session *c, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	if (!c->remote)
		return ct_err(err, errlen, "%s: no real host in this run", key);
	json_t *r = ask(c, json_pack("{s:s, s:s}", "op", "sysctl-get", "key", key), 10000, err, errlen);
	const char *v = json_string_value(json_object_get(r, "value"));
	if (v)
		snprintf(buf, len, "%s", v);
	json_decref(r);
	return v ? 0 : r ? ct_err(err, errlen, "%s: %s gave no value", c->remote->h.t.url, key) : -1;
}

bool run_stopped(const struct run_session *c)
{
	(void)c;
	return stop_signal != 0;
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
	bool broke = broken_host(c) != NULL;
	for (size_t i = 0; i < c->nclients; i++)
		broke |= c->clients[i]->nc.broken;
	remote_close(c);
	size_t failed = jr_close(&c->j);
	json_object_set_new(c->manifest, "host", json_pack("{s:O, s:o}", "before",
							   json_object_get(json_object_get(c->manifest, "host"), "before"),
							   "after", host_state()));
	utc_stamp(stamp, sizeof stamp, false);
	json_object_set_new(c->manifest, "ended", json_string(stamp));
	const char *status = stop_signal ? "interrupted" : failed || broke ? "failed" : "complete";
	json_object_set_new(c->manifest, "status", json_string(status));
	if (stop_signal)
		json_object_set_new(c->manifest, "interrupted_by", json_string(strsignal(stop_signal)));
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
		if (c->o->baseline && !stop_signal) {
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
	if (stop_signal) {
		fprintf(stdout, "\nInterrupted by %s after %zu variants; what was measured is kept.\n", strsignal(stop_signal),
			c->nres);
		rc = 128 + stop_signal;
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
	for (size_t i = 0; i < n && !stop_signal; i++) {
		const char *status;
		run_step(c, variants[i], NULL, &status);
		if (strcmp(status, "pass") != 0)
			rc = CT_EXIT_FAIL;
	}
	return run_close(c, rc);
}
