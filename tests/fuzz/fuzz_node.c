/* Any bytes as a request to the agent (ctstorm node reads them from its
 * controller over ssh) and as a host's address: either refused with a
 * reason, or accepted into fields that are safe to use: a sysctl key that
 * names a path under /proc/sys, a value of one printable line, a host that
 * ssh cannot read as an option. */
#include "node.h"
#include "scenario.h"
#include "sshhost.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_req r;
	char err[256];
	if (node_parse_request((const char *)data, size, &r, err, sizeof err) == 0) {
		if ((unsigned)r.op > NODE_TIME)
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
	free(text);
	return 0;
}
