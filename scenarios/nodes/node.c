#include "node.h"

#include "clock.h"
#include "ct_err.h"
#include "host.h"
#include "atomicfile.h"
#include "journal.h"
#include "proc.h"
#include "ctnl.h"
#include "iptowned.h"
#include "scenario.h"
#include "rf_names.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- the agent ---- */

static volatile sig_atomic_t stop_signal;

/* The agent: its journal, its folder (the cwd of what it starts) and the
 * programs it started. */
struct agent {
	struct journal j;
	/* the control connection, from SSH_CONNECTION: "" when not over ssh */
	char ssh_client[64], ssh_server[64];
	unsigned ssh_client_port, ssh_server_port;
	char dir[320];
	int init_ns; /* the host's initial network namespace: global sysctls */
	bool nft_owned, control_owned;
	struct pr_child kids[NODE_NPROGS];
	uint64_t lease_ms; /* silent this long while it holds a change: the controller is gone */
};

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void reply(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

static void reply_error(const char *msg)
{
	reply(json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

static long long read_number(const char *path)
{
	char buf[64];
	return host_read_sysctl(-1, path, buf, sizeof buf) == 0 ? strtoll(buf, NULL, 10) : -1;
}

static json_t *hello(const struct agent *a)
{
	const struct journal *j = &a->j;
	struct utsname u;
	uname(&u);
	json_t *o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:i}", "ok", 1, "version", CT_VERSION, "kernel", u.release,
			      "hostname", u.nodename, "state_dir", j->dir, "pid", (int)getpid());
	long long max = read_number("/proc/sys/net/netfilter/nf_conntrack_max"),
		  count = read_number("/proc/sys/net/netfilter/nf_conntrack_count");
	json_object_set_new(o, "nf_conntrack_max", max >= 0 ? json_integer(max) : json_null());
	json_object_set_new(o, "nf_conntrack_count", count >= 0 ? json_integer(count) : json_null());
	json_object_set_new(o, "lease_ms", json_integer((json_int_t)a->lease_ms));
	json_object_set_new(o, "ssh_connection",
			    *a->ssh_client ? json_sprintf("%s:%u -> %s:%u", a->ssh_client, a->ssh_client_port,
							  a->ssh_server, a->ssh_server_port)
					   : json_null());
	return o;
}

/* On a real host: lowering the table's limit is the user's explicit call,
 * and never below what the table holds (the host's own flows would be
 * dropped). */
static int lower_check(const struct node_req *r, const char *old, char *err, size_t errlen)
{
	if (strcmp(r->key, "nf_conntrack_max") != 0)
		return 0;
	char *end;
	errno = 0;
	unsigned long long want = strtoull(r->value, &end, 10), was = strtoull(old, NULL, 10);
	if (errno || *end)
		return ct_err(err, errlen, "nf_conntrack_max = %s: not a number", r->value);
	if (want >= was)
		return 0;
	if (!r->allow_lower)
		return ct_err(err, errlen,
			      "nf_conntrack_max = %llu is below this host's %llu: lowering it on a real host needs "
			      "allow-lower = yes",
			      want, was);
	long long count = read_number("/proc/sys/net/netfilter/nf_conntrack_count");
	if (count >= 0 && want <= (unsigned long long)count)
		return ct_err(err, errlen,
			      "nf_conntrack_max = %llu: this host's table already holds %lld entries; its own new flows "
			      "would be dropped",
			      want, count);
	return 0;
}

static void sysctl_set(struct agent *a, const struct node_req *r)
{
	struct journal *j = &a->j;
	char err[CT_ERRLEN], old[4096];
	char *path = sc_sysctl_path(r->key);
	int fd = jr_sysctl_global(path) ? a->init_ns : -1;
	if (host_read_sysctl(fd, path, old, sizeof old) < 0) {
		snprintf(err, sizeof err, "%s: %s", r->key, strerror(errno));
		reply_error(err);
	} else if (lower_check(r, old, err, sizeof err) < 0)
		reply_error(err);
	else if (strcmp(old, r->value) != 0 && jr_push_sysctl(j, path, old, err, sizeof err) < 0)
		reply_error(err);
	else if (strcmp(old, r->value) != 0 && host_write_sysctl(fd, path, r->value, err, sizeof err) < 0) {
		/* nothing changed: the entry dropped, nothing written back */
		jr_pop(j);
		reply_error(err);
	} else
		reply(json_pack("{s:b, s:s}", "ok", 1, "old", old));
	free(path);
}

static json_t *status(const struct journal *j)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->n; i++) {
		const struct jr_entry *e = &j->e[i];
		json_array_append_new(a, e->kind == JR_SYSCTL ? json_pack("{s:s, s:s, s:s}", "kind", "sysctl", "path", e->a,
									  "restore", e->b)
					 : e->kind == JR_NETNS	   ? json_pack("{s:s, s:s}", "kind", "netns", "name", e->a)
					 : e->kind == JR_NFT_TABLE ? json_pack("{s:s, s:s}", "kind", "nft", "table", e->a)
					 : e->kind == JR_IPT	   ? json_pack("{s:s, s:s}", "kind", "ipt", "chains", e->a)
					 : e->kind == JR_ROUTE	   ? json_pack("{s:s, s:s}", "kind", "route", "route", e->a)
								   : json_pack("{s:s, s:i, s:s}", "kind", "proc", "pid",
									       (int)e->pid, "what", e->a));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "outstanding", a);
}

