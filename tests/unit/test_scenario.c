/* Scenario files: parsing, variants, precedence, validation, expectations.
 * Every bad input must give an error naming file:line (or --set) and the
 * key, as the user would read it. */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GOOD                                                                                                   \
	"[scenario]\nname = t\ndescription = a test\n"                                                         \
	"[server]\nnf_conntrack_max = 15\nfirewall = stateful\n"                                               \
	"[load]\nmax-qps = 20\nlimit = 3s\nsockets = per-query\n"                                              \
	"[canary]\nrate = 5\n"                                                                                 \
	"[expect]\nloadgen.sent >= 1\n"                                                                        \
	"[quick]\nload.limit = 1s\n"                                                                           \
	"[variant base]\ndescription = the baseline\nsampler.drop > 0\ncanary.loss_pct > 20\n"                \
	"[variant notrack]\nserver.firewall = notrack-dns\nloadgen.timeouts == 0\nsampler.peak_count <= 15\n"

/* Parses and validates; returns the joined errors ("" when none). */
static char *check(const char *text, const char *const *sets, size_t nsets, struct sc_file *f)
{
	struct sc_errors e = { 0 };
	memset(f, 0, sizeof *f);
	int rc = sc_parse_string(text, "t.scn", f, &e);
	for (size_t i = 0; rc == 0 && i < nsets; i++)
		rc = sc_add_cli_set(f, sets[i], &e);
	if (rc == 0)
		sc_validate(f, &e);
	size_t len = 1;
	for (size_t i = 0; i < e.n; i++)
		len += strlen(e.msg[i]) + 1;
	char *out = calloc(1, len);
	for (size_t i = 0; i < e.n; i++) {
		strcat(out, e.msg[i]);
		strcat(out, "\n");
	}
	sc_errors_free(&e);
	return out;
}

static void test_good_file(void **state)
{
	(void)state;
	struct sc_file f;
	char *err = check(GOOD, NULL, 0, &f);
	assert_string_equal(err, "");
	assert_int_equal(f.nvar, 2);
	assert_string_equal(f.var[0].name, "base");
	assert_string_equal(f.var[0].description, "the baseline");
	assert_int_equal(f.var[0].nexp, 2);
	assert_string_equal(f.var[0].exp[1].text, "canary.loss_pct > 20");
	assert_int_equal(f.var[1].exp[1].op, SC_LE);
	assert_true(f.var[1].exp[1].value == 15);
	assert_int_equal(f.nexp, 1);
	assert_int_equal(f.exp[0].line, 14);
	free(err);
	sc_file_free(&f);
}

static void test_precedence(void **state)
{
	(void)state;
	struct sc_file f;
	const char *sets[] = { "server.nf_conntrack_max=99" };
	char *err = check(GOOD, sets, 1, &f);
	assert_string_equal(err, "");
	struct sc_resolved r;
	/* base, then the variant */
	sc_resolve(&f, 1, false, &r);
	assert_string_equal(sc_value(&r, "server", "firewall", ""), "notrack-dns");
	assert_string_equal(sc_value(&r, "load", "limit", ""), "3s");
	assert_string_equal(sc_value(&r, "server", "nf_conntrack_max", ""), "99"); /* --set last */
	assert_int_equal(r.nexp, 3); /* [expect] and the variant's two */
	sc_resolved_free(&r);
	/* [quick] under --quick; the variant's description */
	sc_resolve(&f, 0, true, &r);
	assert_string_equal(sc_value(&r, "load", "limit", ""), "1s");
	assert_string_equal(sc_value(&r, "server", "firewall", ""), "stateful");
	assert_string_equal(r.description, "the baseline");
	sc_resolved_free(&r);
	free(err);
	sc_file_free(&f);
}

