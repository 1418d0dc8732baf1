#include "node.h"

#include "ct_err.h"
#include "host.h"
#include "journal.h"
#include "scenario.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- the agent ---- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void reply(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

static void reply_error(const char *msg)
{
	reply(json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

static long long read_number(const char *path)
{
	char buf[64];
	return host_read_sysctl(-1, path, buf, sizeof buf) == 0 ? strtoll(buf, NULL, 10) : -1;
}

static json_t *hello(const struct journal *j)
{
	struct utsname u;
	uname(&u);
	json_t *o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:i}", "ok", 1, "version", CT_VERSION, "kernel", u.release,
			      "hostname", u.nodename, "state_dir", j->dir, "pid", (int)getpid());
	long long max = read_number("/proc/sys/net/netfilter/nf_conntrack_max"),
		  count = read_number("/proc/sys/net/netfilter/nf_conntrack_count");
	json_object_set_new(o, "nf_conntrack_max", max >= 0 ? json_integer(max) : json_null());
	json_object_set_new(o, "nf_conntrack_count", count >= 0 ? json_integer(count) : json_null());
	return o;
}

/* On a real host: lowering the table's limit is the user's explicit call,
 * and never below what the table holds (the host's own flows would be
 * dropped). */
static int lower_check(const struct node_req *r, const char *old, char *err, size_t errlen)
{
	if (strcmp(r->key, "nf_conntrack_max") != 0)
		return 0;
	char *end;
	errno = 0;
	unsigned long long want = strtoull(r->value, &end, 10), was = strtoull(old, NULL, 10);
	if (errno || *end)
		return ct_err(err, errlen, "nf_conntrack_max = %s: not a number", r->value);
	if (want >= was)
		return 0;
	if (!r->allow_lower)
		return ct_err(err, errlen,
			      "nf_conntrack_max = %llu is below this host's %llu: lowering it on a real host needs "
			      "allow-lower = yes",
			      want, was);
	long long count = read_number("/proc/sys/net/netfilter/nf_conntrack_count");
	if (count >= 0 && want <= (unsigned long long)count)
		return ct_err(err, errlen,
			      "nf_conntrack_max = %llu: this host's table already holds %lld entries; its own new flows "
			      "would be dropped",
			      want, count);
	return 0;
}

static void sysctl_set(struct journal *j, const struct node_req *r)
{
	char err[CT_ERRLEN], old[64];
	char *path = sc_sysctl_path(r->key);
	if (host_read_sysctl(-1, path, old, sizeof old) < 0) {
		snprintf(err, sizeof err, "%s: %s", r->key, strerror(errno));
		reply_error(err);
	} else if (lower_check(r, old, err, sizeof err) < 0)
		reply_error(err);
	else if (strcmp(old, r->value) != 0 && jr_push_sysctl(j, path, old, err, sizeof err) < 0)
		reply_error(err);
	else if (strcmp(old, r->value) != 0 && host_write_sysctl(-1, path, r->value, err, sizeof err) < 0) {
		/* nothing changed: forget the entry again */
		jr_undo_to(j, j->n - 1);
		reply_error(err);
	} else
		reply(json_pack("{s:b, s:s}", "ok", 1, "old", old));
	free(path);
}

static json_t *status(const struct journal *j)
{
	json_t *a = json_array();
	for (size_t i = 0; i < j->n; i++) {
		const struct jr_entry *e = &j->e[i];
		json_array_append_new(a, e->kind == JR_SYSCTL ? json_pack("{s:s, s:s, s:s}", "kind", "sysctl", "path", e->a,
									  "restore", e->b)
					 : e->kind == JR_NETNS ? json_pack("{s:s, s:s}", "kind", "netns", "name", e->a)
							       : json_pack("{s:s, s:i, s:s}", "kind", "proc", "pid",
									   (int)e->pid, "what", e->a));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "outstanding", a);
}

/* Handles one request; false when the agent should end. */
static bool serve(struct journal *j, const char *line, size_t len)
{
	struct node_req r;
	char err[CT_ERRLEN];
	if (node_parse_request(line, len, &r, err, sizeof err) < 0) {
		reply_error(err);
		return true;
	}
	switch (r.op) {
	case NODE_HELLO:
		reply(hello(j));
		break;
	case NODE_SYSCTL_GET: {
		char *path = sc_sysctl_path(r.key), val[256];
		if (host_read_sysctl(-1, path, val, sizeof val) < 0) {
			snprintf(err, sizeof err, "%s: %s", r.key, strerror(errno));
			reply_error(err);
		} else
			reply(json_pack("{s:b, s:s}", "ok", 1, "value", val));
		free(path);
		break;
	}
	case NODE_SYSCTL_SET:
		sysctl_set(j, &r);
		break;
	case NODE_STATUS:
		reply(status(j));
		break;
	case NODE_RESTORE:
	case NODE_BYE: {
		size_t failed = jr_undo_to(j, 0);
		json_t *o = json_pack("{s:b, s:I}", "ok", failed == 0, "failed", (json_int_t)failed);
		if (failed)
			json_object_set_new(o, "error", json_sprintf("%zu changes could not be undone (ctstorm status lists "
								     "them)",
								     failed));
		reply(o);
		return r.op != NODE_BYE;
	}
	}
	return true;
}

int node_agent(void)
{
	char err[CT_ERRLEN];
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: a read returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reply to a dead controller: EPIPE, then end of input */
	struct journal j;
	if (geteuid() != 0) {
		reply_error("ctstorm node needs root on this host (log in as root, or use sudo -n)");
		return 2;
	}
	if (jr_open(&j, false, NULL, err, sizeof err) < 0) {
		reply_error(err);
		return 2;
	}
	j.log = stderr;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	bool more = true;
	while (more && !stop_signal) {
		char *nl = len ? memchr(buf, '\n', len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - buf);
			more = serve(&j, buf, n);
			memmove(buf, nl + 1, len - n - 1);
			len -= n + 1;
			continue;
		}
		if (cap - len < 4096) {
			if (cap >= (1u << 20)) { /* a line of a megabyte is no request */
				reply_error("a request line longer than 1 MiB");
				break;
			}
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		ssize_t r = read(0, buf + len, cap - len);
		if (r > 0)
			len += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break; /* the controller is gone: restore */
	}
	free(buf);
	size_t failed = jr_close(&j);
	if (stop_signal)
		return 128 + stop_signal;
	return failed ? 1 : 0;
}