static void put_file(struct agent *a, const struct node_req *r)
{
	char path[400], err[CT_ERRLEN];
	snprintf(path, sizeof path, "%s/%s", a->dir, r->name);
	if (ct_write_atomic(path, r->data, strlen(r->data), err, sizeof err) < 0)
		reply_error(err);
	else
		reply(json_pack("{s:b}", "ok", 1));
}

static void get_file(struct agent *a, const struct node_req *r)
{
	char path[400], err[CT_ERRLEN];
	snprintf(path, sizeof path, "%s/%s", a->dir, r->name);
	size_t n;
	char *buf = ct_read_file(path, &n, err, sizeof err);
	json_t *d = buf && n <= NODE_MAX_DATA ? json_stringn(buf, n) : NULL;
	if (!buf)
		reply_error(err);
	else if (n > NODE_MAX_DATA || !d) {
		snprintf(err, sizeof err, "%s: %s", r->name, n > NODE_MAX_DATA ? "larger than 16 MiB" : "not UTF-8 text");
		reply_error(err);
	} else
		reply(json_pack("{s:b, s:o}", "ok", 1, "data", d));
	free(buf);
}

static void spawn(struct agent *a, const struct node_req *r)
{
	static const char *const bins[NODE_NPROGS][2] = { { "ctstorm-responder", "responder" },
							   { "ctstorm-sampler", "analysis" },
							   { "ctstorm-loadgen", "loadgen" } };
	struct pr_child *k = &a->kids[r->prog];
	char err[CT_ERRLEN], bin[1024], log[400];
	if (k->running) {
		snprintf(err, sizeof err, "the %s runs already (pid %d)", node_prog_names[r->prog], (int)k->pid);
		reply_error(err);
		return;
	}
	char *argv[NODE_MAX_ARGS + 2];
	size_t n = 0;
	argv[n++] = (char *)pr_find_binary(bins[r->prog][0], bins[r->prog][1], bin, sizeof bin);
	for (size_t i = 0; r->args[i]; i++)
		argv[n++] = r->args[i];
	argv[n] = NULL;
	snprintf(log, sizeof log, "%s/%s.log", a->dir, node_prog_names[r->prog]);
	if (pr_spawn(k, node_prog_names[r->prog], -1, argv, log, log, &a->j, err, sizeof err) < 0)
		reply_error(err);
	else
		reply(json_pack("{s:b, s:i}", "ok", 1, "pid", (int)k->pid));
}

