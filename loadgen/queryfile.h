/* Queries to send, in dnsperf's query-file format: one "NAME TYPE" a line
 * (TYPE a mnemonic such as A, AAAA, MX, or TYPE65), blank lines and lines
 * starting with ';' ignored. Each query is encoded once, at load; the
 * sender only patches the ID. */
#ifndef CT_QUERYFILE_H
#define CT_QUERYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_query {
	uint8_t *wire;      /* header with ID 0, the question, an OPT record if EDNS */
	uint16_t len;
	uint16_t qtype;
	char *name;         /* the name as text, absolute (for resolver libraries) */
};

struct ct_queryset {
	struct ct_query *q;
	size_t n;
};

struct ct_query_opts {
	bool rd;            /* set Recursion Desired (dnsperf does) */
	uint16_t edns;      /* EDNS UDP size to advertise; 0: no OPT */
	bool dnssec_ok;
};

/* Parses query-file text; name is used in messages ("file:line: ..."). */
int ct_queryset_parse(const char *text, size_t len, const char *name, const struct ct_query_opts *o,
		      struct ct_queryset *out, char *err, size_t errlen);

int ct_queryset_load(const char *path, const struct ct_query_opts *o, struct ct_queryset *out, char *err,
		     size_t errlen);

/* A query type's mnemonic (A, AAAA, MX, TYPE65) -> its number: the one
 * parser of --qtype and of the query file's types. */
int ct_qtype_parse(const char *text, uint16_t *out, char *err, size_t errlen);

/* A single query (--qname, --qtype). */
int ct_queryset_one(const char *name, uint16_t type, const struct ct_query_opts *o,
		    struct ct_queryset *out, char *err, size_t errlen);

/* One query of name per type, in that order (--qtype A,AAAA). */
int ct_queryset_types(const char *name, const uint16_t *types, size_t n, const struct ct_query_opts *o,
		      struct ct_queryset *out, char *err, size_t errlen);

void ct_queryset_free(struct ct_queryset *qs);

#endif
