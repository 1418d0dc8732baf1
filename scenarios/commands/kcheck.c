#include "kcheck.h"

#include "proc.h"

#include "config.h"
#include "ct_err.h"
#include "host.h"
#include "iptowned.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A network namespace held only by the returned fd: unshare ours, keep a
 * handle on the new one, and go back. Nothing names it, so nothing is
 * left behind when the fd closes, whatever happens to us. */
static int scratch_netns(char *err, size_t errlen)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return ct_err(err, errlen, "/proc/self/ns/net: %s", strerror(errno));
	if (unshare(CLONE_NEWNET) < 0) {
		int e = errno;
		close(self);
		return ct_err(err, errlen, "cannot create a scratch network namespace: %s", strerror(e));
	}
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* we must never go on in the wrong namespace */
	close(self);
	if (fd < 0)
		return ct_err(err, errlen, "/proc/self/ns/net: %s", strerror(errno));
	return fd;
}

/* What a node's firewall and sysctls depend on: its section's settings
 * and the lab's family and topology. */
static char *node_signature(const struct sc_resolved *r, const char *section)
{
	char *sig = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&sig, &len);
	if (!m)
		abort();
	fprintf(m, "%s|%s|%s", section, sc_value(r, "scenario", "family", ""), sc_value(r, "scenario", "topology", ""));
	for (size_t i = 0; i < r->nset; i++)
		if (strcmp(r->set[i]->section, section) == 0)
			fprintf(m, "|%s=%s", r->set[i]->key, r->set[i]->value);
	fclose(m);
	return sig;
}

/* The line of a rules text the tool named in its error: iptables-restore
 * (nf_tables: "Error occurred at line: N"; legacy: "line N failed") or
 * nft ("/dev/stdin:N:"); 0 when it named none. */
static int tool_line(const char *why)
{
	/* the words before the number, and what must follow it */
	static const struct {
		const char *lead, *tail;
	} forms[] = { { "Error occurred at line: ", "" }, { "line ", " failed" }, { "/dev/stdin:", ":" } };
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		for (const char *p = strstr(why, forms[i].lead); p; p = strstr(p + 1, forms[i].lead)) {
			char *end;
			long n = strtol(p + strlen(forms[i].lead), &end, 10);
			if (n > 0 && n < 100000 && end != p + strlen(forms[i].lead) &&
			    strncmp(end, forms[i].tail, strlen(forms[i].tail)) == 0)
				return (int)n;
		}
	}
	return 0;
}

static void refused(const struct sc_file *f, const struct sc_resolved *r, const char *section, const char *key,
		    const char *why, struct sc_errors *e)
{
	const struct sc_setting *s = sc_get(r, section, key);
	char where[600];
	int n = s && (strcmp(key, "iptables") == 0 || strcmp(key, "nft") == 0) ? tool_line(why) : 0;
	if (n) {
		/* the rule's own line and text */
		const char *rule = s->value;
		for (int i = 1; rule && i < n; i++)
			if ((rule = strchr(rule, '\n')))
				rule++;
		int line = s->line ? sc_value_line(f, s->line, n) : 0;
		char at[64] = "";
		if (line)
			snprintf(at, sizeof at, "%d:", line);
		snprintf(where, sizeof where, "%s%s%s [%s] %s, line %d of its text ('%.*s')", s->line ? f->path : "--set",
			 s->line ? ":" : "", at, section, key, n, rule ? (int)strcspn(rule, "\n") : 0, rule ? rule : "");
	} else if (s && s->line)
		snprintf(where, sizeof where, "%s:%d: [%s] %s", f->path, s->line, section, key);
	else if (s)
		snprintf(where, sizeof where, "--set %s.%s", section, key);
	else
		snprintf(where, sizeof where, "%s: [%s] %s (the default)", f->path, section, key);
	char variant[128] = "";
	if (f->nvar)
		snprintf(variant, sizeof variant, " (variant %s%s)", r->name, r->quick ? ", --quick" : "");
	sc_error(e, "%s: the kernel refused it: %s%s", where, why, variant);
}

/* A real node's rules (section server or router) as its agent will load
 * them, in the table and chains ctstorm owns (the agent adds the ssh
 * exemption, which is ours to get right). */
