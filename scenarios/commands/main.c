/* ctstorm: runs scenario files on namespace labs and judges them. */
#include "catalogue.h"
#include "clock.h"
#include "complete.h"
#include "config.h"
#include "ct_err.h"
#include "journal.h"
#include "kcheck.h"
#include "metrics.h"
#include "log.h"
#include "opt.h"
#include "optdoc.h"
#include "plan.h"
#include "plan_cmd.h"
#include "probe.h"
#include "node.h"
#include "remote_cmd.h"
#include "sshhost.h"
#include "ct_report.h"
#include "docs_cmd.h"
#include "junit.h"
#include "run.h"
#include "scenario.h"
#include "rf_names.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli {
	bool quick, wait, quiet, json;
	struct ct_strlist variant, set, flow, open;
	const char *out;
	const char *junit;
	const char *baseline;
	uint64_t tolerance;
	uint64_t ram;   /* bytes; 0: this host's */
	unsigned kernel; /* PLAN_KERNEL; 0: this host's */
	uint64_t entry_size;
	uint64_t headroom;
	double gc_lag;  /* seconds; -1: auto */
	uint64_t after_quiet; /* ns */
	struct ct_strlist host; /* --host: ssh://... (status, cleanup) or ROLE=ssh://... (run, check, probe) */
	const char *ssh_config;
	struct ct_strlist ssh_option;
	const char *remote_dir;
	const char *control;
	uint64_t lease;  /* ns */
};

static int parse_remote_dir(const char *text, void *field, char *err, size_t errlen)
{
	if (text[0] != '/' || !ssh_shell_safe(text))
		return ct_err(err, errlen, "'%s': an absolute path of letters, digits and /._-", text);
	*(const char **)field = text;
	return 0;
}

static int parse_size(const char *text, void *field, char *err, size_t errlen)
{
	return plan_parse_size(text, field, err, errlen);
}

static int parse_kernel(const char *text, void *field, char *err, size_t errlen)
{
	return plan_kernel_parse(text, field, err, errlen);
}

static int parse_gc_lag(const char *text, void *field, char *err, size_t errlen)
{
	uint64_t ns;
	if (strcmp(text, "auto") == 0) {
		*(double *)field = -1;
		return 0;
	}
	if (ct_parse_duration(text, &ns, err, errlen) < 0)
		return -1;
	*(double *)field = (double)ns / 1e9;
	return 0;
}

static const char *const flow_hints[] = { "udp:", "tcp:", NULL };

