#include "sshhost.h"

#include "atomicfile.h"
#include "proc.h"

#include "ct_err.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- running ssh ---- */

/* The common part: ssh [-F config] -o BatchMode=yes ... */
static size_t base_argv(const struct ssh_opts *o, const struct ssh_target *t, const char **argv, size_t cap,
			char *portbuf, char *timeoutbuf)
{
	size_t n = 0;
#define ADD(x)                     \
	do {                       \
		if (n + 1 < cap)   \
			argv[n++] = x; \
	} while (0)
	ADD("ssh");
	if (o->config) {
		ADD("-F");
		ADD(o->config);
	}
	ADD("-o");
	ADD("BatchMode=yes");
	snprintf(timeoutbuf, 32, "ConnectTimeout=%u", o->connect_timeout ? o->connect_timeout : 10);
	ADD("-o");
	ADD(timeoutbuf);
	/* a dead peer is noticed in 3 x 5 s, and the host's agent restores */
	ADD("-o");
	ADD("ServerAliveInterval=5");
	for (size_t i = 0; i < o->noptions; i++) {
		ADD("-o");
		ADD(o->options[i]);
	}
	if (t->port) {
		snprintf(portbuf, 16, "%u", t->port);
		ADD("-p");
		ADD(portbuf);
	}
	if (*t->user) {
		ADD("-l");
		ADD(t->user);
	}
	argv[n] = NULL;
	return n;
#undef ADD
}

size_t ssh_argv(const struct ssh_host *h, const char *cmd, const char **argv, size_t cap)
{
	static __thread char port[16], timeout[32], ctl[160];
	size_t n = base_argv(h->o, &h->t, argv, cap - 6, port, timeout);
	snprintf(ctl, sizeof ctl, "ControlPath=%s", h->ctl);
	argv[n++] = "-o";
	argv[n++] = ctl;
	argv[n++] = "--";
	argv[n++] = h->t.host;
	argv[n++] = cmd;
	argv[n] = NULL;
	return n;
}

static void child_setup(int in, int out, int errfd)
{
	/* the connection ends with us: the host's agent then restores */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in >= 0 && dup2(in, 0) < 0)
		_exit(127);
	if (out >= 0 && dup2(out, 1) < 0)
		_exit(127);
	if (errfd >= 0 && dup2(errfd, 2) < 0)
		_exit(127);
}

/* Runs argv with input, collecting stdout and stderr apart. Returns the
 * exit status, 128+signal, or -1 (could not run: errno). */
