/* Socket address text forms: "198.18.0.2:53", "[2001:2::2]:53". */
#ifndef CT_NETADDR_H
#define CT_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

#define CT_ADDRSTRLEN 64

struct ct_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Parses a numeric address with a mandatory port; IPv6 in brackets. */
int ct_sockaddr_parse(const char *text, struct ct_sockaddr *out, char *err, size_t errlen);

/* Formats back into the same text form. */
const char *ct_sockaddr_str(const struct ct_sockaddr *a, char *buf, size_t buflen);

#endif
