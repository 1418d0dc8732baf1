#include "journal.h"

#include "atomicfile.h"
#include "ct_err.h"
#include "iptowned.h"
#include "netaddr.h"
#include "rf_names.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"

const char *jr_state_dir(void)
{
	const char *d = getenv("CTSTORM_STATE_DIR");
	return d && *d ? d : "/run/ctstorm";
}

uint64_t jr_proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after the command name (which may hold spaces and parentheses) */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* fields 3.. : state is field 3; starttime is field 22 */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void entry_free(struct jr_entry *e)
{
	free(e->a);
	free(e->b);
}

/* What undo did goes to j->log (a run's commands.log) or, when repairing
 * after someone else, to stderr; what it could not do, always to stderr. */
static void report(struct journal *j, bool problem, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(struct journal *j, bool problem, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (j->log)
		fprintf(j->log, "[undo] %s\n", msg);
	if (problem || !j->log)
		fprintf(stderr, "ctstorm: %s\n", msg);
}
#define say(j, ...) report(j, false, __VA_ARGS__)
#define complain(j, ...) report(j, true, __VA_ARGS__)

char *jr_format(const struct journal *j, size_t *len)
{
	char *text = NULL;
	FILE *m = open_memstream(&text, len);
	if (!m)
		return NULL;
	fprintf(m, "owner %d %" PRIu64 " %s\n", (int)j->owner, j->owner_start, j->results);
	for (size_t i = 0; i < j->n; i++) {
		const struct jr_entry *e = &j->e[i];
		if (e->kind == JR_SYSCTL)
			fprintf(m, "sysctl %s %s\n", e->a, e->b);
		else if (e->kind == JR_NETNS)
			fprintf(m, "netns %s\n", e->a);
		else if (e->kind == JR_NFT_TABLE)
			fprintf(m, "nft %s\n", e->a);
		else if (e->kind == JR_IPT)
			fprintf(m, "ipt %s\n", e->a);
		else if (e->kind == JR_ROUTE)
			fprintf(m, "route %s\n", e->a);
		else
			fprintf(m, "proc %d %" PRIu64 " %s\n", (int)e->pid, e->start, e->a);
	}
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int persist(struct journal *j, char *err, size_t errlen)
{
	char path[300];
	size_t len;
	char *text = jr_format(j, &len);
	if (!text)
		return ct_err(err, errlen, "journal: out of memory");
	snprintf(path, sizeof path, "%s/journal", j->dir);
	int rc = ct_write_atomic(path, text, len, err, errlen);
	free(text);
	return rc;
}

static void push(struct journal *j, struct jr_entry e)
{
	struct jr_entry *v = realloc(j->e, (j->n + 1) * sizeof *v);
	if (!v)
		abort();
	j->e = v;
	j->e[j->n++] = e;
}

static char *dup_or_die(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

/* What an entry may name, checked where it is written and where it is
 * read back (a journal is a file anyone with the state folder could
 * edit): undo writes only sysctls under /proc/sys/net/, removes only
 * namespaces of one plain name, deletes only tables ctstorm owns. */
const char *jr_sysctl_root = "/proc/sys/net/";

bool jr_sysctl_entry_ok(const char *path, const char *value)
{
	size_t root = strlen(jr_sysctl_root);
	if (strncmp(path, jr_sysctl_root, root) != 0 || !path[root] || strstr(path + root - 1, "/.") ||
	    strstr(path, "//") || strlen(path) > 255)
		return false;
	for (const char *p = path + root; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("/_-.", *p)))
			return false;
	if (strlen(value) > 4095)
		return false;
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return false;
	return true;
}

bool jr_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 63 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return false;
	return true;
}

/* "FAMILY NAME": a family nft knows, a table of ctstorm's own. */
static bool nft_entry_ok(const char *family, const char *name)
{
	static const char *const families[] = { "inet", "ip", "ip6", "arp", "bridge", "netdev" };
	bool known = false;
	for (size_t i = 0; i < sizeof families / sizeof *families; i++)
		known |= strcmp(family, families[i]) == 0;
	return known && jr_name_ok(name) && strncmp(name, "ctstorm", 7) == 0;
}

int jr_push_sysctl(struct journal *j, const char *path, const char *old, char *err, size_t errlen)
{
	if (!jr_sysctl_entry_ok(path, old))
		return ct_err(err, errlen, "%s: not a sysctl ctstorm journals (under /proc/sys/net/, one line)", path);
	push(j, (struct jr_entry){ .kind = JR_SYSCTL, .a = dup_or_die(path), .b = dup_or_die(old) });
	return persist(j, err, errlen);
}

int jr_push_netns(struct journal *j, const char *name, char *err, size_t errlen)
{
	if (!jr_name_ok(name))
		return ct_err(err, errlen, "'%s': not a namespace name ctstorm makes (letters, digits, ._-)", name);
	push(j, (struct jr_entry){ .kind = JR_NETNS, .a = dup_or_die(name) });
	return persist(j, err, errlen);
}

int jr_push_proc(struct journal *j, pid_t pid, uint64_t start, const char *what, char *err, size_t errlen)
{
	push(j, (struct jr_entry){ .kind = JR_PROC, .a = dup_or_die(what), .pid = pid, .start = start });
	return persist(j, err, errlen);
}

int jr_push_nft_table(struct journal *j, const char *family, const char *name, bool last, char *err,
		      size_t errlen)
{
	char what[128];
	snprintf(what, sizeof what, "%s %s", family, name);
	push(j, (struct jr_entry){ .kind = JR_NFT_TABLE, .a = dup_or_die(what) });
	if (last) { /* under everything else: undone after it */
		struct jr_entry e = j->e[j->n - 1];
		memmove(j->e + 1, j->e, (j->n - 1) * sizeof *j->e);
		j->e[0] = e;
	}
	return persist(j, err, errlen);
}

/* "4|6 TABLE BUILTIN,... CHAIN,... FRESH": names of [A-Za-z0-9_-] only,
 * every chain ctstorm's (IPT_OWNED_PREFIX), "-" for no built-in; FRESH
 * what iptables-nft made for them in nftables ("table", built-in chains;
 * "-": nothing); what undo_ipt runs commands with. */
static bool ipt_entry_ok(const char *a)
{
	char table[16], builtins[128], chains[512], fresh[160];
	int end = 0;
	if ((a[0] != '4' && a[0] != '6') || a[1] != ' ' ||
	    sscanf(a + 2, "%15s %127s %511s %159s%n", table, builtins, chains, fresh, &end) != 4 || a[2 + end] != '\0')
		return false;
	if (strcmp(fresh, "-") != 0 && strspn(fresh, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz,") != strlen(fresh))
		return false;
	static const char *const tables[] = { "filter", "nat", "mangle", "raw", "security" };
	bool known = false;
	for (size_t i = 0; i < 5; i++)
		known |= strcmp(table, tables[i]) == 0;
	if (!known || (strcmp(builtins, "-") != 0 && strspn(builtins, "ABCDEFGHIJKLMNOPQRSTUVWXYZ,") != strlen(builtins)))
		return false;
	char *save;
	for (char *c = strtok_r(chains, ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (strncmp(c, IPT_OWNED_PREFIX, strlen(IPT_OWNED_PREFIX)) != 0 ||
		    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(c))
			return false;
	return true;
}

int jr_push_ipt(struct journal *j, int family, const char *table, const char *builtins, const char *chains,
		const char *fresh, char *err, size_t errlen)
{
	char what[900];
	snprintf(what, sizeof what, "%d %s %s %s %s", family, table, builtins, chains, *fresh ? fresh : "-");
	if (!ipt_entry_ok(what))
		return ct_err(err, errlen, "iptables chains '%s': not ctstorm's", what);
	push(j, (struct jr_entry){ .kind = JR_IPT, .a = dup_or_die(what) });
	return persist(j, err, errlen);
}

/* "4|6 local CIDR" or "4|6 via CIDR GATEWAY", the range and gateway of
 * that family: what undo_route runs ip with. */
static bool route_entry_ok(const char *a)
{
	char kind[8], cidr[80], gw[64];
	int end = 0, n;
	if ((a[0] != '4' && a[0] != '6') || a[1] != ' ' ||
	    (n = sscanf(a + 2, "%7s %79s %63s%n", kind, cidr, gw, &end)) < 2)
		return false;
	if (n == 2 && sscanf(a + 2, "%7s %79s%n", kind, cidr, &end) != 2)
		return false;
	if (a[2 + end] != '\0' || (strcmp(kind, "local") == 0) != (n == 2) || (n == 3 && strcmp(kind, "via") != 0))
		return false;
	int family = a[0] == '6' ? AF_INET6 : AF_INET;
	struct ct_cidr c;
	unsigned char buf[16];
	char err[128];
	return ct_cidr_parse(cidr, &c, err, sizeof err) == 0 && c.base.ss.ss_family == family &&
	       (n == 2 || inet_pton(family, gw, buf) == 1);
}

int jr_push_route(struct journal *j, int family, const char *cidr, const char *gateway, char *err, size_t errlen)
{
	char what[200];
	if (gateway)
		snprintf(what, sizeof what, "%d via %s %s", family, cidr, gateway);
	else
		snprintf(what, sizeof what, "%d local %s", family, cidr);
	if (!route_entry_ok(what))
		return ct_err(err, errlen, "route '%s': not a range and gateway of one family", what);
	push(j, (struct jr_entry){ .kind = JR_ROUTE, .a = dup_or_die(what) });
	return persist(j, err, errlen);
}

void jr_pop(struct journal *j)
{
	if (!j->n)
		return;
	entry_free(&j->e[--j->n]);
	char err[CT_ERRLEN];
	if (persist(j, err, sizeof err) < 0)
		complain(j, "%s", err);
}

void jr_forget_proc(struct journal *j, pid_t pid)
{
	for (size_t i = j->n; i-- > 0;)
		if (j->e[i].kind == JR_PROC && j->e[i].pid == pid) {
			entry_free(&j->e[i]);
			memmove(&j->e[i], &j->e[i + 1], (j->n - i - 1) * sizeof *j->e);
			j->n--;
			char err[CT_ERRLEN];
			if (persist(j, err, sizeof err) < 0)
				complain(j, "%s", err);
			return;
		}
}

/* ---- undo ---- */

static bool wait_gone(pid_t pid, uint64_t start, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return true;
		if (jr_proc_start(pid) != start)
			return true;
		usleep(5000);
	}
	return jr_proc_start(pid) != start;
}

static bool undo_proc(struct journal *j, const struct jr_entry *e)
{
	if (jr_proc_start(e->pid) != e->start)
		return true; /* gone already (or the PID is someone else's now) */
	kill(-e->pid, SIGKILL);
	kill(e->pid, SIGKILL);
	if (!wait_gone(e->pid, e->start, 3000)) {
		complain(j, "process %d (%s) does not die", (int)e->pid, e->a);
		return false;
	}
	say(j, "stopped %s (pid %d)", e->a, (int)e->pid);
	return true;
}

/* Whatever still runs inside a namespace this run made is ours (our
 * children's children): kill it, or the namespace would outlive us. */
static void kill_netns_procs(struct journal *j, const struct stat *ns)
{
	for (int round = 0; round < 3; round++) {
		DIR *d = opendir("/proc");
		if (!d)
			return;
		int killed = 0;
		struct dirent *de;
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			if (*end || pid <= 1 || pid == getpid())
				continue;
			char path[64];
			struct stat st;
			snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
			if (stat(path, &st) == 0 && st.st_ino == ns->st_ino && st.st_dev == ns->st_dev) {
				kill((pid_t)pid, SIGKILL);
				int status;
				waitpid((pid_t)pid, &status, WNOHANG);
				killed++;
			}
		}
		closedir(d);
		if (!killed)
			return;
		say(j, "killed %d leftover process%s in the namespace", killed, killed == 1 ? "" : "es");
		usleep(50000);
	}
}

static bool undo_netns(struct journal *j, const struct jr_entry *e)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, e->a);
	if (stat(path, &st) < 0)
		return true;
	kill_netns_procs(j, &st);
	/* as `ip netns del` does: detach the bind mount, remove the file */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
		complain(j, "cannot unmount %s: %s", path, strerror(errno));
		return false;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		complain(j, "cannot remove %s: %s", path, strerror(errno));
		return false;
	}
	say(j, "removed namespace %s", e->a);
	return true;
}

