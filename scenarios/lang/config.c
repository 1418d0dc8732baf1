#include "config.h"

#include "clock.h"
#include "ct_err.h"
#include "lg_cli.h"
#include "sampler_cli.h"
#include "sshtarget.h"

#include <arpa/inet.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const topology_words[] = { "pair", "routed", NULL };
static const char *const nat_words[] = { "masquerade", "dnat", "none", NULL };
static const char *const family_words[] = { "ipv4", "ipv6", NULL };
static const char *const responder_words[] = { "ctstorm", "nsd", "knot", "external", NULL };
const char *const sc_firewall_words[] = { "default",	   "none",	      "stateful", "stateless",
					  "notrack-dns", "notrack-dns-nft", "as-is",	   NULL };

static int parse_name(const char *text, void *field, char *err, size_t errlen)
{
	if (!*text || strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(text))
		return ct_err(err, errlen, "'%s': a name is letters, digits, '-', '_' and '.' (it names the results folder)",
			      text);
	*(const char **)field = text;
	return 0;
}

static int parse_global(const char *text, void *field, char *err, size_t errlen)
{
	struct sc_global *g = field;
	memset(g, 0, sizeof *g);
	g->given = true;
	if (strcmp(text, "formula") == 0) {
		g->formula = true;
		return 0;
	}
	if (ct_parse_uint(text, &g->value, NULL, 0) < 0 || g->value < 1 || g->value > SC_GLOBAL_MAX)
		return ct_err(err, errlen, "'%s' is neither a number 1..%u nor 'formula'", text, SC_GLOBAL_MAX);
	return 0;
}

static int parse_address(const char *text, void *field, char *err, size_t errlen)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, text, a) != 1 && inet_pton(AF_INET6, text, a) != 1)
		return ct_err(err, errlen, "'%s' is not an IPv4 or IPv6 address", text);
	*(const char **)field = text;
	return 0;
}

static int parse_host(const char *text, void *field, char *err, size_t errlen)
{
	struct ssh_target t;
	if (ssh_target_parse(text, &t, err, errlen) < 0)
		return -1;
	*(const char **)field = text;
	return 0;
}

static int parse_host_list(const char *text, void *field, char *err, size_t errlen)
{
	char *urls[SC_MAX_LOAD_HOSTS];
	unsigned w[SC_MAX_LOAD_HOSTS];
	int n = sc_load_hosts(text, NULL, urls, w, err, errlen);
	for (int i = 0; i < n; i++)
		free(urls[i]);
	if (n == 0 && !sc_client_local(text))
		return ct_err(err, errlen, "no host: local, or ssh://A[, ssh://B...]");
	if (n < 0)
		return -1;
	*(const char **)field = text;
	return 0;
}

static int parse_weights(const char *text, void *field, char *err, size_t errlen)
{
	for (const char *p = text; *p; p++)
		if (!strchr("0123456789, \t", *p))
			return ct_err(err, errlen, "'%s': weights are whole numbers, comma-separated", text);
	*(const char **)field = text;
	return 0;
}

static int parse_text(const char *text, void *field, char *err, size_t errlen)
{
	if (!text[strspn(text, " \t\n")])
		return ct_err(err, errlen, "empty ruleset (write the rules on indented lines below the key)");
	*(const char **)field = text;
	return 0;
}

