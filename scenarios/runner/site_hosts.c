/* Real hosts' site ([hosts]): the server, the router under test and the
 * load hosts, each a node of the ssh transport (node_ssh.h), connected
 * before anything changes and kept for the run. For each variant their
 * sysctls and the rules ctstorm owns there are set, the previous
 * variant's flows forgotten, a source range routed; after it, each host
 * restores itself through its agent. Without load hosts the load runs on
 * this host's own stack (a lab node of no namespace). */
#include "runner.h"

#include "ct_err.h"
#include "host.h"
#include "netaddr.h"
#include "node_lab.h"
#include "node_ssh.h"
#include "proc.h"
#include "rf_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct site_hosts {
	struct site s;
	/* the real host under test, its table sampled: the server of a pair,
	 * the router of a routed scenario */
	struct ssh_node *test;
	/* where the responder runs: test itself in a pair; the server behind
	 * a real router; NULL there with responder = external */
	struct ssh_node *server;
	struct ssh_node *clients[SC_MAX_LOAD_HOSTS]; /* the load hosts; none: this host */
	size_t nclients;
	struct lab_node local; /* this host's stack, the load's without load hosts */
	struct journal *j;
};

static struct site_hosts *hosts(struct site *s)
{
	return (struct site_hosts *)s;
}

/* The variant's sysctls of a section (server, router) on its real host,
 * journaled by its agent (the globals in the host's initial namespace). */
static int node_sysctls(struct ssh_node *n, const struct variant *V, const char *section, char *err, size_t errlen)
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
		if (!ssh_node_ask_ok(n, req, 10000, err, errlen))
			return -1;
	}
	return 0;
}

/* The entries of the variant's flows in n's table deleted: from its
 * sources (a source range, the load hosts, or us: the agent's default,
 * the controller's ssh address) to the server's port 53. Before a variant
 * (what the previous one left) and after it (nothing of ours lingers for
 * the timeout's length). */
static bool forget_flows(struct site_hosts *H, struct ssh_node *n, const struct variant *V, char *err, size_t errlen)
{
	const char *dst = H->test->address, *range = sc_value(&V->r, "load", "src-range", NULL);
	if (range)
		return ssh_node_ask_ok(n, json_pack("{s:s, s:s, s:s, s:i}", "op", "forget", "src", range, "dst", dst, "port", 53),
				       30000, err, errlen);
	bool ok = H->nclients ||
		  ssh_node_ask_ok(n, json_pack("{s:s, s:s, s:i}", "op", "forget", "dst", dst, "port", 53), 30000, err, errlen);
	for (size_t i = 0; ok && i < H->nclients; i++)
		ok = !*H->clients[i]->src ||
		     ssh_node_ask_ok(n,
				     json_pack("{s:s, s:s, s:s, s:i}", "op", "forget", "src", H->clients[i]->src, "dst", dst,
					       "port", 53),
				     30000, err, errlen);
	return ok;
}

/* A host's part of phase 1: the previous variant's flows forgotten in its
 * table, its section's (server, router) sysctls and the rules ctstorm owns
 * there, recorded in ruleset.txt (rf). */