#define OFF(f) offsetof(struct cli, f)
static const struct ct_opt options[] = {
	{ "quick", 'q', CT_OPT_FLAG, OFF(quick), NULL, 0, 0, NULL,
	  "the short forms of the variants (the scenario's [quick] overrides), as CI runs them", NULL },
	{ "variant", 'v', CT_OPT_LIST, OFF(variant), NULL, 0, 0, "NAME", "run only this variant", NULL },
	{ "set", 's', CT_OPT_LIST, OFF(set), NULL, 0, 0, "SECTION.KEY=VALUE",
	  "override a key for every variant, after everything in the file", NULL },
	{ "out", 'o', CT_OPT_STR, OFF(out), NULL, 0, 0, "DIR",
	  "run: where the results folder is made (default: results); report: where report.* go (default: the last "
	  "folder given)",
	  NULL },
	{ "junit", 0, CT_OPT_STR, OFF(junit), NULL, 0, 0, "FILE",
	  "run, report: JUnit XML of the verdicts (a testsuite per variant, a testcase per expectation), for CI", NULL },
	{ "baseline", 'b', CT_OPT_STR, OFF(baseline), NULL, 0, 0, "DIR",
	  "run: compare with a stored run of the same scenario; a metric worse by more than --tolerance fails the run "
	  "(exit 1); the report shows both",
	  NULL },
	{ "tolerance", 0, CT_OPT_UINT, OFF(tolerance), "10", 0, 1000, "PERCENT",
	  "run --baseline: how much worse a metric may be", NULL },
	{ "wait", 'w', CT_OPT_FLAG, OFF(wait), NULL, 0, 0, NULL,
	  "if another run holds the host, wait for it instead of refusing", NULL },
	{ "quiet", 0, CT_OPT_FLAG, OFF(quiet), NULL, 0, 0, NULL, "no live status line", NULL },
	{ "json", 'j', CT_OPT_FLAG, OFF(json), NULL, 0, 0, NULL, "list, keys, metrics, status, plan: JSON output", NULL },
	{ "flow", 'f', CT_OPT_LIST, OFF(flow), NULL, 0, 0, "udp:RATE[:TIMEOUT]|tcp:RATE:STATE[:TIMEOUT]",
	  "plan: new flows per second and the state their entries end in; timeouts from this host unless given; "
	  "then life=DURATION, how long each flow is in use before it ends (an entry lives that and its timeout), "
	  "and dst=N, the destinations they go to (warns when one source address runs out of ports)",
	  NULL, flow_hints },
	{ "open", 0, CT_OPT_LIST, OFF(open), NULL, 0, 0, "udp:COUNT|tcp:COUNT[:STATE]",
	  "plan: flows held open at once whatever their rate (a NAT box's open connections; TCP established by "
	  "default): entries that never expire",
	  NULL, flow_hints },
	{ "ram", 0, CT_OPT_CUSTOM, OFF(ram), NULL, 0, 0, "SIZE", "plan: the RAM to size for (64G); default this host's",
	  parse_size },
	{ "kernel", 0, CT_OPT_CUSTOM, OFF(kernel), NULL, 0, 0, "VERSION",
	  "plan: the kernel of the host planned for (6.1, 5.10.0-28-amd64), for its default sizes; default this "
	  "host's",
	  parse_kernel },
	{ "entry-size", 0, CT_OPT_UINT, OFF(entry_size), NULL, 64, 4096, "BYTES",
	  "plan: one conntrack entry's size on the host planned for (its /proc/slabinfo nf_conntrack objsize); "
	  "default this host's",
	  NULL },
	{ "headroom", 0, CT_OPT_UINT, OFF(headroom), "25", 0, 1000, "PERCENT", "plan: above the peak", NULL },
	{ "gc-lag", 0, CT_OPT_CUSTOM, OFF(gc_lag), "auto", 0, 0, "auto|DURATION",
	  "plan: how long expired entries may wait for the kernel's collector; auto: its pass interval for this "
	  "table, by the kernel's own formula",
	  parse_gc_lag },
	{ "after-quiet", 0, CT_OPT_DURATION, OFF(after_quiet), "60s", 0, 3600 * CT_NS_PER_SEC, "DURATION",
	  "plan: a burst after a quiet period meets an idle collector, whose first pass may come this long into "
	  "it (60 s: its longest interval); the table must hold the burst's flows of that long; 0: steady traffic "
	  "only",
	  NULL },
	{ "host", 'H', CT_OPT_LIST, OFF(host), NULL, 0, 0, "[ROLE=]ssh://[USER@]HOST[:PORT]",
	  "run, check: server=ssh://... puts the server on that real host, router=ssh://... the router of a "
	  "routed scenario, client=ssh://... (again for more) "
	  "sends the load from those (over the scenario's [hosts]); status, cleanup: of that "
	  "host. Its ctstorm must be this version (ctstorm deploy)",
	  NULL },
	{ "ssh-config", 0, CT_OPT_STR, OFF(ssh_config), NULL, 0, 0, "FILE",
	  "ssh's configuration file instead of ~/.ssh/config (ssh -F)", NULL },
	{ "ssh-option", 0, CT_OPT_LIST, OFF(ssh_option), NULL, 0, 0, "OPTION",
	  "an option for every ssh to a host (ssh -o OPTION): IdentityFile=..., Port=...", NULL },
	{ "remote-dir", 0, CT_OPT_CUSTOM, OFF(remote_dir), NULL, 0, 0, "DIR",
	  "where deploy puts ctstorm on a host, and where a host's ctstorm is looked for before its PATH "
	  "(default " SSH_DEFAULT_REMOTE_DIR ")",
	  parse_remote_dir },
	{ "lease", 0, CT_OPT_DURATION, OFF(lease), "15s", 2 * CT_NS_PER_SEC, 3600 * CT_NS_PER_SEC, "DURATION",
	  "run, probe (real hosts), node: an agent whose controller is silent this long while it holds changes "
	  "takes it for gone (a partition, a controller host down), restores its host and exits; the controller "
	  "renews it when it has asked nothing for a third of it, but not while it waits on one long request to "
	  "another host (stopping a sampler: up to 30 s): keep it above that with a router and a server",
	  NULL },
	{ "control", 0, CT_OPT_STR, OFF(control), NULL, 0, 0, "'CLIENT PORT SERVER PORT'",
	  "node: the control connection, as ssh's SSH_CONNECTION gives it (which sudo does not pass on); "
	  "default SSH_CONNECTION",
	  NULL },
	CT_OPT_END,
};

