/* Small, allocation-free DNS wire helpers for hot paths (the responder's
 * query parser, the loadgen's answer checker). Building and parsing whole
 * messages and zone data is ldns's job; these only read headers, names and
 * skip records, with every length checked against the packet end. */
#ifndef CT_DNSWIRE_H
#define CT_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CT_DNS_HDRLEN 12
#define CT_DNS_MAXNAME 255
#define CT_DNS_MAXLABEL 63

enum ct_dns_rcode {
	CT_RCODE_NOERROR = 0,
	CT_RCODE_FORMERR = 1,
	CT_RCODE_SERVFAIL = 2,
	CT_RCODE_NXDOMAIN = 3,
	CT_RCODE_NOTIMP = 4,
	CT_RCODE_REFUSED = 5,
	CT_RCODE_BADVERS = 16, /* extended: needs EDNS */
};

enum ct_dns_type {
	CT_TYPE_A = 1,
	CT_TYPE_NS = 2,
	CT_TYPE_CNAME = 5,
	CT_TYPE_SOA = 6,
	CT_TYPE_PTR = 12,
	CT_TYPE_MX = 15,
	CT_TYPE_TXT = 16,
	CT_TYPE_AAAA = 28,
	CT_TYPE_OPT = 41,
	CT_TYPE_DS = 43,
	CT_TYPE_RRSIG = 46,
	CT_TYPE_NSEC = 47,
	CT_TYPE_IXFR = 251,
	CT_TYPE_AXFR = 252,
	CT_TYPE_MAILB = 253,
	CT_TYPE_MAILA = 254,
	CT_TYPE_ANY = 255,
};

#define CT_CLASS_IN 1

/* Header flag bits (second 16-bit word). */
#define CT_FLAG_QR 0x8000
#define CT_FLAG_AA 0x0400
#define CT_FLAG_TC 0x0200
#define CT_FLAG_RD 0x0100
#define CT_FLAG_RA 0x0080
#define CT_FLAG_AD 0x0020
#define CT_FLAG_CD 0x0010
#define CT_OPCODE(flags) (((flags) >> 11) & 0xf)
#define CT_RCODE(flags) ((flags) & 0xf)

#define CT_EDNS_DO 0x8000

static inline uint16_t ct_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t ct_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void ct_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ct_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct ct_dns_header {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* Reads the 12-byte header; -1 if the packet is shorter. */
int ct_dns_header_read(const uint8_t *pkt, size_t len, struct ct_dns_header *h);

/* Reads the name at *off. Compression pointers are followed only when
 * allow_ptr (and only backwards, so they cannot loop). The name is copied
 * uncompressed and lowercased into out (CT_DNS_MAXNAME bytes) when out is
 * non-NULL, and *off moves past the name's bytes in the packet. Returns the
 * uncompressed wire length, or -1 for a malformed or over-long name. */
int ct_dns_name_read(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, bool allow_ptr);

/* Lowercases ASCII letters of a wire name in place. Length octets are at
 * most 63, below 'A', so the whole buffer can be folded. */
void ct_dns_lower(uint8_t *name, size_t len);

/* Skips one resource record at *off (name, fixed fields, rdata). */
int ct_dns_rr_skip(const uint8_t *pkt, size_t len, size_t *off);

/* Renders a wire name as presentation text ("www.example."), escaping
 * unprintable bytes; always NUL-terminates buf. */
void ct_dns_name_str(const uint8_t *name, size_t len, char *buf, size_t buflen);

#endif
