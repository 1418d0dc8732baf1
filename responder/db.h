/* The answer database: every zone turned into precomputed responses.
 *
 * Built once at start-up from the loaded zones, then read-only and shared
 * by all workers. A lookup returns the response *body* (the sections after
 * the question) and its header bits; the handler copies the query's own
 * question in front of it, so the hot path neither allocates nor encodes.
 *
 * Bodies for names that exist in a zone are compressed against the
 * question at offset 12 (the echoed question has the same length as the
 * canonical name, only the case may differ). Bodies for names that do not
 * exist (NXDOMAIN, wildcard and synthesized answers, referrals) are
 * position independent: their only pointer is 0xC00C, the query name. */
#ifndef CT_DB_H
#define CT_DB_H

#include "opt.h"
#include "zone.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_answer {
	uint16_t flags;          /* CT_FLAG_AA and the rcode (low 4 bits) */
	uint16_t an, ns, ar;     /* section counts of body */
	uint16_t len;            /* body length */
	bool nodata;             /* NOERROR without an answer for the type */
	bool referral;           /* a delegation, AA clear */
	const uint8_t *body;
};

struct ct_db;

/* Builds the database from loaded zones; the zones must outlive it.
 * synthesize lists zone names (text) whose nonexistent names are answered
 * as the apex would be for A, AAAA, TXT, MX... (not SOA or NS). */
int ct_db_build(struct ct_db **out, const struct ct_zone *zones, size_t nzones,
		const struct ct_strlist *synthesize, char *err, size_t errlen);

void ct_db_free(struct ct_db *db);

/* The answer for a lowercase wire qname of class IN. Never NULL: names
 * outside every zone get the REFUSED answer. */
const struct ct_answer *ct_db_lookup(const struct ct_db *db, const uint8_t *qname, size_t qlen,
				     uint16_t qtype);

/* Counts, for start-up messages. */
size_t ct_db_names(const struct ct_db *db);
size_t ct_db_answers(const struct ct_db *db);

#endif