static const char about[] =
	"Reproduces 'nf_conntrack: table full, dropping packet' incidents in network namespaces and "
	"compares their mitigations: a lab per variant, the scenario's firewall and sysctls (global ones saved "
	"and restored), responder, sampler and load, expectations judged, results written. A scenario is a file "
	"(ctstorm.scn(5)) or a name from the catalogue (ctstorm list).";
static const char exit_status[] =
	"Exit status: 0 every expectation held, 1 one did not or a variant failed, 2 bad usage or a bad "
	"scenario (nothing touched), 128+N a signal N interrupted the run (what was measured is kept).";

static int load_scenario(const char *arg, const struct cli *cl, bool kernel_note, struct sc_file *f)
{
	struct sc_errors e = { 0 };
	char *missing = sc_catalogue_missing(arg);
	if (missing) {
		fprintf(stderr, "ctstorm: error: %s\n", missing);
		free(missing);
		return -1;
	}
	char *path = sc_catalogue_path(arg);
	int rc = sc_parse_file(path, f, &e);
	free(path);
	for (size_t i = 0; rc == 0 && i < cl->set.n; i++)
		rc = sc_add_cli_set(f, cl->set.v[i], &e);
	/* --host ROLE=URL: the [hosts] key, given last; load hosts accumulate */
	char *clients = NULL;
	for (size_t i = 0; rc == 0 && i < cl->host.n; i++) {
		const char *h = cl->host.v[i], *eq = strchr(h, '=');
		size_t rl = eq ? (size_t)(eq - h) : 0;
		char role[64], *set;
		snprintf(role, sizeof role, "%.*s", (int)(rl < 63 ? rl : 63), h);
		if (!eq || rl == 0 || strncmp(h, "ssh://", 6) == 0) {
			sc_error(&e, "--host '%s': give the role it plays: server=ssh://..., router=ssh://... or client=ssh://...",
				 h);
			rc = -1;
		} else if (strcmp(role, "server") != 0 && strcmp(role, "router") != 0 && strcmp(role, "client") != 0) {
			sc_error(&e, "--host '%s': '%s' is not a role a real host plays (server, router, client)", h, role);
			rc = -1;
		} else if (strcmp(role, "client") == 0) {
			char *joined;
			if (asprintf(&joined, "%s%s%s", clients ? clients : "", clients ? ", " : "", eq + 1) < 0)
				abort();
			free(clients);
			clients = joined;
		} else {
			if (asprintf(&set, "hosts.%s", h) < 0)
				abort();
			rc = sc_add_cli_set(f, set, &e);
			free(set);
		}
	}
	if (rc == 0 && clients) {
		char *set;
		if (asprintf(&set, "hosts.client=%s", clients) < 0)
			abort();
		rc = sc_add_cli_set(f, set, &e);
		free(set);
	}
	free(clients);
	if (rc == 0)
		rc = sc_validate(f, &e);
	/* what only the kernel can judge, in scratch namespaces */
	if (rc == 0 && sc_kernel_check(f, &e) > 0 && kernel_note)
		fprintf(stderr, "ctstorm: note: the rulesets and sysctls were not tried in the kernel (that needs root)\n");
	if (e.n) {
		rc = -1;
		sc_errors_print(&e, "ctstorm");
		fprintf(stderr, "ctstorm: nothing was changed on this host\n");
	}
	sc_errors_free(&e);
	return rc;
}

