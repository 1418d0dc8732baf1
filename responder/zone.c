#include "zone.h"

#include "ct_err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ct_zone_name(const struct ct_zone *z, char *buf, size_t buflen)
{
	char *s = z->origin ? ldns_rdf2str(z->origin) : NULL;
	snprintf(buf, buflen, "%s", s ? s : "?");
	free(s);
}

static void rdf_str(const ldns_rdf *rdf, char *buf, size_t buflen)
{
	char *s = ldns_rdf2str(rdf);
	snprintf(buf, buflen, "%s", s ? s : "?");
	free(s);
}

/* Checks one parsed record against the zone so far and takes ownership. */
static int zone_add(struct ct_zone *z, ldns_rr *rr, int line, char *err, size_t errlen)
{
	char owner[LDNS_MAX_DOMAINLEN * 4 + 1], apex[LDNS_MAX_DOMAINLEN * 4 + 1];

	ldns_dname2canonical(ldns_rr_owner(rr));
	rdf_str(ldns_rr_owner(rr), owner, sizeof owner);

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return ct_err(err, errlen, "%s:%d: %s: only class IN is served", z->path, line, owner);

	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
		if (z->origin) {
			ct_zone_name(z, apex, sizeof apex);
			return ct_err(err, errlen, "%s:%d: a second SOA record (%s); the zone %s already has one",
				      z->path, line, owner, apex);
		}
		z->origin = ldns_rdf_clone(ldns_rr_owner(rr));
		if (!z->origin)
			return ct_err(err, errlen, "out of memory");
	} else if (!z->origin) {
		return ct_err(err, errlen, "%s:%d: %s: the first record must be the zone's SOA", z->path,
			      line, owner);
	} else if (!ldns_dname_is_subdomain(ldns_rr_owner(rr), z->origin) &&
		   ldns_dname_compare(ldns_rr_owner(rr), z->origin) != 0) {
		ct_zone_name(z, apex, sizeof apex);
		return ct_err(err, errlen, "%s:%d: %s is outside the zone %s", z->path, line, owner, apex);
	}

	size_t n = ldns_rr_list_rr_count(z->rrs);
	int *lines = realloc(z->lines, (n + 1) * sizeof *lines);
	if (!lines)
		return ct_err(err, errlen, "out of memory");
	z->lines = lines;
	if (!ldns_rr_list_push_rr(z->rrs, rr))
		return ct_err(err, errlen, "out of memory");
	lines[n] = line;
	return 0;
}

int ct_zone_load_fp(FILE *fp, const char *name, struct ct_zone *z, char *err, size_t errlen)
{
	uint32_t default_ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 0, rc = -1;

	memset(z, 0, sizeof *z);
	z->path = strdup(name);
	z->rrs = ldns_rr_list_new();
	if (!z->path || !z->rrs) {
		ct_err(err, errlen, "out of memory");
		goto out;
	}

	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &default_ttl, &origin, &prev, &line);
		switch (s) {
		case LDNS_STATUS_OK:
			if (zone_add(z, rr, line, err, errlen) < 0) {
				ldns_rr_free(rr);
				goto out;
			}
			/* Records without an owner inherit the previous one; ldns
			 * needs a default origin for relative names before $ORIGIN. */
			if (!origin && z->origin)
				origin = ldns_rdf_clone(z->origin);
			break;
		case LDNS_STATUS_SYNTAX_EMPTY:
		case LDNS_STATUS_SYNTAX_TTL:
		case LDNS_STATUS_SYNTAX_ORIGIN:
			break;
		case LDNS_STATUS_SYNTAX_INCLUDE:
			ct_err(err, errlen, "%s:%d: $INCLUDE is not supported; pass each file with --zone", name,
			       line);
			goto out;
		default:
			ct_err(err, errlen, "%s:%d: %s", name, line, ldns_get_errorstr_by_id(s));
			goto out;
		}
	}
	if (ferror(fp)) {
		ct_err(err, errlen, "%s: read error: %s", name, strerror(errno));
		goto out;
	}
	if (!z->origin) {
		ct_err(err, errlen, "%s: no SOA record: a zone file starts with its SOA", name);
		goto out;
	}
	rc = 0;
out:
	if (origin)
		ldns_rdf_deep_free(origin);
	if (prev)
		ldns_rdf_deep_free(prev);
	if (rc < 0)
		ct_zone_free(z);
	return rc;
}

int ct_zone_load(const char *path, struct ct_zone *z, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		memset(z, 0, sizeof *z);
		return ct_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	}
	int rc = ct_zone_load_fp(fp, path, z, err, errlen);
	fclose(fp);
	return rc;
}

void ct_zone_free(struct ct_zone *z)
{
	free(z->path);
	if (z->origin)
		ldns_rdf_deep_free(z->origin);
	if (z->rrs)
		ldns_rr_list_deep_free(z->rrs);
	free(z->lines);
	memset(z, 0, sizeof *z);
}