/* "/proc/sys/net/netfilter/nf_conntrack_max" -> "net.netfilter.nf_conntrack_max" */
static const char *sysctl_name(const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strncmp(path, "/proc/sys/", 10) == 0 ? path + 10 : path);
	for (char *p = buf; *p; p++)
		if (*p == '/')
			*p = '.';
	return buf;
}

/* The parent of pid, from /proc/PID/status (0 if unknown). */
static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	pid_t parent = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "PPid: %d", &parent) == 1)
			break;
	if (f)
		fclose(f);
	return parent;
}

int jr_initial_netns(void)
{
	static int fd = -2;
	if (fd != -2)
		return fd;
	fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
	/* where pid 1 is out of reach (a sandbox's init): the namespace of our
	 * furthest ancestor that may be opened */
	for (pid_t p = fd < 0 ? getppid() : 0; p > 1; p = parent_of(p)) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/net", (int)p);
		int n = open(path, O_RDONLY | O_CLOEXEC);
		if (n < 0)
			continue;
		if (fd >= 0)
			close(fd);
		fd = n;
	}
	return fd;
}

bool jr_sysctl_global(const char *path)
{
	return strcmp(path, "/proc/sys/net/netfilter/nf_conntrack_max") == 0 ||
	       strcmp(path, "/proc/sys/net/netfilter/nf_conntrack_buckets") == 0 ||
	       strcmp(path, "/proc/sys/net/nf_conntrack_max") == 0;
}