static void test_continuation(void **state)
{
	(void)state;
	struct sc_file f;
	char *err = check("[scenario]\nname = t\n[load]\nlimit = 1s\n[variant a]\nserver.iptables =\n\t*raw\n"
			  "\t-A PREROUTING -p udp -j NOTRACK # inline comment\n\tCOMMIT\n",
			  NULL, 0, &f);
	assert_string_equal(err, "");
	struct sc_resolved r;
	sc_resolve(&f, 0, false, &r);
	assert_string_equal(sc_value(&r, "server", "iptables", ""), "*raw\n-A PREROUTING -p udp -j NOTRACK\nCOMMIT");
	sc_resolved_free(&r);
	free(err);
	sc_file_free(&f);
}

struct bad_case {
	const char *what;
	const char *text;
	const char *set;      /* a --set, or NULL */
	const char *expect;   /* a substring of the error */
};

#define HEAD "[scenario]\nname = t\n[load]\nlimit = 1s\n"

static const struct bad_case bad[] = {
	{ "unknown section", "[scenari]\nname = t\n[load]\nlimit = 1s\n", NULL, "t.scn:1: unknown section [scenari] (did you mean [scenario]?)" },
	{ "no [scenario]", "[load]\nlimit = 1s\n", NULL, "no [scenario] section" },
	{ "no [load]", "[scenario]\nname = t\n", NULL, "no [load] section" },
	{ "key before any section", "name = t\n", NULL, "t.scn:1: 'name' comes before any [section]" },
	{ "loadgen typo", HEAD "max-qsp = 10\n", NULL, "t.scn:5: [load] max-qsp: not an option of ctstorm-loadgen (did you mean 'max-qps'?)" },
	{ "loadgen bad value", HEAD "clients = lots\n", NULL, "t.scn:5: [load] clients:" },
	{ "loadgen duration", HEAD "timeout = 5 parsecs\n", NULL, "t.scn:5: [load] timeout:" },
	{ "runner-owned key", HEAD "server = 1.2.3.4\n", NULL, "t.scn:5: [load] server: set by the runner" },
	{ "sampler typo", HEAD "[sampler]\nintervall = 1s\n", NULL, "t.scn:6: [sampler] intervall: not an option of ctstorm-sampler (did you mean 'interval'?)" },
	{ "firewall preset typo", HEAD "[server]\nfirewall = notrack\n", NULL, "did you mean 'notrack-dns'" },
	{ "max not a number", HEAD "[server]\nnf_conntrack_max = many\n", NULL, "t.scn:6: [server] nf_conntrack_max: 'many' is neither a number" },
	{ "global sysctl on the client", HEAD "[client]\nnf_conntrack_max = 10\n", NULL, "global to the host" },
	{ "no such sysctl", HEAD "[server]\nnet.ipv4.no_such_thing = 1\n", NULL, "no such sysctl" },
	{ "unknown server key", HEAD "[server]\nfirewal = none\n", NULL, "did you mean 'firewall'" },
	{ "iptables without a table", HEAD "[server]\niptables =\n    -A PREROUTING -j NOTRACK\n    COMMIT\n", NULL,
	  "t.scn:7: [server] iptables: line 1 of its text ('-A PREROUTING -j NOTRACK'): a rule before any table line" },
	{ "iptables table not closed", HEAD "[server]\niptables = *raw\n    -A PREROUTING -j NOTRACK\n", NULL,
	  "t.scn:6: [server] iptables: the table it opens ('*raw') is not closed with COMMIT" },
	{ "responder kind", HEAD "[server]\nresponder = bind\n", NULL, "t.scn:6: [server] responder: 'bind' is not one of ctstorm, nsd, knot or external" },
	{ "topology", "[scenario]\nname = t\ntopology = star\n[load]\nlimit = 1s\n", NULL, "t.scn:3: [scenario] topology: 'star' is not pair or routed" },
	{ "router in a pair", HEAD "[router]\nnf_conntrack_max = 100\n", NULL, "[router] applies to topology = routed only" },
	{ "bad name", "[scenario]\nname = a b\n[load]\nlimit = 1s\n", NULL, "a name is letters" },
	{ "duplicate key", HEAD "limit = 2s\n", NULL, "t.scn:5: [load] 'limit' is set twice (first at line 4)" },
	{ "duplicate variant", HEAD "[variant a]\n[variant a]\nserver.firewall = none\n", NULL, "[variant a] appears twice" },
	{ "bad variant name", HEAD "[variant a/b]\nserver.firewall = none\n", NULL, "a variant's name is letters" },
	{ "override without section", HEAD "[variant a]\nfirewall = none\n", NULL, "t.scn:6: [variant a] 'firewall': overrides are SECTION.KEY = VALUE" },
	{ "override section typo", HEAD "[variant a]\nserverr.firewall = none\n", NULL, "did you mean 'server'" },
	{ "expectation metric root", HEAD "[expect]\nloadgn.sent > 1\n", NULL, "t.scn:6: [expect] 'loadgn.sent' is not a metric; did you mean 'loadgen.sent'?" },
	{ "expectation without number", HEAD "[expect]\nsampler.drop > lots\n", NULL, "expected a number after '>'" },
	{ "expectation without operator", HEAD "[expect]\nsampler.drop\n", NULL, "expected a comparison" },
	{ "expectation in a plain section", HEAD "sampler.drop > 0\n", NULL, "t.scn:5: [load] 'sampler.drop > 0': expected KEY = VALUE (expectations go in [expect] or a [variant])" },
	{ "canary metric without canary", HEAD "[expect]\ncanary.loss_pct > 1\n", NULL, "no canary in this variant" },
	{ "stray indented line", HEAD "\tstray\n", NULL, "t.scn:5: an indented line continues 'limit' from line 4" },
	{ "indented line after a section", "[scenario]\n\tname = t\n[load]\nlimit = 1s\n", NULL, "t.scn:2: an indented line continues a multi-line value" },
	{ "src-range outside the lab", HEAD "src-range = 10.0.0.0/8\n", NULL, "outside 198.18.0.0/15" },
	{ "src-range of everything", HEAD "src-range = 0.0.0.0/0\n", NULL, "outside 198.18.0.0/15" },
	{ "src-range of the other family", HEAD "src-range = 2001:2:0:100::/64\n", NULL, "the lab is IPv4" },
	{ "src-range on the links", HEAD "src-range = 198.18.0.0/16\n", NULL, "overlaps the lab's links" },
	{ "nat in a pair", "[scenario]\nname = t\nnat = dnat\n[load]\nlimit = 1s\n", NULL, "applies to topology = routed only" },
	{ "quick typo", HEAD "[quick]\nload.limt = 1s\n", NULL, "t.scn:6: [load] limt: not an option of ctstorm-loadgen (did you mean 'limit'?) (--quick)" },
	{ "--set without a dot", HEAD, "limit=3s", "--set 'limit=3s': expected SECTION.KEY=VALUE" },
	{ "--set bad value", HEAD, "load.clients=x", "--set load.clients: [load] clients:" },
	{ "--set unknown section", HEAD, "laod.limit=3s", "did you mean 'load'" },
	{ "zone file missing", HEAD "[server]\nzone = /nonexistent.zone\n", NULL, "/nonexistent.zone" },
	{ "responder option for nsd", HEAD "[server]\nresponder = nsd\nworkers = 2\n", NULL, "an option of ctstorm-responder, but responder = nsd" },
	{ "a flag's value", HEAD "no-rd = maybe\n", NULL, "t.scn:5: [load] no-rd: 'maybe' is not a boolean (yes/no)" },
	{ "syntax", HEAD "[unterminated\n", NULL, "t.scn:5:" },
	{ "a real server named by name", HEAD "[hosts]\nserver = ssh://db1\n", NULL,
	  "t.scn:6: [hosts] server: ssh://db1 is a name: say where the load goes with [server] address = IP" },
	{ "a real server in a routed lab", "[scenario]\nname = t\ntopology = routed\n[load]\nlimit = 1s\n[hosts]\nserver = ssh://198.18.0.2\n",
	  NULL, "a real server in a routed scenario needs a real router ([hosts] router = ssh://...)" },
	{ "a real router in a pair", HEAD "[hosts]\nrouter = ssh://198.18.0.3\nserver = ssh://198.18.0.2\n", NULL,
	  "t.scn:6: [hosts] router: a router is in a routed scenario only (topology = routed)" },
	{ "a real router before the lab's server", "[scenario]\nname = t\ntopology = routed\n[load]\nlimit = 1s\n[hosts]\nrouter = ssh://198.18.0.3\n",
	  NULL, "the server behind a real router is a real host too" },
	{ "a real router and ctstorm's NAT", "[scenario]\nname = t\ntopology = routed\nnat = masquerade\n[load]\nlimit = 1s\n[hosts]\nrouter = ssh://198.18.0.3\nserver = ssh://198.18.1.2\n",
	  NULL, "[scenario] nat: a real router is tested with its own NAT" },
	{ "the router's allow-lower without a real router", "[scenario]\nname = t\ntopology = routed\n[load]\nlimit = 1s\n[router]\nallow-lower = yes\n",
	  NULL, "[router] allow-lower: applies to a real router" },
	{ "a host ssh reads as an option", HEAD "[hosts]\nserver = ssh://-oProxyCommand=x\n", NULL, "may not start with '-'" },
	{ "iptables on a real server that change the host's chains", HEAD "[hosts]\nserver = ssh://198.18.0.2\n[server]\niptables =\n\t*filter\n\t-P INPUT DROP\n\tCOMMIT\n", NULL,
	  "[server] iptables: on a real host, iptables rules go in chains ctstorm owns (CTSTORM-*): line 2: -P: ctstorm only adds rules" },
	{ "iptables on a real server without a table", HEAD "[hosts]\nserver = ssh://198.18.0.2\n[server]\niptables =\n\t-A INPUT -j ACCEPT\n", NULL,
	  "line 1: '-A INPUT -j ACCEPT' outside a table" },
	{ "nsd on a real server", HEAD "[hosts]\nserver = ssh://198.18.0.2\n[server]\nresponder = nsd\n", NULL,
	  "a real server runs ctstorm-responder, or responder = external" },
	{ "src-range behind a real router", "[scenario]\nname = t\ntopology = routed\n[load]\nlimit = 1s\nsrc-range = 198.19.0.0/16\n[hosts]\nrouter = ssh://198.18.0.3\nserver = ssh://198.18.1.2\n",
	  NULL, "[load] src-range: a source range behind a real router needs the network's routes to it" },
	{ "src-range too small for the load hosts", HEAD "src-range = 198.19.0.0/30\n[hosts]\nserver = ssh://198.18.0.2\nclient = ssh://198.18.0.3, ssh://198.18.0.4\n",
	  NULL, "[load] src-range: '198.19.0.0/30' is too small to split among 2 load hosts" },
	{ "address without a real server", HEAD "[server]\naddress = 198.18.0.2\n", NULL,
	  "t.scn:6: [server] address: applies to a real server" },
	{ "address not an address", HEAD "[hosts]\nserver = ssh://db1\n[server]\naddress = db1\n", NULL,
	  "[server] address: 'db1' is not an IPv4 or IPv6 address" },
	{ "external without a real server", HEAD "[server]\nresponder = external\n", NULL,
	  "external: the DNS server a real host runs" },
	{ "external without names to ask", HEAD "[hosts]\nserver = ssh://198.18.0.2\n[server]\nresponder = external\n", NULL,
	  "[server] responder: external: the load needs the names to ask" },
	{ "the formula on a real server", HEAD "[hosts]\nserver = ssh://198.18.0.2\n[server]\nnf_conntrack_max = formula\n", NULL,
	  "[server] nf_conntrack_max: formula is this host's RAM, not the real server's" },
	{ "shows typo", HEAD "[variant a]\nshows = fixed\n", NULL,
	  "t.scn:6: [variant a] shows = 'fixed': expected incident, fix, failed-fix or behaviour" },
	{ "shows twice", HEAD "[variant a]\nshows = fix\nshows = incident\n", NULL,
	  "t.scn:7: [variant a] 'shows' is set twice (first at line 6)" },
	/* every value type of the binaries, by the parser the binary uses */
	{ "loadgen enum", HEAD "mode = quic\n", NULL, "t.scn:5: [load] mode: 'quic' is not udp or tcp" },
	{ "loadgen enum typo", HEAD "mode = tpc\n", NULL, "(did you mean 'tcp'?)" },
	{ "loadgen rate", HEAD "max-qps = fast\n", NULL, "t.scn:5: [load] max-qps: 'fast' is not a rate per second" },
	{ "loadgen zero rate", HEAD "max-qps = 0\n", NULL, "t.scn:5: [load] max-qps: '0' is not a rate per second" },
	{ "loadgen rate profile", HEAD "rate-profile = 1000@10,ramp:5-@3s\n", NULL, "t.scn:5: [load] rate-profile:" },
	{ "loadgen qtype", HEAD "qname = a.test\nqtype = FOO\n", NULL, "t.scn:6: [load] qtype: unknown query type 'FOO'" },
	{ "loadgen qname", HEAD "qname = a..b\n", NULL, "t.scn:5: [load] qname:" },
	{ "loadgen cidr", HEAD "src-range = 198.19.0.0/33\n", NULL, "t.scn:5: [load] src-range: '198.19.0.0/33': an IPv4 prefix is 0..32" },
	{ "loadgen cidr address", HEAD "src-range = 198.19.0/16\n", NULL, "is not an IPv4 or IPv6 address" },
	{ "loadgen sockets", HEAD "sockets = many\n", NULL, "t.scn:5: [load] sockets: 'many' is neither per-query nor a count" },
	{ "loadgen resolver", HEAD "resolver = bind\n", NULL, "t.scn:5: [load] resolver: 'bind' is not none or cares" },
	{ "loadgen -Q and a profile", HEAD "max-qps = 10\nrate-profile = 10@1s\n", NULL, "t.scn:6: [load] rate-profile: -Q and --rate-profile exclude each other" },
	{ "loadgen cares with sockets", HEAD "resolver = cares\nsockets = 4\n", NULL, "t.scn:6: [load] sockets: --resolver cares keeps its own sockets" },
	{ "loadgen qname and datafile", HEAD "qname = a.test\ndatafile = q.txt\n", NULL, "give either -d FILE or --qname NAME" },
	{ "loadgen datafile missing", HEAD "datafile = /nonexistent.queries\n", NULL, "t.scn:5: [load] datafile: /nonexistent.queries: cannot open" },
	{ "sampler duration", HEAD "[sampler]\ninterval = soon\n", NULL, "t.scn:6: [sampler] interval:" },
	{ "sampler range", HEAD "[sampler]\nfill = -3\n", NULL, "t.scn:6: [sampler] fill:" },
	{ "responder mode", HEAD "[server]\nmode = delay=forever\n", NULL, "t.scn:6: [server] mode:" },
	{ "responder workers", HEAD "[server]\nworkers = 0\n", NULL, "t.scn:6: [server] workers: 0 is outside 1..64" },
	{ "canary rate", HEAD "[canary]\nrate = often\n", NULL, "t.scn:6: [canary] rate: 'often' is not a rate per second" },
	{ "canary key", HEAD "[canary]\nrat = 5\n", NULL, "t.scn:6: [canary] rat: unknown key (did you mean 'rate'?)" },
	{ "probe precision", HEAD "[probe]\nprecision = 90\n", NULL, "t.scn:6: [probe] precision: 90 is outside 1..50" },
	{ "probe duration", HEAD "[probe]\nhold = 100ms\n", NULL, "t.scn:6: [probe] hold: 100ms is outside" },
	{ "probe key", HEAD "[probe]\nbudjet = 5m\n", NULL, "did you mean 'budget'" },
	{ "scenario family", "[scenario]\nname = t\nfamily = ipv5\n[load]\nlimit = 1s\n", NULL, "t.scn:3: [scenario] family: 'ipv5' is not ipv4 or ipv6 (did you mean 'ipv4'?)" },
	{ "scenario settle", "[scenario]\nname = t\nsettle = 11m\n[load]\nlimit = 1s\n", NULL, "t.scn:3: [scenario] settle:" },
	{ "empty ruleset", HEAD "[server]\niptables =\n", NULL, "t.scn:6: [server] iptables: empty ruleset" },
	{ "buckets not a number", HEAD "[server]\nnf_conntrack_buckets = 1e6\n", NULL, "t.scn:6: [server] nf_conntrack_buckets: '1e6' is neither a number" },
	/* metrics that do not exist */
	{ "metric typo", HEAD "[expect]\nsampler.drops > 0\n", NULL, "t.scn:6: [expect] 'sampler.drops' is not a metric; did you mean 'sampler.drop'?" },
	{ "metric prefix", HEAD "[expect]\nloadgen.loss == 0\n", NULL, "did you mean 'loadgen.loss_pct'?" },
	{ "metric in a variant", HEAD "[variant a]\nresponder.qeuries.udp > 1\n", NULL, "t.scn:6: [variant a] 'responder.qeuries.udp' is not a metric" },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	size_t failed = 0;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct sc_file f;
		const char *sets[1] = { bad[i].set };
		char *err = check(bad[i].text, sets, bad[i].set ? 1 : 0, &f);
		if (!strstr(err, bad[i].expect)) {
			print_error("%s: expected an error containing\n  %s\ngot\n  %s\n", bad[i].what, bad[i].expect,
				    *err ? err : "(no error)");
			failed++;
		}
		free(err);
		sc_file_free(&f);
	}
	if (failed)
		fail_msg("%zu of %zu bad inputs were not refused as expected", failed, sizeof bad / sizeof *bad);
}

