#include "node_lab.h"

#include "argv.h"
#include "atomicfile.h"
#include "ct_err.h"
#include "host.h"
#include "scenario.h"
#include "rf_names.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct lab_node *lab(struct node *n)
{
	return (struct lab_node *)n; /* n is its first member */
}

static int lab_stage(struct node *n, const char *local, const char *name, char *path, size_t len, char *err,
		     size_t errlen)
{
	(void)n;
	(void)name;
	(void)err;
	(void)errlen;
	snprintf(path, len, "%s", local); /* this host's files are the node's */
	return 0;
}

static void lab_out(struct node *n, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", lab(n)->dir, name);
}

static int lab_fetch(struct node *n, const char *name, const char *local, char *err, size_t errlen)
{
	char path[1300];
	lab_out(n, name, path, sizeof path);
	if (strcmp(path, local) == 0)
		return access(path, F_OK) == 0 ? 0 : ct_err(err, errlen, "%s: not written", path);
	size_t len;
	char *data = ct_read_file(path, &len, err, errlen);
	int rc = data ? ct_write_atomic(local, data, len, err, errlen) : -1;
	free(data);
	return rc;
}

static const char *binary(enum node_prog prog)
{
	static const char *const names[NODE_NPROGS] = { "ctstorm-responder", "ctstorm-sampler", "ctstorm-loadgen" };
	static const char *const dirs[NODE_NPROGS] = { "responder", "analysis", "loadgen" };
	static char found[NODE_NPROGS][PATH_MAX];
	return pr_find_binary(names[prog], dirs[prog], found[prog], sizeof found[prog]);
}

/* The sampler of a namespace runs in this host's (where the kernel log
 * is) and watches the namespace's table (--netns); the others run in it. */
static int lab_spawn(struct node *n, enum node_prog prog, const char *exe, char *const args[], char *err,
		     size_t errlen)
{
	struct lab_node *l = lab(n);
	struct ct_argv a = { 0 };
	ct_argv_add(&a, "%s", exe ? exe : binary(prog));
	bool watch = prog == NODE_SAMPLER && l->fd >= 0;
	if (watch)
		ct_argv_add(&a, "--netns=/run/netns/%s", l->ns);
	for (char *const *v = args; *v; v++)
		ct_argv_add(&a, "%s", *v);
	if (l->cmdlog) {
		fprintf(l->cmdlog, "[%s]", watch || l->fd < 0 ? "host" : l->ns);
		for (char **v = a.v; *v; v++)
			fprintf(l->cmdlog, " %s", *v);
		fputc('\n', l->cmdlog);
	}
	char log[1300];
	snprintf(log, sizeof log, "%s/%s.log", l->dir, node_prog_names[prog]);
	int rc = pr_spawn(&l->kids[prog], node_prog_names[prog], watch ? -1 : l->fd, a.v,
			  prog == NODE_LOADGEN ? NULL : log, log, l->j, err, errlen);
	ct_argv_free(&a);
	return rc;
}

static void describe(struct lab_node *l, struct pr_child *k, struct node_proc *st)
{
	memset(st, 0, sizeof *st);
	st->started = k->pid != 0;
	st->running = st->started && !pr_exited(k, l->j);
	st->ok = st->started && !st->running && pr_ok(k);
	if (st->started)
		pr_describe(k, st->how, sizeof st->how);
	else
		snprintf(st->how, sizeof st->how, "never started");
}

static int lab_poll(struct node *n, enum node_prog prog, int ready, struct node_proc *st, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct lab_node *l = lab(n);
	struct pr_child *k = &l->kids[prog];
	describe(l, k, st);
	if (ready == NODE_READY_PORT53) {
		st->ready = st->running && pr_listening53(k->pid, l->ipv6);
	} else if (ready == NODE_READY_SAMPLE) {
		char csv[1300];
		lab_out(n, RF_SAMPLER_CSV, csv, sizeof csv);
		st->ready = st->running && pr_has_sample(csv);
	}
	return 0;
}

static int lab_stop(struct node *n, enum node_prog prog, int sig, unsigned grace_ms, struct node_proc *st,
		    char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct lab_node *l = lab(n);
	pr_stop(&l->kids[prog], sig, (int)grace_ms, l->j);
	describe(l, &l->kids[prog], st);
	return 0;
}

static int lab_sysctl_get(struct node *n, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	char *path = sc_sysctl_path(key);
	int rc = path ? host_read_sysctl(lab(n)->fd, path, buf, len) : -1;
	if (rc < 0)
		ct_err(err, errlen, "%scannot read %s", n->prefix, path ? path : key);
	free(path);
	return rc;
}

static bool lab_broken(const struct node *n)
{
	(void)n;
	return false;
}

static const struct node_ops lab_ops = {
	.kind = "lab",
	.stage = lab_stage,
	.out = lab_out,
	.fetch = lab_fetch,
	.spawn = lab_spawn,
	.poll = lab_poll,
	.stop = lab_stop,
	.sysctl_get = lab_sysctl_get,
	.broken = lab_broken,
};

void lab_node_init(struct lab_node *l, const char *role, int fd, const char *ns, bool ipv6, const char *dir,
		   struct journal *j, FILE *cmdlog)
{
	memset(l, 0, sizeof *l);
	l->n.ops = &lab_ops;
	snprintf(l->n.role, sizeof l->n.role, "%s", role);
	snprintf(l->n.name, sizeof l->n.name, "%s", fd >= 0 ? ns : "host");
	l->fd = fd;
	snprintf(l->ns, sizeof l->ns, "%s", fd >= 0 ? ns : "");
	l->ipv6 = ipv6;
	snprintf(l->dir, sizeof l->dir, "%s", dir);
	l->j = j;
	l->cmdlog = cmdlog;
}

void lab_node_kill(struct lab_node *l)
{
	for (int p = 0; p < NODE_NPROGS; p++)
		pr_stop(&l->kids[p], SIGKILL, 0, l->j);
}
