#include "proc.h"

#include "ct_err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool (*hurry)(void);

void pr_set_hurry(bool (*fn)(void))
{
	hurry = fn;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* In the child, before exec: the state every child starts from. */
static void child_common(pid_t parent, int netns_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
		_exit(126);
}

static int open_out(const char *path)
{
	return path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : open("/dev/null", O_WRONLY | O_CLOEXEC);
}

int pr_spawn(struct pr_child *c, const char *name, int netns_fd, char *const argv[], const char *out_path,
	     const char *err_path, struct journal *j, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	int sync[2], ex[2];
	int out = open_out(out_path), errfd = err_path && out_path && strcmp(err_path, out_path) == 0 ? dup(out)
											: open_out(err_path);
	if (out < 0 || errfd < 0 || pipe2(sync, O_CLOEXEC) < 0) {
		int e = errno;
		if (out >= 0)
			close(out);
		if (errfd >= 0)
			close(errfd);
		return ct_err(err, errlen, "%s: cannot prepare its output: %s", name, strerror(e));
	}
	if (pipe2(ex, O_CLOEXEC) < 0) {
		close(sync[0]);
		close(sync[1]);
		close(out);
		close(errfd);
		return ct_err(err, errlen, "%s: pipe: %s", name, strerror(errno));
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(sync[0]);
		close(sync[1]);
		close(ex[0]);
		close(ex[1]);
		close(out);
		close(errfd);
		return ct_err(err, errlen, "%s: fork: %s", name, strerror(errno));
	}
	if (pid == 0) {
		child_common(parent, netns_fd);
		char go;
		if (read(sync[0], &go, 1) != 1)
			_exit(127);
		int in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		int e = errno;
		if (write(ex[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(sync[0]);
	close(ex[1]);
	close(out);
	close(errfd);
	/* our process group for it too (no race with its own setpgid) */
	setpgid(pid, pid);
	c->pid = pid;
	c->start = jr_proc_start(pid);
	c->running = true;
	int rc = j ? jr_push_proc(j, pid, c->start, name, err, errlen) : 0;
	if (rc < 0 || write(sync[1], "g", 1) != 1) {
		close(sync[1]);
		close(ex[0]);
		pr_stop(c, SIGKILL, 0, j);
		return rc < 0 ? -1 : ct_err(err, errlen, "%s: the child did not start", name);
	}
	close(sync[1]);
	int e = 0;
	ssize_t n;
	do
		n = read(ex[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(ex[0]);
	if (n == (ssize_t)sizeof e) {
		pr_stop(c, SIGKILL, 0, j);
		return ct_err(err, errlen, "%s: cannot run %s: %s", name, argv[0], strerror(e));
	}
	return 0;
}

bool pr_exited(struct pr_child *c, struct journal *j)
{
	if (!c->pid)
		return true;
	if (!c->running)
		return true;
	/* look without reaping: while it is a zombie its PID (and so its
	 * process group's id) cannot be reused, so the group kill below
	 * reaches only what it left (nsd's children) */
	siginfo_t si = { 0 };
	int w = waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	if (w == 0 && si.si_pid == 0)
		return false;
	if (w == 0)
		kill(-c->pid, SIGKILL);
	int st = 0;
	pid_t r;
	while ((r = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR)
		;
	c->status = r == c->pid ? st : 0;
	c->running = false;
	if (j)
		jr_forget_proc(j, c->pid);
	return true;
}

void pr_stop(struct pr_child *c, int sig, int grace_ms, struct journal *j)
{
	if (!c->pid || !c->running)
		return;
	kill(c->pid, sig);
	uint64_t deadline = now_ms() + (uint64_t)grace_ms;
	while (!pr_exited(c, j)) {
		if (now_ms() >= deadline || (hurry && hurry())) {
			kill(-c->pid, SIGKILL);
			kill(c->pid, SIGKILL);
			int st;
			if (waitpid(c->pid, &st, 0) == c->pid)
				c->status = st;
			c->running = false;
			if (j)
				jr_forget_proc(j, c->pid);
			return;
		}
		usleep(5000);
	}
}

const char *pr_describe(const struct pr_child *c, char *buf, size_t len)
{
	if (c->running)
		snprintf(buf, len, "still running");
	else if (WIFEXITED(c->status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
	else
		snprintf(buf, len, "ended (status 0x%x)", (unsigned)c->status);
	return buf;
}

bool pr_ok(const struct pr_child *c)
{
	return !c->running && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/* Feeds input to a command's stdin (closed once written, or at once when
 * there is none) while reading its output into *out, until it closes its
 * output or timeout_ms pass (returns true then). */
static bool pump(int in_fd, int out_fd, const char *input, int timeout_ms, char **out)
{
	fcntl(in_fd, F_SETFL, O_NONBLOCK);
	size_t ilen = input ? strlen(input) : 0, ioff = 0;
	if (!ilen) {
		close(in_fd);
		in_fd = -1;
	}
	char *buf = NULL;
	size_t blen = 0, bcap = 0;
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	bool timed_out = false;
	for (;;) {
		struct pollfd p[2] = { { .fd = out_fd, .events = POLLIN }, { .fd = in_fd, .events = POLLOUT } };
		uint64_t now = now_ms();
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		int r = poll(p, in_fd >= 0 ? 2 : 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			break;
		if (in_fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in_fd, input + ioff, ilen - ioff);
			if (w > 0)
				ioff += (size_t)w;
			if (w < 0 && errno != EAGAIN) /* the command does not read its input */
				ioff = ilen;
			if (ioff == ilen) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (bcap - blen < 4096) {
				bcap = bcap ? bcap * 2 : 8192;
				char *nb = realloc(buf, bcap);
				if (!nb)
					abort();
				buf = nb;
			}
			ssize_t n = read(out_fd, buf + blen, bcap - blen - 1);
			if (n <= 0)
				break;
			blen += (size_t)n;
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	if (buf)
		buf[blen] = '\0';
	*out = buf;
	return timed_out;
}

int pr_cmd(int netns_fd, char *const argv[], const char *input, char **output, int timeout_ms, char *err,
	   size_t errlen)
{
	if (output)
		*output = NULL;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return ct_err(err, errlen, "%s: pipe: %s", argv[0], strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return ct_err(err, errlen, "%s: pipe: %s", argv[0], strerror(errno));
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return ct_err(err, errlen, "%s: fork: %s", argv[0], strerror(errno));
	}
	if (pid == 0) {
		child_common(parent, netns_fd);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	char *buf = NULL;
	bool timed_out = pump(in[1], out[0], input, timeout_ms, &buf);
	close(out[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (output)
		*output = buf;
	else
		free(buf);
	if (timed_out)
		return ct_err(err, errlen, "%s: no answer in %d ms (killed)", argv[0], timeout_ms);
	if (WIFSIGNALED(st))
		return ct_err(err, errlen, "%s: killed by signal %d", argv[0], WTERMSIG(st));
	return WEXITSTATUS(st);
}

const char *pr_find_binary(const char *name, const char *subdir, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", self, name);
			if (access(buf, X_OK) == 0)
				return buf;
			snprintf(buf, len, "%s/../%s/%s", self, subdir, name);
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	snprintf(buf, len, "%s", name);
	return buf;
}

bool pr_listening53(pid_t pid, bool ipv6)
{
	static const char *const files[] = { "udp", "tcp", "udp6", "tcp6" };
	for (int i = 0; i < (ipv6 ? 4 : 2); i++) {
		char path[64], line[512];
		snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, files[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			return false;
		bool found = false;
		while (!found && fgets(line, sizeof line, f)) {
			char local[128], st[8];
			if (sscanf(line, "%*s %127s %*s %7s", local, st) == 2 && strlen(local) > 5 &&
			    strcmp(local + strlen(local) - 5, ":0035") == 0)
				found = i % 2 == 0 || strcmp(st, "0A") == 0;
		}
		fclose(f);
		if (!found)
			return false;
	}
	return true;
}

bool pr_has_sample(const char *csv)
{
	FILE *f = fopen(csv, "r");
	if (!f)
		return false;
	int c, lines = 0;
	while (lines < 2 && (c = getc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	return lines >= 2;
}
