/* Any bytes as a query file: loaded or refused naming file:line. */
#include "queryfile.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_queryset qs;
	struct ct_query_opts o = { .rd = true, .edns = 512 };
	char err[512] = "";
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	if (ct_queryset_parse(text, size, "fuzz.txt", &o, &qs, err, sizeof err) == 0) {
		for (size_t i = 0; i < qs.n; i++)
			if (qs.q[i].len < 17 || qs.q[i].len > 12 + 255 + 4 + 11)
				abort();
		ct_queryset_free(&qs);
	} else if (!strstr(err, "fuzz.txt") && !strstr(err, "out of memory")) {
		abort();
	}
	free(text);
	return 0;
}
