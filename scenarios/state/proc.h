/* Processes the runner starts: long-lived ones (responder, sampler,
 * loadgen) and short commands (ip, iptables-restore, nft).
 *
 * Every child runs in the namespace it is given, in a process group of its
 * own (a terminal's ^C reaches the runner only, which stops the children
 * in order), with SIGKILL as its parent-death signal, and starts with an
 * empty signal mask. A long-lived child is recorded in the journal before
 * it execs: a child waits on a pipe until the runner has written its PID. */
#ifndef SC_PROC_H
#define SC_PROC_H

#include "journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pr_child {
	char name[32];
	pid_t pid;
	uint64_t start;
	bool running;
	int status;  /* waitpid status once reaped */
};

int pr_spawn(struct pr_child *c, const char *name, int netns_fd, char *const argv[], const char *out_path,
	     const char *err_path, struct journal *j, char *err, size_t errlen);

/* Reaps the child if it has exited; returns true once it has. */
bool pr_exited(struct pr_child *c, struct journal *j);

/* Sends sig, waits up to grace_ms, then SIGKILLs its process group; reaps. */
void pr_stop(struct pr_child *c, int sig, int grace_ms, struct journal *j);

/* fn() true: pr_stop stops waiting out the grace and kills (a second ^C). */
void pr_set_hurry(bool (*fn)(void));

/* "exited with status 3", "killed by signal 9" */
const char *pr_describe(const struct pr_child *c, char *buf, size_t len);
bool pr_ok(const struct pr_child *c);

/* Runs a short command to completion in netns_fd (-1: ours) with input on
 * its stdin; its stdout and stderr together go to *output (malloc'd, may
 * be NULL). Returns its exit status, or -1 with err (could not run, timed
 * out: then it is killed). */
int pr_cmd(int netns_fd, char *const argv[], const char *input, char **output, int timeout_ms, char *err,
	   size_t errlen);

/* The responder's sockets on port 53 (UDP, and TCP listening; IPv6 too
 * when asked), as process pid's namespace shows them: nsd and knot alike. */
bool pr_listening53(pid_t pid, bool ipv6);

/* The sampler's CSV has its header and a first sample. */
bool pr_has_sample(const char *csv);

/* Where a sibling binary is: next to ours (installed), in the build tree
 * (../responder/ctstorm-responder), or on PATH. */
const char *pr_find_binary(const char *name, const char *subdir, char *buf, size_t len);

#endif
