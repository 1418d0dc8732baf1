#include "node_ssh.h"

#include "atomicfile.h"
#include "clock.h"
#include "ct_err.h"
#include "node.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct ssh_node *sshn(struct node *n)
{
	return (struct ssh_node *)n; /* n is its first member */
}

json_t *ssh_node_ask(struct ssh_node *s, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	FILE *log = s->cmdlog ? *s->cmdlog : NULL;
	if (log) {
		char *t = json_dumps(req, JSON_COMPACT);
		fprintf(log, "[%s] %.300s%s\n", s->h.t.url, t ? t : "?", t && strlen(t) > 300 ? " ..." : "");
		free(t);
	}
	json_t *r = nc_call(&s->nc, req, timeout_ms, err, errlen);
	s->asked_ms = ct_now_ns() / CT_NS_PER_MS;
	return r;
}

bool ssh_node_keepalive(struct ssh_node *s)
{
	char err[CT_ERRLEN];
	if (s->nc.broken)
		return false;
	if (ct_now_ns() / CT_NS_PER_MS - s->asked_ms < s->lease_ms / 3)
		return true;
	return ssh_node_ask_ok(s, json_pack("{s:s}", "op", "lease"), 10000, err, sizeof err);
}

bool ssh_node_ask_ok(struct ssh_node *s, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	json_t *r = ssh_node_ask(s, req, timeout_ms, err, errlen);
	json_decref(r);
	return r != NULL;
}

static int ssh_stage(struct node *n, const char *local, const char *name, char *path, size_t len, char *err,
		     size_t errlen)
{
	size_t size;
	char *text = ct_read_file(local, &size, err, errlen);
	if (!text)
		return -1;
	/* it travels as a JSON string: UTF-8 text only (a Latin-1 zone is said so) */
	json_t *data = json_stringn(text, size);
	free(text);
	if (!data)
		return ct_err(err, errlen, "%s: not UTF-8 text, and a file for a real host travels as a JSON string: convert "
					   "it (iconv -f latin1 -t utf-8)",
			      local);
	bool ok = ssh_node_ask_ok(sshn(n), json_pack("{s:s, s:s, s:o}", "op", "put", "name", name, "data", data), 10000,
				  err, errlen);
	snprintf(path, len, "%s", name); /* the agent runs its programs in its folder */
	return ok ? 0 : -1;
}

static void ssh_out(struct node *n, const char *name, char *path, size_t len)
{
	(void)n;
	snprintf(path, len, "%s", name);
}

static int ssh_fetch(struct node *n, const char *name, const char *local, char *err, size_t errlen)
{
	json_t *r = ssh_node_ask(sshn(n), json_pack("{s:s, s:s}", "op", "get", "name", name), 60000, err, errlen);
	const char *data = json_string_value(json_object_get(r, "data"));
	int rc = data ? ct_write_atomic(local, data, strlen(data), err, errlen) : -1;
	json_decref(r);
	return rc;
}

static int ssh_spawn(struct node *n, enum node_prog prog, const char *exe, char *const args[], char *err,
		     size_t errlen)
{
	if (exe)
		return ct_err(err, errlen, "%s%s: a peer's server runs in the lab only", n->prefix, exe);
	json_t *a = json_array();
	for (char *const *v = args; *v; v++)
		json_array_append_new(a, json_string(*v));
	return ssh_node_ask_ok(sshn(n), json_pack("{s:s, s:s, s:o}", "op", "spawn", "prog", node_prog_names[prog], "args", a),
			       10000, err, errlen)
		       ? 0
		       : -1;
}

static void describe(json_t *r, struct node_proc *st)
{
	const char *how = json_string_value(json_object_get(r, "how"));
	memset(st, 0, sizeof *st);
	snprintf(st->how, sizeof st->how, "%s", how ? how : "never started");
	st->started = strcmp(st->how, "never started") != 0;
	st->running = json_is_true(json_object_get(r, "running"));
	st->ok = json_is_true(json_object_get(r, "exited_ok"));
}

static int ssh_poll(struct node *n, enum node_prog prog, int ready, struct node_proc *st, char *err, size_t errlen)
{
	struct ssh_node *s = sshn(n);
	const char *prog_name = node_prog_names[prog];
	bool yes = false;
	if (ready >= 0) {
		json_t *r = ssh_node_ask(s,
					 json_pack("{s:s, s:s, s:s}", "op", "ready", "prog", prog_name, "what",
						   ready == NODE_READY_PORT53 ? "port53" : "sample"),
					 10000, err, errlen);
		if (!r)
			return -1;
		yes = json_is_true(json_object_get(r, "ready"));
		bool running = json_is_true(json_object_get(r, "running"));
		json_decref(r);
		if (running) {
			memset(st, 0, sizeof *st);
			st->started = st->running = true;
			st->ready = yes;
			snprintf(st->how, sizeof st->how, "running");
			return 0;
		}
	}
	json_t *r = ssh_node_ask(s, json_pack("{s:s, s:s}", "op", "alive", "prog", prog_name), 10000, err, errlen);
	if (!r)
		return -1;
	describe(r, st);
	json_decref(r);
	st->ready = yes && st->running;
	return 0;
}

