#include "handler.h"

#include "dnswire.h"

#include <string.h>

#define OPT_RR_LEN 11
#define UDP_PLAIN_MAX 512

struct query {
	struct ct_dns_header h;
	uint8_t qname[CT_DNS_MAXNAME];  /* lowercase */
	size_t qnamelen;
	size_t qend;                     /* end of the question in the packet */
	uint16_t qtype, qclass;
	bool has_question;
	bool edns;
	uint16_t edns_size;
	uint8_t edns_version;
	uint16_t edns_flags;
};

/* Reads the question and finds an OPT record. Returns the rcode the query
 * earns by its form alone: NOERROR, FORMERR or NOTIMP. */
static int parse_query(const uint8_t *pkt, size_t len, struct query *q)
{
	size_t off = CT_DNS_HDRLEN;
	if (q->h.qdcount != 1)
		return CT_RCODE_FORMERR;
	int l = ct_dns_name_read(pkt, len, &off, q->qname, false);
	if (l < 0 || off + 4 > len)
		return CT_RCODE_FORMERR;
	q->qnamelen = (size_t)l;
	q->qtype = ct_get16(pkt + off);
	q->qclass = ct_get16(pkt + off + 2);
	q->qend = off + 4;
	q->has_question = true;
	off = q->qend;

	for (unsigned i = 0; i < (unsigned)q->h.ancount + q->h.nscount; i++)
		if (ct_dns_rr_skip(pkt, len, &off) < 0)
			return CT_RCODE_FORMERR;
	for (unsigned i = 0; i < q->h.arcount; i++) {
		size_t start = off;
		if (ct_dns_rr_skip(pkt, len, &off) < 0)
			return CT_RCODE_FORMERR;
		if (pkt[start] != 0 || ct_get16(pkt + start + 1) != CT_TYPE_OPT)
			continue; /* OPT lives at the root; other records are ignored */
		if (q->edns)
			return CT_RCODE_FORMERR; /* RFC 6891 6.1.1: more than one OPT */
		size_t rdlen = ct_get16(pkt + start + 9);
		const uint8_t *opt = pkt + start + 11;
		for (size_t o = 0; o < rdlen;) {
			if (o + 4 > rdlen || o + 4 + ct_get16(opt + o + 2) > rdlen)
				return CT_RCODE_FORMERR;
			o += 4 + (size_t)ct_get16(opt + o + 2);
		}
		q->edns = true;
		q->edns_size = ct_get16(pkt + start + 3);
		q->edns_version = pkt[start + 6];
		q->edns_flags = ct_get16(pkt + start + 7);
	}
	if (CT_OPCODE(q->h.flags) != 0)
		return CT_RCODE_NOTIMP;
	return CT_RCODE_NOERROR;
}

static size_t put_opt(uint8_t *p, uint16_t size, int rcode, uint16_t flags)
{
	p[0] = 0;
	ct_put16(p + 1, CT_TYPE_OPT);
	ct_put16(p + 3, size);
	p[5] = (uint8_t)(rcode >> 4);
	p[6] = 0; /* version */
	ct_put16(p + 7, flags & CT_EDNS_DO);
	ct_put16(p + 9, 0);
	return OPT_RR_LEN;
}

/* The rcode the protocol gives a well-formed query before any lookup,
 * or -1: the zones answer it. */
static int protocol_rcode(const struct query *q)
{
	if (q->edns && q->edns_version != 0)
		return CT_RCODE_BADVERS;
	if (q->qtype == CT_TYPE_OPT)
		return CT_RCODE_FORMERR;
	if (q->qtype == CT_TYPE_MAILA || q->qtype == CT_TYPE_MAILB)
		return CT_RCODE_NOTIMP;
	if (q->qclass != CT_CLASS_IN || q->qtype == CT_TYPE_AXFR || q->qtype == CT_TYPE_IXFR)
		return CT_RCODE_REFUSED;
	return -1;
}

size_t ct_handle_query(const struct ct_handler_cfg *cfg, enum ct_transport tr, const uint8_t *pkt,
		       size_t len, uint8_t *out, size_t outcap, struct ct_handle_info *info)
{
	struct query q;
	struct ct_answer scratch;
	const struct ct_answer *a;

	memset(info, 0, sizeof *info);
	info->rcode = -1;
	q.has_question = false;
	q.edns = false;
	if (ct_dns_header_read(pkt, len, &q.h) < 0 || (q.h.flags & CT_FLAG_QR)) {
		info->dropped = true; /* nothing to answer, or a response: never reply */
		return 0;
	}

	int rcode = parse_query(pkt, len, &q);
	if (rcode == CT_RCODE_FORMERR)
		q.edns = false; /* an OPT in a broken message is not to be trusted */
	else if (rcode == CT_RCODE_NOERROR)
		rcode = protocol_rcode(&q);
	if (rcode < 0) {
		a = ct_db_lookup(cfg->db, q.qname, q.qnamelen, q.qtype);
		rcode = CT_RCODE(a->flags);
	} else {
		/* header and question only; BADVERS's high bits go in the OPT */
		scratch = (struct ct_answer){ .flags = (uint16_t)(rcode & 0xf) };
		a = &scratch;
	}

	/* Size limit: 512 without EDNS, else the smaller of the two offers. */
	size_t limit = CT_MSG_MAX;
	if (tr == CT_UDP) {
		limit = UDP_PLAIN_MAX;
		if (q.edns) {
			uint16_t theirs = q.edns_size > UDP_PLAIN_MAX ? q.edns_size : UDP_PLAIN_MAX;
			limit = theirs < cfg->edns_udp_max ? theirs : cfg->edns_udp_max;
		}
	}
	if (limit > outcap)
		limit = outcap;

	size_t qlen = q.has_question ? q.qend - CT_DNS_HDRLEN : 0;
	size_t optlen = q.edns ? OPT_RR_LEN : 0;
	bool fits = CT_DNS_HDRLEN + qlen + a->len + optlen <= limit;
	if (CT_DNS_HDRLEN + qlen + optlen > limit) {
		info->dropped = true; /* cannot happen with outcap >= 512 */
		return 0;
	}

	uint16_t flags = (uint16_t)(CT_FLAG_QR | (q.h.flags & (0x7800 | CT_FLAG_RD | CT_FLAG_CD)) |
				    (a->flags & (CT_FLAG_AA | 0xf)));
	if (!fits)
		flags |= CT_FLAG_TC;
	ct_put16(out, q.h.id);
	ct_put16(out + 2, flags);
	ct_put16(out + 4, q.has_question ? 1 : 0);
	ct_put16(out + 6, fits ? a->an : 0);
	ct_put16(out + 8, fits ? a->ns : 0);
	ct_put16(out + 10, (uint16_t)((fits ? a->ar : 0) + (q.edns ? 1 : 0)));
	size_t o = CT_DNS_HDRLEN;
	/* the question exactly as sent: same length as the canonical name,
	 * so the body's compression pointers stay valid */
	memcpy(out + o, pkt + CT_DNS_HDRLEN, qlen);
	o += qlen;
	if (fits && a->len) {
		memcpy(out + o, a->body, a->len);
		o += a->len;
	}
	if (q.edns)
		o += put_opt(out + o, cfg->edns_udp_max, rcode, q.edns_flags);

	info->rcode = rcode;
	info->edns = q.edns;
	info->truncated = !fits;
	info->nodata = fits && a->nodata;
	info->referral = a->referral;
	return o;
}
