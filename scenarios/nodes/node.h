/* `ctstorm node`: the agent a controller runs on a real host over ssh
 * (DESIGN.md, "Real hosts"). It speaks JSON lines on stdin/stdout, one
 * request, one reply:
 *
 *   {"op":"hello"}                 version, kernel, host name, state folder, the table's max and count
 *   {"op":"sysctl-get","key":K}    a sysctl's value (nf_conntrack_* or a dotted net.* name)
 *   {"op":"sysctl-set","key":K,"value":V[,"allow_lower":true]}
 *                                  journaled before it is written; the old value in the reply
 *   {"op":"status"}                what the journal holds
 *   {"op":"restore"}               undoes everything journaled, newest first (but the control
 *                                  connection's exemption, kept to the agent's end)
 *   {"op":"bye"}                   restores, replies and exits
 *   {"op":"put","name":N,"data":S} a file in the agent's folder (a zone, a configuration)
 *   {"op":"get","name":N}          one back (a summary, a time series, a log)
 *   {"op":"spawn","prog":P,"args":[...]}
 *                                  starts ctstorm-P (responder, sampler, loadgen) in that folder, journaled;
 *                                  its files are named, never paths (it writes in that folder only)
 *   {"op":"alive","prog":P}        whether it runs, or how it ended
 *   {"op":"ready","prog":P,"what":"port53"|"sample"}
 *   {"op":"stop","prog":P,"signal":"INT"|"TERM","grace_ms":N}
 *   {"op":"firewall","nft":BODY}   the scenario's rules as the body of the table ctstorm owns,
 *                                  "table inet ctstorm"; journaled, deleted on restore
 *   {"op":"iptables","rules":TEXT,"family":4|6}
 *                                  iptables-restore text added in chains ctstorm owns (CTSTORM-*, one jump
 *                                  from each built-in chain it uses; iptowned.h); journaled, removed on restore
 *   {"op":"ruleset"}               the host's whole ruleset as applied (nft and iptables views)
 *   {"op":"forget","dst":IP,"port":N[,"src":IP]}
 *                                  deletes the conntrack entries of UDP and TCP flows from src (default:
 *                                  the controller's ssh address) to dst:port: the previous variant's load,
 *                                  nothing else of the host's table
 *   {"op":"time"}                  the host's wall clock (ns), for the controller's offset estimate
 *   {"op":"lease"}                 renews the lease, nothing else (every request renews it)
 *   {"op":"route","range":CIDR,"local":true} | {"op":"route","range":CIDR[,"via":IP]}
 *                                  a source range: this host's own (a local route on lo, a load host's),
 *                                  or routed back via IP (default: the controller's ssh address, on a
 *                                  server); refused where a route to it exists; journaled, deleted on restore
 *
 * A reply is {"ok":true,...} or {"ok":false,"error":"..."}. The agent
 * holds the host's lock (one controller per host) and journals in the
 * host's own state folder; it restores when its stdin closes (the
 * controller died, the connection dropped), on SIGHUP, SIGTERM and
 * SIGINT, when asked, and when its lease runs out: while it holds any
 * change, a controller silent for the lease (--lease, 15 s by default;
 * hello says it) is taken for gone, as after a silent partition or a
 * controller host that lost its power. After a SIGKILL of the agent, `ctstorm cleanup`
 * on the host (or `--host` from the controller) repairs from the journal.
 * On a real host nf_conntrack_max is lowered only with allow_lower, and
 * never to what the host's table already holds; nf_conntrack_max and
 * nf_conntrack_buckets, global to the host, are written in its initial
 * network namespace whichever namespace the agent runs in. The host's own
 * rules are never touched: ctstorm's live in its own table (inet ctstorm,
 * a variant's); from the first such table to the agent's end another
 * (inet ctstorm_control) exempts the control connection (the ssh flow the
 * agent runs over, from SSH_CONNECTION) from conntrack, so a full table
 * cannot cut it. */
#ifndef SC_NODE_H
#define SC_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum node_op {
	NODE_HELLO,
	NODE_SYSCTL_GET,
	NODE_SYSCTL_SET,
	NODE_STATUS,
	NODE_RESTORE,
	NODE_BYE,
	NODE_PUT,
	NODE_GET,
	NODE_SPAWN,
	NODE_ALIVE,
	NODE_READY,
	NODE_STOP,
	NODE_FIREWALL,
	NODE_RULESET,
	NODE_FORGET,
	NODE_TIME,
	NODE_IPTABLES,
	NODE_ROUTE,
	NODE_LEASE,
};

/* The programs the agent starts: ctstorm's own, found beside it. */
enum node_prog { NODE_RESPONDER, NODE_SAMPLER, NODE_LOADGEN, NODE_NPROGS };
extern const char *const node_prog_names[NODE_NPROGS]; /* "responder", "sampler", "loadgen" */

/* Readiness: the responder answers on port 53; the sampler has a sample. */
enum node_ready { NODE_READY_PORT53, NODE_READY_SAMPLE };

#define NODE_MAX_ARGS 64
#define NODE_MAX_DATA (16u << 20) /* a file put or got, in a JSON string */

struct node_req {
	enum node_op op;
	char key[96];      /* sysctl-*: as a scenario names it */
	char value[64];    /* sysctl-set */
	bool allow_lower;
	char name[64];     /* put, get: a file in the agent's folder (letters, digits, ._-) */
	char *data;        /* put: its text; firewall: the table's body; iptables: the rules (malloc'd) */
	int family;        /* iptables: 4 (iptables) or 6 (ip6tables) */
	enum node_prog prog; /* spawn, alive, ready, stop */
	char *args[NODE_MAX_ARGS + 1]; /* spawn: the program's arguments, NULL-terminated (malloc'd) */
	enum node_ready ready;
	int signal;        /* stop: SIGINT or SIGTERM */
	unsigned grace_ms; /* stop: then SIGKILL */
	char src[64], dst[64]; /* forget: addresses (src "" : the ssh client's; a range ADDR/PREFIX) */
	unsigned src_prefix;   /* forget: src's prefix length (32 or 128: one address) */
	char route[80];        /* route: the range ADDR/PREFIX */
	bool local;            /* route: the range is this host's own (on lo); else via (dst "": the ssh client) */
	unsigned port;         /* forget: the destination port */
};

/* Parses one request line (outside input: a fuzz target's). Returns 0, or
 * -1 with err naming what is wrong; node_req_free releases what it holds. */
int node_parse_request(const char *line, size_t len, struct node_req *r, char *err, size_t errlen);
void node_req_free(struct node_req *r);

/* A file name the agent accepts: no path, no hidden name. */
bool node_file_name_ok(const char *name);

/* The agent: serves stdin/stdout until "bye", end of input or a signal.
 * Returns the exit status. */
#define NODE_LEASE_DEFAULT_MS 15000
int node_agent(const char *control, uint64_t lease_ms);

#endif