static int cmd_list(const struct cli *cl)
{
	const char *dir = run_data_dir();
	struct dirent **names;
	int n = sc_catalogue_scan(&names);
	if (n < 0) {
		fprintf(stderr, "ctstorm: error: %s: %s\n", dir, strerror(errno));
		return CT_EXIT_FAIL;
	}
	json_t *all = json_array();
	int rc = CT_EXIT_OK;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, nm);
		struct sc_file f = { 0 };
		struct sc_errors e = { 0 };
		if (sc_parse_file(path, &f, &e) < 0 || sc_validate(&f, &e) < 0) {
			sc_errors_print(&e, "ctstorm");
			rc = CT_EXIT_USAGE;
		} else {
			struct sc_resolved r;
			sc_resolve(&f, (size_t)-1, false, &r);
			json_t *vars = json_array();
			for (size_t v = 0; v < f.nvar; v++)
				json_array_append_new(vars, json_string(f.var[v].name));
			json_array_append_new(all, json_pack("{s:s%, s:s, s:s, s:o}", "name", nm, strlen(nm) - 4, "file", path,
							     "description", sc_value(&r, "scenario", "description", ""),
							     "variants", vars));
			sc_resolved_free(&r);
		}
		sc_errors_free(&e);
		sc_file_free(&f);
		free(names[i]);
	}
	free(names);
	if (cl->json) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		size_t i;
		json_t *s;
		json_array_foreach(all, i, s) {
			printf("%-18s %s\n", json_string_value(json_object_get(s, "name")),
			       json_string_value(json_object_get(s, "description")));
			printf("%-18s variants:", "");
			size_t k;
			json_t *v;
			json_array_foreach(json_object_get(s, "variants"), k, v)
				printf(" %s", json_string_value(v));
			printf("\n");
		}
		printf("\n%zu scenarios in %s; run one with: ctstorm run NAME [--quick]\n", json_array_size(all), dir);
	}
	json_decref(all);
	return rc;
}

static bool need_root(const char *what)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "ctstorm: error: %s needs root (network namespaces, netfilter, sysctls)\n", what);
	return false;
}

/* One subcommand as invoked: its name, the options, its arguments. */
struct call {
	const char *sub;
	const struct cli *cl;
	int npos;
	char **pos;
	int argc;
	char **argv;
};