static bool undo_sysctl(struct journal *j, const struct jr_entry *e)
{
	/* a global one in the initial namespace (an agent may run in another) */
	int self = -1, init = -1;
	if (jr_sysctl_global(e->a) && (init = jr_initial_netns()) >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self >= 0 && setns(init, CLONE_NEWNET) < 0) {
			close(self);
			self = -1;
		}
	}
	int fd = open(e->a, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t len = strlen(e->b);
	bool ok = fd >= 0 && write(fd, e->b, len) == (ssize_t)len;
	int err = errno;
	if (fd >= 0 && close(fd) < 0)
		ok = false;
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0)
			abort(); /* never go on in the wrong namespace */
		close(self);
	}
	if (!ok) {
		complain(j, "cannot restore %s to %s: %s", e->a, e->b, strerror(err));
		return false;
	}
	char name[256];
	say(j, "restored %s = %s", sysctl_name(e->a, name, sizeof name), e->b);
	return true;
}

/* Runs args[0] (nft, iptables) quietly, its stdout into out (NUL-ended,
 * cut at outlen; NULL: dropped); its exit status (-1: could not run). */
static int run_tool_out(const char *const *args, char *out, size_t outlen)
{
	int fds[2] = { -1, -1 };
	if (out && (outlen == 0 || pipe2(fds, O_CLOEXEC) < 0))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(out ? fds[1] : null, 1);
			dup2(null, 2);
		}
		execvp(args[0], (char *const *)args);
		_exit(127);
	}
	size_t n = 0;
	if (out) {
		close(fds[1]);
		for (ssize_t r; pid > 0 && n + 1 < outlen && ((r = read(fds[0], out + n, outlen - 1 - n)) > 0 || (r < 0 && errno == EINTR));)
			n += r > 0 ? (size_t)r : 0;
		out[n] = '\0';
		close(fds[0]); /* a longer output: the tool gets EPIPE */
	}
	int st;
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_tool(const char *const *args)
{
	return run_tool_out(args, NULL, 0);
}