static void alive(struct agent *a, const struct node_req *r)
{
	struct pr_child *k = &a->kids[r->prog];
	char why[128] = "";
	bool running = k->pid && !pr_exited(k, &a->j);
	if (k->pid && !running)
		pr_describe(k, why, sizeof why);
	reply(json_pack("{s:b, s:b, s:b, s:s}", "ok", 1, "running", running, "exited_ok", k->pid && !running && pr_ok(k),
			"how", k->pid ? why : "never started"));
}

static void ready(struct agent *a, const struct node_req *r)
{
	struct pr_child *k = &a->kids[r->prog];
	char csv[400];
	snprintf(csv, sizeof csv, "%s/" RF_SAMPLER_CSV, a->dir);
	bool up = k->pid && !pr_exited(k, &a->j);
	bool yes = up && (r->ready == NODE_READY_PORT53 ? pr_listening53(k->pid, false) : pr_has_sample(csv));
	reply(json_pack("{s:b, s:b, s:b}", "ok", 1, "ready", yes, "running", up));
}

static void stop(struct agent *a, const struct node_req *r)
{
	struct pr_child *k = &a->kids[r->prog];
	char why[128] = "never started";
	if (k->pid) {
		pr_stop(k, r->signal, (int)r->grace_ms, &a->j);
		pr_describe(k, why, sizeof why);
	}
	reply(json_pack("{s:b, s:b, s:s}", "ok", 1, "exited_ok", k->pid && pr_ok(k), "how", why));
}

/* Loads an nft script; -1 with nft's own words. */
static int nft_load(const char *script, char *err, size_t errlen)
{
	char *out = NULL, *argv[] = { "nft", "-f", "-", NULL };
	int rc = pr_cmd(-1, argv, script, &out, 10000, err, errlen);
	if (rc > 0)
		ct_err(err, errlen, "nft: %s", out ? out : "failed");
	free(out);
	return rc == 0 ? 0 : -1;
}

/* The control connection's entry, if it has one (made before its
 * exemption), deleted once the exemption is in place: it would never be
 * refreshed again, and would be counted as the variants' for days. Both
 * directions: an entry picked up mid-stream from one of the host's own
 * packets has the host as its source. */
static int forget_control(const struct agent *a, char *err, size_t errlen)
{
	int family = strchr(a->ssh_client, ':') ? AF_INET6 : AF_INET;
	unsigned char c[16], s[16];
	if (inet_pton(family, a->ssh_client, c) != 1 || inet_pton(family, a->ssh_server, s) != 1)
		return ct_err(err, errlen, "SSH_CONNECTION: %s %s: not addresses", a->ssh_client, a->ssh_server);
	size_t n;
	unsigned bits = family == AF_INET ? 32 : 128;
	if (ct_nl_forget(family, c, bits, s, (uint16_t)a->ssh_server_port, &n, err, errlen) < 0 ||
	    ct_nl_forget(family, s, bits, c, (uint16_t)a->ssh_client_port, &n, err, errlen) < 0)
		return -1;
	return 0;
}

/* The control connection never gets an entry, so a full table cannot cut
 * it: notrack before the scenario's raw chains (priority raw - 1), in a
 * table of its own that stays from the first owned ruleset to the agent's
 * end (the bottom of the journal, kept by a variant's restore). Were it in
 * the variant's table, the kernel, which releases a deleted table's
 * conntrack hooks after the commit, would track the restore's own reply
 * once that table was gone: an entry picked up mid-stream, counted by the
 * next variants (seen as sampler.peak_count 1 where no entry belongs). A
 * notrack rule alone does not turn conntrack on. */
