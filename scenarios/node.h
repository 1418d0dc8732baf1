/* `ctstorm node`: the agent a controller runs on a real host over ssh
 * (DESIGN.md, "Real hosts"). It speaks JSON lines on stdin/stdout, one
 * request, one reply:
 *
 *   {"op":"hello"}                 version, kernel, host name, state folder, the table's max and count
 *   {"op":"sysctl-get","key":K}    a sysctl's value (nf_conntrack_* or a dotted net.* name)
 *   {"op":"sysctl-set","key":K,"value":V[,"allow_lower":true]}
 *                                  journaled before it is written; the old value in the reply
 *   {"op":"status"}                what the journal holds
 *   {"op":"restore"}               undoes everything journaled, newest first
 *   {"op":"bye"}                   restores, replies and exits
 *
 * A reply is {"ok":true,...} or {"ok":false,"error":"..."}. The agent
 * holds the host's lock (one controller per host) and journals in the
 * host's own state folder; it restores when its stdin closes (the
 * controller died, the connection dropped), on SIGHUP, SIGTERM and
 * SIGINT, and when asked. After a SIGKILL of the agent, `ctstorm cleanup`
 * on the host (or `--host` from the controller) repairs from the journal.
 * On a real host nf_conntrack_max is lowered only with allow_lower, and
 * never to what the host's table already holds. */
#ifndef SC_NODE_H
#define SC_NODE_H

#include <stdbool.h>
#include <stddef.h>

enum node_op { NODE_HELLO, NODE_SYSCTL_GET, NODE_SYSCTL_SET, NODE_STATUS, NODE_RESTORE, NODE_BYE };

struct node_req {
	enum node_op op;
	char key[96];    /* sysctl-*: as a scenario names it */
	char value[64];  /* sysctl-set */
	bool allow_lower;
};

/* Parses one request line (outside input: a fuzz target's). Returns 0, or
 * -1 with err naming what is wrong. */
int node_parse_request(const char *line, size_t len, struct node_req *r, char *err, size_t errlen);

/* The agent: serves stdin/stdout until "bye", end of input or a signal.
 * Returns the exit status. */
int node_agent(void);

#endif
