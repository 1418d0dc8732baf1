#include "plan.h"

#include "ct_err.h"
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const plan_tcp_state_words[] = { "syn_sent", "syn_recv", "established", "fin_wait", "close_wait",
					      "last_ack", "time_wait", "close", NULL };
static const char *const tcp_states[] = { "syn_sent", "syn_recv",  "established", "fin_wait", "close_wait",
					  "last_ack", "time_wait", "close",       "retrans",  "unacknowledged" };

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

int plan_flow_parse(const char *text, struct plan_flow *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	char buf[128], *field[5];
	int n = 0;
	snprintf(buf, sizeof buf, "%s", text);
	for (char *save = NULL, *t = strtok_r(buf, ":", &save); t && n < 5; t = strtok_r(NULL, ":", &save))
		field[n++] = t;
	if (n < 2 || (strcasecmp(field[0], "udp") != 0 && strcasecmp(field[0], "tcp") != 0))
		return ct_err(err, errlen, "--flow %s: expected udp:RATE[:TIMEOUT] or tcp:RATE:STATE[:TIMEOUT]", text);
	f->proto = strcasecmp(field[0], "udp") == 0 ? PLAN_UDP : PLAN_TCP;
	if (parse_positive(field[1], &f->rate) < 0)
		return ct_err(err, errlen, "--flow %s: '%s' is not a rate (new flows per second)", text, field[1]);
	int next = 2;
	if (f->proto == PLAN_TCP) {
		if (n < 3)
			return ct_err(err, errlen, "--flow %s: TCP needs the state its entries end in (time_wait for short "
						   "connections, established for long ones)",
				      text);
		/* as the sysctls spell them, or as conntrack -L prints them (TIME_WAIT) */
		const char *known = NULL;
		for (size_t i = 0; i < sizeof tcp_states / sizeof *tcp_states; i++)
			if (strcasecmp(field[2], tcp_states[i]) == 0)
				known = tcp_states[i];
		if (!known)
			return ct_err(err, errlen, "--flow %s: '%s' is not a TCP state (syn_sent, syn_recv, established, "
						   "fin_wait, close_wait, last_ack, time_wait, close)",
				      text, field[2]);
		snprintf(f->state, sizeof f->state, "%s", known);
		next = 3;
	} else if (n >= 3 && strcasecmp(field[2], "stream") == 0) {
		snprintf(f->state, sizeof f->state, "stream");
		next = 3;
	}
	if (n > next) {
		uint64_t ns = 0;
		char why[CT_ERRLEN];
		if (n > next + 1 || ct_parse_duration(field[next], &ns, why, sizeof why) < 0 || ns == 0)
			return ct_err(err, errlen, "--flow %s: '%s' is not a timeout (120, 120s, 2m, 500ms)", text,
				      field[next]);
		f->timeout_s = (double)ns / 1e9;
		f->timeout_given = true;
	}
	return 0;
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

void plan_compute(const struct plan_input *in, struct plan_result *out)
{
	memset(out, 0, sizeof *out);
	/* the collector's pace: live entries are those younger than their
	 * timeout, on average halfway through it */
	double live = 0, remaining = 0, rate = 0;
	for (size_t i = 0; i < in->n; i++) {
		double e = in->flows[i].rate * in->flows[i].timeout_s;
		if (i < sizeof out->per_flow / sizeof *out->per_flow)
			out->per_flow[i] = e;
		out->steady += e;
		live += e;
		remaining += e * in->flows[i].timeout_s / 2;
		rate += in->flows[i].rate;
	}
	out->gc_period_s = in->gc_lag_s >= 0 ? in->gc_lag_s : plan_gc_period(live, live > 0 ? remaining / live : 0);
	out->gc_extra = rate * out->gc_period_s;
	out->burst = rate * in->after_quiet_s;
	double worst = out->steady + out->gc_extra > out->burst ? out->steady + out->gc_extra : out->burst;
	out->peak = worst * (1 + in->headroom);
	/* a round figure: the next multiple of 1024 entries. The buckets as
	 * the kernel sizes its own default (max = buckets): each entry hangs
	 * in two chains, so a full table keeps chains of two on average */
	uint64_t max = (uint64_t)ceil(out->peak / 1024.0) * 1024;
	if (max < 1024)
		max = 1024;
	sizing(&out->plan, max, max, in->entry_bytes);
	uint64_t fmax = in->ram_bytes / 16384 / (in->pointer_bits / 32 ? in->pointer_bits / 32 : 1);
	sizing(&out->formula, fmax, fmax / 8, in->entry_bytes);
	out->formula_buckets_max = fmax / 2;
	uint64_t kmax, kb;
	plan_kernel_default(in->ram_bytes, in->pointer_bits, in->kernel ? in->kernel : PLAN_KERNEL(6, 1), &kmax, &kb);
	sizing(&out->kernel, kmax, kb, in->entry_bytes);
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
