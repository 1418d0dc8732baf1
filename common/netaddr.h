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

/* An address range, "198.19.0.0/16" or "2001:2:0:100::/64": the base
 * with its host bits cleared, and the prefix length. */
struct ct_cidr {
	struct ct_sockaddr base;  /* port 0 */
	unsigned prefix;
};

/* Parses ADDR/PREFIX (IPv4 /0../32, IPv6 /0../128); numeric only. */
int ct_cidr_parse(const char *text, struct ct_cidr *out, char *err, size_t errlen);

/* Whether a lies inside outer (same family, outer's prefix no longer). */
int ct_cidr_within(const struct ct_cidr *a, const struct ct_cidr *outer);

/* Whether two ranges share an address. */
int ct_cidr_overlap(const struct ct_cidr *a, const struct ct_cidr *b);

/* Part i of n equal parts of c (n rounded up to a power of two, each part
 * that much longer a prefix): load hosts' shares of one source range.
 * -1 when the parts would hold fewer than 4 addresses each. */
int ct_cidr_part(const struct ct_cidr *c, unsigned n, unsigned i, struct ct_cidr *out);

/* "ADDR/PREFIX". */
const char *ct_cidr_str(const struct ct_cidr *c, char *buf, size_t buflen);

/* Formats back into the same text form. */
const char *ct_sockaddr_str(const struct ct_sockaddr *a, char *buf, size_t buflen);

#endif
