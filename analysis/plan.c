#include "plan.h"

#include "ct_err.h"
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* as the sysctls spell them (nf_conntrack_tcp_timeout_<state>) */
const char *const plan_tcp_state_words[] = { "syn_sent", "syn_recv",  "established", "fin_wait", "close_wait",
					      "last_ack", "time_wait", "close",       "retrans",  "unacknowledged",
					      NULL };

static int parse_positive(const char *text, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !(v > 0) || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* life=DURATION, dst=N: after the positional fields. */
static int flow_option(const char *text, const char *field, struct plan_flow *f, char *err, size_t errlen)
{
	char why[CT_ERRLEN];
	uint64_t ns;
	if (strncmp(field, "life=", 5) == 0) {
		if (ct_parse_duration(field + 5, &ns, why, sizeof why) < 0)
			return ct_err(err, errlen, "--flow %s: life=%s: %s", text, field + 5, why);
		f->life_s = (double)ns / 1e9;
		return 0;
	}
	if (strncmp(field, "dst=", 4) == 0) {
		if (parse_positive(field + 4, &f->dsts) < 0 || f->dsts != floor(f->dsts))
			return ct_err(err, errlen, "--flow %s: dst=%s: a number of destinations (1, 2...)", text, field + 4);
		return 0;
	}
	return 1; /* not an option */
}

static int tcp_state(const char *text, const char *field, char *state, size_t len, char *err, size_t errlen)
{
	/* as the sysctls spell them, or as conntrack -L prints them (TIME_WAIT) */
	for (size_t i = 0; plan_tcp_state_words[i]; i++)
		if (strcasecmp(field, plan_tcp_state_words[i]) == 0) {
			snprintf(state, len, "%s", plan_tcp_state_words[i]);
			return 0;
		}
	return ct_err(err, errlen, "%s: '%s' is not a TCP state (syn_sent, syn_recv, established, fin_wait, close_wait, "
				   "last_ack, time_wait, close)",
		      text, field);
}

/* text's fields between colons, in buf (at most max; more make max + 1). */
static int split_fields(const char *text, char *buf, size_t len, char **field, int max)
{
	int n = 0;
	snprintf(buf, len, "%s", text);
	for (char *save = NULL, *t = strtok_r(buf, ":", &save); t && n <= max; t = strtok_r(NULL, ":", &save))
		if (n < max)
			field[n++] = t;
		else
			return max + 1;
	return n;
}

int plan_flow_parse(const char *text, struct plan_flow *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	char buf[128], *field[8];
	int n = split_fields(text, buf, sizeof buf, field, 8);
	if (n > 8)
		return ct_err(err, errlen, "--flow %s: too many fields", text);
	/* the options at the end, in any order */
	while (n > 2) {
		int rc = flow_option(text, field[n - 1], f, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
		n--;
	}
	if (n < 2 || (strcasecmp(field[0], "udp") != 0 && strcasecmp(field[0], "tcp") != 0))
		return ct_err(err, errlen,
			      "--flow %s: expected udp:RATE[:TIMEOUT] or tcp:RATE:STATE[:TIMEOUT], then life=DURATION, dst=N",
			      text);
	f->proto = strcasecmp(field[0], "udp") == 0 ? PLAN_UDP : PLAN_TCP;
	if (parse_positive(field[1], &f->rate) < 0)
		return ct_err(err, errlen, "--flow %s: '%s' is not a rate (new flows per second)", text, field[1]);
	int next = 2;
	if (f->proto == PLAN_TCP) {
		if (n < 3)
			return ct_err(err, errlen, "--flow %s: TCP needs the state its entries end in (time_wait for short "
						   "connections, established for long ones)",
				      text);
		char what[160];
		snprintf(what, sizeof what, "--flow %s", text);
		if (tcp_state(what, field[2], f->state, sizeof f->state, err, errlen) < 0)
			return -1;
		next = 3;
	} else if (n >= 3 && strcasecmp(field[2], "stream") == 0) {
		snprintf(f->state, sizeof f->state, "stream");
		next = 3;
	}
	if (n > next) {
		uint64_t ns = 0;
		char why[CT_ERRLEN];
		if (n > next + 1 || ct_parse_duration(field[next], &ns, why, sizeof why) < 0 || ns == 0)
			return ct_err(err, errlen, "--flow %s: '%s' is not a timeout (120, 120s, 2m, 500ms), life=, nor dst=",
				      text, field[next]);
		f->timeout_s = (double)ns / 1e9;
		f->timeout_given = true;
	}
	return 0;
}

int plan_open_parse(const char *text, struct plan_open *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	char buf[128], *field[3];
	int n = split_fields(text, buf, sizeof buf, field, 3);
	if (n < 2 || n > 3 || (strcasecmp(field[0], "udp") != 0 && strcasecmp(field[0], "tcp") != 0))
		return ct_err(err, errlen, "--open %s: expected udp:COUNT or tcp:COUNT[:STATE]", text);
	o->proto = strcasecmp(field[0], "udp") == 0 ? PLAN_UDP : PLAN_TCP;
	if (parse_positive(field[1], &o->count) < 0 || o->count != floor(o->count))
		return ct_err(err, errlen, "--open %s: '%s' is not a number of flows", text, field[1]);
	if (o->proto == PLAN_TCP) {
		char what[160];
		snprintf(what, sizeof what, "--open %s", text);
		if (tcp_state(what, n == 3 ? field[2] : "established", o->state, sizeof o->state, err, errlen) < 0)
			return -1;
	} else if (n == 3) {
		if (strcasecmp(field[2], "stream") != 0)
			return ct_err(err, errlen, "--open %s: UDP's open flows are streams (udp:COUNT[:stream])", text);
		snprintf(o->state, sizeof o->state, "stream");
	}
	return 0;
}

double plan_flow_lifetime(const struct plan_flow *f)
{
	return f->life_s + f->timeout_s;
}

int plan_kernel_parse(const char *text, unsigned *code, char *err, size_t errlen)
{
	unsigned major, minor;
	int used = 0;
	if (sscanf(text, "%u.%u%n", &major, &minor, &used) != 2 || major < 2 || major > 99 || minor > 255 ||
	    (text[used] && text[used] != '.' && text[used] != '-'))
		return ct_err(err, errlen, "'%s' is not a kernel version (6.1, 5.10.0-28-amd64)", text);
	*code = PLAN_KERNEL(major, minor);
	return 0;
}

void plan_timeout_key(const struct plan_flow *f, char *buf, size_t len)
{
	if (f->proto == PLAN_UDP)
		snprintf(buf, len, "nf_conntrack_udp_timeout%s", *f->state ? "_stream" : "");
	else
		snprintf(buf, len, "nf_conntrack_tcp_timeout_%s", f->state);
}

void plan_kernel_default(uint64_t ram_bytes, unsigned pointer_bits, unsigned kernel, uint64_t *max,
			 uint64_t *buckets)
{
	uint64_t b = ram_bytes / 16384 / (pointer_bits / 8);
	if (kernel >= PLAN_KERNEL(5, 15)) {
		/* "sanitize table size default settings": one entry a bucket */
		if (pointer_bits >= 64 && ram_bytes > (4ull << 30))
			b = 262144;
		else if (ram_bytes > (1ull << 30))
			b = 65536;
		*buckets = b < 1024 ? 1024 : b;
		*max = *buckets;
		return;
	}
	if (pointer_bits >= 64 && ram_bytes > (4ull << 30))
		b = 65536;
	else if (ram_bytes > (1ull << 30))
		b = 16384;
	*buckets = b < 32 ? 32 : b;
	*max = 4 * *buckets;
}

static void sizing(struct plan_sizing *s, uint64_t max, uint64_t buckets, uint64_t entry)
{
	s->max = max;
	s->buckets = buckets;
	s->memory_bytes = max * entry + buckets * PLAN_BUCKET_BYTES;
}

#define GC_BIAS_COUNT 100.0
#define GC_MAX_S PLAN_AFTER_QUIET_S
#define GC_MIN_S 1.0

double plan_gc_period(double live, double mean_remaining_s)
{
	double p = (GC_BIAS_COUNT * GC_MAX_S + live * mean_remaining_s) / (GC_BIAS_COUNT + live);
	return p < GC_MIN_S ? GC_MIN_S : p > GC_MAX_S ? GC_MAX_S : p;
}

double plan_breaking_rate(double max, double timeout_s, double limit_fraction)
{
	/* rate x (T + P(rate)) grows with the rate: bisect */
	double lo = 0, hi = max / timeout_s;
	for (int i = 0; i < 100; i++) {
		double r = (lo + hi) / 2;
		double peak = r * (timeout_s + plan_gc_period(r * timeout_s, timeout_s / 2));
		if (peak <= limit_fraction * max)
			lo = r;
		else
			hi = r;
	}
	return lo;
}

/* Seconds to the millisecond: what the text shows is what was computed
 * with, so every line recomputes exactly. */
static double ms(double s)
{
	return round(s * 1000) / 1000;
}

void plan_compute(const struct plan_input *in, struct plan_result *out)
{
	memset(out, 0, sizeof *out);
	/* the collector's pace: live entries are those younger than their
	 * lifetime, on average halfway through it */
	double live = 0, remaining = 0, rate = 0;
	for (size_t i = 0; i < in->n; i++) {
		double life = plan_flow_lifetime(&in->flows[i]);
		double e = in->flows[i].rate * life;
		if (i < sizeof out->per_flow / sizeof *out->per_flow)
			out->per_flow[i] = e;
		out->steady += e;
		live += e;
		remaining += e * life / 2;
		rate += in->flows[i].rate;
	}
	for (size_t i = 0; i < in->nopen; i++) {
		if (i < sizeof out->per_open / sizeof *out->per_open)
			out->per_open[i] = in->open[i].count;
		out->steady += in->open[i].count; /* held open: never expire, the collector does not free them */
	}
	out->gc_period_s =
		ms(in->gc_lag_s >= 0 ? in->gc_lag_s : plan_gc_period(live, live > 0 ? remaining / live : 0));
	out->gc_extra = rate * out->gc_period_s;
	out->burst = rate * in->after_quiet_s;
	out->driver = out->steady + out->gc_extra >= out->burst ? PLAN_DRIVER_STEADY : PLAN_DRIVER_AFTER_QUIET;
	double worst = out->driver == PLAN_DRIVER_STEADY ? out->steady + out->gc_extra : out->burst;
	out->peak = worst * (1 + in->headroom);
	uint64_t fmax = in->ram_bytes / 16384 / (in->pointer_bits / 32 ? in->pointer_bits / 32 : 1);
	sizing(&out->formula, fmax, fmax / 8, in->entry_bytes);
	out->formula_buckets_max = fmax / 2;
	uint64_t kmax, kb;
	plan_kernel_default(in->ram_bytes, in->pointer_bits, in->kernel ? in->kernel : PLAN_KERNEL(6, 1), &kmax, &kb);
	sizing(&out->kernel, kmax, kb, in->entry_bytes);
	/* a round figure: the next multiple of 1024 entries. The buckets as
	 * the kernel sizes its own default (max = buckets): each entry hangs
	 * in two chains, so a full table keeps chains of two on average;
	 * never more than the kernel's array takes */
	double max = ceil(out->peak / 1024.0) * 1024;
	if (max < 1024)
		max = 1024;
	if (max > (double)PLAN_MAX_LIMIT) {
		out->refused = PLAN_OVER_KERNEL;
		return;
	}
	uint64_t buckets = (uint64_t)max < PLAN_BUCKETS_LIMIT ? (uint64_t)max : PLAN_BUCKETS_LIMIT;
	sizing(&out->plan, (uint64_t)max, buckets, in->entry_bytes);
	if (out->plan.memory_bytes >= in->ram_bytes) {
		out->refused = PLAN_OVER_RAM;
		memset(&out->plan, 0, sizeof out->plan);
	}
}

int plan_parse_size(const char *text, uint64_t *bytes, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	uint64_t mult = 1;
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	else if (*end == 'T' || *end == 't')
		mult = 1ull << 40;
	if (mult > 1)
		end++;
	if (*end == 'i' && mult > 1)
		end++;
	bool byte_unit = *end == 'B';
	if (byte_unit)
		end++;
	if (errno || end == text || *end || !(v > 0) || v * (double)mult > 1e18)
		return ct_err(err, errlen, "'%s' is not a size such as 64G, 512M or 17179869184B", text);
	if (mult == 1 && !byte_unit) /* "--ram 64" meant 64G, surely not 64 bytes */
		return ct_err(err, errlen, "'%s' needs a unit: %sG, %sM, or %sB for bytes", text, text, text, text);
	*bytes = (uint64_t)(v * (double)mult);
	return 0;
}
