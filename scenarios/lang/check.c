/* Validation: every key and value of every variant, in both forms (quick
 * and full), by the parser that reads it at run time: the binaries' option
 * tables and their lg_cli_check for [load], [sampler] and the responder's
 * keys; the runner's own tables (config.h) for the rest. Touches nothing. */
#include "scenario.h"

#include "atomicfile.h"
#include "config.h"
#include "ct_err.h"
#include "iptowned.h"
#include "lg_cli.h"
#include "netaddr.h"
#include "opt.h"
#include "queryfile.h"
#include "responder_cli.h"
#include "schedule.h"
#include "sshtarget.h"

#include <arpa/inet.h>
#include "sampler_cli.h"
#include "zone.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof *(a))

/* What one check of a file shares across its variants. */
struct vshared {
	const char **loaded; /* query files already read */
	size_t nloaded;
};

struct vctx {
	const struct sc_file *f;
	const struct sc_resolved *r;
	struct sc_errors *e;
	struct vshared *sh;
	char where[96];   /* " (variant X, quick)" */
};

static void where_of(const struct sc_setting *s, const struct vctx *c, char *buf, size_t len)
{
	if (s->line)
		snprintf(buf, len, "%s:%d", c->f->path, s->line);
	else
		snprintf(buf, len, "--set %s.%s", s->section, s->key);
}

