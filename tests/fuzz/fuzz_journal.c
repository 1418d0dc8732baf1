/* Any bytes as the journal's text: parsed into entries that are safe to
 * undo (no process 0 or 1, no empty sysctl path), and what is parsed
 * formats back to text that parses to the same entries. */
#include "journal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct journal *a, const struct journal *b)
{
	if (a->n != b->n || a->owner != b->owner)
		abort();
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].kind != b->e[i].kind || a->e[i].pid != b->e[i].pid || strcmp(a->e[i].a, b->e[i].a) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct journal j = { 0 };
	jr_parse(&j, text);
	for (size_t i = 0; i < j.n; i++) {
		if (j.e[i].kind == JR_PROC && j.e[i].pid <= 1)
			abort();
		if (!j.e[i].a || (j.e[i].kind != JR_PROC && !*j.e[i].a))
			abort();
	}
	size_t len;
	char *back = jr_format(&j, &len);
	struct journal k = { 0 };
	/* text with a newline inside a field cannot round-trip: only check what can */
	bool clean = true;
	for (size_t i = 0; i < j.n; i++)
		clean &= !strchr(j.e[i].a, '\n') && (!j.e[i].b || !strchr(j.e[i].b, '\n')) &&
			 (j.e[i].kind != JR_PROC || (*j.e[i].a && j.e[i].a[0] != ' '));
	if (back && clean && !strchr(j.results, '\n')) {
		jr_parse(&k, back);
		same(&j, &k);
	}
	free(back);
	jr_free_entries(&j);
	jr_free_entries(&k);
	free(text);
	return 0;
}
