/* The subcommands that act on a real host over ssh: `ctstorm deploy
 * ssh://HOST`, `ctstorm status --host ssh://HOST` and `ctstorm cleanup
 * --host ssh://HOST`. Each opens one control connection, checks the
 * host's ctstorm (present, this version) before anything else, and names
 * the host in every error (exit 2: nothing was changed anywhere). */
#ifndef SC_REMOTE_CMD_H
#define SC_REMOTE_CMD_H

#include "sshhost.h"

#include <stdbool.h>

int cmd_deploy(const struct ssh_target *t, const struct ssh_opts *o);
int cmd_remote_status(const struct ssh_target *t, const struct ssh_opts *o, bool json);
int cmd_remote_cleanup(const struct ssh_target *t, const struct ssh_opts *o);

#endif
