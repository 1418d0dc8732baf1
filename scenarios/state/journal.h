/* The host state journal and the run lock.
 *
 * Every change a run makes to the host is written here before it is made:
 * a global sysctl with its old value, a namespace, a process (PID and
 * start time, so a recycled PID is never killed). Undo runs in reverse
 * order on every exit path; after a SIGKILL the next run, or
 * `ctstorm cleanup`, undoes what is left. The journal is rewritten
 * atomically after every change, so it always lists exactly what is
 * outstanding. One run at a time holds the lock (flock: a dead holder
 * releases it). */
#ifndef SC_JOURNAL_H
#define SC_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum jr_kind { JR_SYSCTL, JR_NETNS, JR_PROC, JR_NFT_TABLE, JR_IPT, JR_ROUTE };

struct jr_entry {
	enum jr_kind kind;
	char *a;       /* sysctl: /proc/sys path; netns: name; proc: what it is; nft table: "FAMILY NAME";
			* ipt: "4|6 TABLE BUILTIN,... CHAIN,... FRESH" (iptowned.h);
			* route: "4|6 local CIDR" or "4|6 via CIDR GATEWAY" */
	char *b;       /* sysctl: the value to restore */
	pid_t pid;     /* proc */
	uint64_t start; /* proc: start time in clock ticks since boot (/proc/PID/stat field 22) */
};

struct journal {
	char dir[256];
	int lock_fd;
	struct jr_entry *e;
	size_t n;
	pid_t owner;
	uint64_t owner_start;
	char results[512]; /* the owner's results folder, to mark it interrupted */
	FILE *log;         /* undo actions are reported here (NULL: stderr) */
};

/* What a sysctl entry may be: a path under /proc/sys/net/, a one-line
 * value; a namespace's or table's name: one plain word. Checked where
 * entries are written and where a journal is read back. */
bool jr_sysctl_entry_ok(const char *path, const char *value);
/* Where journaled sysctls live: "/proc/sys/net/". Not from the
 * environment: only a unit test points it at a folder of its own. */
extern const char *jr_sysctl_root;
bool jr_name_ok(const char *name);

/* The state folder: $CTSTORM_STATE_DIR or /run/ctstorm; it must be a
 * folder of the user ctstorm runs as, writable by no one else (a run
 * refuses another). */
const char *jr_state_dir(void);

/* Takes the lock (waiting when wait is set, else failing with who holds
 * it), repairs what a dead run left, and starts an empty journal owned by
 * us. */
int jr_open(struct journal *j, bool wait, const char *results, char *err, size_t errlen);

/* Records a change before it is made. */
int jr_push_sysctl(struct journal *j, const char *path, const char *old, char *err, size_t errlen);
int jr_push_netns(struct journal *j, const char *name, char *err, size_t errlen);
int jr_push_proc(struct journal *j, pid_t pid, uint64_t start, const char *what, char *err, size_t errlen);
/* An nftables table ctstorm owns on a real host ("inet ctstorm"): undone
 * by deleting that table, never anything of the host's own. With last, the
 * entry goes under every other one, to be undone after all of them (the
 * control connection's exemption: jr_undo_to(j, 1) keeps it). */
int jr_push_nft_table(struct journal *j, const char *family, const char *name, bool last, char *err,
		      size_t errlen);

/* iptables chains ctstorm owns in one table of a real host (iptowned.h):
 * undone by deleting the jumps from the built-in chains, then flushing and
 * deleting the CTSTORM-* chains; never a rule of the host's own. family 4:
 * iptables, 6: ip6tables; builtins and chains comma-separated. fresh
 * names what iptables-nft will make for them in nftables ("table" and
 * built-in chains, comma-separated; "" nothing): deleted again if empty. */
int jr_push_ipt(struct journal *j, int family, const char *table, const char *builtins, const char *chains,
		const char *fresh, char *err, size_t errlen);

/* A route ctstorm adds for a source range on a real host (and on the
 * controller): local (the range is this host's own, on lo) or via a
 * gateway (the replies to the range go back to its load host); undone by
 * deleting that route. family 4 or 6; gateway NULL for local. */
int jr_push_route(struct journal *j, int family, const char *cidr, const char *gateway, char *err, size_t errlen);

/* Drops the newest entry without undoing it: its change was never made
 * (the command that would have made it failed). */
void jr_pop(struct journal *j);

/* The host-wide sysctls (nf_conntrack_max, nf_conntrack_buckets): written,
 * and restored, in the initial network namespace, whichever namespace the
 * writer runs in. */
bool jr_sysctl_global(const char *path);

/* The host's initial network namespace (a cached fd, -1 if out of reach):
 * pid 1's, or where that is hidden (a sandbox), our furthest ancestor's. */
int jr_initial_netns(void);

/* Forgets a process that has been reaped (it can no longer be undone). */
void jr_forget_proc(struct journal *j, pid_t pid);

/* Undoes every entry above mark, newest first. Returns the number of
 * entries that could not be undone (reported). */
size_t jr_undo_to(struct journal *j, size_t mark);

/* Undoes everything, removes the journal, releases the lock. */
size_t jr_close(struct journal *j);

/* `ctstorm cleanup`: repairs without starting a run. 0 nothing to do or
 * repaired; -1 with err (e.g. a live run holds the lock). */
int jr_cleanup(char *err, size_t errlen);

/* `ctstorm status`: prints the lock holder and the outstanding entries;
 * returns the number of outstanding entries. */
int jr_status(FILE *out, bool json);

/* The journal's text, one writer and one reader side by side:
 *   owner PID START RESULTS_DIR
 *   sysctl /proc/sys/PATH OLD VALUE
 *   netns NAME
 *   proc PID START WHAT
 *   nft FAMILY TABLE
 * jr_parse appends what text holds to j and returns the number of lines it
 * did not understand (they are skipped); jr_format returns malloc'd text. */
size_t jr_parse(struct journal *j, const char *text);
char *jr_format(const struct journal *j, size_t *len);
void jr_free_entries(struct journal *j);

/* Start time of a process in clock ticks since boot, 0 if gone. */
uint64_t jr_proc_start(pid_t pid);

#endif