static void bad(const struct vctx *c, const struct sc_setting *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad(const struct vctx *c, const struct sc_setting *s, const char *fmt, ...)
{
	char where[512], msg[1024];
	where_of(s, c, where, sizeof where);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* the same setting is checked for every variant: say it once */
	for (size_t i = 0; i < c->e->n; i++)
		if (strstr(c->e->msg[i], where) == c->e->msg[i] && strstr(c->e->msg[i], msg))
			return;
	sc_error(c->e, "%s: [%s] %s: %s%s", where, s->section, s->key, msg, c->where);
}

/* The option parser's message without its "--key: " (ours names the key). */
static const char *value_error(const char *why, const char *key)
{
	size_t n = strlen(key);
	return strncmp(why, "--", 2) == 0 && strncmp(why + 2, key, n) == 0 && strncmp(why + 2 + n, ": ", 2) == 0
		       ? why + 4 + n
		       : why;
}

/* Names of a table's keys less the runner's (reserved), for hints. */
static size_t key_names(const struct ct_opt *table, const char *const *reserved, const char **out, size_t cap)
{
	size_t n = 0;
	for (const struct ct_opt *o = table; o && o->name && n < cap; o++)
		if (!sc_word_in(reserved, o->name))
			out[n++] = o->name;
	return n;
}

static void unknown_key(const struct vctx *c, const struct sc_setting *s, const char *owner, const char **cands,
			size_t n)
{
	const char *hint = ct_did_you_mean(s->key, cands, n);
	bad(c, s, "%s%s%s%s%s", owner ? "not an option of " : "unknown key", owner ? owner : "",
	    hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

/* Parses a value with its table's parser into a scratch config: the
 * union holds the config of every table this file checks against. */
static void check_value(const struct vctx *c, const struct sc_setting *s, const struct ct_opt *table)
{
	union {
		struct lg_cli lg;
		struct sampler_cli sm;
		struct responder_cli rs;
		struct sc_scenario_cfg sc;
		struct sc_node_cfg node;
		struct sc_probe_cfg probe;
		struct sc_canary_cfg canary;
	} cfg;
	char why[CT_ERRLEN];
	memset(&cfg, 0, sizeof cfg);
	if (ct_opt_set(table, &cfg, s->key, s->value, why, sizeof why) < 0)
		bad(c, s, "%s", value_error(why, s->key));
	ct_opt_free(table, &cfg);
}

static void check_file(const struct vctx *c, const struct sc_setting *s)
{
	char *path = sc_path(c->f, s->value);
	struct stat st;
	if (stat(path, &st) < 0 || access(path, R_OK) != 0)
		bad(c, s, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		bad(c, s, "%s: not a regular file", path);
	free(path);
}

static void check_zone(const struct vctx *c, const struct sc_setting *s)
{
	char *path = sc_path(c->f, s->value);
	struct ct_zone z;
	char why[CT_ERRLEN];
	struct stat st;
	if (stat(path, &st) < 0)
		bad(c, s, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		bad(c, s, "%s: not a regular file", path);
	else if (ct_zone_load(path, &z, why, sizeof why) < 0)
		bad(c, s, "%s", why);
	else
		ct_zone_free(&z);
	free(path);
}

static bool sysctl_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A per-namespace sysctl: it must exist here (conntrack's only where
 * conntrack is loaded; elsewhere the kernel check or the run says so). */
static void check_sysctl(const struct vctx *c, const struct sc_setting *s, const char *path)
{
	if (strncmp(s->key, "nf_conntrack_", 13) == 0 ? sysctl_exists("/proc/sys/net/netfilter/nf_conntrack_count") &&
								 !sysctl_exists(path)
						      : !sysctl_exists(path))
		bad(c, s, "no such sysctl on this host (%s)", path);
	else if (!*s->value)
		bad(c, s, "empty value");
}

/* An iptables-restore text: every rule inside a table (*raw ... COMMIT).
 * A text without its table line would reach the kernel only to fail at
 * "line 1"; said here at the rule's own line. */
static void check_ipt_text(const struct vctx *c, const struct sc_setting *s)
{
	const char *table = NULL, *opened = NULL;
	int n = 0;
	for (const char *p = s->value; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		n++;
		size_t len = strcspn(p, "\n");
		const char *w = p + strspn(p, " \t");
		if (w - p >= (long)len || *w == '#')
			continue;
		struct sc_setting at = *s;
		at.line = s->line ? sc_value_line(c->f, s->line, n) : 0;
		if (*w == '*') {
			size_t word = strspn(w + 1, "abcdefghijklmnopqrstuvwxyz");
			if (word == 0 || (w + 1 + word < p + len && !strchr(" \t", w[1 + word])) ||
			    strspn(w + 1 + word, " \t") != (size_t)(p + len - (w + 1 + word))) {
				bad(c, &at,
				    "line %d of its text ('%.*s'): a table line is '*' and the table's name alone (*raw, "
				    "*filter); its rules and COMMIT follow on lines of their own (indented under the key)",
				    n, (int)len, p);
				return;
			}
			if (table)
				bad(c, &at, "line %d of its text ('%.*s'): the *%s table is not closed with COMMIT before it", n,
				    (int)len, p, table);
			table = w + 1;
			opened = p;
		} else if (strncmp(w, "COMMIT", 6) == 0) {
			if (!table)
				bad(c, &at, "line %d of its text: COMMIT closes no table", n);
			table = NULL;
		} else if (!table) {
			bad(c, &at,
			    "line %d of its text ('%.*s'): a rule before any table line: iptables-restore text opens each "
			    "table with *raw, *filter, *nat or *mangle and closes it with COMMIT",
			    n, (int)len, p);
			return;
		}
	}
	if (table)
		bad(c, s, "the table it opens ('%.*s') is not closed with COMMIT", (int)strcspn(opened, "\n"), opened);
}

/* [server], [router], [client]: the node's keys, the responder's options
 * ([server]), then per-namespace sysctls. */
static void check_node(const struct vctx *c, const struct sc_setting *s)
{
	bool server = strcmp(s->section, "server") == 0;
	const struct ct_opt *table = sc_node_table(s->section);
	if (ct_opt_find(table, s->key)) {
		if ((strcmp(s->key, "nf_conntrack_max") == 0 || strcmp(s->key, "nf_conntrack_buckets") == 0) &&
		    strcmp(s->section, "client") == 0) {
			bad(c, s, "global to the host: set it in [server] or [router], the namespace under test");
			return;
		}
		check_value(c, s, table);
		if (strcmp(s->key, "iptables-file") == 0 || strcmp(s->key, "nft-file") == 0)
			check_file(c, s);
		else if (strcmp(s->key, "iptables") == 0)
			check_ipt_text(c, s);
		else if (strcmp(s->key, "zone") == 0)
			check_zone(c, s);
		return;
	}
	if (server && (ct_opt_find(responder_cli_options, s->key))) {
		if (sc_word_in(sc_responder_reserved, s->key))
			bad(c, s, "set by the runner, not by the scenario");
		else
			check_value(c, s, responder_cli_options);
		return;
	}
	char *path = sc_sysctl_path(s->key);
	if (path) {
		check_sysctl(c, s, path);
		free(path);
		return;
	}
	const char *cands[64];
	size_t n = key_names(table, NULL, cands, N(cands));
	if (server)
		n += key_names(responder_cli_options, sc_responder_reserved, cands + n, N(cands) - n);
	unknown_key(c, s, NULL, cands, n);
}

/* Whether s is written in the file's own sections (not an override). */
static bool in_base(const struct sc_file *f, const struct sc_setting *s)
{
	return f->nset && s >= f->set && s < f->set + f->nset;
}

static void check_setting(const struct vctx *c, const struct sc_setting *s)
{
	/* an empty override unsets the key (--set load.max-qps=, or in a
	 * variant); an empty value in the file's own sections goes to the
	 * parser, which says why it is wrong */
	if (!*s->value && !in_base(c->f, s))
		return;
	const struct sc_section_kind *k = sc_section_kind(s->section);
	if (k && k->node) {
		check_node(c, s);
	} else if (k && sc_word_in(k->reserved, s->key)) {
		bad(c, s, "set by the runner, not by the scenario");
	} else if (k && !ct_opt_find(k->table, s->key)) {
		const char *cands[64];
		size_t n = key_names(k->table, k->reserved, cands, N(cands));
		unknown_key(c, s, k->binary, cands, n);
	} else if (k) {
		check_value(c, s, k->table);
	}
}

/* The lab's rule: sources from the benchmarking ranges, never the links. */
static const char *src_range_problem(const char *text, bool lab6)
{
	static const char *const lab[2] = { "198.18.0.0/15", "2001:2::/48" };
	static const char *const links[2][2] = { { "198.18.0.0/24", "198.18.1.0/24" },
						 { "2001:2::/64", "2001:2:0:1::/64" } };
	struct ct_cidr r, outer, link;
	char why[CT_ERRLEN];
	if (ct_cidr_parse(text, &r, why, sizeof why) < 0)
		return "not ADDR/PREFIX";
	int v6 = r.base.ss.ss_family == AF_INET6;
	ct_cidr_parse(lab[v6], &outer, why, sizeof why);
	if (!ct_cidr_within(&r, &outer))
		return v6 ? "outside 2001:2::/48, the benchmarking range the lab uses"
			  : "outside 198.18.0.0/15, the benchmarking range the lab uses";
	for (int i = 0; i < 2; i++) {
		ct_cidr_parse(links[v6][i], &link, why, sizeof why);
		if (ct_cidr_overlap(&r, &link))
			return v6 ? "overlaps the lab's links 2001:2::/64 and 2001:2:0:1::/64 (use 2001:2:0:100::/64)"
				  : "overlaps the lab's links 198.18.0.0/24 and 198.18.1.0/24 (use 198.19.0.0/16)";
	}
	if (v6 != lab6)
		return lab6 ? "the lab is IPv6 (scenario family)" : "the lab is IPv4 (scenario family)";
	return NULL;
}

/* Where a rule between keys is reported: at the key, or else the section. */
static const struct sc_setting *at_key(const struct vctx *c, const char *section, const char *key,
				       struct sc_setting *stub)
{
	const struct sc_setting *s = sc_get(c->r, section, key);
	if (s)
		return s;
	for (size_t i = 0; i < c->r->nset; i++)
		if (strcmp(c->r->set[i]->section, section) == 0) {
			*stub = *c->r->set[i];
			stub->key = (char *)key;
			return stub;
		}
	*stub = (struct sc_setting){ .section = (char *)section, .key = (char *)key };
	return stub;
}

static bool query_file_seen(const struct vctx *c, const char *path)
{
	for (size_t i = 0; i < c->sh->nloaded; i++)
		if (strcmp(c->sh->loaded[i], path) == 0)
			return true;
	c->sh->loaded = realloc(c->sh->loaded, (c->sh->nloaded + 1) * sizeof *c->sh->loaded);
	if (!c->sh->loaded)
		abort();
	c->sh->loaded[c->sh->nloaded++] = path;
	return false;
}

/* [load] as the loadgen will get it: the scenario's keys and what the
 * runner adds, through lg_cli_check; then the queries it will send. */
static void check_load(const struct vctx *c)
{
	struct lg_cli lg;
	struct sc_canary_cfg canary;
	struct sc_setting stub;
	char why[CT_ERRLEN];
	const char *key;
	sc_section(c->r, "load", lg_cli_options, &lg, sizeof lg);
	sc_section(c->r, "canary", sc_canary_options, &canary, sizeof canary);
	lg.server = "198.18.0.2";
	lg.canary = canary.rate;
	if (!lg.qname && !lg.datafile)
		lg.qname = "example.test."; /* the runner asks the served zone's apex */
	if (lg_cli_check(&lg, &key, why, sizeof why) < 0)
		bad(c, at_key(c, "load", key, &stub), "%s", value_error(why, key));
	struct ct_query_opts qo = { .rd = !lg.no_rd, .edns = (uint16_t)lg.edns };
	struct ct_queryset qs = { 0 };
	const struct sc_setting *df = sc_get(c->r, "load", "datafile"), *qn = sc_get(c->r, "load", "qname");
	if (df) {
		char *path = sc_path(c->f, df->value);
		if (!query_file_seen(c, df->value) && ct_queryset_load(path, &qo, &qs, why, sizeof why) < 0)
			bad(c, df, "%s", why);
		free(path);
	} else if (qn && ct_queryset_types(qn->value, lg.qtype.t, lg.qtype.n, &qo, &qs, why, sizeof why) < 0) {
		bad(c, qn, "%s", value_error(why, "qname"));
	}
	ct_queryset_free(&qs);
	struct sc_scenario_cfg sc;
	sc_section(c->r, "scenario", sc_scenario_options, &sc, sizeof sc);
	const struct sc_setting *sw = sc_get(c->r, "scenario", "dnat-switch");
	if (sw && sc.dnat_switch >= lg_cli_duration_ns(&lg))
		bad(c, sw, "at or after the load's end (%.3g s): the switch happens during the load",
		    (double)lg_cli_duration_ns(&lg) / 1e9);
	ct_opt_free(lg_cli_options, &lg);
}

/* What a real node's section may hold that the lab's does not: the
 * globals as numbers, iptables rules ctstorm can own. */
static void check_real_node(const struct vctx *c, const char *section)
{
	const struct sc_resolved *r = c->r;
	static const char *const globals[] = { "nf_conntrack_max", "nf_conntrack_buckets" };
	for (size_t i = 0; i < 2; i++) {
		const struct sc_setting *g = sc_get(r, section, globals[i]);
		if (g && strcmp(g->value, "formula") == 0)
			bad(c, g, "formula is this host's RAM, not the real %s's: give the number (ctstorm plan --ram SIZE "
				  "computes it)",
			    section);
	}
	/* iptables rules go in chains ctstorm owns: what cannot be owned is
	 * refused here, before any host is touched */
	static const char *const ipt[] = { "iptables", "iptables-file" };
	for (size_t i = 0; i < 2; i++) {
		const struct sc_setting *x = sc_get(r, section, ipt[i]);
		if (!x)
			continue;
		char err[CT_ERRLEN], *path = i ? sc_path(r->file, x->value) : NULL;
		char *text = i ? ct_read_file(path, NULL, err, sizeof err) : strdup(x->value);
		free(path);
		if (!text)
			continue; /* an unreadable file: said at the key already */
		struct ipt_owned o;
		char *owned = ipt_owned_rewrite(text, &o, err, sizeof err);
		if (!owned)
			bad(c, x, "on a real host, iptables rules go in chains ctstorm owns (CTSTORM-*): %s", err);
		free(owned);
		free(text);
	}
}

/* Real hosts ([hosts] server, router, client): what the lab does that a
 * real host does not (yet), refused at its key. */
static void check_real_hosts(const struct vctx *c, const struct sc_scenario_cfg *sc, const struct sc_node_cfg *server)
{
	const struct sc_resolved *r = c->r;
	const struct sc_setting *host = sc_get(r, "hosts", "server"), *router = sc_get(r, "hosts", "router");
	const struct sc_setting *address = sc_get(r, "server", "address"), *lower = sc_get(r, "server", "allow-lower"),
				*resp = sc_get(r, "server", "responder"), *rlower = sc_get(r, "router", "allow-lower");
	const struct sc_setting *client = sc_get(r, "hosts", "client"), *weights = sc_get(r, "hosts", "weights");
	if (client && sc_client_local(client->value))
		client = NULL; /* this host's own stack, as without the key */
	bool external = server->responder == SC_RESP_EXTERNAL;
	if (weights && !client)
		bad(c, weights, "applies to load hosts ([hosts] client = ssh://A, ssh://B)");
	if (client && !host && !router)
		bad(c, client, "load hosts need a real server ([hosts] server = ssh://...): the lab's server namespace is "
			       "not reachable from them");
	int nclients = 0; /* the load hosts */
	if (client) {
		char *urls[SC_MAX_LOAD_HOSTS], why[CT_ERRLEN];
		unsigned w[SC_MAX_LOAD_HOSTS];
		int n = nclients = sc_load_hosts(client->value, weights ? weights->value : NULL, urls, w, why, sizeof why);
		for (int i = 0; i < n; i++)
			free(urls[i]);
		if (n < 0)
			bad(c, weights ? weights : client, "%s", why);
		/* a rate profile is split as a rate is: each host's rates times
		 * its share (its text must hold them) */
		const struct sc_setting *profile = sc_get(r, "load", "rate-profile");
		struct ct_sched sched;
		char text[4096];
		if (profile && ct_sched_parse(profile->value, &sched, why, sizeof why) == 0 &&
		    ct_sched_format(&sched, 1.0, text, sizeof text) < 0)
			bad(c, profile, "too many segments to split among load hosts");
	}
	if (rlower && !router)
		bad(c, rlower, "applies to a real router ([hosts] router = ssh://...)");
	if (router) {
		const struct sc_setting *nat = sc_get(r, "scenario", "nat");
		if (sc->topology != SC_ROUTED)
			bad(c, router, "a router is in a routed scenario only (topology = routed)");
		if (nat)
			bad(c, nat, "a real router is tested with its own NAT: ctstorm writes no NAT rules there");
		if (!host && !(external && address))
			bad(c, router,
			    "the server behind a real router is a real host too ([hosts] server = ssh://...), or the DNS "
			    "server there at [server] address with responder = external");
		check_real_node(c, "router");
	} else if (host && sc->topology == SC_ROUTED) {
		bad(c, host, "a real server in a routed scenario needs a real router ([hosts] router = ssh://...): the "
			     "lab's router cannot reach it");
	}
	const struct sc_setting *ap = sc_get(r, "scenario", "after-collector-pass");
	if (ap && sc->after_pass && (host || router))
		bad(c, ap, "the lab's: a real host's collector serves its whole table (ctstorm probe waits out a quiet "
			   "host's first pass with its warmup)");
	const struct sc_setting *be = sc_get(r, "server", "backends");
	if (be && (host || router))
		bad(c, be, "the lab's backends: a real server or router has its own addresses and rules");
	if (!host && !router) {
		if (address)
			bad(c, address, "applies to a real server ([hosts] server = ssh://...)");
		if (resp && external)
			bad(c, resp, "external: the DNS server a real host runs ([hosts] server = ssh://...)");
	}
	if (!host && lower)
		bad(c, lower, "applies to a real server ([hosts] server = ssh://...)");
	if (!host && !router)
		return;
	/* a source range: on lo of the load's host (ours, or each load host
	 * its part), routed back by the server over the link they share */
	const struct sc_setting *src = sc_get(r, "load", "src-range");
	struct ct_cidr whole, part;
	char why2[CT_ERRLEN];
	if (src && router)
		bad(c, src, "a source range behind a real router needs the network's routes to it: not supported");
	else if (src && nclients > 0 && ct_cidr_parse(src->value, &whole, why2, sizeof why2) == 0 &&
		 ct_cidr_part(&whole, (unsigned)nclients, 0, &part) < 0)
		bad(c, src, "'%s' is too small to split among %d load hosts (4 addresses each at least)", src->value,
		    nclients);
	if (external && !sc_get(r, "load", "qname") && !sc_get(r, "load", "datafile"))
		bad(c, resp, "external: the load needs the names to ask ([load] qname or datafile), there is no zone of ours");
	if (!host)
		return;
	struct ssh_target t;
	char why[CT_ERRLEN];
	unsigned char a[16];
	if (ssh_target_parse(host->value, &t, why, sizeof why) == 0 && !address && inet_pton(AF_INET, t.host, a) != 1 &&
	    inet_pton(AF_INET6, t.host, a) != 1)
		bad(c, host, "%s is a name: say where the load goes with [server] address = IP", t.url);
	if (resp && (server->responder == SC_RESP_NSD || server->responder == SC_RESP_KNOT))
		bad(c, resp, "a real server runs ctstorm-responder, or responder = external for the DNS server it runs");
	check_real_node(c, "server");
}

/* Checks across keys of one resolved variant. */
static void check_resolved(const struct vctx *c)
{
	const struct sc_resolved *r = c->r;
	struct sc_scenario_cfg sc;
	struct sc_node_cfg server;
	sc_section(r, "scenario", sc_scenario_options, &sc, sizeof sc);
	sc_section(r, "server", sc_server_options, &server, sizeof server);
	bool routed = sc.topology == SC_ROUTED;
	const struct sc_setting *nat = sc_get(r, "scenario", "nat");
	if (nat && !routed)
		bad(c, nat, "applies to topology = routed only");
	const struct sc_setting *sw = sc_get(r, "scenario", "dnat-switch"), *swf = sc_get(r, "scenario", "dnat-switch-flush");
	if (sw && sc.dnat_switch > 0 && !(routed && sc.nat == SC_DNAT && server.backends >= 2))
		bad(c, sw, "needs topology = routed, nat = dnat and [server] backends = 2 or more (a backend to switch to)");
	if (swf && sc.dnat_switch_flush && !sc.dnat_switch)
		bad(c, swf, "applies with dnat-switch");
	const struct sc_setting *be = sc_get(r, "server", "backends");
	if (be && server.backends > 1 && !(routed && sc.nat == SC_DNAT))
		bad(c, be, "more than one backend needs topology = routed and nat = dnat (the router's DNAT spreads the "
			   "flows over them)");
	else if (be && server.backends > 1 && server.responder != SC_RESP_CTSTORM)
		bad(c, be, "more than one backend: ctstorm's own responder only (it answers on every backend's address)");
	for (size_t i = 0; i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (strcmp(s->section, "router") == 0 && !routed)
			bad(c, s, "[router] applies to topology = routed only");
	}
	static const char *const globals[] = { "nf_conntrack_max", "nf_conntrack_buckets" };
	for (size_t i = 0; i < 2; i++) {
		const struct sc_setting *a = sc_get(r, "server", globals[i]), *b = sc_get(r, "router", globals[i]);
		if (a && b)
			bad(c, b, "also set in [server] (%s is one value for the whole host)", globals[i]);
	}
	check_real_hosts(c, &sc, &server);
	bool ours = server.responder == SC_RESP_CTSTORM;
	for (size_t i = 0; !ours && i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (strcmp(s->section, "server") == 0 && ct_opt_find(responder_cli_options, s->key))
			bad(c, s, "an option of ctstorm-responder, but responder = %s", sc_value(r, "server", "responder", ""));
	}
	if (!sc_get(r, "load", "qname") && !sc_get(r, "load", "datafile") && sc_get(r, "load", "qtype"))
		bad(c, sc_get(r, "load", "qtype"), "qtype without qname");
	const struct sc_setting *src = sc_get(r, "load", "src-range");
	const char *why = src ? src_range_problem(src->value, sc.family == SC_IPV6) : NULL;
	if (why)
		bad(c, src, "'%s': %s", src->value, why);
	check_load(c);
	bool canary = sc_get(r, "canary", "rate") != NULL;
	for (size_t i = 0; i < r->nexp; i++) {
		const struct sc_expect *x = r->exp[i];
		struct sc_setting at = { .section = (char *)"expect", .key = x->text, .line = x->line };
		if (strncmp(x->metric, "canary.", 7) == 0 && !canary)
			bad(c, &at, "no canary in this variant ([canary] rate = N)");
		if (strncmp(x->metric, "responder.", 10) == 0 && !ours)
			bad(c, &at, "responder.* counters come from ctstorm-responder only");
	}
}

int sc_validate(const struct sc_file *f, struct sc_errors *e)
{
	size_t before = e->n + e->dropped;
	bool have_scenario = false, have_load = false;
	for (size_t i = 0; i < f->nset; i++) {
		have_scenario |= strcmp(f->set[i].section, "scenario") == 0;
		have_load |= strcmp(f->set[i].section, "load") == 0;
	}
	if (!have_scenario)
		sc_error(e, "%s: no [scenario] section (name = ..., description = ...)", f->path);
	if (!have_load)
		sc_error(e, "%s: no [load] section (the loadgen's options: max-qps, limit, ...)", f->path);
	struct vshared sh = { 0 };
	size_t nv = f->nvar ? f->nvar : 1;
	for (int quick = 0; quick <= 1; quick++) {
		for (size_t v = 0; v < nv; v++) {
			struct sc_resolved r;
			sc_resolve(f, f->nvar ? v : (size_t)-1, quick, &r);
			struct vctx c = { .f = f, .r = &r, .e = e, .sh = &sh };
			if (f->nvar)
				snprintf(c.where, sizeof c.where, " (variant %s%s)", r.name, quick ? ", --quick" : "");
			else if (quick)
				snprintf(c.where, sizeof c.where, " (--quick)");
			size_t errors = e->n + e->dropped;
			for (size_t i = 0; i < r.nset; i++)
				check_setting(&c, r.set[i]);
			/* rules between keys only over values that parse */
			if (e->n + e->dropped == errors)
				check_resolved(&c);
			sc_resolved_free(&r);
		}
	}
	free(sh.loaded);
	return e->n + e->dropped == before ? 0 : -1;
}