static int do_report(const struct call *c)
{
	char err[CT_ERRLEN];
	struct ct_report_opts ro = { .runs = (const char *const *)c->pos, .nruns = (size_t)c->npos,
				     .out = c->cl->out ? c->cl->out : c->pos[c->npos - 1], .table_out = stdout };
	if (ct_report(&ro, err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: %s\n", err);
		return CT_EXIT_USAGE;
	}
	if (c->cl->junit && junit_write(c->pos[c->npos - 1], c->cl->junit, err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: --junit: %s\n", err);
		return CT_EXIT_FAIL;
	}
	printf("\nReport: %s/report.html\n", ro.out);
	return CT_EXIT_OK;
}

static int do_list(const struct call *c)
{
	return cmd_list(c->cl);
}

static int do_keys(const struct call *c)
{
	return cmd_keys(c->cl->json ? DOC_JSON : DOC_TEXT);
}

static int do_metrics(const struct call *c)
{
	return cmd_metrics(c->cl->json ? DOC_JSON : DOC_TEXT);
}

static int do_plan(const struct call *c)
{
	const struct cli *cl = c->cl;
	struct plan_cmd pc = { .flows = cl->flow.v, .nflows = cl->flow.n, .opens = cl->open.v, .nopens = cl->open.n, .ram = cl->ram, .kernel = cl->kernel,
			       .entry_bytes = cl->entry_size, .headroom_pct = cl->headroom, .gc_lag_s = cl->gc_lag,
			       .after_quiet_s = (double)cl->after_quiet / 1e9, .json = cl->json };
	return cmd_plan(&pc);
}

static struct ssh_opts ssh_opts_of(const struct cli *cl)
{
	return (struct ssh_opts){ .config = cl->ssh_config, .options = cl->ssh_option.v, .noptions = cl->ssh_option.n,
				  .remote_dir = cl->remote_dir, .lease_ms = cl->lease / CT_NS_PER_MS };
}

/* status and cleanup --host: one host, no role. 1: given; 0: none; -1: bad. */
static int one_host(const struct call *c, struct ssh_target *t)
{
	char err[CT_ERRLEN];
	if (!c->cl->host.n)
		return 0;
	if (c->cl->host.n > 1) {
		ct_usage_error("status and cleanup take one --host");
		return -1;
	}
	if (ssh_target_parse(c->cl->host.v[0], t, err, sizeof err) < 0) {
		ct_usage_error(err);
		return -1;
	}
	return 1;
}

static int do_status(const struct call *c)
{
	struct ssh_target t;
	int h = one_host(c, &t);
	if (h < 0)
		return CT_EXIT_USAGE;
	if (h) {
		struct ssh_opts o = ssh_opts_of(c->cl);
		return cmd_remote_status(&t, &o, c->cl->json);
	}
	return jr_status(stdout, c->cl->json) > 0 ? CT_EXIT_FAIL : CT_EXIT_OK;
}

static int do_node(const struct call *c)
{
	return node_agent(c->cl->control, c->cl->lease / CT_NS_PER_MS);
}

static int do_deploy(const struct call *c)
{
	struct ssh_target t;
	char err[CT_ERRLEN];
	if (ssh_target_parse(c->pos[0], &t, err, sizeof err) < 0)
		return ct_usage_error(err);
	struct ssh_opts o = ssh_opts_of(c->cl);
	return cmd_deploy(&t, &o);
}

static int do_cleanup(const struct call *c)
{
	char err[CT_ERRLEN];
	struct ssh_target t;
	int h = one_host(c, &t);
	if (h < 0)
		return CT_EXIT_USAGE;
	if (h) {
		struct ssh_opts o = ssh_opts_of(c->cl);
		return cmd_remote_cleanup(&t, &o);
	}
	if (!need_root(c->sub))
		return CT_EXIT_USAGE;
	if (jr_cleanup(err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: %s\n", err);
		return CT_EXIT_FAIL;
	}
	fprintf(stderr, "ctstorm: nothing outstanding on this host\n");
	return CT_EXIT_OK;
}

/* --baseline: a results folder of this very scenario, or nothing runs. */
static bool baseline_ok(const struct sc_file *f, const struct cli *cl)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/" RF_MANIFEST, cl->baseline);
	json_error_t je;
	json_t *m = json_load_file(path, 0, &je);
	if (!m) {
		fprintf(stderr, "ctstorm: error: --baseline %s: not a results folder (%s)\n", cl->baseline, je.text);
		return false;
	}
	struct sc_resolved r;
	sc_resolve(f, (size_t)-1, cl->quick, &r);
	const char *want = sc_value(&r, "scenario", "name", "scenario");
	const char *got = json_string_value(json_object_get(json_object_get(m, "scenario"), "name"));
	bool same = got && strcmp(got, want) == 0;
	if (!same)
		fprintf(stderr, "ctstorm: error: --baseline %s is a run of '%s', not of '%s'\n", cl->baseline,
			got ? got : "?", want);
	sc_resolved_free(&r);
	json_decref(m);
	return same;
}

/* check, run and probe: the scenario loaded and checked whole first. */
static int do_scenario(const struct call *c)
{
	const struct cli *cl = c->cl;
	bool check = strcmp(c->sub, "check") == 0, probe = strcmp(c->sub, "probe") == 0;
	struct sc_file f = { 0 };
	int rc = CT_EXIT_USAGE;
	if (load_scenario(c->pos[0], cl, check, &f) < 0) {
		sc_file_free(&f);
		return rc;
	}
	size_t *sel = calloc(f.nvar ? f.nvar : 1, sizeof *sel), nsel = 0;
	struct sc_errors e = { 0 };
	if (!sel)
		abort();
	if (sc_select(&f, cl->variant.v, cl->variant.n, sel, &nsel, &e) < 0) {
		sc_errors_print(&e, "ctstorm");
	} else if (check) {
		printf("%s: valid, %zu variant%s:", f.path, f.nvar ? f.nvar : 1, f.nvar > 1 ? "s" : "");
		for (size_t i = 0; i < nsel; i++)
			printf(" %s", sc_variant_name(&f, sel[i]));
		printf("\n");
		rc = CT_EXIT_OK;
	} else if (probe && cl->variant.n > 1) {
		rc = ct_usage_error("probe takes one --variant");
	} else if (cl->baseline && !baseline_ok(&f, cl)) {
		rc = CT_EXIT_USAGE;
	} else if (need_root(c->sub)) {
		struct ssh_opts so = ssh_opts_of(cl);
		struct run_opts o = { .ssh = &so, .quick = cl->quick, .wait = cl->wait, .quiet = cl->quiet, .out_dir = cl->out,
				      .junit = cl->junit, .baseline = cl->baseline,
				      .tolerance = (double)cl->tolerance / 100.0,
				      .argc = c->argc, .argv = c->argv };
		rc = probe ? run_probe(&f, sel[0], &o) : run_scenario(&f, sel, nsel, &o);
	}
	sc_errors_free(&e);
	free(sel);
	sc_file_free(&f);
	return rc;
}

enum args { ARGS_NONE, ARGS_SCENARIO, ARGS_RESULTS, ARGS_HOST };

/* Each subcommand's options (names in the table above): any other is
 * refused, as a usage error. */
#define SSH_OPTS "host", "ssh-config", "ssh-option", "remote-dir"
#define LEASE_OPTS SSH_OPTS, "lease"
static const char *const run_opts[] = { "quick", "variant", "set", "out", "junit", "baseline", "tolerance", "wait",
					"quiet", LEASE_OPTS, NULL };
/* check takes --host; ssh's options too, as a wrapper passes them to every command */
static const char *const check_opts[] = { "variant", "set", SSH_OPTS, NULL };
static const char *const probe_opts[] = { "variant", "quick", "set", "out", "wait", "quiet", LEASE_OPTS, NULL };
static const char *const report_opts[] = { "out", "junit", NULL };
static const char *const plan_opts[] = { "flow", "open", "ram", "kernel", "entry-size", "headroom", "gc-lag", "after-quiet",
					 "json", NULL };
static const char *const json_opts[] = { "json", NULL };
static const char *const status_opts[] = { "json", SSH_OPTS, NULL };
static const char *const cleanup_opts[] = { SSH_OPTS, NULL };
static const char *const deploy_opts[] = { "ssh-config", "ssh-option", "remote-dir", NULL };
static const char *const node_opts[] = { "control", "lease", NULL };

/* The subcommands: what they take and do, for --help, the man page and
 * completion as well as for the dispatch. */
static const struct command {
	const char *name;
	enum args args;
	int (*fn)(const struct call *);
	const char *usage;
	const char *help;
	const char *const *opts;
} commands[] = {
	{ "run", ARGS_SCENARIO, do_scenario,
	  "FILE.scn|NAME [--quick] [--variant NAME]... [--set SECTION.KEY=VALUE]... [--out DIR] [--junit FILE] "
	  "[--baseline DIR [--tolerance PCT]] [--wait]",
	  "builds a lab per variant, applies the scenario's firewall and sysctls (global ones saved and "
	  "restored), runs responder, sampler and load, judges [expect], writes a results folder with its "
	  "report and prints a comparison; the folder's path is the last line",
	  run_opts },
	{ "check", ARGS_SCENARIO, do_scenario, "FILE.scn|NAME [--set SECTION.KEY=VALUE]...",
	  "parses and validates every value by the parser the run uses and, as root, tries the rulesets and "
	  "sysctls in scratch namespaces that vanish after; changes nothing",
	  check_opts },
	{ "probe", ARGS_SCENARIO, do_scenario,
	  "FILE.scn|NAME [--variant NAME] [--quick] [--set SECTION.KEY=VALUE]... [--out DIR]",
	  "the highest new-flow rate the scenario's table takes without a drop or an eviction, ramping then "
	  "bisecting in fresh labs, next to Little's law's prediction",
	  probe_opts },
	{ "report", ARGS_RESULTS, do_report, "RESULTS_DIR... [--out DIR] [--junit FILE]",
	  "tables and plots of results folders (report.md, a self-contained report.html); with several, the "
	  "last against the first",
	  report_opts },
	{ "plan", ARGS_NONE, do_plan,
	  "--flow udp:RATE[:TIMEOUT][:life=D][:dst=N] --flow tcp:RATE:STATE[:TIMEOUT][:life=D][:dst=N]... "
	  "[--open tcp:COUNT]... [--ram SIZE] [--kernel VERSION] [--entry-size BYTES] [--json]",
	  "nf_conntrack_max and buckets for given flows by Little's law and the kernel's collector, beside "
	  "seed 004's formula and the kernel's default",
	  plan_opts },
	{ "list", ARGS_NONE, do_list, "[--json]", "the catalogue: each scenario, its description and variants",
	  json_opts },
	{ "keys", ARGS_NONE, do_keys, "[--json]", "every scenario key with its type, words and default",
	  json_opts },
	{ "metrics", ARGS_NONE, do_metrics, "[--json]", "every metric an expectation can name, with its unit",
	  json_opts },
	{ "status", ARGS_NONE, do_status, "[--json] [--host ssh://HOST]",
	  "what a run holds or left behind on this host, or on a real host over ssh",
	  status_opts },
	{ "cleanup", ARGS_NONE, do_cleanup, "[--host ssh://HOST]",
	  "undoes what a killed run left (namespaces, rules, sysctls, processes; the next run does it too), here "
	  "or on a real host over ssh",
	  cleanup_opts },
	{ "deploy", ARGS_HOST, do_deploy, "ssh://[USER@]HOST[:PORT] [--remote-dir DIR]",
	  "copies this build's binaries to a real host over ssh and checks that their libraries resolve and the "
	  "version answers there",
	  deploy_opts },
	{ "node", ARGS_NONE, do_node, "",
	  "the agent a controller runs on a real host over ssh: JSON requests on stdin, replies on stdout; "
	  "journals that host's changes and restores them when its input closes or it is signalled",
	  node_opts },
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "%s ctstorm %s%s%s\n", i ? "      " : "Usage:", commands[i].name, *commands[i].usage ? " " : "",
			commands[i].usage);
	fputc('\n', out);
	ct_print_wrapped(out, about, 0, 78);
	fprintf(out, "\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(out, "  %-9s", commands[i].name);
		ct_print_wrapped(out, commands[i].help, 11, 79);
	}
	fprintf(out, "  %-9s", "help");
	ct_print_wrapped(out, "this text; help COMMAND (or COMMAND --help): that command alone, with its options", 11, 79);
	fputc('\n', out);
	ct_opt_print_options(out, options);
	fputc('\n', out);
	ct_print_wrapped(out, exit_status, 0, 78);
}

/* The command's own options: the table's entries it takes, in order. */
static const struct ct_opt *command_options(const struct command *c)
{
	static struct ct_opt mine[sizeof options / sizeof *options];
	size_t n = 0;
	for (const struct ct_opt *o = options; o->name; o++)
		if (sc_word_in(c->opts, o->name))
			mine[n++] = *o;
	mine[n] = (struct ct_opt)CT_OPT_END;
	return mine;
}

/* `ctstorm CMD --help`, `ctstorm help CMD`: that command alone. */
static void command_usage(FILE *out, const struct command *c)
{
	fprintf(out, "Usage: ctstorm %s%s%s\n\n", c->name, *c->usage ? " " : "", c->usage);
	ct_print_wrapped(out, c->help, 0, 78);
	if (c->opts[0]) {
		fputc('\n', out);
		ct_opt_print_options(out, command_options(c));
	}
	fputc('\n', out);
	ct_print_wrapped(out, exit_status, 0, 78);
}

/* An option of the table on the command line that c does not take (the
 * first), as written; NULL when there is none. */
static const char *foreign_option(const struct command *c, int argc, char **argv, char *name, size_t len)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || !a[1])
			continue;
		const struct ct_opt *o = NULL;
		if (a[1] == '-') {
			snprintf(name, len, "%.*s", (int)strcspn(a + 2, "="), a + 2);
			o = ct_opt_find(options, name);
		} else {
			for (const struct ct_opt *t = options; t->name && !o; t++)
				if (t->short_name == a[1])
					o = t;
		}
		if (o && !sc_word_in(c->opts, o->name)) {
			snprintf(name, len, "%s", o->name);
			return a;
		}
	}
	return NULL;
}

