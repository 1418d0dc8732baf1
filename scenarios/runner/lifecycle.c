/* One variant's life, written once over the node interface: whether its
 * roles run in the lab's namespaces or on real hosts is the site's
 * business (runner.h), and no line here asks which.
 *
 *   up     the site's nodes as the variant says; the responder where the
 *          server is, the sampler on the node under test; the settle
 *   load   (after a collector pass) each client's part of the load, to
 *          its end, with the live line
 *   drain  the tail; the programs stopped in order; their files fetched
 *          (a load split among hosts merged)
 *   down   everything stopped and restored, on every path */
#include "runner.h"

#include "atomicfile.h"
#include "clock.h"
#include "ct_err.h"
#include "ct_report.h"
#include "lg_merge.h"
#include "metrics.h"
#include "progress.h"
#include "responders.h"
#include "verdict.h"
#include "zone.h"
#include "rf_names.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the variant ---- */

static void variant_open(struct run_session *c, size_t vi, const char *label, struct variant *V)
{
	memset(V, 0, sizeof *V);
	sc_resolve(c->f, vi, c->o->quick, &V->r);
	sc_section(&V->r, "scenario", sc_scenario_options, &V->sc, sizeof V->sc);
	sc_section(&V->r, "server", sc_server_options, &V->server, sizeof V->server);
	sc_section(&V->r, "server", responder_cli_options, &V->resp, sizeof V->resp);
	sc_section(&V->r, "canary", sc_canary_options, &V->canary, sizeof V->canary);
	sc_section(&V->r, "load", lg_cli_options, &V->lg, sizeof V->lg);
	sc_section(&V->r, "sampler", sampler_cli_options, &V->sm, sizeof V->sm);
	V->name = label ? label : V->r.name;
	snprintf(V->vdir, sizeof V->vdir, "%s/%s", c->dir, V->name);
	V->load_ms = lg_cli_duration_ns(&V->lg) / CT_NS_PER_MS;
}

static void variant_close(struct variant *V)
{
	ct_opt_free(responder_cli_options, &V->resp);
	ct_opt_free(lg_cli_options, &V->lg);
	ct_opt_free(sampler_cli_options, &V->sm);
	sc_resolved_free(&V->r);
}

/* The zone to serve and its apex: the scenario's, or example.test. */
static int zone_find(const struct run_session *c, struct variant *V, char *err, size_t errlen)
{
	char *zone = V->server.zone ? sc_path(c->f, V->server.zone) : NULL;
	if (zone)
		snprintf(V->zone_file, sizeof V->zone_file, "%s", zone);
	else
		snprintf(V->zone_file, sizeof V->zone_file, "%s/zones/example.test.zone", run_data_dir());
	free(zone);
	struct ct_zone z;
	if (ct_zone_load(V->zone_file, &z, err, errlen) < 0)
		return -1;
	ct_zone_name(&z, V->zone, sizeof V->zone);
	ct_zone_free(&z);
	return 0;
}

/* ---- the programs ---- */

static int spawn(struct node *n, enum node_prog prog, const char *exe, struct ct_argv *a, char *err, size_t errlen)
{
	int rc = n->ops->spawn(n, prog, exe, a->v, err, errlen);
	ct_argv_free(a);
	return rc;
}

/* A peer's server (nsd, knot) in place of ours: its configuration
 * written into the variant's folder. */
static int start_peer(const struct ext_responder *x, const struct variant *V, const struct roles *R, char *err,
		      size_t errlen)
{
	char dir[1200], conf[1300], apex[256], listen[2][64] = { "", "" };
	snprintf(dir, sizeof dir, "%s/%s", V->vdir, x->name);
	mkdir(dir, 0755);
	snprintf(apex, sizeof apex, "%s", V->zone);
	size_t n = strlen(apex);
	if (n > 1 && apex[n - 1] == '.')
		apex[n - 1] = '\0';
	/* the first address of each family, without its port */
	for (size_t i = 0; i < R->nlisten; i++) {
		const char *l = R->listen[i];
		int v6 = *l == '[';
		if (!*listen[v6])
			snprintf(listen[v6], sizeof listen[v6], "%.*s", (int)(strrchr(l, ':') - l - 2 * v6), l + v6);
	}
	snprintf(conf, sizeof conf, "%s/%s.conf", dir, x->name);
	FILE *f = fopen(conf, "w");
	if (!f)
		return ct_err(err, errlen, "%s: %s", conf, strerror(errno));
	x->write_conf(f, listen, dir, apex, V->zone_file);
	if (fclose(f) != 0)
		return ct_err(err, errlen, "%s: %s", conf, strerror(errno));
	struct ct_argv a = { 0 };
	for (const char *const *w = x->argv + 1; *w; w++)
		ct_argv_add(&a, "%s", strcmp(*w, "%c") == 0 ? conf : *w);
	return spawn(R->server, NODE_RESPONDER, x->argv[0], &a, err, errlen);
}

