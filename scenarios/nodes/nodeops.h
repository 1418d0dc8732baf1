/* A node: where one role of a scenario runs (the server, the router under
 * test, a load client). The runner drives every node through these
 * operations and never asks which transport is behind them, as wrk's
 * struct sock hides TLS from plain TCP:
 *
 *   lab   a network namespace the run built on this host (or this host's
 *         own stack, for the load toward a real server), in-process:
 *         node_lab.c
 *   ssh   a real host, through its agent (`ctstorm node`, node.h) over the
 *         control connection: node_ssh.c
 *
 * A node has a folder its programs read and write in: the variant's
 * results folder for a lab node (what they write is already in place),
 * the agent's private folder on a real host (fetched back). Programs are
 * ctstorm's own (enum node_prog); a lab node may also run a peer's binary
 * (nsd, knot) as its responder. Every change a transport makes is
 * journaled on its node before it is made (the run's journal in the lab,
 * the host's own journal by its agent). */
#ifndef SC_NODEOPS_H
#define SC_NODEOPS_H

#include "node.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What is known of one program on a node. */
struct node_proc {
	bool started;  /* it was started (else nothing below holds) */
	bool running;
	bool ready;    /* poll with a readiness test: it passed */
	bool ok;       /* it ended with status 0 */
	char how[128]; /* "exited with status 3", "killed by signal 9"; "never started" */
};

struct node;

struct node_ops {
	const char *kind; /* "lab", "ssh": for the manifest and the logs */
	/* The file at local (on this host) where the node's programs read it,
	 * as name in its folder: *path is what to hand them. */
	int (*stage)(struct node *n, const char *local, const char *name, char *path, size_t len, char *err,
		     size_t errlen);
	/* Where a program of the node writes its file name: what to hand it. */
	void (*out)(struct node *n, const char *name, char *path, size_t len);
	/* A file the node's programs wrote (name in its folder) copied to
	 * local; nothing to do where it is already there. -1: not written. */
	int (*fetch)(struct node *n, const char *name, const char *local, char *err, size_t errlen);
	/* Starts prog with args (without argv[0]); exe, a lab's only: a peer's
	 * binary in place of ctstorm's own. Its output goes to PROG.log. */
	int (*spawn)(struct node *n, enum node_prog prog, const char *exe, char *const args[], char *err,
		     size_t errlen);
	/* What prog is doing; ready >= 0 (enum node_ready) also tests it. */
	int (*poll)(struct node *n, enum node_prog prog, int ready, struct node_proc *st, char *err, size_t errlen);
	/* Sends sig, waits up to grace_ms for its end, then kills it. */
	int (*stop)(struct node *n, enum node_prog prog, int sig, unsigned grace_ms, struct node_proc *st, char *err,
		    size_t errlen);
	/* A sysctl as a scenario names it (nf_conntrack_*, a dotted net.* name),
	 * read in the node's network namespace. */
	int (*sysctl_get)(struct node *n, const char *key, char *buf, size_t len, char *err, size_t errlen);
	/* The node's control channel broke: it restores itself; nothing more
	 * can be asked of it. */
	bool (*broken)(const struct node *n);
};

struct node {
	const struct node_ops *ops;
	char name[400];    /* in messages: the namespace ("host": this one), or ssh://HOST */
	char prefix[410];  /* what starts its errors: "" in the lab, "ssh://HOST: " */
	int64_t offset_ns; /* a load host's clock less ours (0: ours) */
	unsigned weight;   /* a load host's share of the load */
	char role[16];     /* "server", "router", "client-1"... */
};

/* Waits until prog passes ready (enum node_ready) while it runs, up to ms,
 * returning early on *stop; what says what it waits for ("listening on
 * port 53", "sampling"). err names the program and its log. */
int node_wait_ready(struct node *n, enum node_prog prog, enum node_ready ready, uint64_t ms, const char *what,
		    const volatile int *stop, void (*tick)(int ms), char *err, size_t errlen);

#endif