#define S(f) offsetof(struct sc_scenario_cfg, f)
const struct ct_opt sc_scenario_options[] = {
	{ "name", 0, CT_OPT_CUSTOM, S(name), "scenario", 0, 0, "NAME", "names the results folder", parse_name },
	{ "description", 0, CT_OPT_STR, S(description), NULL, 0, 0, "TEXT", "one line for reports and `ctstorm list`", NULL },
	{ "seed", 0, CT_OPT_STR, S(seed), NULL, 0, 0, "TEXT", "the incident it reproduces", NULL },
	{ "topology", 0, CT_OPT_ENUM, S(topology), "pair", 0, 0, NULL,
	  "pair: client <-> server; routed: client <-> router <-> server, conntrack on the router", NULL, topology_words },
	{ "nat", 0, CT_OPT_ENUM, S(nat), "masquerade", 0, 0, NULL,
	  "routed only: the router masquerades, forwards port 53 at its own address to the server (DNAT; to "
	  "[server] backends at random, as kube-proxy), or only routes (none: conntrack there only if its firewall "
	  "needs it)",
	  NULL, nat_words },
	{ "family", 0, CT_OPT_ENUM, S(family), "ipv4", 0, 0, NULL, "the lab's addresses", NULL, family_words },
	{ "after-collector-pass", 0, CT_OPT_FLAG, S(after_pass), NULL, 0, 0, NULL,
	  "a burst after a quiet period: before the load, a few marker flows, then a wait (at most 130 s) until "
	  "the kernel's collector has freed them; the load starts right after that pass, with the idle "
	  "collector's longest interval (60 s) ahead of it",
	  NULL },
	{ "dnat-switch", 0, CT_OPT_DURATION, S(dnat_switch), "0", 0, 3600 * CT_NS_PER_SEC, "DURATION",
	  "nat = dnat with [server] backends >= 2: new flows go to backend 1 alone until this long after the "
	  "load's start; then backend 1 is gone (its address removed, as a deleted pod's) and the DNAT sends new "
	  "flows to the others; 0: no switch",
	  NULL },
	{ "dnat-switch-flush", 0, CT_OPT_FLAG, S(dnat_switch_flush), NULL, 0, 0, NULL,
	  "at the switch, delete the router's entries of flows DNATed to the gone backend (conntrack -D --orig-dst "
	  "SERVICE --dst-nat BACKEND, as kube-proxy does for a removed endpoint)",
	  NULL },
	{ "settle", 0, CT_OPT_DURATION, S(settle), "500ms", 0, 600 * CT_NS_PER_SEC, "DURATION",
	  "wait between the server's start and the load's", NULL },
	{ "tail", 0, CT_OPT_DURATION, S(tail), "1s", 0, 600 * CT_NS_PER_SEC, "DURATION",
	  "keep sampling this long after the load", NULL },
	CT_OPT_END,
};
#undef S

const struct ct_opt sc_canary_options[] = {
	{ "rate", 0, CT_OPT_RATE, offsetof(struct sc_canary_cfg, rate), NULL, 0, 100000, "RATE",
	  "fresh-socket queries per second beside the load: what a normal client sees", NULL },
	CT_OPT_END,
};

#define P(f) offsetof(struct sc_probe_cfg, f)
const struct ct_opt sc_probe_options[] = {
	{ "warmup", 0, CT_OPT_DURATION, P(warmup), "65s", CT_NS_PER_SEC, 3600 * CT_NS_PER_SEC, "DURATION",
	  "each step's ramp before its judged window (an idle host's collector first wakes within 60 s)", NULL },
	{ "hold", 0, CT_OPT_DURATION, P(hold), "20s", CT_NS_PER_SEC, 3600 * CT_NS_PER_SEC, "DURATION",
	  "each step's judged window", NULL },
	{ "budget", 0, CT_OPT_DURATION, P(budget), "15m", CT_NS_PER_SEC, 3600 * CT_NS_PER_SEC, "DURATION",
	  "the whole search at most", NULL },
	{ "precision", 0, CT_OPT_UINT, P(precision), "4", 1, 50, "PERCENT",
	  "stop bisecting when the bracket is this narrow", NULL },
	CT_OPT_END,
};
#undef P

#define N(f) offsetof(struct sc_node_cfg, f)
#define NODE_KEYS                                                                                                     \
	{ "firewall", 0, CT_OPT_ENUM, N(firewall), "default", 0, 0, NULL,                                             \
	  "a preset; default: stateful on the server of a pair lab, as-is on a real host (its own rules), none "      \
	  "elsewhere",                                                                                                \
	  NULL, sc_firewall_words },                                                                                  \
	{ "iptables", 0, CT_OPT_CUSTOM, N(iptables), NULL, 0, 0, "TEXT",                                              \
	  "iptables-restore text on indented lines, added to the preset", parse_text },                               \
	{ "nft", 0, CT_OPT_CUSTOM, N(nft), NULL, 0, 0, "TEXT", "nft -f text on indented lines", parse_text },          \
	{ "iptables-file", 0, CT_OPT_STR, N(iptables_file), NULL, 0, 0, "FILE", "iptables-restore input", NULL },      \
	{ "nft-file", 0, CT_OPT_STR, N(nft_file), NULL, 0, 0, "FILE", "nft -f input", NULL },                         \
	{ "nf_conntrack_max", 0, CT_OPT_CUSTOM, N(max), NULL, 0, 0, "N|formula",                                      \
	  "global to the host (saved and restored); formula: seed 004's RAM / 16384 / (bits / 32)", parse_global },   \
	{ "nf_conntrack_buckets", 0, CT_OPT_CUSTOM, N(buckets), NULL, 0, 0, "N|formula",                              \
	  "global to the host (saved and restored); formula: the formula's max / 8", parse_global }