static bool undo_nft_table(struct journal *j, const struct jr_entry *e)
{
	char family[32], name[96];
	if (sscanf(e->a, "%31s %95s", family, name) != 2) {
		complain(j, "nft table '%s': not FAMILY NAME", e->a);
		return false;
	}
	const char *del[] = { "nft", "delete", "table", family, name, NULL },
		   *list[] = { "nft", "list", "table", family, name, NULL };
	if (run_tool(del) != 0 && run_tool(list) == 0) {
		complain(j, "cannot delete nftables table %s %s", family, name);
		return false;
	}
	say(j, "deleted nftables table %s %s", family, name);
	return true;
}

static bool undo_ipt(struct journal *j, const struct jr_entry *e)
{
	char table[16], builtins[128], chains[512], fresh[160];
	if (!ipt_entry_ok(e->a) || sscanf(e->a + 2, "%15s %127s %511s %159s", table, builtins, chains, fresh) != 4) {
		complain(j, "iptables chains '%s': not ctstorm's", e->a);
		return false;
	}
	const char *tool = e->a[0] == '6' ? "ip6tables" : "iptables";
	char target[64];
	char *save;
	for (char *b = strtok_r(builtins, ",", &save); b && strcmp(b, "-") != 0; b = strtok_r(NULL, ",", &save)) {
		snprintf(target, sizeof target, IPT_OWNED_PREFIX "%s", b);
		const char *del[] = { tool, "-w", "-t", table, "-D", b, "-j", target, NULL };
		for (int n = 0; n < 64 && run_tool(del) == 0; n++) /* every copy of the jump */
			;
	}
	bool ok = true;
	for (int pass = 0; pass < 2; pass++) /* flush all first: they may jump to each other */
		for (char *c = chains, *end; *c; c = *end ? end + 1 : end) {
			end = c + strcspn(c, ",");
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(end - c), c);
			const char *cmd[] = { tool, "-w", "-t", table, pass ? "-X" : "-F", name, NULL },
				   *list[] = { tool, "-w", "-t", table, "-S", name, NULL };
			if (run_tool(cmd) != 0 && pass && run_tool(list) == 0) {
				complain(j, "cannot delete %s chain %s of table %s", tool, name, table);
				ok = false;
			}
		}
	/* what iptables-nft made in nftables for them: the built-in chains
	 * (nft deletes a chain only when empty), the table if nothing is left */
	const char *family = e->a[0] == '6' ? "ip6" : "ip";
	bool table_fresh = false;
	for (char *f = strtok_r(fresh, ",", &save); f && strcmp(f, "-") != 0; f = strtok_r(NULL, ",", &save)) {
		const char *del[] = { "nft", "delete", "chain", family, table, f, NULL };
		if (strcmp(f, "table") == 0)
			table_fresh = true;
		else
			run_tool(del);
	}
	char listing[4096];
	const char *list[] = { "nft", "list", "table", family, table, NULL },
		   *drop[] = { "nft", "delete", "table", family, table, NULL };
	if (table_fresh && run_tool_out(list, listing, sizeof listing) == 0 && strchr(listing, '{') &&
	    !strchr(strchr(listing, '{') + 1, '{'))
		run_tool(drop); /* empty: only its own braces */
	if (ok)
		say(j, "deleted %s chains %s of table %s and their jumps", tool, chains, table);
	return ok;
}

