/* Any bytes as a zone file: the loader either refuses with a message or
 * yields a zone the database builds from, and lookups in it never fail. */
#include "db.h"
#include "zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_zone zone;
	struct ct_db *db = NULL;
	char err[512] = "";
	if (size == 0 || size > 64 * 1024)
		return 0;
	FILE *fp = fmemopen((void *)data, size, "r");
	if (!fp)
		return 0;
	int rc = ct_zone_load_fp(fp, "fuzz.zone", &zone, err, sizeof err);
	fclose(fp);
	if (rc < 0) {
		if (!strstr(err, "fuzz.zone"))
			abort(); /* every refusal names the file */
		return 0;
	}
	if (ct_db_build(&db, &zone, 1, NULL, err, sizeof err) == 0) {
		static const uint8_t probe[] = "\3www\7example\0";
		const struct ct_answer *a = ct_db_lookup(db, probe, sizeof probe, 1);
		if (!a)
			abort();
		ct_db_free(db);
	}
	ct_zone_free(&zone);
	return 0;
}
