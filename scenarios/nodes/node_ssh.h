/* The ssh transport of the node interface (nodeops.h): a real host,
 * through ctstorm's agent on it (`ctstorm node`, node.h) over one
 * multiplexed OpenSSH connection (sshhost.h), opened before anything
 * changes and kept for the whole run. Its folder is the agent's private
 * one there; files go both ways as JSON strings. Besides the node
 * operations, the requests only a real host has (its rules in tables
 * ctstorm owns, the flows to forget, the routes of a source range,
 * restore) go through ssh_node_ask. */
#ifndef SC_NODE_SSH_H
#define SC_NODE_SSH_H

#include "nodeclient.h"
#include "nodeops.h"
#include "sshhost.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct ssh_node {
	struct node n;
	struct ssh_host h;
	struct node_client nc;
	json_t *hello;       /* the agent's hello: version, kernel, state folder... */
	char src[64];        /* its own address, as it sees the control connection */
	char address[64];    /* where the load goes, on the server (and through the router) */
	int64_t rtt_ns;      /* a load host's shortest round trip, of its clock estimate */
	char agent_log[160]; /* what the agent says on stderr (its undo lines) */
	FILE *const *cmdlog; /* the run's commands.log, where each request is written */
	uint64_t asked_ms;   /* when it was last asked anything: each request renews its lease */
	uint64_t lease_ms;   /* its lease, as its hello said */
};

/* Connects to url as role (the agent started, the host's ctstorm checked):
 * NULL with err (the host named) when it cannot be used; nothing has
 * changed there then. */
struct ssh_node *ssh_node_open(const char *url, const char *role, const struct ssh_opts *o, FILE *const *cmdlog,
			       char *err, size_t errlen);

/* One request (consumed) and its reply, logged in commands.log; NULL with
 * err (the host named) when refused or the connection broke. */
json_t *ssh_node_ask(struct ssh_node *s, json_t *req, int timeout_ms, char *err, size_t errlen);
bool ssh_node_ask_ok(struct ssh_node *s, json_t *req, int timeout_ms, char *err, size_t errlen);

/* Renews the agent's lease when nothing has been asked of it for a third
 * of it (false: the connection broke). */
bool ssh_node_keepalive(struct ssh_node *s);

/* A load host's clock against ours: the offset at the shortest of five
 * round trips (NTP's estimate), into n.offset_ns and rtt_ns. */
int ssh_node_clock(struct ssh_node *s, char *err, size_t errlen);

/* The host as the manifest records it. */
json_t *ssh_node_json(const struct ssh_node *s);

/* Bye to the agent (it restores and exits), the connection closed; its
 * log kept as agent-ROLE.log in the run's folder (dir; "" : dropped). */
void ssh_node_close(struct ssh_node *s, const char *dir);

#endif
