/* Any bytes as /proc/net/stat/nf_conntrack: summed or refused with a
 * message, never read past the buffer. */
#include "ctstat.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_ctstat st;
	uint64_t entries;
	char err[256] = "";
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	if (ct_stat_parse_proc(text, size, &st, &entries, err, sizeof err) < 0 && err[0] == '\0')
		abort(); /* every refusal says why */
	free(text);
	return 0;
}
