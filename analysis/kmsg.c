#include "kmsg.h"

#include <string.h>

/* Finds needle in the first len bytes of hay. */
static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Reads a decimal number at *p (below end); false if there is none. */
static bool number(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* Reads the decimal number that ends just before pos (scanning left). */
static bool number_before(const char *start, const char *pos, uint64_t *out)
{
	const char *s = pos;
	while (s > start && s[-1] >= '0' && s[-1] <= '9')
		s--;
	const char *p = s;
	return number(&p, pos, out) && p == pos;
}

void ct_kmsg_classify(const char *msg, size_t len, struct ct_kmsg_record *out)
{
	const char *end = msg + len, *hit;
	out->kind = CT_KMSG_OTHER;
	out->has_netns = false;
	out->netns = 0;
	out->suppressed = 0;

	if ((hit = find(msg, len, "table full in netns ")) != NULL) {
		const char *p = hit + strlen("table full in netns ");
		uint64_t ns;
		if (number(&p, end, &ns) && find(p, (size_t)(end - p), ", dropping packet") == p) {
			out->kind = CT_KMSG_TABLE_FULL;
			out->has_netns = true;
			out->netns = ns;
		}
	} else if (find(msg, len, "table full, dropping packet")) {
		/* "nf_conntrack: nf_conntrack: table full, dropping packet"
		 * and the old "ip_conntrack: table full, dropping packet." */
		if (find(msg, len, "conntrack"))
			out->kind = CT_KMSG_TABLE_FULL;
	} else if ((hit = find(msg, len, " callbacks suppressed")) != NULL ||
		   (hit = find(msg, len, " messages suppressed")) != NULL) {
		uint64_t n;
		if (number_before(msg, hit, &n)) {
			out->kind = CT_KMSG_SUPPRESSED;
			out->suppressed = n;
		}
	}
}

int ct_kmsg_parse(const char *rec, size_t len, struct ct_kmsg_record *out)
{
	const char *p = rec, *end = rec + len;
	uint64_t prio, seq, ts;
	memset(out, 0, sizeof *out);

	if (!number(&p, end, &prio) || p >= end || *p++ != ',' || !number(&p, end, &seq) || p >= end ||
	    *p++ != ',' || !number(&p, end, &ts) || p >= end || *p != ',')
		return -1;
	const char *semi = memchr(p, ';', (size_t)(end - p));
	if (!semi)
		return -1;
	const char *msg = semi + 1;
	const char *nl = memchr(msg, '\n', (size_t)(end - msg));
	size_t msglen = nl ? (size_t)(nl - msg) : (size_t)(end - msg);
	if (prio > 0xffffff)
		return -1;
	out->prio = (int)prio;
	out->seq = seq;
	out->ts_us = ts;
	out->msg = msg;
	out->msglen = msglen;
	ct_kmsg_classify(msg, msglen, out);
	return 0;
}
