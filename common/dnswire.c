#include "dnswire.h"

#include <stdio.h>
#include <string.h>

int ct_dns_header_read(const uint8_t *pkt, size_t len, struct ct_dns_header *h)
{
	if (len < CT_DNS_HDRLEN)
		return -1;
	h->id = ct_get16(pkt);
	h->flags = ct_get16(pkt + 2);
	h->qdcount = ct_get16(pkt + 4);
	h->ancount = ct_get16(pkt + 6);
	h->nscount = ct_get16(pkt + 8);
	h->arcount = ct_get16(pkt + 10);
	return 0;
}

void ct_dns_lower(uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (uint8_t)(name[i] + ('a' - 'A'));
}

int ct_dns_name_read(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out, bool allow_ptr)
{
	size_t pos = *off;
	size_t outlen = 0;
	size_t end = 0;        /* where the name ends in the packet; 0 until the first pointer */
	size_t lowest = pos;   /* pointers must go strictly below this: no loops */

	for (;;) {
		if (pos >= len)
			return -1;
		uint8_t l = pkt[pos];
		if ((l & 0xc0) == 0xc0) {
			if (!allow_ptr || pos + 1 >= len)
				return -1;
			size_t target = ((size_t)(l & 0x3f) << 8) | pkt[pos + 1];
			if (target >= lowest)
				return -1;
			if (!end)
				end = pos + 2;
			lowest = target;
			pos = target;
			continue;
		}
		if (l & 0xc0)
			return -1; /* 0x40 and 0x80 label types are obsolete or unassigned */
		if (outlen + 1 + l > CT_DNS_MAXNAME)
			return -1;
		if (pos + 1 + l > len)
			return -1;
		if (out)
			memcpy(out + outlen, pkt + pos, 1 + (size_t)l);
		outlen += 1 + (size_t)l;
		pos += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	if (out)
		ct_dns_lower(out, outlen);
	*off = end ? end : pos;
	return (int)outlen;
}

int ct_dns_rr_skip(const uint8_t *pkt, size_t len, size_t *off)
{
	size_t pos = *off;
	if (ct_dns_name_read(pkt, len, &pos, NULL, true) < 0)
		return -1;
	if (pos + 10 > len)
		return -1;
	size_t rdlen = ct_get16(pkt + pos + 8);
	if (pos + 10 + rdlen > len)
		return -1;
	*off = pos + 10 + rdlen;
	return 0;
}

void ct_dns_name_str(const uint8_t *name, size_t len, char *buf, size_t buflen)
{
	size_t o = 0, i = 0;
	if (buflen == 0)
		return;
	if (len == 0 || name[0] == 0) {
		snprintf(buf, buflen, ".");
		return;
	}
	while (i < len && name[i] != 0) {
		size_t l = name[i++];
		for (size_t k = 0; k < l && i < len; k++, i++) {
			uint8_t c = name[i];
			int n;
			if (c == '.' || c == '\\')
				n = snprintf(buf + o, buflen - o, "\\%c", c);
			else if (c > 32 && c < 127)
				n = snprintf(buf + o, buflen - o, "%c", c);
			else
				n = snprintf(buf + o, buflen - o, "\\%03u", c);
			if (n < 0 || (size_t)n >= buflen - o)
				return;
			o += (size_t)n;
		}
		if (o + 1 >= buflen)
			return;
		buf[o++] = '.';
		buf[o] = '\0';
	}
}
