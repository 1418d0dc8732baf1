/* A real host's address as a scenario or a command line writes it:
 * ssh://[USER@]HOST[:PORT], parsed into typed parts before any of it
 * reaches ssh (the scenario language checks [hosts] with it; the ssh
 * transport connects with it). */
#ifndef SC_SSHTARGET_H
#define SC_SSHTARGET_H

#include <stdbool.h>
#include <stddef.h>

struct ssh_target {
	char user[64];  /* "" : ssh's default (the config's User, or ours) */
	char host[256]; /* a name, an IPv4 address, or an IPv6 address without brackets */
	unsigned port;  /* 0: ssh's default */
	char url[400];  /* as normalised: ssh://user@host:port */
};

/* Parses ssh://[USER@]HOST[:PORT] (HOST may be [IPv6]). Refuses what ssh
 * would read as an option (a leading '-'), spaces and shell characters,
 * naming what is wrong. */
int ssh_target_parse(const char *text, struct ssh_target *t, char *err, size_t errlen);

/* A word safe in a remote shell command without quoting. */
bool ssh_shell_safe(const char *s);

#endif
