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

int ct_cidr_parse(const char *text, struct ct_cidr *out, char *err, size_t errlen)
{
	char addr[CT_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	memset(out, 0, sizeof *out);
	if (!slash || (size_t)(slash - text) >= sizeof addr)
		return ct_err(err, errlen, "'%s' is not ADDR/PREFIX (e.g. 198.19.0.0/16)", text);
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	uint64_t prefix;
	if (ct_parse_uint(slash + 1, &prefix, NULL, 0) < 0)
		return ct_err(err, errlen, "'%s': the prefix length is not a number", text);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->base.ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->base.ss;
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		if (prefix > 32)
			return ct_err(err, errlen, "'%s': an IPv4 prefix is 0..32", text);
		uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
		v4->sin_addr.s_addr = htonl(ntohl(v4->sin_addr.s_addr) & mask);
		v4->sin_family = AF_INET;
		out->base.len = sizeof *v4;
	} else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		if (prefix > 128)
			return ct_err(err, errlen, "'%s': an IPv6 prefix is 0..128", text);
		for (unsigned b = (unsigned)prefix; b < 128; b++)
			v6->sin6_addr.s6_addr[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
		v6->sin6_family = AF_INET6;
		out->base.len = sizeof *v6;
	} else {
		return ct_err(err, errlen, "'%s': '%s' is not an IPv4 or IPv6 address", text, addr);
	}
	out->prefix = (unsigned)prefix;
	return 0;
}

/* The address's bytes and their count. */
static const uint8_t *cidr_bytes(const struct ct_cidr *c, unsigned *bits)
{
	if (c->base.ss.ss_family == AF_INET) {
		*bits = 32;
		return (const uint8_t *)&((const struct sockaddr_in *)&c->base.ss)->sin_addr;
	}
	*bits = 128;
	return ((const struct sockaddr_in6 *)&c->base.ss)->sin6_addr.s6_addr;
}

/* Whether a and b agree on their first n bits. */
static int same_bits(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

int ct_cidr_within(const struct ct_cidr *a, const struct ct_cidr *outer)
{
	unsigned na, no;
	const uint8_t *ba = cidr_bytes(a, &na), *bo = cidr_bytes(outer, &no);
	return a->base.ss.ss_family == outer->base.ss.ss_family && a->prefix >= outer->prefix &&
	       same_bits(ba, bo, outer->prefix);
}

int ct_cidr_overlap(const struct ct_cidr *a, const struct ct_cidr *b)
{
	return ct_cidr_within(a, b) || ct_cidr_within(b, a);
}

int ct_cidr_part(const struct ct_cidr *c, unsigned n, unsigned i, struct ct_cidr *out)
{
	unsigned bits = 0, width = c->base.ss.ss_family == AF_INET6 ? 128 : 32;
	while ((1u << bits) < n)
		bits++;
	if (n == 0 || i >= n || c->prefix + bits > width - 2)
		return -1;
	*out = *c;
	out->prefix = c->prefix + bits;
	unsigned nb;
	uint8_t *b = (uint8_t *)cidr_bytes(out, &nb);
	for (unsigned k = 0; k < bits; k++) /* i's bits, most significant first, after the prefix */
		if (i & (1u << (bits - 1 - k))) {
			unsigned pos = c->prefix + k;
			b[pos / 8] |= (uint8_t)(0x80 >> (pos % 8));
		}
	return 0;
}

const char *ct_cidr_str(const struct ct_cidr *c, char *buf, size_t buflen)
{
	char addr[CT_ADDRSTRLEN];
	const void *a = c->base.ss.ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)&c->base.ss)->sin6_addr
							  : (const void *)&((const struct sockaddr_in *)&c->base.ss)->sin_addr;
	if (!inet_ntop(c->base.ss.ss_family, a, addr, sizeof addr))
		snprintf(addr, sizeof addr, "?");
	snprintf(buf, buflen, "%s/%u", addr, c->prefix);
	return buf;
}