static int run_capture(const char *const *argv, const char *input, size_t inlen, char **out, char **errout)
{
	int pin[2], pout[2], perr[2];
	if (pipe2(pin, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]);
		close(pin[1]);
		return -1;
	}
	if (pipe2(perr, O_CLOEXEC) < 0) {
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		child_setup(pin[0], pout[1], perr[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (pid < 0) {
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		return -1;
	}
	char *buf[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, cap[2] = { 0, 0 }, sent = 0;
	int fds[3] = { pout[0], perr[0], input && inlen ? pin[1] : -1 };
	if (fds[2] < 0)
		close(pin[1]);
	signal(SIGPIPE, SIG_IGN);
	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd p[3];
		for (int i = 0; i < 3; i++)
			p[i] = (struct pollfd){ fds[i], i == 2 ? POLLOUT : POLLIN, 0 };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[2] >= 0 && p[2].revents) {
			ssize_t w = write(fds[2], input + sent, inlen - sent);
			if (w > 0)
				sent += (size_t)w;
			if (w < 0 || sent == inlen) {
				close(fds[2]);
				fds[2] = -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || !p[i].revents)
				continue;
			if (cap[i] - len[i] < 4096) {
				cap[i] = cap[i] ? cap[i] * 2 : 8192;
				buf[i] = realloc(buf[i], cap[i]);
				if (!buf[i])
					abort();
			}
			ssize_t r = read(fds[i], buf[i] + len[i], cap[i] - len[i] - 1);
			if (r > 0)
				len[i] += (size_t)r;
			else if (r == 0 || errno != EINTR) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	if (fds[2] >= 0)
		close(fds[2]);
	for (int i = 0; i < 2; i++)
		if (buf[i])
			buf[i][len[i]] = '\0';
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (out)
		*out = buf[0];
	else
		free(buf[0]);
	if (errout)
		*errout = buf[1];
	else
		free(buf[1]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ssh's complaint, one line, without its "ssh: " prefix and its warnings. */
static void first_line(const char *text, char *out, size_t len)
{
	out[0] = '\0';
	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\r\n");
		if (n && strncmp(l, "Warning: Permanently added", 26) != 0) {
			if (strncmp(l, "ssh: ", 5) == 0) {
				l += 5;
				n -= 5;
			}
			snprintf(out, len, "%.*s", (int)n, l);
			return;
		}
		l += n;
		l += strspn(l, "\r\n");
	}
}

int ssh_run(const struct ssh_host *h, const char *cmd, const char *input, size_t inlen, char **out, char *err,
	    size_t errlen)
{
	const char *argv[64];
	ssh_argv(h, cmd, argv, 64);
	char *e = NULL;
	int rc = run_capture(argv, input, inlen, out, &e);
	if (rc < 0)
		ct_err(err, errlen, "%s: cannot run ssh: %s", h->t.url, strerror(errno));
	else {
		char line[512];
		first_line(e, line, sizeof line);
		ct_err(err, errlen, "%s", line);
		if (rc == 255) /* ssh's own failure: the connection */
			rc = -1;
	}
	free(e);
	return rc;
}

static bool master_alive(const struct ssh_host *h)
{
	const char *argv[64];
	size_t n = ssh_argv(h, "true", argv, 64);
	/* "ssh -O check HOST": replace the command with the control request */
	argv[n - 1] = NULL;
	const char *check[68];
	size_t k = 0;
	check[k++] = argv[0];
	check[k++] = "-O";
	check[k++] = "check";
	for (size_t i = 1; argv[i]; i++)
		check[k++] = argv[i];
	check[k] = NULL;
	return run_capture(check, NULL, 0, NULL, NULL) == 0;
}

int ssh_open(struct ssh_host *h, const struct ssh_target *t, const struct ssh_opts *o, char *err, size_t errlen)
{
	memset(h, 0, sizeof *h);
	h->t = *t;
	h->o = o;
	/* a folder named for us, so the next ctstorm removes it if we are
	 * killed (SIGKILL) before ssh_close */
	ct_remove_dead_dirs("/tmp", "ctstorm-ssh.", true, NULL, NULL);
	snprintf(h->ctl_dir, sizeof h->ctl_dir, "/tmp/ctstorm-ssh.%d.XXXXXX", (int)getpid());
	if (!mkdtemp(h->ctl_dir))
		return ct_err(err, errlen, "%s: a folder for the control socket: %s", t->url, strerror(errno));
	snprintf(h->ctl, sizeof h->ctl, "%s/ctl", h->ctl_dir);
	char log[128];
	snprintf(log, sizeof log, "%s/master.log", h->ctl_dir);
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	const char *argv[64], *margv[72];
	size_t n = ssh_argv(h, "true", argv, 64), k = 0;
	argv[n - 1] = NULL; /* no command: -N */
	margv[k++] = argv[0];
	margv[k++] = "-M";
	margv[k++] = "-N";
	margv[k++] = "-o";
	margv[k++] = "ControlPersist=no";
	for (size_t i = 1; argv[i]; i++)
		margv[k++] = argv[i];
	margv[k] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		child_setup(null, null, logfd);
		setpgid(0, 0); /* a terminal's ^C reaches ctstorm, which closes it in order */
		execvp(margv[0], (char *const *)margv);
		_exit(127);
	}
	if (logfd >= 0)
		close(logfd);
	if (null >= 0)
		close(null);
	if (pid < 0) {
		rmdir(h->ctl_dir);
		return ct_err(err, errlen, "%s: cannot run ssh: %s", t->url, strerror(errno));
	}
	h->master = pid;
	/* up when the control socket answers; gone when ssh exits */
	unsigned limit_ms = 1000 * ((o->connect_timeout ? o->connect_timeout : 10) + 5);
	for (unsigned waited = 0; waited < limit_ms; waited += 50) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			h->master = 0;
			char line[512] = "", e[CT_ERRLEN], *text = ct_read_file(log, NULL, e, sizeof e);
			first_line(text, line, sizeof line);
			free(text);
			ssh_close(h);
			return ct_err(err, errlen, "%s: cannot connect: %s", t->url,
				      *line ? line : "ssh exited without a word");
		}
		if (access(h->ctl, F_OK) == 0 && master_alive(h))
			return 0;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	ssh_close(h);
	return ct_err(err, errlen, "%s: cannot connect: no answer in %u s", t->url, limit_ms / 1000);
}

void ssh_close(struct ssh_host *h)
{
	if (h->master > 0) {
		kill(h->master, SIGTERM);
		int st;
		for (int i = 0; i < 100; i++) {
			if (waitpid(h->master, &st, WNOHANG) == h->master) {
				h->master = 0;
				break;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (h->master > 0) {
			kill(h->master, SIGKILL);
			waitpid(h->master, &st, 0);
			h->master = 0;
		}
	}
	if (*h->ctl_dir) {
		ct_remove_flat_dir(h->ctl_dir);
		h->ctl_dir[0] = '\0';
	}
}

/* ---- the ctstorm on the host ---- */

int ssh_ctstorm_cmd(const struct ssh_host *h, const char *args, char *buf, size_t len)
{
	const char *dir = h->o->remote_dir ? h->o->remote_dir : SSH_DEFAULT_REMOTE_DIR;
	if (!ssh_shell_safe(dir))
		return -1;
	for (const char *a = args; *a; a++)
		if (!isalnum((unsigned char)*a) && !strchr(" /._-:=,+@%", *a))
			return -1;
	/* sudo resets PATH (secure_path): it gets the full path, the one a
	 * sudoers rule names */
	int n = h->sudo ? snprintf(buf, len, "PATH=%s:$PATH; c=$(command -v ctstorm) || exit 127; exec sudo -n -- \"$c\" %s",
				   dir, args)
			: snprintf(buf, len, "PATH=%s:$PATH exec ctstorm %s", dir, args);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int ssh_check_ctstorm(struct ssh_host *h, char *err, size_t errlen)
{
	char cmd[512], e[512];
	char *out = NULL;
	int rc = ssh_run(h, "id -u", NULL, 0, &out, e, sizeof e);
	if (rc != 0 || !out || !isdigit((unsigned char)out[0])) {
		free(out);
		return ct_err(err, errlen, "%s: `id -u` failed there: %s", h->t.url, *e ? e : "no answer");
	}
	h->sudo = strtoul(out, NULL, 10) != 0;
	free(out);
	out = NULL;
	if (ssh_ctstorm_cmd(h, "--version", cmd, sizeof cmd) < 0)
		return ct_err(err, errlen, "%s: the remote folder is not a plain path", h->t.url);
	rc = ssh_run(h, cmd, NULL, 0, &out, e, sizeof e);
	int ret = 0;
	char want[64];
	snprintf(want, sizeof want, "ctstorm %s", CT_VERSION);
	if (rc == 127 || (rc != 0 && strstr(e, "not found")))
		ret = ct_err(err, errlen, "%s: no ctstorm on the host (`ctstorm deploy %s` copies this build's)", h->t.url,
			     h->t.url);
	else if (rc != 0 && h->sudo && strncmp(e, "sudo:", 5) == 0)
		ret = ct_err(err, errlen,
			     "%s: the login is not root, and `sudo -n ctstorm` was refused there (%s); ctstorm needs root "
			     "on the host: log in as root, or let this user run ctstorm with sudo without a password "
			     "(NOPASSWD, keeping CTSTORM_STATE_DIR if set)",
			     h->t.url, e);
	else if (rc != 0)
		ret = ct_err(err, errlen, "%s: ctstorm --version failed there (exit %d): %s", h->t.url, rc, e);
	else {
		out[strcspn(out, "\n")] = '\0';
		if (strcmp(out, want) != 0)
			ret = ct_err(err, errlen, "%s: the host has %s, this is %s; the two must be the same (`ctstorm deploy %s`)",
				     h->t.url, *out ? out : "an unknown ctstorm", want, h->t.url);
	}
	free(out);
	return ret;
}

const char *const ssh_deploy_names[SSH_DEPLOY_N] = { "ctstorm", "ctstorm-loadgen", "ctstorm-responder",
						  "ctstorm-sampler" };

/* A file's sha256, as coreutils' sha256sum prints it (64 hex digits). */
static int sha256_of(const char *path, char sum[65], char *err, size_t errlen)
{
	char *argv[] = { "sha256sum", "--", (char *)path, NULL }, *out = NULL, why[256];
	int rc = pr_cmd(-1, argv, NULL, &out, 30000, why, sizeof why);
	bool ok = rc == 0 && out && strspn(out, "0123456789abcdef") == 64;
	if (ok)
		snprintf(sum, 65, "%.64s", out);
	free(out);
	return ok ? 0 : ct_err(err, errlen, "%s: sha256sum: %s", path, rc < 0 ? why : "failed");
}

int ssh_deploy(struct ssh_host *h, const char *const paths[SSH_DEPLOY_N], void (*progress)(const char *line),
	       char *err, size_t errlen)
{
	const char *const *bins = ssh_deploy_names;
	const char *dir = h->o->remote_dir ? h->o->remote_dir : SSH_DEFAULT_REMOTE_DIR;
	if (!ssh_shell_safe(dir) || dir[0] != '/')
		return ct_err(err, errlen, "--remote-dir %s: an absolute path of letters, digits and /._-", dir);
	char cmd[2048], e[512], line[1200], sum[65];
	for (size_t i = 0; i < SSH_DEPLOY_N; i++) {
		size_t len = 0;
		char *data = ct_read_file(paths[i], &len, err, errlen);
		if (!data)
			return -1;
		if (sha256_of(paths[i], sum, err, errlen) < 0) {
			free(data);
			return -1;
		}
		/* installed only when what arrived is what was sent: its size and
		 * sha256 checked there before the rename; else removed */
		snprintf(cmd, sizeof cmd,
			 "t=%s/.%s.tmp; mkdir -p %s && cat >\"$t\" && [ \"$(stat -c %%s \"$t\")\" = %zu ] && "
			 "[ \"$(sha256sum <\"$t\" | cut -d' ' -f1)\" = %s ] || { rm -f \"$t\"; echo 'arrived cut short or "
			 "changed' >&2; exit 3; }; chmod 755 \"$t\" && mv -f \"$t\" %s/%s",
			 dir, bins[i], dir, len, sum, dir, bins[i]);
		int rc = ssh_run(h, cmd, data, len, NULL, e, sizeof e);
		free(data);
		if (rc != 0)
			return ct_err(err, errlen, "%s: copying %s to %s (%zu bytes, sha256 %.16s...): %s; not installed", h->t.url,
				      bins[i], dir, len, sum, *e ? e : "failed");
		snprintf(line, sizeof line, "%s: %s/%s (%zu bytes)", h->t.url, dir, bins[i], len);
		if (progress)
			progress(line);
	}
	/* every library resolves on the host */
	snprintf(cmd, sizeof cmd, "cd %s && ldd ctstorm ctstorm-loadgen ctstorm-responder ctstorm-sampler", dir);
	char *out = NULL;
	int rc = ssh_run(h, cmd, NULL, 0, &out, e, sizeof e);
	if (rc != 0 || !out || strstr(out, "not found")) {
		char missing[512] = "";
		for (char *l = out ? strstr(out, "not found") : NULL; l;) {
			char *b = l;
			while (b > out && b[-1] != '\n')
				b--;
			size_t used = strlen(missing);
			snprintf(missing + used, sizeof missing - used, "%s%.*s", used ? ", " : "",
				 (int)strcspn(b + strspn(b, " \t"), " ="), b + strspn(b, " \t"));
			l = strstr(l + 9, "not found");
		}
		free(out);
		return ct_err(err, errlen, "%s: the copied binaries need libraries the host lacks: %s", h->t.url,
			      *missing ? missing : e);
	}
	free(out);
	if (progress) {
		snprintf(line, sizeof line, "%s: every library resolves (ldd)", h->t.url);
		progress(line);
	}
	return ssh_check_ctstorm(h, err, errlen);
}
