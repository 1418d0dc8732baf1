/* `ctstorm run`: the variants of one scenario, one after the other, each in
 * a lab of its own; the results folder; the verdicts; the table. */
#ifndef SC_RUN_H
#define SC_RUN_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>

struct ssh_opts;

struct run_opts {
	bool quick;
	bool probe;     /* the folder is a probe's */
	bool wait;      /* for another run's lock */
	bool quiet;     /* no live line */
	const char *out_dir;
	const char *junit; /* JUnit XML of the verdicts, written at the end */
	const char *baseline; /* a stored run to compare with: a regression fails the run */
	double tolerance;     /* how much worse a metric may be than the baseline's (a fraction) */
	int argc;       /* the command line, for the manifest */
	char **argv;
	const struct ssh_opts *ssh; /* how to reach real hosts ([hosts]) */
};

/* Returns the exit status: 0 every expectation held, 1 one did not (or a
 * variant could not run), 128+N when a signal N interrupted the run. */
int run_scenario(const struct sc_file *f, const size_t *variants, size_t n, const struct run_opts *o);

/* The same in steps, for searches (ctstorm probe): a session holds the
 * lock and the results folder; each step is one variant in a lab of its own
 * (label names its folder); closing writes the manifest and the report
 * and prints the table. */
#include <jansson.h>
struct run_session;
struct run_session *run_open(const struct sc_file *f, const struct run_opts *o, size_t total, int *rc);
/* Returns the step's metrics (owned by the session) and its status. */
json_t *run_step(struct run_session *s, size_t vi, const char *label, const char **status);

/* A sysctl of the real host under test (the server, or the router), as
 * its agent reads it (key: nf_conntrack_* or a dotted net.* name); -1 with
 * err when the session has no real host or the agent cannot read it. */
int run_host_sysctl(struct run_session *s, const char *key, char *buf, size_t len, char *err, size_t errlen);
bool run_stopped(const struct run_session *s);
const char *run_dir(const struct run_session *s);
void run_manifest_set(struct run_session *s, const char *key, json_t *value);
int run_close(struct run_session *s, int rc);

/* The catalogue (scenarios and zones): $CTSTORM_DATA_DIR, else
 * ../share/ctstorm/scenarios from this binary's folder (installed, or the
 * build tree's mirror of it). No path of the build machine is compiled in. */
const char *run_data_dir(void);

#endif