static bool undo_route(struct journal *j, const struct jr_entry *e)
{
	char kind[8], cidr[80], gw[64] = "";
	if (!route_entry_ok(e->a) || sscanf(e->a + 2, "%7s %79s %63s", kind, cidr, gw) < 2) {
		complain(j, "route '%s': not a range and gateway of one family", e->a);
		return false;
	}
	const char *fam = e->a[0] == '6' ? "-6" : "-4";
	bool local = strcmp(kind, "local") == 0;
	const char *del_local[] = { "ip", fam, "route", "del", "local", cidr, "dev", "lo", NULL },
		   *del_via[] = { "ip", fam, "route", "del", cidr, "via", gw, NULL },
		   *show[] = { "ip", fam, "route", "show", "table", local ? "local" : "main", "exact", cidr, NULL };
	char out[512];
	if (run_tool(local ? del_local : del_via) != 0 && (run_tool_out(show, out, sizeof out) != 0 || *out)) {
		complain(j, "cannot delete the route %s%s%s", cidr, local ? " (local)" : " via ", gw);
		return false;
	}
	say(j, "deleted the route %s%s%s", cidr, local ? " (local)" : " via ", gw);
	return true;
}

size_t jr_undo_to(struct journal *j, size_t mark)
{
	size_t failed = 0;
	while (j->n > mark) {
		struct jr_entry *e = &j->e[j->n - 1];
		bool ok = e->kind == JR_PROC		? undo_proc(j, e)
			  : e->kind == JR_NETNS	? undo_netns(j, e)
			  : e->kind == JR_NFT_TABLE ? undo_nft_table(j, e)
			  : e->kind == JR_IPT	? undo_ipt(j, e)
			  : e->kind == JR_ROUTE ? undo_route(j, e)
						    : undo_sysctl(j, e);
		failed += !ok;
		entry_free(e);
		j->n--;
		char err[CT_ERRLEN];
		if (persist(j, err, sizeof err) < 0)
			complain(j, "%s", err);
	}
	return failed;
}

