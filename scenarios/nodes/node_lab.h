/* The lab's transport of the node interface (nodeops.h): a network
 * namespace the run built on this host (host.h), or this host's own stack
 * (the load toward a real server), driven in-process. Its folder is the
 * variant's results folder; its programs are children of the runner,
 * journaled in the run's journal (proc.h). */
#ifndef SC_NODE_LAB_H
#define SC_NODE_LAB_H

#include "journal.h"
#include "nodeops.h"
#include "proc.h"

#include <stdbool.h>
#include <stdio.h>

struct lab_node {
	struct node n;
	int fd;           /* its namespace (owned by the lab), -1: this host's */
	char ns[64];      /* its name under /run/netns; "" for this host */
	bool ipv6;        /* the responder listens on IPv6 too */
	char dir[1100];   /* the variant's folder */
	struct journal *j;
	FILE *cmdlog;
	struct pr_child kids[NODE_NPROGS];
};

/* A node over namespace fd (-1: this host) named ns, its files in dir. */
void lab_node_init(struct lab_node *l, const char *role, int fd, const char *ns, bool ipv6, const char *dir,
		   struct journal *j, FILE *cmdlog);

/* Its programs stopped at once (a second ^C, or a variant that ended on
 * an error): nothing of them outlives the variant. */
void lab_node_kill(struct lab_node *l);

#endif