static void test_expectations(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		double measured;
		bool holds;
	} cases[] = {
		{ "sampler.drop > 0", 1, true },      { "sampler.drop > 0", 0, false },
		{ "loadgen.timeouts == 0", 0, true }, { "loadgen.timeouts==0", 3, false },
		{ "canary.loss_pct >= 20", 20, true }, { "canary.loss_pct<20", 20, false },
		{ "sampler.peak_count <= 15", 15, true }, { "x.y != 2", 2, false },
		{ "responder.queries.udp != 2.5", 2, true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct sc_expect x;
		char why[256];
		int rc = sc_expect_parse(cases[i].text, &x, why, sizeof why);
		if (strncmp(cases[i].text, "x.", 2) == 0) {
			assert_int_equal(rc, -1); /* not a metric root */
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(sc_expect_holds(&x, cases[i].measured), cases[i].holds);
		free(x.metric);
		free(x.text);
	}
}

/* An empty override unsets a key: valid, and the key is gone. */
static void test_empty_override(void **state)
{
	(void)state;
	struct sc_file f;
	char *err = check("[scenario]\nname = t\n[load]\nlimit = 1s\nmax-qps = 10\n"
			  "[variant closed]\nload.max-qps =\n[quick]\nload.max-qps =\n",
			  NULL, 0, &f);
	assert_string_equal(err, "");
	struct sc_resolved r;
	sc_resolve(&f, 0, false, &r);
	assert_null(sc_get(&r, "load", "max-qps"));
	sc_resolved_free(&r);
	free(err);
	sc_file_free(&f);
	/* in the file's own sections an empty value is a mistake */
	err = check("[scenario]\nname = t\n[load]\nlimit = 1s\nmax-qps =\n", NULL, 0, &f);
	assert_non_null(strstr(err, "t.scn:5: [load] max-qps: '' is not a rate"));
	free(err);
	sc_file_free(&f);
}

static void test_select(void **state)
{
	(void)state;
	struct sc_file f;
	char *err = check(GOOD, NULL, 0, &f);
	size_t out[4], n;
	struct sc_errors e = { 0 };
	const char *names[] = { "notrack" };
	assert_int_equal(sc_select(&f, names, 1, out, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 1);
	const char *typo[] = { "notrak" };
	assert_int_equal(sc_select(&f, typo, 1, out, &n, &e), -1);
	assert_non_null(strstr(e.msg[0], "did you mean 'notrack'"));
	sc_errors_free(&e);
	free(err);
	sc_file_free(&f);
}

/* What a variant shows: as written, or by default the baseline the
 * incident, the other variants fixes, a file without variants a behaviour. */
static void test_shows(void **state)
{
	(void)state;
	struct sc_file f;
	struct sc_resolved r;
	char *err = check(HEAD "[variant baseline]\n[variant fix]\n[variant bad-fix]\nshows = failed-fix\n"
			       "[variant cmp]\nshows = behaviour\n[variant off]\nshows = incident\n",
			  NULL, 0, &f);
	assert_string_equal(err, "");
	static const enum sc_shows want[] = { SC_SHOWS_INCIDENT, SC_SHOWS_FIX, SC_SHOWS_FAILED_FIX, SC_SHOWS_BEHAVIOUR,
					      SC_SHOWS_INCIDENT };
	for (size_t i = 0; i < 5; i++) {
		sc_resolve(&f, i, false, &r);
		assert_int_equal(r.shows, want[i]);
		sc_resolved_free(&r);
	}
	free(err);
	sc_file_free(&f);
	err = check(HEAD, NULL, 0, &f);
	sc_resolve(&f, (size_t)-1, false, &r);
	assert_int_equal(r.shows, SC_SHOWS_BEHAVIOUR);
	assert_string_equal(sc_shows_words[r.shows], "behaviour");
	sc_resolved_free(&r);
	free(err);
	sc_file_free(&f);
}

/* [hosts] client = local: this host's own stack, as without the key, with
 * a real server or in the lab; never among load hosts. */
static void test_client_local(void **state)
{
	(void)state;
	struct sc_file f;
	static const char *const real[] = { "hosts.server=ssh://198.18.0.2", "hosts.client=local" };
	char *out = check(HEAD, real, 2, &f);
	assert_string_equal(out, "");
	free(out);
	sc_file_free(&f);
	static const char *const lab[] = { "hosts.client= local " };
	out = check(HEAD, lab, 1, &f);
	assert_string_equal(out, "");
	free(out);
	sc_file_free(&f);
	static const char *const mixed[] = { "hosts.server=ssh://198.18.0.2", "hosts.client=local, ssh://198.18.0.3" };
	out = check(HEAD, mixed, 2, &f);
	assert_non_null(strstr(out, "local is this host's own stack, alone"));
	free(out);
	sc_file_free(&f);
	static const char *const weights[] = { "hosts.client=local", "hosts.weights=2" };
	out = check(HEAD, weights, 2, &f);
	assert_non_null(strstr(out, "[hosts] weights: applies to load hosts"));
	free(out);
	sc_file_free(&f);
}

static void test_formula(void **state)
{
	(void)state;
	/* seed 004's worked example: 64 GB on 64 bits -> 2097152, buckets max/8 = 262144 */
	assert_int_equal(sc_formula(64ull << 30, 64), 2097152);
	assert_int_equal(sc_formula(64ull << 30, 64) / 8, 262144);
	/* 32 bits: no division by the word size */
	assert_int_equal(sc_formula(4ull << 30, 32), 262144);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file), cmocka_unit_test(test_precedence), cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_client_local),
		cmocka_unit_test(test_bad_inputs), cmocka_unit_test(test_expectations), cmocka_unit_test(test_select), cmocka_unit_test(test_empty_override),
		cmocka_unit_test(test_formula), cmocka_unit_test(test_shows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