static int exempt_control(struct agent *a, char *err, size_t errlen)
{
	if (a->control_owned || !*a->ssh_client)
		return 0;
	if (jr_push_nft_table(&a->j, "inet", "ctstorm_control", true, err, errlen) < 0)
		return -1;
	a->control_owned = true;
	const char *ip = strchr(a->ssh_client, ':') ? "ip6" : "ip";
	char script[1024];
	snprintf(script, sizeof script,
		 "table inet ctstorm_control {\n"
		 "\tchain ssh_in {\n\t\ttype filter hook prerouting priority raw - 1; policy accept;\n"
		 "\t\t%s saddr %s %s daddr %s tcp sport %u tcp dport %u notrack\n\t}\n"
		 "\tchain ssh_out {\n\t\ttype filter hook output priority raw - 1; policy accept;\n"
		 "\t\t%s saddr %s %s daddr %s tcp sport %u tcp dport %u notrack\n\t}\n}\n",
		 ip, a->ssh_client, ip, a->ssh_server, a->ssh_client_port, a->ssh_server_port, ip, a->ssh_server, ip,
		 a->ssh_client, a->ssh_server_port, a->ssh_client_port);
	if (nft_load(script, err, errlen) < 0)
		return -1;
	return forget_control(a, err, errlen);
}

/* Whether nft lists FAMILY TABLE [CHAIN]. */
static bool nft_has(const char *family, const char *table, const char *chain)
{
	char err[CT_ERRLEN], *out = NULL;
	char *argv[] = { "nft", "list", chain ? "chain" : "table", (char *)family, (char *)table, (char *)chain, NULL };
	int rc = pr_cmd(-1, argv, NULL, &out, 10000, err, sizeof err);
	free(out);
	return rc == 0;
}

/* What iptables-nft will make in nftables for a table's rules and is not
 * there yet ("table" and the built-in chains, comma-separated; "" none):
 * undo deletes it again when empty, so the host's nft ruleset ends as it
 * began. Nothing where nft cannot tell (not installed). */
static void ipt_fresh(int family, const char *table, const char *builtins, char *fresh, size_t len)
{
	const char *fam = family == 6 ? "ip6" : "ip";
	*fresh = '\0';
	char *argv[] = { "nft", "--version", NULL }, err[CT_ERRLEN], *out = NULL;
	int rc = pr_cmd(-1, argv, NULL, &out, 10000, err, sizeof err);
	free(out);
	if (rc != 0)
		return;
	bool whole = !nft_has(fam, table, NULL);
	if (whole)
		snprintf(fresh, len, "table");
	char list[128];
	snprintf(list, sizeof list, "%s", builtins);
	char *save;
	for (char *b = strtok_r(list, ",", &save); b && strcmp(b, "-") != 0; b = strtok_r(NULL, ",", &save))
		if (whole || !nft_has(fam, table, b))
			snprintf(fresh + strlen(fresh), len - strlen(fresh), "%s%s", *fresh ? "," : "", b);
}

/* The scenario's iptables rules, in chains ctstorm owns (iptowned.h),
 * each table's journaled before it is loaded; the control connection
 * exempt as for nft rules. */
static void iptables(struct agent *a, const struct node_req *r)
{
	char err[CT_ERRLEN];
	struct ipt_owned o;
	char *text = ipt_owned_rewrite(r->data, &o, err, sizeof err);
	if (!text) {
		reply_error(err);
		return;
	}
	int rc = exempt_control(a, err, sizeof err);
	for (size_t i = 0; rc == 0 && i < o.n; i++) {
		char fresh[160];
		ipt_fresh(r->family, o.t[i].table, o.t[i].builtins, fresh, sizeof fresh);
		rc = jr_push_ipt(&a->j, r->family, o.t[i].table, o.t[i].builtins, o.t[i].chains, fresh, err, sizeof err);
	}
	char *out = NULL, *argv[] = { r->family == 6 ? "ip6tables-restore" : "iptables-restore", "-w", "--noflush", NULL };
	if (rc == 0 && (rc = pr_cmd(-1, argv, text, &out, 10000, err, sizeof err)) > 0)
		snprintf(err, sizeof err, "%s: %.*s", argv[0], CT_ERRLEN - 40, out ? out : "failed");
	if (rc != 0)
		reply_error(err);
	else
		reply(json_pack("{s:b, s:s}", "ok", 1, "rules", text));
	free(out);
	free(text);
}

/* The scenario's rules, as the body of the one table ctstorm owns for a
 * variant: the host's own tables are never flushed or changed. */
