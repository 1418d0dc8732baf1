/* The lab a variant runs in: namespaces, veths, addresses, routes, NAT,
 * sysctls and firewalls, exactly as the scenario says. Every namespace and
 * every global sysctl goes through the journal before it is made. */
#ifndef SC_HOST_H
#define SC_HOST_H

#include "journal.h"
#include "scenario.h"

#include <stdbool.h>
#include <stdio.h>

enum { H_CLIENT, H_SERVER, H_ROUTER, H_NODES };

struct host {
	char ns[H_NODES][64];     /* names under /run/netns ("" when absent) */
	int fd[H_NODES];          /* open namespace fds, -1 when absent */
	bool routed, ipv6;
	int test;                 /* the namespace under test: H_SERVER, or H_ROUTER when routed */
	char listen[2][64];       /* where the responder listens: v4, v6 ("" when none): backend 1's */
	unsigned backends;        /* the server's addresses the router's DNAT spreads flows over */
	bool switching;           /* dnat-switch: backend 1 alone until host_dnat_switch */
	char target[64];          /* what the loadgen queries */
	char src_range[64];       /* the loadgen's --src-range, routed back */
	FILE *cmdlog;             /* every command and its output */
	struct journal *j;
	/* what was applied, for ruleset.txt */
	char *applied;
	size_t applied_len;
	FILE *applied_f;
};

extern const char *const host_node_names[H_NODES];

/* Builds the topology for r in fresh namespaces named PREFIX-client,
 * PREFIX-server (PREFIX-router). */
int host_build(struct host *h, const struct sc_resolved *r, const char *prefix, struct journal *j, FILE *cmdlog,
	       char *err, size_t errlen);

/* Firewalls, NAT, per-namespace and global sysctls. */
int host_configure(struct host *h, const struct sc_resolved *r, char *err, size_t errlen);

/* Applies node n's firewall and per-namespace sysctls of r (never the
 * global ones) in the scratch namespace fd, as host_configure would in the
 * lab: what only the kernel can judge. On a failure *key names the key. */
int host_check_node(int fd, int n, const struct sc_resolved *r, const char **key, char *err, size_t errlen);

/* The firewall of a real node (section "server" or "router") as the body
 * of the one table ctstorm owns there, table inet ctstorm: the presets in
 * nftables (the iptables ones translated), then the scenario's nft text.
 * NULL: the host's own rules as they are (as-is, the default). malloc'd. */
char *host_owned_rules(const struct sc_resolved *r, const char *section);

/* A real node's iptables rules: the section's iptables text, then its
 * iptables-file, as one iptables-restore text for chains ctstorm owns
 * there (iptowned.h). NULL with err "" when there are none; NULL with err
 * when the file cannot be read. malloc'd. */
char *host_owned_iptables(const struct sc_resolved *r, const char *section, char *err, size_t errlen);

/* Backend i's address (0-based) of family v6: where the responder
 * listens too (host_build adds them to the server). */
void host_backend(unsigned i, bool v6, char *buf, size_t len);

/* dnat-switch: backend 1 goes away (its address removed from the
 * server), the router's DNAT sends new flows to the other backends, and
 * with flush the router's entries DNATed to backend 1 are deleted (how
 * many goes to commands.log). */
int host_dnat_switch(struct host *h, bool flush, char *err, size_t errlen);

/* ruleset.txt: every namespace's ruleset (nft and iptables views) and
 * the sysctls as applied and as read back. */
int host_save_ruleset(struct host *h, const char *path, char *err, size_t errlen);

/* Closes the namespace fds (the journal removes the namespaces). */
void host_release(struct host *h);

/* Reads a sysctl in namespace fd (-1: the initial one). */
int host_read_sysctl(int fd, const char *path, char *buf, size_t len);
/* Writes one; err names the sysctl, the value and why not. */
int host_write_sysctl(int fd, const char *path, const char *value, char *err, size_t errlen);

/* The initial namespace, as opened at start. */
void host_init(void);

#endif