/* ---- loading, locking ---- */

size_t jr_parse(struct journal *j, const char *text)
{
	size_t bad = 0;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char line[1200], word[16], a[512], family[32];
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), p);
		p += n + (p[n] == '\n');
		int pid, off = 0;
		uint64_t start;
		if (sscanf(line, "%15s%n", word, &off) != 1)
			continue;
		const char *rest = line + off + (line[off] == ' ');
		if (strcmp(word, "owner") == 0 && sscanf(rest, "%d %" SCNu64 " %n", &pid, &start, &off) >= 2) {
			j->owner = pid;
			j->owner_start = start;
			snprintf(j->results, sizeof j->results, "%s", rest + off);
		} else if (strcmp(word, "sysctl") == 0 && sscanf(rest, "%511s %n", a, &off) >= 1 && off > 0 &&
			   jr_sysctl_entry_ok(a, rest + off)) {
			push(j, (struct jr_entry){ .kind = JR_SYSCTL, .a = dup_or_die(a), .b = dup_or_die(rest + off) });
		} else if (strcmp(word, "netns") == 0 && sscanf(rest, "%511s%n", a, &off) == 1 && !rest[off] &&
			   jr_name_ok(a)) {
			push(j, (struct jr_entry){ .kind = JR_NETNS, .a = dup_or_die(a) });
		} else if (strcmp(word, "nft") == 0 && sscanf(rest, "%31s %95s%n", family, a, &off) == 2 && !rest[off] &&
			   nft_entry_ok(family, a)) {
			char what[600];
			snprintf(what, sizeof what, "%s %s", family, a);
			push(j, (struct jr_entry){ .kind = JR_NFT_TABLE, .a = dup_or_die(what) });
		} else if (strcmp(word, "route") == 0 && route_entry_ok(rest)) {
			push(j, (struct jr_entry){ .kind = JR_ROUTE, .a = dup_or_die(rest) });
		} else if (strcmp(word, "ipt") == 0 && ipt_entry_ok(rest)) {
			push(j, (struct jr_entry){ .kind = JR_IPT, .a = dup_or_die(rest) });
		} else if (strcmp(word, "proc") == 0 && sscanf(rest, "%d %" SCNu64 " %n", &pid, &start, &off) >= 2 &&
			   pid > 1) {
			push(j, (struct jr_entry){ .kind = JR_PROC, .a = dup_or_die(rest + off), .pid = pid, .start = start });
		} else {
			bad++;
		}
	}
	return bad;
}

void jr_free_entries(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++)
		entry_free(&j->e[i]);
	free(j->e);
	j->e = NULL;
	j->n = 0;
}

