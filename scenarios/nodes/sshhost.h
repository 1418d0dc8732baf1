/* A real host reached over OpenSSH: its address as the user writes it
 * (ssh://[USER@]HOST[:PORT]), one multiplexed connection (ControlMaster)
 * opened once and kept, commands run over it, and the ctstorm there
 * checked before anything changes. OpenSSH does the authentication, the
 * user's ~/.ssh/config and -o options apply; BatchMode always (a prompt
 * would hang a run). Nothing of ours listens on a port. */
#ifndef SC_SSHHOST_H
#define SC_SSHHOST_H

#include "sshtarget.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where `ctstorm deploy` puts this build's binaries, and where a run looks
 * for them first (then the host's PATH). */
#define SSH_DEFAULT_REMOTE_DIR "/usr/local/lib/ctstorm/bin"

/* How every ssh command is made: the user's config file and -o options. */
struct ssh_opts {
	const char *config;          /* -F FILE, or NULL */
	const char *const *options;  /* -o OPT each */
	size_t noptions;
	const char *remote_dir;      /* where the host's ctstorm is looked for first */
	unsigned connect_timeout;    /* seconds; 0: 10 */
	uint64_t lease_ms;           /* the agents' lease (ctstorm node --lease); 0: theirs by default */
};

struct ssh_host {
	struct ssh_target t;
	const struct ssh_opts *o;
	char ctl_dir[64];            /* our ControlPath's folder */
	char ctl[128];               /* the ControlPath */
	pid_t master;                /* the ControlMaster's ssh, or 0 */
	bool sudo;                   /* the login is not root: ctstorm runs under sudo -n (ssh_check_ctstorm) */
};

/* Opens the control connection (ssh -M, kept until ssh_close). Fails,
 * naming the host and what ssh said, when the host cannot be reached or
 * refuses us. */
int ssh_open(struct ssh_host *h, const struct ssh_target *t, const struct ssh_opts *o, char *err, size_t errlen);

/* Ends the control connection and waits for its ssh. */
void ssh_close(struct ssh_host *h);

/* The argv of an ssh command over the control connection running the
 * remote shell command cmd (NULL-terminated, in argv[0..cap)). Returns
 * the count. */
size_t ssh_argv(const struct ssh_host *h, const char *cmd, const char **argv, size_t cap);

/* Runs cmd on the host with input on its stdin (NULL: none); its stdout in
 * *out (malloc'd, may be NULL), its stderr's first line in err. Returns the
 * remote command's exit status, or -1 when ssh itself failed (255). */
int ssh_run(const struct ssh_host *h, const char *cmd, const char *input, size_t inlen, char **out, char *err,
	    size_t errlen);

/* The remote shell command that runs "ctstorm ARGS" there: the deploy
 * folder first on PATH; where the login is not root, the ctstorm found
 * that way run by its full path under `sudo -n` (which never prompts).
 * args must be shell-safe words (checked). */
int ssh_ctstorm_cmd(const struct ssh_host *h, const char *args, char *buf, size_t len);

/* The ctstorm on the host, checked: present, and this very version, run as
 * root (directly, or, for a login that is not root, through sudo -n, which
 * sets h->sudo). A missing or other ctstorm, or a sudo that refuses, is an
 * error naming the host and what to do. */
int ssh_check_ctstorm(struct ssh_host *h, char *err, size_t errlen);

/* `ctstorm deploy`: this build's four binaries (paths, in the order of
 * ssh_deploy_names) to the host's remote_dir,
 * each written to a temporary name and renamed; then every library they
 * need must resolve there (ldd) and the copied ctstorm must report this
 * version. progress (may be NULL) gets a line per step. */
#define SSH_DEPLOY_N 4
extern const char *const ssh_deploy_names[SSH_DEPLOY_N]; /* ctstorm, ctstorm-loadgen, -responder, -sampler */
int ssh_deploy(struct ssh_host *h, const char *const paths[SSH_DEPLOY_N], void (*progress)(const char *line),
	       char *err, size_t errlen);

#endif
