#include "netaddr.h"

#include "ct_err.h"
#include "opt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int ct_sockaddr_parse(const char *text, struct ct_sockaddr *out, char *err, size_t errlen)
{
	char host[CT_ADDRSTRLEN];
	const char *port;
	memset(out, 0, sizeof *out);

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return ct_err(err, errlen, "'%s': write IPv6 as [ADDR]:PORT", text);
		if ((size_t)(close - text - 1) >= sizeof host)
			return ct_err(err, errlen, "'%s': address too long", text);
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return ct_err(err, errlen, "'%s': expected ADDR:PORT (IPv6 as [ADDR]:PORT)", text);
		if ((size_t)(colon - text) >= sizeof host)
			return ct_err(err, errlen, "'%s': address too long", text);
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port = colon + 1;
	}

	uint64_t p;
	if (ct_parse_uint(port, &p, NULL, 0) < 0 || p > 65535)
		return ct_err(err, errlen, "'%s': bad port '%s'", text, port);

	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		out->len = sizeof *v4;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		out->len = sizeof *v6;
	} else {
		return ct_err(err, errlen, "'%s': '%s' is not a numeric IPv4 or IPv6 address", text, host);
	}
	return 0;
}

const char *ct_sockaddr_str(const struct ct_sockaddr *a, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		snprintf(buf, buflen, "%s:%u", host, ntohs(v4->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		snprintf(buf, buflen, "[%s]:%u", host, ntohs(v6->sin6_port));
	} else {
		snprintf(buf, buflen, "(unknown family %d)", a->ss.ss_family);
	}
	return buf;
}