static int ssh_stop(struct node *n, enum node_prog prog, int sig, unsigned grace_ms, struct node_proc *st, char *err,
		    size_t errlen)
{
	json_t *r = ssh_node_ask(sshn(n),
				 json_pack("{s:s, s:s, s:s, s:i}", "op", "stop", "prog", node_prog_names[prog], "signal",
					   sig == SIGINT ? "INT" : "TERM", "grace_ms", (int)grace_ms),
				 (int)grace_ms + 10000, err, errlen);
	if (!r)
		return -1;
	describe(r, st);
	st->started = true;
	json_decref(r);
	return 0;
}

static int ssh_sysctl_get(struct node *n, const char *key, char *buf, size_t len, char *err, size_t errlen)
{
	json_t *r = ssh_node_ask(sshn(n), json_pack("{s:s, s:s}", "op", "sysctl-get", "key", key), 10000, err, errlen);
	const char *v = json_string_value(json_object_get(r, "value"));
	if (v)
		snprintf(buf, len, "%s", v);
	json_decref(r);
	return v ? 0 : r ? ct_err(err, errlen, "%s%s gave no value", n->prefix, key) : -1;
}

static bool ssh_broken(const struct node *n)
{
	return ((const struct ssh_node *)n)->nc.broken;
}

static const struct node_ops ssh_ops = {
	.kind = "ssh",
	.stage = ssh_stage,
	.out = ssh_out,
	.fetch = ssh_fetch,
	.spawn = ssh_spawn,
	.poll = ssh_poll,
	.stop = ssh_stop,
	.sysctl_get = ssh_sysctl_get,
	.broken = ssh_broken,
};

struct ssh_node *ssh_node_open(const char *url, const char *role, const struct ssh_opts *o, FILE *const *cmdlog,
			       char *err, size_t errlen)
{
	struct ssh_node *s = calloc(1, sizeof *s);
	struct ssh_target t;
	static const struct ssh_opts none = { 0 };
	if (!s)
		abort();
	s->n.ops = &ssh_ops;
	snprintf(s->n.role, sizeof s->n.role, "%s", role);
	s->n.weight = 1;
	s->cmdlog = cmdlog;
	if (ssh_target_parse(url, &t, err, errlen) < 0 || ssh_open(&s->h, &t, o ? o : &none, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	snprintf(s->n.name, sizeof s->n.name, "%s", s->h.t.url);
	snprintf(s->n.prefix, sizeof s->n.prefix, "%s: ", s->h.t.url);
	if (ssh_check_ctstorm(&s->h, err, errlen) < 0) {
		ssh_close(&s->h);
		free(s);
		return NULL;
	}
	snprintf(s->agent_log, sizeof s->agent_log, "%s/agent.log", s->h.ctl_dir);
	int fd = open(s->agent_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = nc_open(&s->nc, &s->h, fd, &s->hello, err, errlen);
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		unlink(s->agent_log);
		ssh_close(&s->h);
		free(s);
		return NULL;
	}
	/* its own address, as it sees the control connection: the source of
	 * its load toward the server */
	json_t *lease = json_object_get(s->hello, "lease_ms");
	s->lease_ms = json_is_integer(lease) ? (uint64_t)json_integer_value(lease) : NODE_LEASE_DEFAULT_MS;
	s->asked_ms = ct_now_ns() / CT_NS_PER_MS;
	const char *sc = json_string_value(json_object_get(s->hello, "ssh_connection"));
	const char *arrow = sc ? strstr(sc, "-> ") : NULL;
	if (arrow)
		snprintf(s->src, sizeof s->src, "%.*s", (int)(strrchr(arrow, ':') - arrow - 3), arrow + 3);
	return s;
}

int ssh_node_clock(struct ssh_node *s, char *err, size_t errlen)
{
	s->rtt_ns = INT64_MAX;
	for (int i = 0; i < 5; i++) {
		int64_t t0 = (int64_t)ct_wall_ns();
		json_t *r = ssh_node_ask(s, json_pack("{s:s}", "op", "time"), 10000, err, errlen);
		int64_t t1 = (int64_t)ct_wall_ns();
		if (!r)
			return -1;
		int64_t there = json_integer_value(json_object_get(r, "wall_ns"));
		json_decref(r);
		if (t1 - t0 < s->rtt_ns) {
			s->rtt_ns = t1 - t0;
			s->n.offset_ns = there - (t0 + (t1 - t0) / 2);
		}
	}
	return 0;
}

json_t *ssh_node_json(const struct ssh_node *s)
{
	json_t *hl = json_deep_copy(s->hello);
	json_object_del(hl, "ok");
	json_object_set_new(hl, "url", json_string(s->h.t.url));
	json_object_set_new(hl, "control", json_string("ssh, established before the first variant and kept; its flow "
						      "exempt from conntrack (table inet ctstorm_control) wherever "
						      "ctstorm owns rules on the host"));
	return hl;
}

void ssh_node_close(struct ssh_node *s, const char *dir)
{
	nc_close(&s->nc);
	/* what the agent said (its undo lines) beside the run's own */
	char dst[1200], err[CT_ERRLEN];
	size_t len;
	char *text = *dir ? ct_read_file(s->agent_log, &len, err, sizeof err) : NULL;
	snprintf(dst, sizeof dst, "%s/agent-%s.log", dir, s->n.role);
	if (text && ct_write_atomic(dst, text, len, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
	free(text);
	unlink(s->agent_log);
	ssh_close(&s->h);
	json_decref(s->hello);
	free(s);
}