/* "--flow is plan's": the commands that take it. */
static void foreign_error(const struct command *c, const char *written, const char *name)
{
	char err[CT_ERRLEN], whose[256] = "";
	size_t used = 0, n = 0;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (sc_word_in(commands[i].opts, name))
			used += (size_t)snprintf(whose + used, sizeof whose - used, "%s%s", n++ ? ", " : "", commands[i].name);
	snprintf(err, sizeof err, "%s: not an option of %s (%s%s)", written, c->name, n ? "it is for " : "no command takes it",
		 whose);
	ct_usage_error(err);
}

/* "ctstorm NAME USAGE" in roff, on a line of its own. */
static void man_command_line(const struct command *c)
{
	printf("\\fBctstorm %s\\fR", c->name);
	if (*c->usage) {
		printf(" \\fI");
		ct_roff_text(stdout, c->usage);
		printf("\\fR");
	}
	printf("\n");
}

static void man_synopsis(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		man_command_line(&commands[i]);
}

static void man_commands(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		printf(".TP\n");
		man_command_line(&commands[i]);
		ct_roff_text(stdout, commands[i].help);
		printf(".\n");
	}
}

/* The hidden requests: the man page's generated sections and completion. */
static bool hidden(int argc, char **argv, int *rc)
{
	if (argc != 3 || (strcmp(argv[1], "--complete") != 0 && strcmp(argv[1], "--man-section") != 0))
		return false; /* an ordinary command line: its status is its own */
	*rc = CT_EXIT_OK;
	if (strcmp(argv[1], "--complete") == 0) {
		struct sc_command_word words[NCOMMANDS];
		struct ct_opt mine[NCOMMANDS][sizeof options / sizeof *options];
		for (size_t i = 0; i < NCOMMANDS; i++) {
			memcpy(mine[i], command_options(&commands[i]), sizeof mine[i]);
			words[i] = (struct sc_command_word){ commands[i].name, commands[i].args == ARGS_SCENARIO, mine[i] };
		}
		sc_complete(stdout, options, words, NCOMMANDS, argv[2]);
		return true;
	}
	if (strcmp(argv[2], "synopsis") == 0)
		man_synopsis();
	else if (strcmp(argv[2], "options") == 0)
		ct_opt_man(stdout, options);
	else if (strcmp(argv[2], "commands") == 0)
		man_commands();
	else if (strcmp(argv[2], "keys") == 0)
		cmd_keys(DOC_MAN);
	else if (strcmp(argv[2], "metrics") == 0)
		cmd_metrics(DOC_MAN);
	else
		*rc = CT_EXIT_USAGE;
	return true;
}