const struct ct_opt sc_node_options[] = { NODE_KEYS, CT_OPT_END };
const struct ct_opt sc_router_options[] = {
	NODE_KEYS,
	{ "allow-lower", 0, CT_OPT_FLAG, N(allow_lower), NULL, 0, 0, NULL,
	  "a real router ([hosts] router): nf_conntrack_max may be set below the host's own (never below what its "
	  "table holds)",
	  NULL },
	CT_OPT_END,
};
const struct ct_opt sc_server_options[] = {
	NODE_KEYS,
	{ "responder", 0, CT_OPT_ENUM, N(responder), "ctstorm", 0, 0, NULL, "the DNS server under test", NULL,
	  responder_words },
	{ "zone", 0, CT_OPT_STR, N(zone), NULL, 0, 0, "FILE", "the zone it serves (default: example.test)", NULL },
	{ "address", 0, CT_OPT_CUSTOM, N(address), NULL, 0, 0, "IP",
	  "a real server ([hosts] server): the address the load goes to (default: the ssh host's, when an address)",
	  parse_address },
	{ "allow-lower", 0, CT_OPT_FLAG, N(allow_lower), NULL, 0, 0, NULL,
	  "a real server: nf_conntrack_max may be set below the host's own (never below what its table holds)", NULL },
	{ "backends", 0, CT_OPT_UINT, N(backends), "1", 1, SC_MAX_BACKENDS, "N",
	  "nat = dnat: the server has N addresses (198.18.1.2 up, 2001:2:0:1::2 up), the responder answers on each, "
	  "and the router's DNAT picks one at random per new flow (iptables statistic rules, as kube-proxy writes "
	  "them for a Service's endpoints)",
	  NULL },
	CT_OPT_END,
};
#undef N

#define H(f) offsetof(struct sc_hosts_cfg, f)
const struct ct_opt sc_hosts_options[] = {
	{ "server", 0, CT_OPT_CUSTOM, H(server), NULL, 0, 0, "ssh://[USER@]HOST[:PORT]",
	  "the server is this real host, over ssh (its ctstorm must be this version; ctstorm deploy); the client "
	  "is then this host's own stack",
	  parse_host },
	{ "router", 0, CT_OPT_CUSTOM, H(router), NULL, 0, 0, "ssh://[USER@]HOST[:PORT]",
	  "topology = routed: the router under test is this real host (its [router] sysctls and rules, the "
	  "sampler there); the load reaches the server through it by the network's own routes, so the server is a "
	  "real host too, or [server] address with responder = external",
	  parse_host },
	{ "client", 0, CT_OPT_CUSTOM, H(client), NULL, 0, 0, "local|ssh://A[, ssh://B...]",
	  "the load comes from these real hosts, together, its rate and flows split among them (needs a real "
	  "server or router); the first also sends the canary. local: this host's own stack (the default with a real server "
	  "or router)",
	  parse_host_list },
	{ "weights", 0, CT_OPT_CUSTOM, H(weights), NULL, 0, 0, "W[, W...]",
	  "the load hosts' shares of the load, in their order (default: even)", parse_weights },
	CT_OPT_END,
};
#undef H

bool sc_client_local(const char *client)
{
	if (!client)
		return true;
	client += strspn(client, " \t");
	size_t len = strlen(client);
	while (len && (client[len - 1] == ' ' || client[len - 1] == '\t'))
		len--;
	return len == 5 && strncmp(client, "local", 5) == 0;
}

int sc_load_hosts(const char *client, const char *weights, char *urls[SC_MAX_LOAD_HOSTS],
		  unsigned w[SC_MAX_LOAD_HOSTS], char *err, size_t errlen)
{
	int n = 0;
	if (sc_client_local(client))
		client = NULL; /* this host's own stack: no load host */
	for (const char *p = client; p && *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, ",");
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (!len)
			break;
		if (n == SC_MAX_LOAD_HOSTS) {
			for (int i = 0; i < n; i++)
				free(urls[i]);
			return ct_err(err, errlen, "more than %d load hosts", SC_MAX_LOAD_HOSTS);
		}
		urls[n] = strndup(p, len);
		struct ssh_target t;
		if (urls[n] && strcmp(urls[n], "local") == 0) {
			for (int i = 0; i <= n; i++)
				free(urls[i]);
			return ct_err(err, errlen, "local is this host's own stack, alone: load hosts are ssh://A, ssh://B");
		}
		if (!urls[n] || ssh_target_parse(urls[n], &t, err, errlen) < 0) {
			for (int i = 0; i <= n; i++)
				free(urls[i]);
			return -1;
		}
		w[n++] = 1;
		p += strcspn(p, ",");
	}
	int k = 0;
	for (const char *p = weights; p && *p; k++) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		char *end;
		unsigned long x = strtoul(p, &end, 10);
		if (end == p || x < 1 || x > 1000 || k >= n) {
			for (int i = 0; i < n; i++)
				free(urls[i]);
			if (k >= n)
				return ct_err(err, errlen, "more weights than load hosts (%d)", n);
			return ct_err(err, errlen, "'%.20s': a weight is 1 to 1000", p);
		}
		w[k] = (unsigned)x;
		p = end;
	}
	if (weights && k != n) {
		for (int i = 0; i < n; i++)
			free(urls[i]);
		return ct_err(err, errlen, "%d weights for %d load hosts", k, n);
	}
	return n;
}

