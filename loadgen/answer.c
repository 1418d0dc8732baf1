#include "answer.h"

#include "dnswire.h"

#include <string.h>

int ct_answer_id(const uint8_t *pkt, size_t len, uint16_t *id)
{
	if (len < CT_DNS_HDRLEN)
		return -1;
	*id = ct_get16(pkt);
	return 0;
}

enum ct_answer_verdict ct_answer_check(const uint8_t *pkt, size_t len, const uint8_t *query, size_t qlen,
				       uint16_t id, struct ct_answer_info *info)
{
	struct ct_dns_header h;
	memset(info, 0, sizeof *info);
	if (ct_dns_header_read(pkt, len, &h) < 0 || !(h.flags & CT_FLAG_QR))
		return CT_ANS_MALFORMED;
	info->id = h.id;
	info->rcode = CT_RCODE(h.flags);
	info->tc = (h.flags & CT_FLAG_TC) != 0;
	if (CT_OPCODE(h.flags) != 0 || h.qdcount != 1)
		return h.qdcount > 1 ? CT_ANS_MALFORMED : CT_ANS_MISMATCH;
	if (qlen < CT_DNS_HDRLEN || h.id != id)
		return CT_ANS_MISMATCH;

	uint8_t theirs[CT_DNS_MAXNAME], ours[CT_DNS_MAXNAME];
	size_t po = CT_DNS_HDRLEN, qo = CT_DNS_HDRLEN;
	int pl = ct_dns_name_read(pkt, len, &po, theirs, true);
	if (pl < 0 || po + 4 > len)
		return CT_ANS_MALFORMED;
	int ql = ct_dns_name_read(query, qlen, &qo, ours, false);
	if (ql < 0 || qo + 4 > qlen)
		return CT_ANS_MISMATCH;
	if (pl != ql || memcmp(theirs, ours, (size_t)pl) != 0 || memcmp(pkt + po, query + qo, 4) != 0)
		return CT_ANS_MISMATCH;
	return CT_ANS_OK;
}
