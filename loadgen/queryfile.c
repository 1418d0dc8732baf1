#include "queryfile.h"

#include "ct_err.h"
#include "dnswire.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ct_qtype_parse(const char *text, uint16_t *out, char *err, size_t errlen)
{
	ldns_rr_type t = ldns_get_rr_type_by_name(text);
	if (t == 0)
		return ct_err(err, errlen, "unknown query type '%s' (a mnemonic such as A, AAAA, MX, or TYPE65)", text);
	*out = (uint16_t)t;
	return 0;
}

/* Encodes one query; what names the place for messages. */
static int encode(const char *name, uint16_t t, const struct ct_query_opts *o, struct ct_query *q, const char *what,
		  char *err, size_t errlen)
{
	ldns_rdf *dname = NULL;
	if (ldns_str2rdf_dname(&dname, name) != LDNS_STATUS_OK)
		return ct_err(err, errlen, "%s: '%s' is not a domain name", what, name);
	/* a relative name is taken as absolute, as dnsperf does */
	if (!ldns_dname_str_absolute(name)) {
		ldns_rdf *root = ldns_dname_new_frm_str(".");
		if (!root || ldns_dname_cat(dname, root) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(root);
			ldns_rdf_deep_free(dname);
			return ct_err(err, errlen, "%s: '%s' is too long", what, name);
		}
		ldns_rdf_deep_free(root);
	}
	size_t nlen = ldns_rdf_size(dname);
	char *text = ldns_rdf2str(dname);
	if (!text) {
		ldns_rdf_deep_free(dname);
		return ct_err(err, errlen, "out of memory");
	}
	size_t len = CT_DNS_HDRLEN + nlen + 4 + (o->edns ? 11 : 0);
	uint8_t *w = calloc(1, len);
	if (!w) {
		free(text);
		ldns_rdf_deep_free(dname);
		return ct_err(err, errlen, "out of memory");
	}
	ct_put16(w + 2, o->rd ? CT_FLAG_RD : 0);
	ct_put16(w + 4, 1);
	memcpy(w + CT_DNS_HDRLEN, ldns_rdf_data(dname), nlen);
	ldns_rdf_deep_free(dname);
	size_t p = CT_DNS_HDRLEN + nlen;
	ct_put16(w + p, (uint16_t)t);
	ct_put16(w + p + 2, CT_CLASS_IN);
	p += 4;
	if (o->edns) {
		ct_put16(w + 10, 1);
		w[p] = 0;
		ct_put16(w + p + 1, CT_TYPE_OPT);
		ct_put16(w + p + 3, o->edns);
		ct_put32(w + p + 5, o->dnssec_ok ? CT_EDNS_DO : 0);
		ct_put16(w + p + 9, 0);
	}
	q->wire = w;
	q->len = (uint16_t)len;
	q->qtype = (uint16_t)t;
	q->name = text;
	return 0;
}

static int push(struct ct_queryset *qs, size_t *cap, const struct ct_query *q)
{
	if (qs->n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct ct_query *v = realloc(qs->q, c * sizeof *v);
		if (!v)
			return -1;
		qs->q = v;
		*cap = c;
	}
	qs->q[qs->n++] = *q;
	return 0;
}

int ct_queryset_parse(const char *text, size_t len, const char *name, const struct ct_query_opts *o,
		      struct ct_queryset *out, char *err, size_t errlen)
{
	size_t cap = 0, line = 0, p = 0;
	memset(out, 0, sizeof *out);
	while (p < len) {
		size_t end = p;
		while (end < len && text[end] != '\n')
			end++;
		line++;
		char buf[1024], what[1100];
		size_t l = end - p;
		if (l >= sizeof buf) {
			ct_queryset_free(out);
			return ct_err(err, errlen, "%s:%zu: line too long", name, line);
		}
		memcpy(buf, text + p, l);
		buf[l] = '\0';
		p = end + 1;
		if (memchr(buf, '\0', l)) {
			ct_queryset_free(out);
			return ct_err(err, errlen, "%s:%zu: a NUL byte: not a text file", name, line);
		}
		char *save = NULL, *qname = strtok_r(buf, " \t\r", &save);
		if (!qname || qname[0] == ';')
			continue;
		char *qtype = strtok_r(NULL, " \t\r", &save);
		char *extra = qtype ? strtok_r(NULL, " \t\r", &save) : NULL;
		if (!qtype || (extra && extra[0] != ';')) {
			ct_queryset_free(out);
			return ct_err(err, errlen, "%s:%zu: expected 'NAME TYPE'", name, line);
		}
		struct ct_query q;
		uint16_t t = 0;
		char why[CT_ERRLEN];
		snprintf(what, sizeof what, "%s:%zu", name, line);
		if (ct_qtype_parse(qtype, &t, why, sizeof why) < 0) {
			ct_queryset_free(out);
			return ct_err(err, errlen, "%s: %s", what, why);
		}
		if (encode(qname, t, o, &q, what, err, errlen) < 0) {
			ct_queryset_free(out);
			return -1;
		}
		if (push(out, &cap, &q) < 0) {
			free(q.wire);
			free(q.name);
			ct_queryset_free(out);
			return ct_err(err, errlen, "out of memory");
		}
	}
	if (out->n == 0)
		return ct_err(err, errlen, "%s: no queries in it", name);
	return 0;
}

int ct_queryset_load(const char *path, const struct ct_query_opts *o, struct ct_queryset *out, char *err,
		     size_t errlen)
{
	memset(out, 0, sizeof *out);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return ct_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	char *text = NULL;
	size_t len = 0, cap = 0;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		if (len + n > cap) {
			size_t c = (len + n) * 2;
			char *t = realloc(text, c);
			if (!t) {
				free(text);
				fclose(fp);
				return ct_err(err, errlen, "%s: out of memory", path);
			}
			text = t;
			cap = c;
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	int rd_err = ferror(fp);
	fclose(fp);
	if (rd_err) {
		free(text);
		return ct_err(err, errlen, "%s: read error", path);
	}
	int rc = ct_queryset_parse(text ? text : "", len, path, o, out, err, errlen);
	free(text);
	return rc;
}

int ct_queryset_types(const char *name, const uint16_t *types, size_t n, const struct ct_query_opts *o,
		      struct ct_queryset *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->q = calloc(n ? n : 1, sizeof *out->q);
	if (!out->q)
		return ct_err(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (encode(name, types[i], o, &out->q[i], "--qname", err, errlen) < 0) {
			ct_queryset_free(out);
			return -1;
		}
		out->n = i + 1;
	}
	return n ? 0 : ct_err(err, errlen, "--qname: no query type");
}

int ct_queryset_one(const char *name, uint16_t type, const struct ct_query_opts *o,
		    struct ct_queryset *out, char *err, size_t errlen)
{
	return ct_queryset_types(name, &type, 1, o, out, err, errlen);
}

void ct_queryset_free(struct ct_queryset *qs)
{
	for (size_t i = 0; i < qs->n; i++) {
		free(qs->q[i].wire);
		free(qs->q[i].name);
	}
	free(qs->q);
	memset(qs, 0, sizeof *qs);
}