static int node_up(struct site_hosts *H, struct ssh_node *n, const struct variant *V, const char *section, FILE *rf,
		   char *err, size_t errlen)
{
	const char *dst = H->test->address;
	const char *url = n->h.t.url;
	if (!forget_flows(H, n, V, err, errlen) || node_sysctls(n, V, section, err, errlen) < 0)
		return -1;
	char *rules = host_owned_rules(&V->r, section), *ipt = host_owned_iptables(&V->r, section, err, errlen);
	char *ipt_owned = NULL;
	bool ok = !*err && (!rules || ssh_node_ask_ok(n, json_pack("{s:s, s:s}", "op", "firewall", "nft", rules), 10000,
						      err, errlen));
	if (ok && ipt) {
		json_t *r = ssh_node_ask(n,
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
		fprintf(rf, "## %s (%s): firewall = %s%s\n%s\n", url, section, sc_firewall_words[cfg.firewall],
			rules ? " (in ctstorm's own table, table inet ctstorm)"
			: ipt ? ""
			      : " (the host's own rules, untouched)",
			rules ? rules : "");
		if (ipt_owned)
			fprintf(rf, "## %s: iptables (in chains ctstorm owns, CTSTORM-*)\n%s\n", url, ipt_owned);
		char e2[CT_ERRLEN];
		json_t *rs = ok ? ssh_node_ask(n, json_pack("{s:s}", "op", "ruleset"), 10000, e2, sizeof e2) : NULL;
		if (rs)
			fprintf(rf, "## %s: nft list ruleset\n%s\n## %s: iptables-save\n%s\n", url,
				json_string_value(json_object_get(rs, "nft")), url,
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
 * Journaled where they are added (ours in the run's journal), undone with
 * the variant. */
static int src_routes(struct site_hosts *H, const struct variant *V, char *err, size_t errlen)
{
	const struct ct_cidr *whole = &V->lg.src_range;
	char text[80], range[80];
	if (!whole->base.len)
		return 0;
	ct_cidr_str(whole, text, sizeof text);
	int family = whole->base.ss.ss_family == AF_INET6 ? 6 : 4;
	if (!H->nclients) {
		char *out = NULL;
		char *add[] = { "ip", family == 6 ? "-6" : "-4", "route", "add", "local", text, "dev", "lo", NULL };
		if (jr_push_route(H->j, family, text, NULL, err, errlen) < 0)
			return -1;
		int rc = pr_cmd(-1, add, NULL, &out, 10000, err, errlen);
		if (rc != 0) {
			jr_pop(H->j);
			if (rc > 0)
				ct_err(err, errlen, "this host: route %s (local): %s", text, out ? out : "ip failed");
		}
		free(out);
		return rc == 0 && ssh_node_ask_ok(H->server, json_pack("{s:s, s:s}", "op", "route", "range", text), 10000,
						  err, errlen)
			       ? 0
			       : -1;
	}
	for (size_t i = 0; i < H->nclients; i++) {
		struct ct_cidr part;
		if (ct_cidr_part(whole, (unsigned)H->nclients, (unsigned)i, &part) < 0)
			return ct_err(err, errlen, "src-range %s: too small for %zu load hosts", text, H->nclients);
		ct_cidr_str(&part, range, sizeof range);
		if (!ssh_node_ask_ok(H->clients[i], json_pack("{s:s, s:s, s:b}", "op", "route", "range", range, "local", 1),
				     10000, err, errlen) ||
		    !ssh_node_ask_ok(H->server,
				     json_pack("{s:s, s:s, s:s}", "op", "route", "range", range, "via", H->clients[i]->src),
				     10000, err, errlen))
			return -1;
	}
	return 0;
}

static int hosts_up(struct site *s, struct run_session *c, struct variant *V, size_t idx, struct roles *R, char *err,
		    size_t errlen)
{
	(void)idx;
	struct site_hosts *H = hosts(s);
	struct ssh_node *t = H->test;
	if (c->cmdlog)
		fprintf(c->cmdlog, "# variant %s on %s\n", V->name, t->h.t.url);
	char path[1200];
	snprintf(path, sizeof path, "%s/" RF_RULESET, V->vdir);
	FILE *rf = fopen(path, "w");
	*err = '\0';
	int rc = node_up(H, t, V, t == H->server ? "server" : "router", rf, err, errlen);
	if (rc == 0 && H->server && H->server != t)
		rc = node_up(H, H->server, V, "server", rf, err, errlen);
	if (rf)
		fclose(rf);
	if (rc == 0)
		rc = src_routes(H, V, err, errlen);
	if (rc < 0)
		return -1;
	R->test = &t->n;
	R->server = H->server && V->server.responder != SC_RESP_EXTERNAL ? &H->server->n : NULL;
	snprintf(R->target, sizeof R->target, "%s", t->address);
	snprintf(R->listen[0], sizeof R->listen[0], strchr(t->address, ':') ? "[%s]:53" : "%s:53", t->address);
	R->nlisten = 1;
	if (H->nclients) {
		for (size_t i = 0; i < H->nclients; i++)
			R->clients[i] = &H->clients[i]->n;
		R->nclients = H->nclients;
		R->load_hosts = true;
	} else {
		lab_node_init(&H->local, "client", -1, "", false, V->vdir, &c->j, c->cmdlog);
		R->clients[0] = &H->local.n;
		R->nclients = 1;
	}
	return 0;
}

static int hosts_dnat_switch(struct site *s, const struct variant *V, char *err, size_t errlen)
{
	(void)s;
	(void)V;
	return ct_err(err, errlen, "dnat-switch is the lab's"); /* refused by check on real hosts */
}

/* The hosts as they were before the variant, each by its agent (one
 * whose connection broke restores itself), the entries of its flows
 * deleted. */
static void hosts_down(struct site *s, struct run_session *c, const struct variant *V, struct vresult *v)
{
	(void)c;
	struct site_hosts *H = hosts(s);
	char err[CT_ERRLEN];
	if (H->local.n.ops)
		lab_node_kill(&H->local);
	memset(&H->local, 0, sizeof H->local);
	struct ssh_node *tested[] = { H->test, H->server != H->test ? H->server : NULL };
	for (size_t i = 0; i < 2; i++) {
		struct ssh_node *n = tested[i];
		if (!n)
			continue;
		if (n->nc.broken) {
			if (!*v->error)
				snprintf(v->error, sizeof v->error,
					 "the control connection to %s broke: the host restores itself", n->h.t.url);
			continue;
		}
		if (!forget_flows(H, n, V, err, sizeof err))
			fprintf(stderr, "ctstorm: %s\n", err); /* they expire by themselves */
		if (!ssh_node_ask_ok(n, json_pack("{s:s}", "op", "restore"), 60000, err, sizeof err))
			fprintf(stderr, "ctstorm: %s: `ctstorm status --host %s` lists what is left\n", err, n->h.t.url);
	}
	for (size_t i = 0; i < H->nclients; i++) {
		/* a load host still sending (interrupted): stopped, then restored */
		if (!H->clients[i]->nc.broken &&
		    !ssh_node_ask_ok(H->clients[i], json_pack("{s:s}", "op", "restore"), 60000, err, sizeof err))
			fprintf(stderr, "ctstorm: %s\n", err);
	}
}

static void hosts_keepalive(struct site *s)
{
	struct site_hosts *H = hosts(s);
	if (H->test)
		ssh_node_keepalive(H->test);
	if (H->server && H->server != H->test)
		ssh_node_keepalive(H->server);
	for (size_t i = 0; i < H->nclients; i++)
		ssh_node_keepalive(H->clients[i]);
}

static const struct node *hosts_broken(const struct site *s)
{
	const struct site_hosts *H = (const struct site_hosts *)s;
	if (H->test && H->test->nc.broken)
		return &H->test->n;
	if (H->server && H->server->nc.broken)
		return &H->server->n;
	for (size_t i = 0; i < H->nclients; i++)
		if (H->clients[i]->nc.broken)
			return &H->clients[i]->n;
	return NULL;
}

static void hosts_close(struct site *s, const char *dir)
{
	struct site_hosts *H = hosts(s);
	if (H->server && H->server != H->test)
		ssh_node_close(H->server, dir);
	if (H->test)
		ssh_node_close(H->test, dir);
	for (size_t i = 0; i < H->nclients; i++)
		ssh_node_close(H->clients[i], dir);
	free(H);
}

static const struct site_ops hosts_site_ops = {
	.up = hosts_up,
	.dnat_switch = hosts_dnat_switch,
	.down = hosts_down,
	.keepalive = hosts_keepalive,
	.broken = hosts_broken,
	.close = hosts_close,
};

struct site *site_hosts_open(struct run_session *c, const struct sc_resolved *r0, char *err, size_t errlen)
{
	const char *server = sc_value(r0, "hosts", "server", NULL), *client = sc_value(r0, "hosts", "client", NULL),
		   *router = sc_value(r0, "hosts", "router", NULL);
	struct site_hosts *H = calloc(1, sizeof *H);
	if (!H)
		abort();
	H->s.ops = &hosts_site_ops;
	H->s.real = true;
	H->j = &c->j;
	FILE *const *log = &c->cmdlog;
	bool ok = true;
	if (router && *router)
		ok = (H->test = ssh_node_open(router, "router", c->o->ssh, log, err, errlen)) != NULL;
	if (ok && server && *server) {
		ok = (H->server = ssh_node_open(server, "server", c->o->ssh, log, err, errlen)) != NULL;
		if (ok && !H->test)
			H->test = H->server;
	}
	if (ok && H->test) { /* where the load goes: the server's, through the router if there is one */
		const char *to = sc_value(r0, "server", "address", H->server ? H->server->h.t.host : "");
		snprintf(H->test->address, sizeof H->test->address, "%s", to);
		if (H->server)
			snprintf(H->server->address, sizeof H->server->address, "%s", to);
	}
	char *urls[SC_MAX_LOAD_HOSTS];
	unsigned w[SC_MAX_LOAD_HOSTS];
	int n = ok && client && *client ? sc_load_hosts(client, sc_value(r0, "hosts", "weights", NULL), urls, w, err, errlen)
					: 0;
	ok = ok && n >= 0;
	for (int i = 0; ok && i < n; i++) {
		char role[16];
		snprintf(role, sizeof role, "client-%d", i + 1);
		struct ssh_node *h = ssh_node_open(urls[i], role, c->o->ssh, log, err, errlen);
		if (!h) {
			ok = false;
			break;
		}
		h->n.weight = w[i];
		H->clients[H->nclients++] = h;
		ok = ssh_node_clock(h, err, errlen) == 0;
	}
	for (int i = 0; i < n; i++)
		free(urls[i]);
	H->s.host = H->test ? &H->test->n : NULL;
	if (!ok) {
		hosts_close(&H->s, "");
		return NULL;
	}
	return &H->s;
}

json_t *site_hosts_json(const struct site *s)
{
	const struct site_hosts *H = (const struct site_hosts *)s;
	json_t *o = json_pack("{s:s}", "client", H->nclients ? "load hosts" : "local");
	if (H->server) {
		json_t *hl = ssh_node_json(H->server);
		json_object_set_new(hl, "address", json_string(H->server->address));
		json_object_set_new(o, "server", hl);
	} else { /* behind a real router: the DNS server the user runs there */
		json_object_set_new(o, "server_address", json_string(H->test->address));
	}
	if (H->test != H->server) {
		json_t *hl = ssh_node_json(H->test);
		json_object_set_new(hl, "address", json_string(H->test->address));
		json_object_set_new(o, "router", hl);
	}
	if (H->nclients) {
		json_t *cl = json_array();
		for (size_t i = 0; i < H->nclients; i++) {
			const struct ssh_node *h = H->clients[i];
			json_t *j = ssh_node_json(h);
			json_object_set_new(j, "role", json_string(h->n.role));
			json_object_set_new(j, "weight", json_integer(h->n.weight));
			json_object_set_new(j, "clock_offset_ms", json_real((double)h->n.offset_ns / 1e6));
			json_object_set_new(j, "clock_rtt_ms", json_real((double)h->rtt_ns / 1e6));
			json_array_append_new(cl, j);
		}
		json_object_set_new(o, "clients", cl);
	}
	return o;
}
