/* Expectations: "METRIC OP NUMBER", the metric one of the registry's
 * (analysis/metrics.h), judged against a variant's measured value. */
#include "scenario.h"

#include "ct_err.h"
#include "metrics.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_text[] = { "<", "<=", ">", ">=", "==", "!=" };

const char *sc_op_str(enum sc_op op)
{
	return op_text[op];
}

int sc_expect_parse(const char *text, struct sc_expect *x, char *why, size_t whylen)
{
	memset(x, 0, sizeof *x);
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	const char *m = p;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
		p++;
	size_t mlen = (size_t)(p - m);
	if (mlen == 0)
		return ct_err(why, whylen, "'%s' is not an expectation (METRIC OP NUMBER, e.g. sampler.drop > 0)", text);
	while (isspace((unsigned char)*p))
		p++;
	int op = -1;
	for (int i = 0; i < 6; i++) {
		size_t n = strlen(op_text[i]);
		if (strncmp(p, op_text[i], n) == 0 && (op < 0 || n > strlen(op_text[op])))
			op = i;
	}
	if (op < 0)
		return ct_err(why, whylen, "'%s': expected a comparison (< <= > >= == !=) after the metric", text);
	p += strlen(op_text[op]);
	char *end;
	errno = 0;
	double v = strtod(p, &end);
	if (end == p || errno || !isfinite(v))
		return ct_err(why, whylen, "'%s': expected a number after '%s'", text, op_text[op]);
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return ct_err(why, whylen, "'%s': unexpected '%s' after the number", text, end);
	char *metric = strndup(m, mlen);
	if (!metric)
		abort();
	if (!ct_metric_find(metric)) {
		const char *hint = ct_metric_suggest(metric);
		ct_err(why, whylen, "'%s' is not a metric%s%s%s (`ctstorm metrics` lists them)", metric,
		       hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
		free(metric);
		return -1;
	}
	x->metric = metric;
	x->op = (enum sc_op)op;
	x->value = v;
	if (asprintf(&x->text, "%s %s %g", metric, op_text[op], v) < 0)
		abort();
	return 0;
}

bool sc_expect_holds(const struct sc_expect *x, double v)
{
	switch (x->op) {
	case SC_LT: return v < x->value;
	case SC_LE: return v <= x->value;
	case SC_GT: return v > x->value;
	case SC_GE: return v >= x->value;
	case SC_EQ: return v == x->value;
	case SC_NE: return v != x->value;
	}
	return false;
}

