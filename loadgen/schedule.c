#include "schedule.h"

#include "ct_err.h"
#include "opt.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_rate(const char *text, size_t len, double *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strspn(buf, "0123456789.") != len)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno || *end || v < 0 || v > 1e8)
		return -1;
	*out = v;
	return 0;
}

static void add(struct ct_sched *s, double r0, double r1, uint64_t dur_ns)
{
	struct ct_seg *g = &s->seg[s->n++];
	g->r0 = r0;
	g->r1 = r1;
	g->dur_ns = dur_ns;
	g->start_ns = s->total_ns;
	g->before = s->total;
	g->count = (r0 + r1) / 2.0 * (double)dur_ns / 1e9;
	s->total_ns += dur_ns;
	s->total += g->count;
}

int ct_sched_parse(const char *text, struct ct_sched *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	const char *p = text;
	for (int idx = 1; *p; idx++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char seg[128];
		if (len == 0 || len >= sizeof seg)
			return ct_err(err, errlen, "segment %d is %s", idx, len ? "too long" : "empty");
		memcpy(seg, p, len);
		seg[len] = '\0';
		if (s->n == CT_SCHED_MAX_SEGS)
			return ct_err(err, errlen, "more than %d segments", CT_SCHED_MAX_SEGS);

		char *at = strchr(seg, '@');
		if (!at)
			return ct_err(err, errlen, "segment %d '%s': expected RATE@DURATION or ramp:FROM-TO@DURATION",
				      idx, seg);
		*at = '\0';
		uint64_t dur;
		char why[CT_ERRLEN];
		if (ct_parse_duration(at + 1, &dur, why, sizeof why) < 0 || dur == 0)
			return ct_err(err, errlen, "segment %d: duration: %s", idx, dur == 0 ? "must be above 0" : why);
		double r0, r1;
		if (strncmp(seg, "ramp:", 5) == 0) {
			const char *from = seg + 5, *dash = strchr(from, '-');
			if (!dash || parse_rate(from, (size_t)(dash - from), &r0) < 0 ||
			    parse_rate(dash + 1, strlen(dash + 1), &r1) < 0)
				return ct_err(err, errlen, "segment %d 'ramp:%s': expected ramp:FROM-TO@DURATION with rates in qps",
					      idx, from);
		} else {
			if (parse_rate(seg, strlen(seg), &r0) < 0)
				return ct_err(err, errlen, "segment %d: '%s' is not a rate in qps", idx, seg);
			r1 = r0;
		}
		add(s, r0, r1, dur);
		p += len;
		if (*p == ',') {
			p++;
			if (!*p)
				return ct_err(err, errlen, "segment %d is empty", idx + 1);
		}
	}
	if (s->n == 0)
		return ct_err(err, errlen, "no segments");
	return 0;
}

/* A rate as parse_rate reads it: digits and a point, no exponent. */
static void rate_text(double r, char *buf, size_t len)
{
	snprintf(buf, len, "%.6f", r);
	char *e = buf + strlen(buf);
	while (e > buf && e[-1] == '0')
		*--e = '\0';
	if (e > buf && e[-1] == '.')
		*--e = '\0';
}

int ct_sched_format(const struct ct_sched *s, double scale, char *buf, size_t len)
{
	size_t used = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct ct_seg *g = &s->seg[i];
		char r0[32], r1[32];
		rate_text(g->r0 * scale, r0, sizeof r0);
		rate_text(g->r1 * scale, r1, sizeof r1);
		int n = g->r0 == g->r1 ? snprintf(buf + used, len - used, "%s%s@%" PRIu64 "us", i ? "," : "", r0,
						  (g->dur_ns + 500) / 1000)
				       : snprintf(buf + used, len - used, "%sramp:%s-%s@%" PRIu64 "us", i ? "," : "", r0, r1,
						  (g->dur_ns + 500) / 1000);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

void ct_sched_constant(struct ct_sched *s, double qps, uint64_t dur_ns)
{
	memset(s, 0, sizeof *s);
	add(s, qps, qps, dur_ns);
}

/* Seconds into segment g until x queries of it were sent. */
static double time_into(const struct ct_seg *g, double x)
{
	double T = (double)g->dur_ns / 1e9;
	double a = (g->r1 - g->r0) / T;
	if (fabs(a) < 1e-12)
		return g->r0 > 0 ? x / g->r0 : T;
	/* N(t) = r0 t + a t^2 / 2 = x, the root that lies in [0, T] */
	double disc = g->r0 * g->r0 + 2.0 * a * x;
	if (disc < 0)
		disc = 0;
	return (-g->r0 + sqrt(disc)) / a;
}

uint64_t ct_sched_time(const struct ct_sched *s, uint64_t k)
{
	double x = (double)k;
	for (size_t i = 0; i < s->n; i++) {
		const struct ct_seg *g = &s->seg[i];
		/* a count a rate's rounding leaves a hair above a whole number
		 * (26.666667/s for 1.5 s) holds that whole number of slots */
		if (x < g->before + g->count - 1e-6) {
			double t = time_into(g, x - g->before);
			uint64_t ns = (uint64_t)(t * 1e9 + 0.5);
			if (ns > g->dur_ns)
				ns = g->dur_ns;
			return g->start_ns + ns;
		}
	}
	return UINT64_MAX;
}

double ct_sched_rate(const struct ct_sched *s, uint64_t t_ns)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ct_seg *g = &s->seg[i];
		if (t_ns < g->start_ns + g->dur_ns)
			return g->r0 + (g->r1 - g->r0) * (double)(t_ns - g->start_ns) / (double)g->dur_ns;
	}
	return 0;
}

double ct_sched_count(const struct ct_sched *s, uint64_t t_ns)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ct_seg *g = &s->seg[i];
		if (t_ns < g->start_ns + g->dur_ns) {
			double t = (double)(t_ns - g->start_ns) / 1e9;
			double T = (double)g->dur_ns / 1e9;
			return g->before + g->r0 * t + (g->r1 - g->r0) / T * t * t / 2.0;
		}
	}
	return s->total;
}

enum ct_slot_fate ct_slot_fate(uint64_t now_ns, uint64_t due_ns, uint64_t slack_ns, uint64_t max_lag_ns)
{
	if (due_ns > now_ns)
		return due_ns - now_ns > slack_ns ? CT_SLOT_WAIT : CT_SLOT_SEND;
	return now_ns - due_ns > max_lag_ns ? CT_SLOT_LATE : CT_SLOT_SEND;
}