static int start_responder(struct variant *V, const struct roles *R, char *err, size_t errlen)
{
	struct node *n = R->server;
	const struct ext_responder *x = ext_responder_find(sc_value(&V->r, "server", "responder", "ctstorm"));
	int rc;
	if (x) {
		rc = start_peer(x, V, R, err, errlen);
	} else {
		char zone[1200], stats[1200];
		struct ct_argv a = { 0 };
		n->ops->out(n, RF_RESPONDER_JSON, stats, sizeof stats);
		rc = n->ops->stage(n, V->zone_file, "zone.txt", zone, sizeof zone, err, errlen);
		if (rc == 0)
			rc = cl_responder(V, R, zone, stats, &a, err, errlen);
		rc = rc == 0 ? spawn(n, NODE_RESPONDER, NULL, &a, err, errlen) : (ct_argv_free(&a), -1);
	}
	return rc < 0 ? -1
		      : node_wait_ready(n, NODE_RESPONDER, NODE_READY_PORT53, 10000, "listening on port 53",
					&run_stop_signal, run_tick, err, errlen);
}

static int start_sampler(const struct variant *V, const struct roles *R, char *err, size_t errlen)
{
	struct node *n = R->test;
	char csv[1200], summary[1200], kmsg[1200];
	n->ops->out(n, RF_SAMPLER_CSV, csv, sizeof csv);
	n->ops->out(n, RF_SAMPLER_JSON, summary, sizeof summary);
	n->ops->out(n, RF_KMSG_LOG, kmsg, sizeof kmsg);
	struct ct_argv a = { 0 };
	if (cl_sampler(V, csv, summary, kmsg, &a, err, errlen) < 0 || spawn(n, NODE_SAMPLER, NULL, &a, err, errlen) < 0) {
		ct_argv_free(&a);
		return -1;
	}
	/* ready once it has a sample (after a --fill, which takes a while) */
	return node_wait_ready(n, NODE_SAMPLER, NODE_READY_SAMPLE, 10000 + V->sm.fill / 20, "sampling", &run_stop_signal,
			       run_tick, err, errlen);
}

/* The servers' programs, seen alive (once a second: a real host's agent
 * answers each look over its control connection): false while all is
 * well; else v->error says which ended, or what broke. */
static bool servers_failed(const struct roles *R, struct vresult *v)
{
	static uint64_t checked;
	if (run_now_ms() - checked < 1000)
		return false;
	checked = run_now_ms();
	struct node *nodes[] = { R->test, R->server };
	static const enum node_prog progs[] = { NODE_SAMPLER, NODE_RESPONDER };
	for (size_t i = 0; i < 2; i++) {
		struct node *n = nodes[i];
		struct node_proc st;
		char err[CT_ERRLEN];
		if (!n)
			continue; /* the user's own server */
		if (n->ops->poll(n, progs[i], -1, &st, err, sizeof err) < 0) {
			snprintf(v->error, sizeof v->error, "%s", err);
			return true;
		}
		if (st.started && !st.running) {
			snprintf(v->error, sizeof v->error, "%sthe %s %s during the load: see %s.log", n->prefix,
				 node_prog_names[progs[i]], st.how, node_prog_names[progs[i]]);
			return true;
		}
	}
	return false;
}

/* Waits ms while the servers live (false: one died, or a signal came). */
static bool wait_while_up(const struct roles *R, struct vresult *v, uint64_t ms)
{
	for (uint64_t until = run_now_ms() + ms; run_now_ms() < until && !run_stop_signal;) {
		if (servers_failed(R, v))
			return false;
		uint64_t left = until - run_now_ms();
		run_tick((int)(left < 100 ? left : 100));
	}
	return !run_stop_signal;
}

