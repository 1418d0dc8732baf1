#include "remote_cmd.h"

#include "ct_err.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(const char *line)
{
	fprintf(stderr, "ctstorm: %s\n", line);
}

/* The connection, and the host's ctstorm checked (unless deploying). */
static int connect_host(struct ssh_host *h, const struct ssh_target *t, const struct ssh_opts *o, bool check)
{
	char err[CT_ERRLEN];
	if (ssh_open(h, t, o, err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: %s\n", err);
		return -1;
	}
	if (check && ssh_check_ctstorm(h, err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: %s\nctstorm: nothing was changed on %s\n", err, t->url);
		ssh_close(h);
		return -1;
	}
	return 0;
}

int cmd_deploy(const struct ssh_target *t, const struct ssh_opts *o)
{
	static const char *const subdirs[SSH_DEPLOY_N] = { "scenarios", "loadgen", "responder", "analysis" };
	char bufs[SSH_DEPLOY_N][1024], err[CT_ERRLEN];
	const char *paths[SSH_DEPLOY_N];
	for (size_t i = 0; i < SSH_DEPLOY_N; i++) {
		paths[i] = pr_find_binary(ssh_deploy_names[i], subdirs[i], bufs[i], sizeof bufs[i]);
		if (!strchr(paths[i], '/')) {
			fprintf(stderr, "ctstorm: error: %s is not beside this ctstorm: nothing to deploy\n",
				ssh_deploy_names[i]);
			return CT_EXIT_USAGE;
		}
	}
	struct ssh_host h;
	if (connect_host(&h, t, o, false) < 0)
		return CT_EXIT_USAGE;
	int rc = ssh_deploy(&h, paths, say, err, sizeof err);
	ssh_close(&h);
	if (rc < 0) {
		fprintf(stderr, "ctstorm: error: %s\n", err);
		return CT_EXIT_FAIL;
	}
	printf("%s: ctstorm %s ready in %s\n", t->url, CT_VERSION, o->remote_dir ? o->remote_dir : SSH_DEFAULT_REMOTE_DIR);
	return CT_EXIT_OK;
}

/* Runs "ctstorm ARGS" on the host and passes its output on; its exit
 * status is ours. */
static int remote_ctstorm(const struct ssh_target *t, const struct ssh_opts *o, const char *args, bool header)
{
	struct ssh_host h;
	if (connect_host(&h, t, o, true) < 0)
		return CT_EXIT_USAGE;
	char cmd[1024], e[512], *out = NULL;
	if (ssh_ctstorm_cmd(&h, args, cmd, sizeof cmd) < 0) {
		ssh_close(&h);
		return CT_EXIT_USAGE;
	}
	char *kernel = NULL;
	if (header && ssh_run(&h, "uname -r", NULL, 0, &kernel, e, sizeof e) == 0 && kernel) {
		kernel[strcspn(kernel, "\n")] = '\0';
		printf("%s (kernel %s, ctstorm %s):\n", t->url, kernel, CT_VERSION);
	}
	free(kernel);
	int rc = ssh_run(&h, cmd, NULL, 0, &out, e, sizeof e);
	ssh_close(&h);
	if (out)
		fputs(out, stdout);
	free(out);
	if (rc < 0) {
		fprintf(stderr, "ctstorm: error: %s: the connection failed: %s\n", t->url, e);
		return CT_EXIT_USAGE;
	}
	if (rc != 0 && *e)
		fprintf(stderr, "ctstorm: %s: %s\n", t->url, e);
	return rc;
}

int cmd_remote_status(const struct ssh_target *t, const struct ssh_opts *o, bool json)
{
	return remote_ctstorm(t, o, json ? "status --json" : "status", !json);
}

int cmd_remote_cleanup(const struct ssh_target *t, const struct ssh_opts *o)
{
	int rc = remote_ctstorm(t, o, "cleanup", false);
	if (rc == 0)
		fprintf(stderr, "ctstorm: nothing outstanding on %s\n", t->url);
	return rc;
}
