/* Any bytes as a scenario file: parsed and validated, or refused with
 * errors that each name the file (and so where). Never touches the host:
 * parsing and validation only read. */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct sc_file f = { 0 };
	struct sc_errors e = { 0 };
	if (sc_parse_string(text, "fuzz.scn", &f, &e) == 0 && sc_validate(&f, &e) == 0) {
		/* a valid file resolves every variant in both forms */
		for (size_t v = 0; v < (f.nvar ? f.nvar : 1); v++)
			for (int quick = 0; quick <= 1; quick++) {
				struct sc_resolved r;
				sc_resolve(&f, f.nvar ? v : (size_t)-1, quick, &r);
				if (!r.name)
					abort();
				sc_resolved_free(&r);
			}
	} else {
		if (!e.n)
			abort(); /* refused without saying why */
		for (size_t i = 0; i < e.n; i++)
			if (!strstr(e.msg[i], "fuzz.scn") && strncmp(e.msg[i], "--set", 5) != 0)
				abort();
	}
	sc_errors_free(&e);
	sc_file_free(&f);
	free(text);
	return 0;
}