/* ---- phase 1: up ---- */

static int variant_up(struct run_session *c, struct variant *V, size_t idx, struct roles *R, struct vresult *v)
{
	char err[CT_ERRLEN] = "";
	if (mkdir(V->vdir, 0755) < 0)
		return ct_err(v->error, sizeof v->error, "%s: %s", V->vdir, strerror(errno));
	if (zone_find(c, V, err, sizeof err) < 0 || c->site->ops->up(c->site, c, V, idx, R, err, sizeof err) < 0 ||
	    (R->server && start_responder(V, R, err, sizeof err) < 0) || start_sampler(V, R, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	return wait_while_up(R, v, V->sc.settle / CT_NS_PER_MS) ? 0 : -1;
}

/* ---- phase 2: the load ---- */

#define MARKER_FLOWS 20
#define PASS_WAIT_MS 130000

static int read_count(struct node *n, uint64_t *count)
{
	char v[32], err[CT_ERRLEN];
	if (n->ops->sysctl_get(n, "nf_conntrack_count", v, sizeof v, err, sizeof err) < 0)
		return -1;
	*count = strtoull(v, NULL, 10);
	return 0;
}

/* after-collector-pass: marker flows into the node under test, then a
 * wait until the collector has freed them (the table's count back where
 * it was): a pass over a table of expired entries schedules the next one
 * at the collector's longest interval, so the load that follows meets an
 * idle collector, as a burst after a quiet period does. */
static int wait_collector_pass(struct run_session *c, const struct variant *V, const struct roles *R, size_t idx,
			       struct vresult *v)
{
	char err[CT_ERRLEN];
	uint64_t base, now;
	struct node *client = R->clients[0];
	if (read_count(R->test, &base) < 0)
		return ct_err(v->error, sizeof v->error, "the collector's pass: cannot read nf_conntrack_count");
	if (c->cmdlog)
		fprintf(c->cmdlog, "[%s] # %d marker flows for the collector's pass\n", client->name, MARKER_FLOWS);
	struct ct_argv a = { 0 };
	cl_markers(V, R, MARKER_FLOWS, &a);
	struct node_proc st = { 0 };
	int rc = spawn(client, NODE_LOADGEN, NULL, &a, err, sizeof err);
	for (uint64_t until = run_now_ms() + 10000; rc == 0;) {
		if ((rc = client->ops->poll(client, NODE_LOADGEN, -1, &st, err, sizeof err)) < 0 || !st.running)
			break;
		if (run_now_ms() > until)
			rc = ct_err(err, sizeof err, "still running after 10 s");
		run_tick(20);
	}
	client->ops->stop(client, NODE_LOADGEN, SIGKILL, 0, &st, err, sizeof err);
	if (rc < 0 || !st.ok)
		return ct_err(v->error, sizeof v->error, "the collector's pass: the marker flows: %s",
			      rc < 0 ? err : "the loadgen failed");
	if (read_count(R->test, &now) < 0 || now <= base)
		return ct_err(v->error, sizeof v->error,
			      "the collector's pass: the marker flows made no conntrack entry in the %s's namespace "
			      "(its rules do not need conntrack): nothing to see the collector by",
			      R->test->role);
	uint64_t started = run_now_ms();
	if (!c->tty)
		fprintf(stderr, "[%zu/%zu] %s: waiting for a pass of the kernel's conntrack collector (at most %d s)\n",
			idx + 1, c->total, V->name, PASS_WAIT_MS / 1000);
	while (!run_stop_signal) {
		if (servers_failed(R, v))
			return -1;
		if (read_count(R->test, &now) == 0 && now <= base)
			break;
		if (run_now_ms() - started > PASS_WAIT_MS)
			return ct_err(v->error, sizeof v->error,
				      "the collector's pass: the marker entries still held after %d s (another table "
				      "on this host keeps the collector busy?)",
				      PASS_WAIT_MS / 1000);
		if (c->tty)
			fprintf(stderr, "\r\033[K[%zu/%zu] %s: waiting for a pass of the kernel's conntrack collector: %.0f s "
					"(at most %d)",
				idx + 1, c->total, V->name, (double)(run_now_ms() - started) / 1e3, PASS_WAIT_MS / 1000);
		run_tick(250);
	}
	if (c->cmdlog)
		fprintf(c->cmdlog, "[%s] # the collector freed the markers after %.1f s: the load starts\n", R->test->name,
			(double)(run_now_ms() - started) / 1e3);
	return run_stop_signal ? -1 : 0;
}

/* Client i's part of the load: its files named as its node names them
 * (load hosts: each its own part, starting together at start_ms). */
static int start_load(const struct variant *V, const struct roles *R, size_t i, uint64_t start_ms, char *err,
		      size_t errlen)
{
	struct node *n = R->clients[i];
	char json[1200], summary[1200], canary[1200], queries[1200] = "";
	n->ops->out(n, RF_LOADGEN_JSONL, json, sizeof json);
	n->ops->out(n, RF_LOADGEN_JSON, summary, sizeof summary);
	n->ops->out(n, RF_CANARY_JSONL, canary, sizeof canary);
	if (V->lg.datafile) {
		char *path = sc_path(V->r.file, V->lg.datafile);
		int rc = n->ops->stage(n, path, "queries.txt", queries, sizeof queries, err, errlen);
		free(path);
		if (rc < 0)
			return -1;
	}
	struct cl_load_files files = { json, summary, canary, queries };
	unsigned w[SC_MAX_LOAD_HOSTS];
	for (size_t k = 0; k < R->nclients; k++)
		w[k] = R->clients[k]->weight;
	struct ct_opt_part part = { (unsigned)i, (unsigned)R->nclients, w };
	struct ct_argv a = { 0 };
	uint64_t at = start_ms ? (uint64_t)((int64_t)start_ms + n->offset_ns / (int64_t)CT_NS_PER_MS) : 0;
	if (cl_loadgen(V, R, &files, R->load_hosts ? &part : NULL, at, &a, err, errlen) < 0) {
		ct_argv_free(&a);
		return -1;
	}
	return spawn(n, NODE_LOADGEN, NULL, &a, err, errlen);
}

/* Every client's load, to its end: bounded by its length, its timeout
 * and a grace. */
static int variant_load(struct run_session *c, struct site *s, const struct variant *V, struct roles *R, size_t idx,
			struct vresult *v)
{
	char err[CT_ERRLEN];
	if (V->sc.after_pass && wait_collector_pass(c, V, R, idx, v) < 0)
		return -1;
	/* load hosts start together, at a time agreed on their clocks */
	uint64_t lead = R->load_hosts ? 1500 : 0;
	uint64_t start_ms = R->load_hosts ? ct_wall_ns() / CT_NS_PER_MS + lead : 0;
	for (size_t i = 0; i < R->nclients; i++) {
		if (R->load_hosts && c->cmdlog)
			fprintf(c->cmdlog, "[%s] loadgen, its share %u, clock offset %+.3f ms\n", R->clients[i]->name,
				R->clients[i]->weight, (double)R->clients[i]->offset_ns / 1e6);
		if (start_load(V, R, i, start_ms, err, sizeof err) < 0)
			return ct_err(v->error, sizeof v->error, "%s", err);
	}
	struct progress prog = { 0 };
	snprintf(prog.vdir, sizeof prog.vdir, "%s", V->vdir);
	double total = (double)V->load_ms / 1e3;
	uint64_t started = run_now_ms() + lead;
	uint64_t deadline = started + V->load_ms + V->lg.timeout / CT_NS_PER_MS + 15000;
	bool switched = !R->switching;
	for (size_t running = R->nclients; running && !run_stop_signal;) {
		if (servers_failed(R, v))
			return -1;
		if (!switched && run_now_ms() >= started + V->sc.dnat_switch / CT_NS_PER_MS) {
			switched = true;
			if (s->ops->dnat_switch(s, V, err, sizeof err) < 0)
				return ct_err(v->error, sizeof v->error, "the DNAT switch: %s", err);
		}
		if (run_now_ms() > deadline)
			return ct_err(v->error, sizeof v->error, "the load ran past its time (%.0f s): stopped",
				      (double)(deadline - started) / 1e3);
		running = 0;
		for (size_t i = 0; i < R->nclients; i++) {
			struct node *n = R->clients[i];
			struct node_proc st;
			if (n->ops->poll(n, NODE_LOADGEN, -1, &st, err, sizeof err) < 0)
				return ct_err(v->error, sizeof v->error, "%s", err);
			running += st.running;
			if (!st.running && !st.ok)
				return ct_err(v->error, sizeof v->error, "%sthe loadgen %s: see %s%sloadgen.log", n->prefix,
					      st.how, R->load_hosts ? n->role : "", R->load_hosts ? "/" : "");
		}
		double t = run_now_ms() > started ? (double)(run_now_ms() - started) / 1e3 : 0;
		if (c->tty)
			progress_line(&prog, idx, c->total, V->name, t < total ? t : total, total);
		run_tick(R->load_hosts ? 200 : 50);
	}
	return run_stop_signal ? -1 : 0;
}

/* ---- phase 3: drain ---- */

/* The order they stop in: the load ends, the sampler writes its summary,
 * the server its counters. */
static void stop_all(const struct roles *R, bool hurry)
{
	struct node_proc st;
	char err[CT_ERRLEN];
	for (size_t i = 0; i < R->nclients; i++)
		if (!R->clients[i]->ops->broken(R->clients[i]))
			R->clients[i]->ops->stop(R->clients[i], NODE_LOADGEN, SIGINT, hurry ? 0 : 5000, &st, err, sizeof err);
	if (R->test && !R->test->ops->broken(R->test))
		R->test->ops->stop(R->test, NODE_SAMPLER, SIGINT, hurry ? 0 : 30000, &st, err, sizeof err);
	if (R->server && !R->server->ops->broken(R->server))
		R->server->ops->stop(R->server, NODE_RESPONDER, SIGTERM, hurry ? 0 : 5000, &st, err, sizeof err);
}

/* The files a node's programs wrote, into the folder dir. */
static void fetch(struct node *n, const char *const *names, size_t count, const char *dir)
{
	for (size_t i = 0; i < count && !n->ops->broken(n); i++) {
		char err[CT_ERRLEN], path[1400];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		n->ops->fetch(n, names[i], path, err, sizeof err); /* not written: the report says what is missing */
	}
}

/* Load hosts: each one's files in the variant's client-N/, their
 * summaries and intervals merged into the variant's own. */
static int merge_parts(const struct variant *V, const struct roles *R, char *err, size_t errlen)
{
	json_t *parts[SC_MAX_LOAD_HOSTS];
	FILE *lines[SC_MAX_LOAD_HOSTS];
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < R->nclients; i++) {
		char path[1400];
		snprintf(path, sizeof path, "%s/%s/" RF_LOADGEN_JSON, V->vdir, R->clients[i]->role);
		json_t *j = json_load_file(path, 0, NULL);
		snprintf(path, sizeof path, "%s/%s/" RF_LOADGEN_JSONL, V->vdir, R->clients[i]->role);
		FILE *f = fopen(path, "r");
		if (!j || !f) {
			rc = ct_err(err, errlen, "%sits load wrote no summary: see %s/" RF_LOADGEN_LOG, R->clients[i]->prefix,
				    R->clients[i]->role);
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
		snprintf(path, sizeof path, "%s/" RF_LOADGEN_JSON, V->vdir);
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
			snprintf(path, sizeof path, "%s/" RF_LOADGEN_JSONL, V->vdir);
			if (rc == 0 && ct_write_atomic(path, text, len, err, errlen) < 0)
				rc = -1;
			free(text);
			json_decref(brief);
		}
		json_decref(m);
		/* the canary ran on the first host */
		char from[1400], to[1300];
		snprintf(from, sizeof from, "%s/%s/" RF_CANARY_JSONL, V->vdir, R->clients[0]->role);
		snprintf(to, sizeof to, "%s/" RF_CANARY_JSONL, V->vdir);
		if (access(from, R_OK) == 0 && link(from, to) < 0)
			rc = ct_err(err, errlen, "%s: %s", to, strerror(errno));
	}
	for (size_t i = 0; i < n; i++) {
		json_decref(parts[i]);
		fclose(lines[i]);
	}
	return rc;
}

static const char *const load_files[] = { RF_LOADGEN_JSON, RF_LOADGEN_JSONL, RF_LOADGEN_LOG, RF_CANARY_JSONL };

/* The load hosts' files (also after a failed load: what they measured). */
static void fetch_load(const struct variant *V, const struct roles *R)
{
	for (size_t i = 0; i < R->nclients; i++) {
		char dir[1300];
		if (R->load_hosts) {
			snprintf(dir, sizeof dir, "%s/%s", V->vdir, R->clients[i]->role);
			mkdir(dir, 0755);
		} else {
			snprintf(dir, sizeof dir, "%s", V->vdir);
		}
		fetch(R->clients[i], load_files, sizeof load_files / sizeof *load_files, dir);
	}
}

/* The tail (entries expire, the collector catches up), then the programs
 * stop and their files come back. */
static int variant_drain(struct run_session *c, const struct variant *V, const struct roles *R, struct vresult *v)
{
	static const char *const sampler_files[] = { RF_SAMPLER_CSV, RF_SAMPLER_JSON, RF_KMSG_LOG, RF_SAMPLER_LOG };
	static const char *const responder_files[] = { RF_RESPONDER_JSON, RF_RESPONDER_LOG };
	char err[CT_ERRLEN];
	if (!wait_while_up(R, v, V->sc.tail / CT_NS_PER_MS))
		return -1;
	stop_all(R, false);
	struct node_proc st;
	char how[CT_ERRLEN];
	bool sampler_ok = false;
	if (R->test->ops->poll(R->test, NODE_SAMPLER, -1, &st, how, sizeof how) == 0) {
		sampler_ok = st.ok;
		snprintf(how, sizeof how, "%s", st.how);
	}
	fetch(R->test, sampler_files, 4, V->vdir);
	if (R->server)
		fetch(R->server, responder_files, 2, V->vdir);
	fetch_load(V, R);
	const struct node *broken = c->site->ops->broken(c->site);
	if (broken)
		return ct_err(v->error, sizeof v->error, "the control connection to %s broke: the host restores itself",
			      broken->name);
	if (R->load_hosts && merge_parts(V, R, err, sizeof err) < 0)
		return ct_err(v->error, sizeof v->error, "%s", err);
	if (!sampler_ok)
		return ct_err(v->error, sizeof v->error, "%sthe sampler %s: see sampler.log", R->test->prefix, how);
	return 0;
}

/* ---- the verdict ---- */

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
	snprintf(path, sizeof path, "%s/" RF_VERDICT, vdir);
	if (ct_json_write_atomic(path, o, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
	json_decref(o);
}

/* ---- the life ---- */

void run_variant(struct run_session *c, size_t vi, size_t idx, const char *label, struct vresult *v)
{
	struct variant V;
	struct site *s = c->site;
	variant_open(c, vi, label, &V);
	snprintf(v->name, sizeof v->name, "%s", V.name);
	snprintf(v->status, sizeof v->status, "error");
	uint64_t t0 = run_now_ms();
	struct roles R = { 0 };
	size_t mark = c->j.n;
	if (!c->tty)
		fprintf(stderr, "[%zu/%zu] %s: %s\n", idx + 1, c->total, V.name, V.r.description);
	const struct node *broken = s->ops->broken(s);
	if (broken) {
		snprintf(v->error, sizeof v->error, "not run: the control connection to %s broke earlier", broken->name);
		mkdir(V.vdir, 0755); /* its verdict says so */
	} else if (variant_up(c, &V, idx, &R, v) == 0 && variant_load(c, s, &V, &R, idx, v) == 0 &&
		   variant_drain(c, &V, &R, v) == 0) {
		snprintf(v->status, sizeof v->status, "measured");
	}
	if (c->tty)
		fputs("\r\033[K", stderr);
	if (run_stop_signal) {
		snprintf(v->status, sizeof v->status, "interrupted");
		snprintf(v->error, sizeof v->error, "interrupted by %s", strsignal(run_stop_signal));
	}
	/* a first signal still lets the programs write what they measured */
	if (strcmp(v->status, "measured") != 0 && R.test) {
		stop_all(&R, run_stop_count > 1);
		if (R.load_hosts)
			fetch_load(&V, &R);
	}
	if (!broken)
		s->ops->down(s, c, &V, v);
	if (jr_undo_to(&c->j, mark))
		fprintf(stderr, "ctstorm: some changes could not be undone: `ctstorm status` lists them\n");
	v->wall_s = (double)(run_now_ms() - t0) / 1e3;
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
