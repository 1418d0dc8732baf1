#include "hist.h"

#include <string.h>

void ct_hist_init(struct ct_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min_ns = UINT64_MAX;
}

static unsigned bucket_of(uint64_t ns)
{
	if (ns < (1ull << CT_HIST_LOW_BITS))
		return 0;
	if (ns > CT_HIST_MAX_NS)
		ns = CT_HIST_MAX_NS;
	unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* floor(log2(ns)) */
	unsigned sub = (unsigned)(ns >> (e - CT_HIST_SUB_BITS)) & (CT_HIST_SUB - 1);
	return 1 + (e - CT_HIST_LOW_BITS) * CT_HIST_SUB + sub;
}

uint64_t ct_hist_bucket_low(unsigned i)
{
	if (i == 0)
		return 0;
	unsigned e = (i - 1) / CT_HIST_SUB + CT_HIST_LOW_BITS;
	unsigned sub = (i - 1) % CT_HIST_SUB;
	return (uint64_t)(CT_HIST_SUB + sub) << (e - CT_HIST_SUB_BITS);
}

uint64_t ct_hist_bucket_width(unsigned i)
{
	if (i == 0)
		return 1ull << CT_HIST_LOW_BITS;
	unsigned e = (i - 1) / CT_HIST_SUB + CT_HIST_LOW_BITS;
	return 1ull << (e - CT_HIST_SUB_BITS);
}

void ct_hist_record(struct ct_hist *h, uint64_t ns)
{
	h->counts[bucket_of(ns)]++;
	h->total++;
	if (ns > CT_HIST_MAX_NS)
		h->over++;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->sum_ns += (double)ns;
}

void ct_hist_add_bucket(struct ct_hist *h, uint64_t low_ns, uint64_t n)
{
	h->counts[bucket_of(low_ns)] += n;
	h->total += n;
}

void ct_hist_merge(struct ct_hist *into, const struct ct_hist *from)
{
	for (unsigned i = 0; i < CT_HIST_BUCKETS; i++)
		into->counts[i] += from->counts[i];
	into->total += from->total;
	into->over += from->over;
	into->sum_ns += from->sum_ns;
	if (from->min_ns < into->min_ns)
		into->min_ns = from->min_ns;
	if (from->max_ns > into->max_ns)
		into->max_ns = from->max_ns;
}

uint64_t ct_hist_percentile(const struct ct_hist *h, double p)
{
	if (h->total == 0)
		return 0;
	if (p >= 100.0)
		return h->max_ns;
	uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.999999);
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < CT_HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t mid = ct_hist_bucket_low(i) + ct_hist_bucket_width(i) / 2;
			/* the extremes are known exactly */
			if (mid < h->min_ns)
				mid = h->min_ns;
			if (mid > h->max_ns)
				mid = h->max_ns;
			return mid;
		}
	}
	return h->max_ns;
}

double ct_hist_mean(const struct ct_hist *h)
{
	return h->total ? h->sum_ns / (double)h->total : 0.0;
}
