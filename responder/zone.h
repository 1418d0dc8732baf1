/* Zone files in, checked records out.
 *
 * A zone file is parsed with ldns record by record so that every problem is
 * reported as "file:line: what". The SOA must come first and names the
 * zone; every record must lie at or below it, in class IN. */
#ifndef CT_ZONE_H
#define CT_ZONE_H

#include <ldns/ldns.h>
#include <stdio.h>

struct ct_zone {
	char *path;          /* as given, for messages */
	ldns_rdf *origin;    /* the apex, lowercase */
	ldns_rr_list *rrs;   /* every record, SOA first; owners lowercase */
	int *lines;          /* lines[i]: the line where rrs[i] ended */
};

int ct_zone_load(const char *path, struct ct_zone *z, char *err, size_t errlen);

/* As ct_zone_load, from an open stream; name is used in messages. */
int ct_zone_load_fp(FILE *fp, const char *name, struct ct_zone *z, char *err, size_t errlen);

void ct_zone_free(struct ct_zone *z);

/* The zone's name as text ("example."), for messages. */
void ct_zone_name(const struct ct_zone *z, char *buf, size_t buflen);

#endif