static const struct command *find_command(const char *sub)
{
	char err[CT_ERRLEN], list[256] = "";
	const char *names[NCOMMANDS];
	for (size_t i = 0, used = 0; i < NCOMMANDS; i++) {
		if (strcmp(sub, commands[i].name) == 0)
			return &commands[i];
		names[i] = commands[i].name;
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
	}
	const char *hint = ct_did_you_mean(sub, names, NCOMMANDS);
	snprintf(err, sizeof err, "unknown command '%s'%s%s%s (%s)", sub, hint ? "; did you mean '" : "",
		 hint ? hint : "", hint ? "'?" : "", list);
	ct_usage_error(err);
	return NULL;
}

static bool args_ok(const struct command *cmd, int npos)
{
	static const char *const need[] = { "no arguments", "one scenario file (or a catalogue name)",
					    "one or more results folders", "one host (ssh://[USER@]HOST[:PORT])" };
	bool ok = cmd->args == ARGS_NONE ? npos == 0 : cmd->args == ARGS_RESULTS ? npos >= 1 : npos == 1;
	if (!ok) {
		char err[128];
		snprintf(err, sizeof err, "%s takes %s", cmd->name, need[cmd->args]);
		ct_usage_error(err);
	}
	return ok;
}

int main(int argc, char **argv)
{
	ct_log_init("ctstorm");
	struct cli cl = { 0 };
	char err[CT_ERRLEN];
	int optind_out = 0, rc = CT_EXIT_USAGE;
	const char *sub = argc > 1 ? argv[1] : "";
	if (hidden(argc, argv, &rc))
		return rc;
	if (argc < 2 || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CT_EXIT_USAGE : CT_EXIT_OK;
	}
	if (strcmp(sub, "--version") == 0) {
		printf("ctstorm %s\n", CT_VERSION);
		return CT_EXIT_OK;
	}
	if (strcmp(sub, "help") == 0) { /* ctstorm help [CMD] */
		const struct command *c = argc == 3 ? find_command(argv[2]) : NULL;
		if (argc > 3)
			return ct_usage_error("help takes one command at most");
		if (argc == 3 && !c)
			return CT_EXIT_USAGE;
		c ? command_usage(stdout, c) : usage(stdout);
		return CT_EXIT_OK;
	}
	const struct command *cmd = find_command(sub);
	if (!cmd)
		return CT_EXIT_USAGE;
	/* its errors as "ctstorm CMD: error: ...", pointing at its own help */
	static char prog[32];
	snprintf(prog, sizeof prog, "ctstorm %s", cmd->name);
	ct_log_init(prog);
	char name[64];
	const char *foreign = foreign_option(cmd, argc, argv, name, sizeof name);
	if (foreign) {
		foreign_error(cmd, foreign, name);
		return CT_EXIT_USAGE;
	}
	switch (ct_opt_parse(command_options(cmd), &cl, argc - 1, argv + 1, &optind_out, err, sizeof err)) {
	case CT_OPT_ERROR:
		rc = ct_usage_error(err);
		break;
	case CT_OPT_HELP:
		command_usage(stdout, cmd);
		rc = CT_EXIT_OK;
		break;
	case CT_OPT_VERSION:
		printf("ctstorm %s\n", CT_VERSION);
		rc = CT_EXIT_OK;
		break;
	case CT_OPT_OK: {
		struct call c = { .sub = sub, .cl = &cl, .npos = argc - 1 - optind_out, .pos = argv + 1 + optind_out,
				  .argc = argc, .argv = argv };
		if (args_ok(cmd, c.npos))
			rc = cmd->fn(&c);
		break;
	}
	}
	ct_opt_free(command_options(cmd), &cl);
	return rc;
}
