/* Any bytes as a request to the agent (ctstorm node reads them from its
 * controller over ssh), as a host's address and as iptables rules for a
 * real host: either refused with a reason, or accepted into fields that are
 * safe to use: a sysctl key that names a path under /proc/sys, a value of
 * one printable line, a host that ssh cannot read as an option, rules that
 * only add to chains ctstorm owns (journaled by names undo can use). */
#include "iptowned.h"
#include "node.h"
#include "scenario.h"
#include "sshhost.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_req r;
	char err[256];
	if (node_parse_request((const char *)data, size, &r, err, sizeof err) == 0) {
		if ((unsigned)r.op > NODE_ROUTE || (r.op == NODE_IPTABLES && r.family != 4 && r.family != 6))
			abort();
		if (r.op == NODE_SYSCTL_GET || r.op == NODE_SYSCTL_SET) {
			char *path = sc_sysctl_path(r.key);
			if (!path || strncmp(path, "/proc/sys/", 10) != 0 || strstr(path, ".."))
				abort();
			free(path);
		}
		for (const char *c = r.value; *c; c++)
			if (*c < 0x20 || *c > 0x7e)
				abort();
		/* a file stays in the agent's folder; arguments are lines */
		if ((r.op == NODE_PUT || r.op == NODE_GET) && (!node_file_name_ok(r.name) || strchr(r.name, '/')))
			abort();
		for (size_t i = 0; r.args[i]; i++) {
			for (const char *c = r.args[i]; *c; c++)
				if (*c < 0x20 || *c > 0x7e)
					abort();
			if (strchr(r.args[i], '/') && strncmp(r.args[i], "--src-range=", 12) != 0)
				abort();
		}
		if ((unsigned)r.prog >= NODE_NPROGS)
			abort();
		/* a route's range and gateway reach ip's command line as words */
		if (r.op == NODE_ROUTE && (!*r.route || strpbrk(r.route, " \n;$-") || strpbrk(r.dst, " \n;$") ||
					   (r.local && *r.dst)))
			abort();
		if (r.op == NODE_FORGET && (r.src_prefix > 128 || strpbrk(r.src, " /\n")))
			abort();
		node_req_free(&r);
	} else if (!*err)
		abort();
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct ssh_target t;
	if (ssh_target_parse(text, &t, err, sizeof err) == 0) {
		if (!*t.host || t.host[0] == '-' || t.user[0] == '-' || strpbrk(t.host, " ;$`'\"\\|&<>") ||
		    strpbrk(t.user, " ;$`'\"\\|&<>"))
			abort();
	} else if (!*err)
		abort();
	struct ipt_owned o;
	char *rules = ipt_owned_rewrite(text, &o, err, sizeof err);
	if (rules) {
		if (o.n == 0 || o.n > IPT_MAX_TABLES)
			abort();
		for (size_t i = 0; i < o.n; i++) {
			const char *c = o.t[i].chains;
			if (strncmp(c, IPT_OWNED_PREFIX, strlen(IPT_OWNED_PREFIX)) != 0 || strpbrk(c, " \n;$") ||
			    strpbrk(o.t[i].builtins, " \n;$"))
				abort();
		}
		/* every line adds to a chain of ours, declares one, or jumps to one */
		for (const char *l = rules; *l; l = strchr(l, '\n') + 1) {
			if (!strchr(l, '\n'))
				abort();
			bool ours = *l == '*' || strncmp(l, "COMMIT\n", 7) == 0 || strncmp(l, ":" IPT_OWNED_PREFIX, 9) == 0 ||
				    strncmp(l, "-A " IPT_OWNED_PREFIX, 11) == 0 || strncmp(l, "--append " IPT_OWNED_PREFIX, 17) == 0 ||
				    strncmp(l, "-I " IPT_OWNED_PREFIX, 11) == 0 || strncmp(l, "--insert " IPT_OWNED_PREFIX, 17) == 0 ||
				    (strncmp(l, "-I ", 3) == 0 && strstr(l, " 1 -j " IPT_OWNED_PREFIX));
			if (!ours)
				abort();
		}
		free(rules);
	} else if (!*err)
		abort();
	free(text);
	return 0;
}