static void firewall(struct agent *a, const struct node_req *r)
{
	char err[CT_ERRLEN];
	int depth = 0;
	for (const char *c = r->data; *c && depth >= 0; c++)
		depth += *c == '{' ? 1 : *c == '}' ? -1 : 0;
	if (depth != 0) {
		reply_error("firewall: the table's body has unbalanced braces");
		return;
	}
	if (exempt_control(a, err, sizeof err) < 0) {
		reply_error(err);
		return;
	}
	if (!a->nft_owned) {
		if (jr_push_nft_table(&a->j, "inet", "ctstorm", false, err, sizeof err) < 0) {
			reply_error(err);
			return;
		}
		a->nft_owned = true;
	}
	char *script;
	if (asprintf(&script, "table inet ctstorm {\n}\nflush table inet ctstorm\ntable inet ctstorm {\n%s\n}\n",
		     r->data) < 0)
		abort();
	if (nft_load(script, err, sizeof err) < 0)
		reply_error(err);
	else
		reply(json_pack("{s:b}", "ok", 1));
	free(script);
}

static void forget(struct agent *a, const struct node_req *r)
{
	const char *src = *r->src ? r->src : a->ssh_client;
	int family = strchr(r->dst, ':') ? AF_INET6 : AF_INET;
	unsigned char s[16], d[16];
	char err[CT_ERRLEN];
	if (!*src || inet_pton(family, src, s) != 1 || inet_pton(family, r->dst, d) != 1) {
		reply_error("forget: no source address (not over ssh, and none given)");
		return;
	}
	size_t n;
	unsigned prefix = *r->src ? r->src_prefix : family == AF_INET ? 32 : 128;
	if (ct_nl_forget(family, s, prefix, d, (uint16_t)r->port, &n, err, sizeof err) < 0)
		reply_error(err);
	else
		reply(json_pack("{s:b, s:I}", "ok", 1, "deleted", (json_int_t)n));
}

/* A source range's route, journaled before it is added: the range this
 * host's own (local, on lo: a load host sends from it), or routed back
 * via the load's host (default: the controller, at its ssh address). A
 * route to the range that is there already is the host's: refused. */
static void route(struct agent *a, const struct node_req *r)
{
	char err[CT_ERRLEN], *out = NULL;
	const char *via = *r->dst ? r->dst : a->ssh_client;
	int family = strchr(r->route, ':') ? 6 : 4;
	if (!r->local && !*via) {
		reply_error("route: no gateway (not over ssh, and none given)");
		return;
	}
	if (jr_push_route(&a->j, family, r->route, r->local ? NULL : via, err, sizeof err) < 0) {
		reply_error(err);
		return;
	}
	char *add_local[] = { "ip", family == 6 ? "-6" : "-4", "route", "add", "local", (char *)r->route, "dev", "lo", NULL },
	     *add_via[] = { "ip", family == 6 ? "-6" : "-4", "route", "add", (char *)r->route, "via", (char *)via, NULL };
	int rc = pr_cmd(-1, r->local ? add_local : add_via, NULL, &out, 10000, err, sizeof err);
	if (rc != 0) {
		jr_pop(&a->j); /* not added: nothing to undo, and never the host's own route */
		char msg[CT_ERRLEN + 256];
		snprintf(msg, sizeof msg, "route %s%s%s: %.*s", r->route, r->local ? " (local)" : " via ", r->local ? "" : via,
			 (int)(CT_ERRLEN - 1), rc < 0 ? err : out ? out : "ip failed");
		msg[strcspn(msg, "\n")] = '\0';
		reply_error(msg);
	} else
		reply(json_pack("{s:b, s:s}", "ok", 1, "via", r->local ? "" : via));
	free(out);
}

static void ruleset(void)
{
	char err[CT_ERRLEN], *nft = NULL, *ipt = NULL;
	char *nargv[] = { "nft", "list", "ruleset", NULL }, *iargv[] = { "iptables-save", NULL };
	pr_cmd(-1, nargv, NULL, &nft, 10000, err, sizeof err);
	pr_cmd(-1, iargv, NULL, &ipt, 10000, err, sizeof err);
	json_t *o = json_pack("{s:b, s:s, s:s}", "ok", 1, "nft", nft ? nft : "", "iptables", ipt ? ipt : "");
	reply(o);
	free(nft);
	free(ipt);
}

