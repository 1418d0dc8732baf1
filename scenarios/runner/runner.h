/* Inside `ctstorm run` (run.h is its outside): the session, a variant as
 * it runs, and the sites a variant's roles are placed on.
 *
 *   run.c        the session: lock and journal, the results folder, the
 *                manifest, the report at the end
 *   lifecycle.c  one variant's life, written once: up (the site's nodes,
 *                the responder, the sampler, the settle), load, drain,
 *                down; over the node interface (nodeops.h) only
 *   cmdline.c    each binary's command line, built from its typed options
 *   site_lab.c   the lab: namespaces built for each variant (host.h)
 *   site_hosts.c real hosts over ssh ([hosts]), connected for the run
 */
#ifndef SC_RUNNER_H
#define SC_RUNNER_H

#include "argv.h"
#include "config.h"
#include "journal.h"
#include "lg_cli.h"
#include "nodeops.h"
#include "responder_cli.h"
#include "run.h"
#include "sampler_cli.h"
#include "scenario.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vresult {
	char name[64];
	char status[16]; /* measured, then pass or fail; error, interrupted, skipped */
	char error[1400];
	json_t *metrics; /* loadgen, canary, sampler, responder */
	double wall_s;
};

/* A variant as it runs: its settings resolved, and typed once by the
 * tables that checked them (the binaries' own for their sections). */
struct variant {
	struct sc_resolved r;
	struct sc_scenario_cfg sc;
	struct sc_node_cfg server;
	struct sc_canary_cfg canary;
	struct responder_cli resp;
	struct lg_cli lg;
	struct sampler_cli sm;
	const char *name;
	char vdir[1100];
	uint64_t load_ms;
	char zone_file[1100]; /* the zone served (this host's path) */
	char zone[256];       /* its apex: what the load asks when the scenario names no query */
};

#define RUN_MAX_LISTEN (2 * (SC_MAX_BACKENDS + 1))

/* Where a variant's roles run: the nodes a site gives for it. */
struct roles {
	struct node *server; /* the responder's; NULL: the DNS server the user runs (external) */
	struct node *test;   /* the node whose table is sampled: the server, or the router */
	struct node *clients[SC_MAX_LOAD_HOSTS];
	size_t nclients;
	bool load_hosts;     /* the clients are load hosts: parts of one load, started together, merged */
	char target[64];     /* where the load goes */
	char listen[RUN_MAX_LISTEN][80]; /* where the responder listens: ADDR:53 or [ADDR]:53 */
	size_t nlisten;
	bool switching;      /* dnat-switch: the site's switch is due at its time */
};

struct run_session;
struct site;

struct site_ops {
	/* The variant's nodes made or configured as V says (rules, sysctls,
	 * routes), ruleset.txt written in its folder, its roles filled in. */
	int (*up)(struct site *s, struct run_session *c, struct variant *V, size_t idx, struct roles *R, char *err,
		  size_t errlen);
	/* dnat-switch: backend 1 goes away (the lab's). */
	int (*dnat_switch)(struct site *s, const struct variant *V, char *err, size_t errlen);
	/* Every node as it was before the variant (its programs are stopped
	 * already); what could not be undone said in v->error or on stderr. */
	void (*down)(struct site *s, struct run_session *c, const struct variant *V, struct vresult *v);
	/* Renews what keeps the site's nodes ours while the controller is
	 * busy elsewhere (real hosts: their agents' leases); called on every
	 * tick of the runner. NULL: nothing to renew. */
	void (*keepalive)(struct site *s);
	/* The node whose control channel broke, if any (NULL: none). */
	const struct node *(*broken)(const struct site *s);
	/* The end of the session: the connections closed (the folder "" when
	 * it was never made). */
	void (*close)(struct site *s, const char *dir);
};

struct site {
	const struct site_ops *ops;
	bool real;            /* real hosts: the host under test is not ours */
	struct node *host;    /* real hosts: the host under test (sampled), for run_host_sysctl */
};

struct run_session {
	struct site *site;
	const struct sc_file *f;
	const struct run_opts *o;
	struct journal j;
	char id[16];
	char dir[1024];
	FILE *cmdlog;
	bool tty;
	json_t *manifest;
	struct vresult *res;
	size_t nres;
	size_t total;
};

/* ---- signals (run.c): one signalfd; a second signal hurries the teardown ---- */
extern volatile int run_stop_signal;
extern int run_stop_count;
void run_tick(int ms); /* sleeps up to ms, waking early for a signal */
uint64_t run_now_ms(void);

/* ---- the variant's life (lifecycle.c) ---- */
void run_variant(struct run_session *c, size_t vi, size_t idx, const char *label, struct vresult *v);

/* ---- command lines (cmdline.c), each from its binary's typed options ---- */

/* ctstorm-responder serving zone (its path on the node) at R's addresses,
 * its counters into stats. */
int cl_responder(const struct variant *V, const struct roles *R, const char *zone, const char *stats,
		 struct ct_argv *a, char *err, size_t errlen);

/* ctstorm-sampler writing csv, summary and the kernel's lines (kmsg). */
int cl_sampler(const struct variant *V, const char *csv, const char *summary, const char *kmsg, struct ct_argv *a,
	       char *err, size_t errlen);

/* The files a loadgen writes and reads, as its node names them. */
struct cl_load_files {
	const char *json, *summary, *canary_log, *datafile;
};

/* ctstorm-loadgen toward R's target; part (NULL: the whole load) divides
 * it among load hosts by each option's split, starting at start_ms on the
 * host's clock (0: at once). */
int cl_loadgen(const struct variant *V, const struct roles *R, const struct cl_load_files *files,
	       const struct ct_opt_part *part, uint64_t start_ms, struct ct_argv *a, char *err, size_t errlen);

/* The marker flows of after-collector-pass: n fresh-socket queries. */
void cl_markers(const struct variant *V, const struct roles *R, unsigned n, struct ct_argv *a);

/* ---- sites ---- */
struct site *site_lab_new(void);
/* The real hosts of [hosts], connected before anything changes; NULL with
 * err when one cannot be used (nothing changed anywhere then). */
struct site *site_hosts_open(struct run_session *c, const struct sc_resolved *r0, char *err, size_t errlen);
/* The hosts as the manifest records them. */
json_t *site_hosts_json(const struct site *s);

#endif
