#include "sshtarget.h"

#include "ct_err.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ssh_shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/._-:=,+@%", *s))
			return false;
	return true;
}

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

int ssh_target_parse(const char *text, struct ssh_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (strncmp(text, "ssh://", 6) != 0)
		return ct_err(err, errlen, "'%s': a host is ssh://[USER@]HOST[:PORT]", text);
	const char *p = text + 6, *at = strchr(p, '@');
	/* ssh would read "-oProxyCommand=..." as an option */
	if (*p == '-' || (at && at[1] == '-'))
		return ct_err(err, errlen, "'%s': a host or user may not start with '-'", text);
	if (at) {
		size_t n = (size_t)(at - p);
		if (!n || n >= sizeof t->user)
			return ct_err(err, errlen, "'%s': the user before '@' is empty or too long", text);
		for (size_t i = 0; i < n; i++)
			if (!host_char(p[i]))
				return ct_err(err, errlen, "'%s': '%c' in the user name", text, p[i]);
		memcpy(t->user, p, n);
		p = at + 1;
	}
	const char *end;
	if (*p == '[') { /* [IPv6] */
		end = strchr(p, ']');
		if (!end)
			return ct_err(err, errlen, "'%s': '[' without ']'", text);
		size_t n = (size_t)(end - p - 1);
		if (!n || n >= sizeof t->host)
			return ct_err(err, errlen, "'%s': an empty or too long address in []", text);
		for (size_t i = 0; i < n; i++)
			if (!isxdigit((unsigned char)p[1 + i]) && p[1 + i] != ':' && p[1 + i] != '.')
				return ct_err(err, errlen, "'%s': '%c' in an IPv6 address", text, p[1 + i]);
		memcpy(t->host, p + 1, n);
		end++;
	} else {
		end = p + strcspn(p, ":/");
		size_t n = (size_t)(end - p);
		if (!n || n >= sizeof t->host)
			return ct_err(err, errlen, "'%s': no host, or a host name too long", text);
		for (size_t i = 0; i < n; i++)
			if (!host_char(p[i]))
				return ct_err(err, errlen, "'%s': '%c' in the host name", text, p[i]);
		memcpy(t->host, p, n);
	}
	if (*end == ':') {
		char *e;
		errno = 0;
		unsigned long port = strtoul(end + 1, &e, 10);
		if (e == end + 1 || errno || port < 1 || port > 65535 || (*e && *e != '/'))
			return ct_err(err, errlen, "'%s': the port is not a number from 1 to 65535", text);
		t->port = (unsigned)port;
		end = e;
	}
	if (*end == '/' && end[1] == '\0')
		end++;
	if (*end)
		return ct_err(err, errlen, "'%s': unexpected '%s' after the host", text, end);
	bool v6 = strchr(t->host, ':') != NULL;
	int n = snprintf(t->url, sizeof t->url, "ssh://%s%s%s%s%s", t->user, *t->user ? "@" : "", v6 ? "[" : "", t->host,
			 v6 ? "]" : "");
	if (t->port)
		snprintf(t->url + n, sizeof t->url - (size_t)n, ":%u", t->port);
	return 0;
}
