#include "nodeclient.h"

#include "clock.h"
#include "ct_err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int nc_open(struct node_client *c, const struct ssh_host *h, int errfd, json_t **hello, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->h = h;
	c->to = c->from = -1;
	char cmd[700];
	if (ssh_ctstorm_cmd(h, "node", cmd, sizeof cmd - 40) < 0)
		return ct_err(err, errlen, "%s: the remote folder is not a plain path", h->t.url);
	/* named on the command line: sudo drops it from the environment */
	strcat(cmd, " --control \"$SSH_CONNECTION\"");
	if (h->o && h->o->lease_ms) /* a number: nothing for the shell */
		snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " --lease %llums", (unsigned long long)h->o->lease_ms);
	const char *argv[72];
	ssh_argv(h, cmd, argv, 72);
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return ct_err(err, errlen, "pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return ct_err(err, errlen, "pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* we die: the ssh ends, the agent's input closes, the host restores */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0); /* a terminal's ^C reaches ctstorm only, which ends this in order */
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (errfd >= 0)
			dup2(errfd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return ct_err(err, errlen, "fork: %s", strerror(errno));
	}
	c->pid = pid;
	c->to = in[1];
	c->from = out[0];
	json_t *r = nc_call(c, json_pack("{s:s}", "op", "hello"), 30000, err, errlen);
	if (!r) {
		nc_close(c);
		return -1;
	}
	if (hello)
		*hello = r;
	else
		json_decref(r);
	return 0;
}

/* A line from the agent within the deadline (ms on the monotonic clock). */
static char *read_line(struct node_client *c, uint64_t deadline)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, n);
			if (!line)
				abort();
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return line;
		}
		uint64_t now = ct_now_ns() / CT_NS_PER_MS;
		if (now >= deadline)
			return NULL;
		struct pollfd p = { c->from, POLLIN, 0 };
		int rc = poll(&p, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
			if (!c->buf)
				abort();
		}
		ssize_t n = read(c->from, c->buf + c->len, c->cap - c->len);
		if (n > 0)
			c->len += (size_t)n;
		else if (n == 0 || errno != EINTR) {
			c->broken = true;
			return NULL;
		}
	}
}

json_t *nc_call(struct node_client *c, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	const char *url = c->h->t.url;
	if (!req) /* json_pack refused what it was given: text that is not UTF-8 */
		return ct_err(err, errlen, "%s: a request that cannot be written as JSON (text that is not UTF-8?)", url),
		       NULL;
	char *text = json_dumps(req, JSON_COMPACT);
	const char *op = json_string_value(json_object_get(req, "op"));
	char what[32];
	snprintf(what, sizeof what, "%s", op ? op : "?");
	json_decref(req);
	if (c->broken || c->to < 0) {
		free(text);
		ct_err(err, errlen, "the control connection to %s is gone", url);
		return NULL;
	}
	size_t len = strlen(text), off = 0;
	text[len++] = '\n'; /* json_dumps leaves room: the NUL */
	while (off < len) {
		ssize_t n = write(c->to, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->broken = true;
			free(text);
			ct_err(err, errlen, "the control connection to %s broke (during %s): the host restores itself", url, what);
			return NULL;
		}
		off += (size_t)n;
	}
	free(text);
	char *line = read_line(c, ct_now_ns() / CT_NS_PER_MS + (uint64_t)timeout_ms);
	if (!line) {
		if (!c->broken)
			ct_err(err, errlen, "%s: no answer to %s in %.0f s", url, what, timeout_ms / 1e3);
		else
			ct_err(err, errlen, "the control connection to %s broke (during %s): the host restores itself", url, what);
		c->broken = true; /* a late answer would be taken for the next one's */
		return NULL;
	}
	json_error_t je;
	json_t *r = json_loads(line, 0, &je);
	free(line);
	if (!json_is_object(r)) {
		json_decref(r);
		c->broken = true;
		ct_err(err, errlen, "%s: the agent said something that is not a reply to %s", url, what);
		return NULL;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *e = json_string_value(json_object_get(r, "error"));
		ct_err(err, errlen, "%s: %s", url, e ? e : "refused");
		json_decref(r);
		return NULL;
	}
	return r;
}

void nc_close(struct node_client *c)
{
	char err[256];
	if (c->to >= 0 && !c->broken)
		json_decref(nc_call(c, json_pack("{s:s}", "op", "bye"), 60000, err, sizeof err));
	if (c->to >= 0)
		close(c->to);
	if (c->from >= 0)
		close(c->from);
	c->to = c->from = -1;
	if (c->pid > 0) {
		int st;
		bool reaped = false;
		for (int i = 0; i < 250 && !(reaped = waitpid(c->pid, &st, WNOHANG) == c->pid); i++)
			usleep(20000);
		if (!reaped) {
			kill(c->pid, SIGTERM);
			waitpid(c->pid, &st, 0);
		}
		c->pid = 0;
	}
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}