static int check_owned(int fd, const struct sc_resolved *r, const char *section, const char **key, char *err,
		       size_t errlen)
{
	const struct sc_setting *file = sc_get(r, section, "nft-file");
	if (file) {
		char *path = sc_path(r->file, file->value);
		bool ok = access(path, R_OK) == 0;
		if (!ok)
			ct_err(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		if (!ok) {
			*key = "nft-file";
			return -1;
		}
	}
	char *ipt = host_owned_iptables(r, section, err, errlen), *out = NULL;
	if (ipt) { /* the rules as the agent will load them, in chains of ours */
		*key = sc_get(r, section, "iptables") ? "iptables" : "iptables-file";
		struct ipt_owned o;
		char *owned = ipt_owned_rewrite(ipt, &o, err, errlen);
		free(ipt);
		if (!owned)
			return 0; /* what cannot be owned: said by the scenario's checks */
		const struct sc_setting *addr = sc_get(r, "server", "address"), *host = sc_get(r, "hosts", "server");
		bool v6 = (addr && strchr(addr->value, ':')) || (!addr && host && strchr(host->value, '['));
		char *argv[] = { v6 ? "ip6tables-restore" : "iptables-restore", "--test", "--noflush", NULL };
		int rc = pr_cmd(fd, argv, owned, &out, 10000, err, errlen);
		if (rc > 0)
			ct_err(err, errlen, "in chains ctstorm owns (CTSTORM-*): %s", out ? out : "iptables-restore failed");
		free(out);
		free(owned);
		out = NULL;
		if (rc != 0)
			return -1;
	}
	char *body = host_owned_rules(r, section), *script;
	if (!body)
		return 0;
	*key = sc_get(r, section, "nft") ? "nft" : file ? "nft-file" : "firewall";
	if (asprintf(&script, "table inet ctstorm {\n%s\n}\n", body) < 0)
		abort();
	char *argv[] = { "nft", "-f", "-", NULL };
	int rc = pr_cmd(fd, argv, script, &out, 10000, err, errlen);
	if (rc > 0)
		ct_err(err, errlen, "as the body of table inet ctstorm: %s", out ? out : "nft failed");
	free(out);
	free(script);
	free(body);
	return rc == 0 ? 0 : -1;
}

int sc_kernel_check(const struct sc_file *f, struct sc_errors *e)
{
	if (geteuid() != 0)
		return 1;
	size_t before = e->n + e->dropped;
	char **seen = NULL;
	size_t nseen = 0;
	size_t nv = f->nvar ? f->nvar : 1;
	for (int quick = 0; quick <= 1; quick++)
		for (size_t v = 0; v < nv; v++) {
			struct sc_resolved r;
			sc_resolve(f, f->nvar ? v : (size_t)-1, quick, &r);
			struct sc_scenario_cfg sc;
			sc_section(&r, "scenario", sc_scenario_options, &sc, sizeof sc);
			for (int n = 0; n < H_NODES; n++) {
				if (n == H_ROUTER && sc.topology != SC_ROUTED)
					continue;
				char *sig = node_signature(&r, host_node_names[n]);
				bool dup = false;
				for (size_t i = 0; i < nseen && !dup; i++)
					dup = strcmp(seen[i], sig) == 0;
				if (dup) {
					free(sig);
					continue;
				}
				seen = realloc(seen, (nseen + 1) * sizeof *seen);
				if (!seen)
					abort();
				seen[nseen++] = sig;
				char err[CT_ERRLEN];
				const char *key = "firewall";
				int fd = scratch_netns(err, sizeof err);
				bool real = (n == H_SERVER && sc_get(&r, "hosts", "server")) ||
					    (n == H_ROUTER && sc_get(&r, "hosts", "router"));
				if (fd < 0 || (real ? check_owned(fd, &r, host_node_names[n], &key, err, sizeof err)
						    : host_check_node(fd, n, &r, &key, err, sizeof err)) < 0)
					refused(f, &r, host_node_names[n], key, err, e);
				if (fd >= 0)
					close(fd);
			}
			sc_resolved_free(&r);
		}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return e->n + e->dropped == before ? 0 : -1;
}