static int load(struct journal *j, char *err, size_t errlen)
{
	char path[300];
	snprintf(path, sizeof path, "%s/journal", j->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : ct_err(err, errlen, "%s: %s", path, strerror(errno));
	char *text = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	size_t bad = n > 0 ? jr_parse(j, text) : 0;
	free(text);
	if (bad)
		fprintf(stderr, "ctstorm: %s: %zu line%s not understood (ignored)\n", path, bad, bad == 1 ? "" : "s");
	return 0;
}

/* A run that died left its results folder "running": say what it is. */
static void mark_interrupted(struct journal *j)
{
	if (!*j->results)
		return;
	char path[600], err[CT_ERRLEN];
	snprintf(path, sizeof path, "%s/" RF_MANIFEST, j->results);
	json_t *m = json_load_file(path, 0, NULL);
	if (!m)
		return;
	const char *st = json_string_value(json_object_get(m, "status"));
	if (st && strcmp(st, "running") == 0) {
		json_object_set_new(m, "status", json_string("interrupted"));
		json_object_set_new(m, "interrupted_by", json_string("the runner died (repaired from the journal)"));
		if (ct_json_write_atomic(path, m, err, sizeof err) == 0)
			say(j, "marked %s interrupted", j->results);
	}
	json_decref(m);
}

static void said_removed(long pid, void *arg)
{
	say(arg, "removed the folder of agent %ld", pid);
}

/* The folders of agents (ctstorm node) that died without removing them:
 * node-PID whose PID is gone. Under the lock, no live agent's is touched. */
static void remove_dead_agent_folders(struct journal *j)
{
	ct_remove_dead_dirs(j->dir, "node-", false, said_removed, j);
}

static int repair(struct journal *j, char *err, size_t errlen)
{
	if (load(j, err, errlen) < 0)
		return -1;
	remove_dead_agent_folders(j);
	if (j->n)
		say(j, "repairing what run %d left behind (%zu change%s)", (int)j->owner, j->n, j->n == 1 ? "" : "s");
	size_t failed = jr_undo_to(j, 0);
	mark_interrupted(j);
	char path[300];
	snprintf(path, sizeof path, "%s/journal", j->dir);
	if (failed)
		return ct_err(err, errlen, "%zu change%s could not be undone: see %s", failed, failed == 1 ? "" : "s", path);
	unlink(path);
	return 0;
}

static int lock(struct journal *j, bool wait, char *err, size_t errlen)
{
	snprintf(j->dir, sizeof j->dir, "%s", jr_state_dir());
	if (mkdir(j->dir, 0755) < 0 && errno != EEXIST)
		return ct_err(err, errlen, "%s: %s", j->dir, strerror(errno));
	/* what it says is undone as root: a folder only we can write, no link */
	struct stat st;
	if (lstat(j->dir, &st) < 0)
		return ct_err(err, errlen, "%s: %s", j->dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return ct_err(err, errlen,
			      "the state folder %s is not this user's alone (%s, owner %u, mode %03o): it must be a folder "
			      "owned by the user ctstorm runs as and writable by no one else",
			      j->dir, S_ISLNK(st.st_mode) ? "a link" : S_ISDIR(st.st_mode) ? "a folder" : "not a folder",
			      (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	char path[300];
	snprintf(path, sizeof path, "%s/lock", j->dir);
	j->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (j->lock_fd < 0)
		return ct_err(err, errlen, "%s: %s", path, strerror(errno));
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	struct journal other = { 0 };
	snprintf(other.dir, sizeof other.dir, "%s", j->dir);
	load(&other, err, errlen);
	char who[600];
	snprintf(who, sizeof who, "run %d%s%s", (int)other.owner, *other.results ? ", results in " : "", other.results);
	jr_free_entries(&other);
	if (!wait) {
		close(j->lock_fd);
		j->lock_fd = -1;
		return ct_err(err, errlen, "another ctstorm run holds the host (%s); wait for it, or give --wait", who);
	}
	say(j, "waiting for another ctstorm run to finish (%s)", who);
	while (flock(j->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(j->lock_fd);
			j->lock_fd = -1;
			return ct_err(err, errlen, "%s: flock: %s", path, strerror(errno));
		}
	return 0;
}

int jr_open(struct journal *j, bool wait, const char *results, char *err, size_t errlen)
{
	memset(j, 0, sizeof *j);
	if (lock(j, wait, err, errlen) < 0)
		return -1;
	if (repair(j, err, errlen) < 0) {
		close(j->lock_fd);
		j->lock_fd = -1;
		return -1;
	}
	j->owner = getpid();
	j->owner_start = jr_proc_start(j->owner);
	snprintf(j->results, sizeof j->results, "%s", results ? results : "");
	if (persist(j, err, errlen) < 0) {
		close(j->lock_fd);
		j->lock_fd = -1;
		return -1;
	}
	return 0;
}

size_t jr_close(struct journal *j)
{
	if (j->lock_fd < 0)
		return 0;
	size_t failed = jr_undo_to(j, 0);
	char path[300];
	snprintf(path, sizeof path, "%s/journal", j->dir);
	if (!failed)
		unlink(path);
	free(j->e);
	j->e = NULL;
	close(j->lock_fd);
	j->lock_fd = -1;
	return failed;
}

int jr_cleanup(char *err, size_t errlen)
{
	struct journal j = { 0 };
	if (lock(&j, false, err, errlen) < 0)
		return -1;
	int rc = repair(&j, err, errlen);
	free(j.e);
	close(j.lock_fd);
	return rc;
}

int jr_status(FILE *out, bool json)
{
	struct journal j = { 0 };
	char err[CT_ERRLEN];
	snprintf(j.dir, sizeof j.dir, "%s", jr_state_dir());
	char path[300];
	snprintf(path, sizeof path, "%s/lock", j.dir);
	bool running = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		running = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
	}
	if (load(&j, err, sizeof err) < 0)
		fprintf(stderr, "ctstorm: %s\n", err);
	static const char *const kinds[] = { "sysctl", "netns", "proc", "nft", "ipt", "route" };
	char name[256];
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < j.n; i++) {
			const struct jr_entry *e = &j.e[i];
			json_t *o = json_pack("{s:s, s:s}", "kind", kinds[e->kind], "what", e->a);
			if (e->kind == JR_SYSCTL)
				json_object_set_new(o, "restore", json_string(e->b));
			if (e->kind == JR_PROC)
				json_object_set_new(o, "pid", json_integer(e->pid));
			json_array_append_new(a, o);
		}
		json_t *o = json_pack("{s:b, s:o, s:o, s:o}", "running", running, "owner",
				      j.owner ? json_integer(j.owner) : json_null(), "results",
				      *j.results ? json_string(j.results) : json_null(), "outstanding", a);
		json_dumpf(o, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(o);
	} else {
		if (running)
			fprintf(out, "A run is in progress: pid %d%s%s\n", (int)j.owner, *j.results ? ", results in " : "",
				j.results);
		else if (j.n)
			fprintf(out, "Run %d died without undoing its changes; `ctstorm cleanup` repairs them:\n", (int)j.owner);
		else
			fprintf(out, "No run in progress; nothing outstanding on this host.\n");
		for (size_t i = 0; i < j.n; i++) {
			const struct jr_entry *e = &j.e[i];
			if (e->kind == JR_SYSCTL)
				fprintf(out, "  sysctl   %s (to restore: %s)\n", sysctl_name(e->a, name, sizeof name), e->b);
			else if (e->kind == JR_NETNS)
				fprintf(out, "  netns    %s\n", e->a);
			else if (e->kind == JR_NFT_TABLE)
				fprintf(out, "  nft      table %s\n", e->a);
			else if (e->kind == JR_IPT)
				fprintf(out, "  ipt      %s\n", e->a);
			else if (e->kind == JR_ROUTE)
				fprintf(out, "  route    %s\n", e->a);
			else
				fprintf(out, "  process  %d (%s)%s\n", (int)e->pid, e->a,
					jr_proc_start(e->pid) == e->start ? "" : " - gone");
		}
	}
	int n = (int)j.n;
	for (size_t i = 0; i < j.n; i++)
		entry_free(&j.e[i]);
	free(j.e);
	return n;
}
