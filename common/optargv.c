#include "optargv.h"

#include "ct_err.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const void *field_at(const struct ct_opt *o, const void *cfg)
{
	return (const char *)cfg + o->offset;
}

/* A duration in the largest unit it is a whole number of: what
 * ct_parse_duration reads back to the same nanoseconds. */
static int format_duration(uint64_t ns, char *buf, size_t len)
{
	int n;
	if (ns % 1000000000u == 0)
		n = snprintf(buf, len, "%" PRIu64 "s", ns / 1000000000u);
	else if (ns % 1000000u == 0)
		n = snprintf(buf, len, "%" PRIu64 "ms", ns / 1000000u);
	else if (ns % 1000u == 0)
		n = snprintf(buf, len, "%" PRIu64 "us", ns / 1000u);
	else
		n = snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "us", ns / 1000u, ns % 1000u);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int ct_opt_format(const struct ct_opt *o, const void *cfg, char *buf, size_t len, char *err, size_t errlen)
{
	const void *f = field_at(o, cfg);
	int n = 0;
	switch (o->type) {
	case CT_OPT_FLAG:
		n = snprintf(buf, len, "%s", *(const bool *)f ? "yes" : "no");
		break;
	case CT_OPT_UINT:
		n = snprintf(buf, len, "%" PRIu64, *(const uint64_t *)f);
		break;
	case CT_OPT_DURATION:
		if (format_duration(*(const uint64_t *)f, buf, len) < 0)
			n = -1;
		break;
	case CT_OPT_STR: {
		const char *s = *(const char *const *)f;
		n = snprintf(buf, len, "%s", s ? s : "");
		break;
	}
	case CT_OPT_ENUM:
		n = snprintf(buf, len, "%s", o->words[*(const unsigned *)f]);
		break;
	case CT_OPT_RATE: {
		double v = *(const double *)f;
		n = v > 0 ? snprintf(buf, len, "%.17g", v) : snprintf(buf, len, "%s", "");
		break;
	}
	case CT_OPT_CUSTOM:
		if (!o->format)
			return ct_err(err, errlen, "--%s: its value cannot be written back", o->name);
		n = o->format(f, buf, len) < 0 ? -1 : 0;
		break;
	case CT_OPT_LIST:
		return ct_err(err, errlen, "--%s: a list, not one value", o->name);
	}
	if (n < 0 || (size_t)n >= len)
		return ct_err(err, errlen, "--%s: its value is too long to write back", o->name);
	return 0;
}

/* share of host i; the exact part of a count: the remainder of the
 * rounding down to the first hosts, so the parts add up to the whole. */
double ct_opt_share(const struct ct_opt_part *p)
{
	double total = 0;
	for (unsigned k = 0; k < p->n; k++)
		total += p->w[k];
	return total > 0 ? p->w[p->i] / total : 0;
}

static uint64_t exact_part(uint64_t whole, const struct ct_opt_part *p)
{
	double total = 0;
	for (unsigned k = 0; k < p->n; k++)
		total += p->w[k];
	uint64_t mine = 0, done = 0;
	for (unsigned k = 0; k < p->n; k++) {
		uint64_t q = (uint64_t)((double)whole * p->w[k] / total);
		if (k == p->i)
			mine = q;
		done += q;
	}
	return mine + (p->i < whole - done ? 1 : 0);
}

int ct_opt_split(const struct ct_opt *table, void *cfg, const struct ct_opt_part *p, char *err, size_t errlen)
{
	double share = ct_opt_share(p);
	for (const struct ct_opt *o = table; o->name; o++) {
		void *f = (char *)cfg + o->offset;
		switch (o->split) {
		case CT_SPLIT_SAME:
			break;
		case CT_SPLIT_SCALE:
			if (o->type == CT_OPT_RATE)
				*(double *)f *= share;
			else if (o->type == CT_OPT_UINT && *(uint64_t *)f)
				*(uint64_t *)f = (uint64_t)fmax(1, round((double)*(uint64_t *)f * share));
			else if (o->type != CT_OPT_UINT)
				return ct_err(err, errlen, "--%s: only a rate or a count scales", o->name);
			break;
		case CT_SPLIT_EXACT:
			if (o->type != CT_OPT_UINT)
				return ct_err(err, errlen, "--%s: only a count divides exactly", o->name);
			if (*(uint64_t *)f)
				*(uint64_t *)f = exact_part(*(uint64_t *)f, p);
			break;
		case CT_SPLIT_FIRST:
			if (p->i == 0)
				break;
			if (o->type == CT_OPT_RATE)
				*(double *)f = 0;
			else if (o->type == CT_OPT_STR)
				*(const char **)f = NULL;
			else
				return ct_err(err, errlen, "--%s: only a rate or a text is the first host's", o->name);
			break;
		case CT_SPLIT_CUSTOM:
			if (!o->split_fn || o->split_fn(f, p, err, errlen) < 0) {
				if (!o->split_fn)
					ct_err(err, errlen, "--%s: no way to divide it", o->name);
				return -1;
			}
			break;
		}
	}
	return 0;
}

int ct_opt_argv(const struct ct_opt *table, const void *cfg, size_t size, struct ct_argv *out, char *err,
		size_t errlen)
{
	void *def = calloc(1, size);
	char *val = malloc(4096), *dval = malloc(4096);
	int rc = def && val && dval ? ct_opt_defaults(table, def, err, errlen) : ct_err(err, errlen, "out of memory");
	for (const struct ct_opt *o = table; rc == 0 && o->name; o++) {
		if (o->type == CT_OPT_LIST) {
			const struct ct_strlist *l = field_at(o, cfg);
			for (size_t i = 0; i < l->n; i++)
				ct_argv_add(out, "--%s=%s", o->name, l->v[i]);
			continue;
		}
		if (ct_opt_format(o, cfg, val, 4096, err, errlen) < 0 || ct_opt_format(o, def, dval, 4096, err, errlen) < 0) {
			rc = -1;
			break;
		}
		if (strcmp(val, dval) == 0)
			continue;
		if (!*val)
			rc = ct_err(err, errlen, "--%s: a default (%s) cannot be unset on a command line", o->name, dval);
		else if (o->type == CT_OPT_FLAG && strcmp(val, "yes") != 0)
			rc = ct_err(err, errlen, "--%s: a flag on by default cannot be turned off", o->name);
		else if (o->type == CT_OPT_FLAG)
			ct_argv_add(out, "--%s", o->name);
		else
			ct_argv_add(out, "--%s=%s", o->name, val);
	}
	if (def)
		ct_opt_free(table, def);
	free(def);
	free(val);
	free(dval);
	return rc;
}