/* Handles one request; false when the agent should end. */
static bool serve(struct agent *a, const char *line, size_t len)
{
	struct journal *j = &a->j;
	struct node_req r;
	char err[CT_ERRLEN];
	if (node_parse_request(line, len, &r, err, sizeof err) < 0) {
		reply_error(err);
		return true;
	}
	bool more = true;
	switch (r.op) {
	case NODE_HELLO:
		reply(hello(a));
		break;
	case NODE_LEASE:
		reply(json_pack("{s:b, s:I}", "ok", 1, "lease_ms", (json_int_t)a->lease_ms));
		break;
	case NODE_SYSCTL_GET: {
		char *path = sc_sysctl_path(r.key), val[256];
		if (host_read_sysctl(jr_sysctl_global(path) ? a->init_ns : -1, path, val, sizeof val) < 0) {
			snprintf(err, sizeof err, "%s: %s", r.key, strerror(errno));
			reply_error(err);
		} else
			reply(json_pack("{s:b, s:s}", "ok", 1, "value", val));
		free(path);
		break;
	}
	case NODE_SYSCTL_SET:
		sysctl_set(a, &r);
		break;
	case NODE_PUT:
		put_file(a, &r);
		break;
	case NODE_GET:
		get_file(a, &r);
		break;
	case NODE_SPAWN:
		spawn(a, &r);
		break;
	case NODE_ALIVE:
		alive(a, &r);
		break;
	case NODE_READY:
		ready(a, &r);
		break;
	case NODE_STOP:
		stop(a, &r);
		break;
	case NODE_FIREWALL:
		firewall(a, &r);
		break;
	case NODE_IPTABLES:
		iptables(a, &r);
		break;
	case NODE_ROUTE:
		route(a, &r);
		break;
	case NODE_RULESET:
		ruleset();
		break;
	case NODE_FORGET:
		forget(a, &r);
		break;
	case NODE_TIME: {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		reply(json_pack("{s:b, s:I}", "ok", 1, "wall_ns", (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
		break;
	}
	case NODE_STATUS:
		reply(status(j));
		break;
	case NODE_RESTORE:
	case NODE_BYE: {
		/* a variant's end keeps the control connection's exemption */
		bool keep = r.op == NODE_RESTORE && a->control_owned;
		size_t failed = jr_undo_to(j, keep ? 1 : 0);
		a->control_owned = keep;
		json_t *o = json_pack("{s:b, s:I}", "ok", failed == 0, "failed", (json_int_t)failed);
		if (failed)
			json_object_set_new(o, "error", json_sprintf("%zu changes could not be undone (ctstorm status lists "
								     "them)",
								     failed));
		reply(o);
		more = r.op != NODE_BYE;
		a->nft_owned = false; /* the table is gone with the journal */
		break;
	}
	}
	node_req_free(&r);
	return more;
}


/* "CLIENT PORT SERVER PORT", as sshd sets SSH_CONNECTION: false (and no
 * control connection) unless two addresses of one family and two ports. */
static bool control_parse(struct agent *a, const char *text)
{
	int end = 0;
	unsigned char buf[16];
	bool ok = sscanf(text, "%63s %u %63s %u %n", a->ssh_client, &a->ssh_client_port, a->ssh_server,
			 &a->ssh_server_port, &end) == 4 &&
		  text[end] == '\0' && a->ssh_client_port - 1 < 65535 && a->ssh_server_port - 1 < 65535;
	int family = ok && strchr(a->ssh_client, ':') ? AF_INET6 : AF_INET;
	ok = ok && inet_pton(family, a->ssh_client, buf) == 1 && inet_pton(family, a->ssh_server, buf) == 1;
	if (!ok)
		a->ssh_client[0] = '\0';
	return ok;
}

/* Waits for the controller's next bytes: 1 when there are some, 0 when
 * its lease ran out while the host holds a change of ours, -1 on a
 * signal. The signals are blocked but inside ppoll, so one that comes
 * between the check of stop_signal and the wait is not lost. */
static int wait_request(const struct agent *a, uint64_t last_ms, const sigset_t *open)
{
	struct pollfd in = { .fd = 0, .events = POLLIN };
	for (;;) {
		struct timespec ts, *tp = NULL;
		if (a->j.n) { /* only what we hold needs a lease */
			uint64_t now = ct_now_ns() / CT_NS_PER_MS, until = last_ms + a->lease_ms;
			if (now >= until)
				return 0;
			ts = (struct timespec){ (time_t)((until - now) / 1000), (long)((until - now) % 1000) * 1000000 };
			tp = &ts;
		}
		int n = ppoll(&in, 1, tp, open);
		if (n > 0)
			return 1;
		if (n < 0 && errno == EINTR)
			return -1;
		if (n < 0)
			return 1; /* let read() say what is wrong */
	}
}

int node_agent(const char *control, uint64_t lease_ms)
{
	char err[CT_ERRLEN];
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reply to a dead controller: EPIPE, then end of input */
	/* delivered only while waiting for a request (ppoll opens them) */
	sigset_t stops, open;
	sigemptyset(&stops);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &open);
	static struct agent ag;
	ag.lease_ms = lease_ms ? lease_ms : NODE_LEASE_DEFAULT_MS;
	struct journal *jp = &ag.j;
	if (geteuid() != 0) {
		reply_error("ctstorm node needs root on this host (log in as root, or use sudo -n)");
		return 2;
	}
	const char *env = getenv("SSH_CONNECTION");
	if (control && *control) {
		if (!control_parse(&ag, control)) {
			snprintf(err, sizeof err, "--control '%.200s': not 'CLIENT PORT SERVER PORT' (SSH_CONNECTION's form)",
				 control);
			reply_error(err);
			return 2;
		}
	} else if (env && !control_parse(&ag, env))
		ag.ssh_client[0] = '\0';
	if (jr_open(jp, false, NULL, err, sizeof err) < 0) {
		reply_error(err);
		return 2;
	}
	jp->log = stderr;
	ag.init_ns = jr_initial_netns();
	snprintf(ag.dir, sizeof ag.dir, "%s/node-%d", jp->dir, (int)getpid());
	if (mkdir(ag.dir, 0700) < 0 || chdir(ag.dir) < 0) {
		snprintf(err, sizeof err, "%s: %s", ag.dir, strerror(errno));
		reply_error(err);
		jr_close(jp);
		return 2;
	}
	char *buf = NULL;
	size_t cap = 0, len = 0;
	bool more = true;
	uint64_t last_ms = ct_now_ns() / CT_NS_PER_MS; /* of the last request served */
	while (more && !stop_signal) {
		char *nl = len ? memchr(buf, '\n', len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - buf);
			more = serve(&ag, buf, n);
			memmove(buf, nl + 1, len - n - 1);
			len -= n + 1;
			last_ms = ct_now_ns() / CT_NS_PER_MS;
			continue;
		}
		if (cap - len < 4096) {
			if (cap >= (1u << 20)) { /* a line of a megabyte is no request */
				reply_error("a request line longer than 1 MiB");
				break;
			}
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		int w = wait_request(&ag, last_ms, &open);
		if (w < 0)
			continue; /* a signal: stop_signal says which */
		if (w == 0) {
			fprintf(stderr, "ctstorm node: the controller was silent for its lease (%.1f s) while this host "
					"held changes of ours: taken for gone, restoring\n",
				(double)ag.lease_ms / 1e3);
			break;
		}
		ssize_t r = read(0, buf + len, cap - len);
		if (r > 0)
			len += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break; /* the controller is gone: restore */
	}
	free(buf);
	size_t failed = jr_close(jp);
	ct_remove_flat_dir(ag.dir); /* the agent's folder, at its end */
	if (stop_signal)
		return 128 + stop_signal;
	return failed ? 1 : 0;
}
