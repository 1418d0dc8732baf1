/* The controller's side of `ctstorm node`: the agent started on a real
 * host over the host's control connection (ssh ... ctstorm node), and
 * requests to it, one JSON line each way (node.h). */
#ifndef SC_NODECLIENT_H
#define SC_NODECLIENT_H

#include "sshhost.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct node_client {
	const struct ssh_host *h;
	pid_t pid;         /* the ssh running the agent */
	int to, from;      /* its stdin, its stdout */
	char *buf;         /* what it said and was not read yet */
	size_t len, cap;
	bool broken;       /* the connection ended: the host restores itself */
};

/* Starts the agent; errfd gets what it says on stderr (its undo lines).
 * Fails, naming the host, when it cannot start or refuses (the lock). */
int nc_open(struct node_client *c, const struct ssh_host *h, int errfd, json_t **hello, char *err, size_t errlen);

/* One request (req is consumed) and its reply within timeout_ms. NULL
 * with err (the host named) when the agent refused, or the connection
 * broke (then c->broken). */
json_t *nc_call(struct node_client *c, json_t *req, int timeout_ms, char *err, size_t errlen);

/* Sends bye (the agent restores and exits), then waits for the ssh. */
void nc_close(struct node_client *c);

#endif