static const char *const lg_reserved[] = { "server", "port", "json", "summary", "canary", "canary-log",
					   "interval-histograms", "quiet", "start-at", NULL };
static const char *const sampler_reserved[] = { "netns",    "csv",   "json",      "summary", "kmsg-log",
						"duration", "quiet", "prom-file", "listen",  NULL };
const char *const sc_responder_reserved[] = { "listen", "user", "stats-json", "quiet", "zone", NULL };

/* the report's time series: intervals of half a second show a short
 * quick form's incident in several points */
static const char *const lg_runner_defaults[] = { "stats-interval", "500ms", NULL };

const struct sc_section_kind sc_sections[] = {
	{ "scenario", sc_scenario_options, NULL, NULL, false, "the scenario as a whole" },
	{ "server", sc_server_options, NULL, NULL, true,
	  "the server node; also ctstorm-responder's options (ctstorm-responder --help; listen, user, stats-json, "
	  "quiet and zone are the runner's) and per-namespace sysctls (nf_conntrack_* and net.* by their dotted "
	  "names)" },
	{ "router", sc_router_options, NULL, NULL, true,
	  "the router of a routed lab, or the real router ([hosts] router); also per-namespace sysctls" },
	{ "client", sc_node_options, NULL, NULL, true, "the client node; also per-namespace sysctls" },
	{ "load", lg_cli_options, lg_reserved, "ctstorm-loadgen", false,
	  "ctstorm-loadgen's long options, less those the runner sets", lg_runner_defaults },
	{ "canary", sc_canary_options, NULL, NULL, false, "a normal client's queries beside the load" },
	{ "sampler", sampler_cli_options, sampler_reserved, "ctstorm-sampler", false,
	  "ctstorm-sampler's long options, less those the runner sets" },
	{ "probe", sc_probe_options, NULL, NULL, false, "the search of ctstorm probe" },
	{ "hosts", sc_hosts_options, NULL, NULL, false,
	  "roles on real hosts over ssh (--host ROLE=ssh://... on the command line wins)" },
	{ NULL },
};

const struct sc_section_kind *sc_section_kind(const char *name)
{
	for (const struct sc_section_kind *k = sc_sections; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

bool sc_word_in(const char *const *words, const char *key)
{
	for (const char *const *w = words; w && *w; w++)
		if (strcmp(*w, key) == 0)
			return true;
	return false;
}

const struct ct_opt *sc_node_table(const char *section)
{
	return strcmp(section, "server") == 0	? sc_server_options
	       : strcmp(section, "router") == 0 ? sc_router_options
						: sc_node_options;
}

void sc_section(const struct sc_resolved *r, const char *section, const struct ct_opt *table, void *cfg, size_t size)
{
	char why[CT_ERRLEN];
	memset(cfg, 0, size);
	ct_opt_defaults(table, cfg, why, sizeof why);
	const struct sc_section_kind *k = sc_section_kind(section);
	for (const char *const *d = k && k->table == table ? k->defaults : NULL; d && *d; d += 2)
		ct_opt_set(table, cfg, d[0], d[1], why, sizeof why);
	for (size_t i = 0; i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (*s->value && strcmp(s->section, section) == 0 && ct_opt_find(table, s->key))
			ct_opt_set(table, cfg, s->key, s->value, why, sizeof why);
	}
}

const char *sc_key_default(const char *section, const struct ct_opt *o)
{
	const struct sc_section_kind *k = sc_section_kind(section);
	for (const char *const *d = k ? k->defaults : NULL; d && *d; d += 2)
		if (strcmp(d[0], o->name) == 0)
			return d[1];
	return o->def;
}

uint64_t sc_global_value(const struct sc_global *g, bool buckets)
{
	if (!g->formula)
		return g->value;
	uint64_t max = sc_formula_max();
	return buckets ? max / 8 : max;
}
