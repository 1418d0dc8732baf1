/* Any bytes as a /dev/kmsg record: parsed or refused, never read past. */
#include "kmsg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_kmsg_record r;
	/* a copy of exactly size bytes, so ASan sees any over-read */
	char *rec = malloc(size ? size : 1);
	if (!rec)
		return 0;
	memcpy(rec, data, size);
	if (ct_kmsg_parse(rec, size, &r) == 0) {
		if (r.msg < rec || r.msg + r.msglen > rec + size)
			abort();
		if (r.kind == CT_KMSG_SUPPRESSED && r.suppressed == 0 && !memchr(rec, '0', size))
			abort();
	}
	ct_kmsg_classify(rec, size, &r);
	free(rec);
	return 0;
}
