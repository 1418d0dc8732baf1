/* Any bytes as an answer to a fixed query: matched, mismatched or
 * malformed, never read past the datagram. */
#include "answer.h"
#include "queryfile.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_queryset qs;
	if (!qs.n) {
		struct ct_query_opts o = { .rd = true, .edns = 1232 };
		char err[256];
		if (ct_queryset_one("www.example.test", 1 /* A */, &o, &qs, err, sizeof err) < 0)
			abort();
	}
	uint8_t *pkt = malloc(size ? size : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data, size);
	struct ct_answer_info info;
	uint16_t id = 0;
	if (ct_answer_id(pkt, size, &id) == 0 &&
	    ct_answer_check(pkt, size, qs.q[0].wire, qs.q[0].len, id, &info) == CT_ANS_OK &&
	    (info.rcode < 0 || info.rcode > 15))
		abort();
	free(pkt);
	return 0;
}
