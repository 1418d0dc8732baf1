/* Latency histogram: log-linear buckets from 1 µs to 60 s with at most
 * 0.4% relative error (128 linear sub-buckets per power of two, values
 * reported at their bucket's middle). Fixed size, no allocation: one per
 * thread in the hot path, merged after the threads stop. */
#ifndef CT_HIST_H
#define CT_HIST_H

#include <stdint.h>

#define CT_HIST_SUB_BITS 7
#define CT_HIST_SUB (1u << CT_HIST_SUB_BITS)
#define CT_HIST_LOW_BITS 10          /* 1024 ns: below it, one bucket */
#define CT_HIST_HIGH_BITS 36         /* 2^36 ns = 68.7 s > 60 s */
#define CT_HIST_BUCKETS ((CT_HIST_HIGH_BITS - CT_HIST_LOW_BITS) * CT_HIST_SUB + 1)
#define CT_HIST_MAX_NS 60000000000ull

struct ct_hist {
	uint64_t counts[CT_HIST_BUCKETS];
	uint64_t total;
	uint64_t over;      /* values above 60 s (also counted in the last bucket) */
	uint64_t min_ns, max_ns;
	double sum_ns;
};

void ct_hist_init(struct ct_hist *h);
void ct_hist_record(struct ct_hist *h, uint64_t ns);
void ct_hist_merge(struct ct_hist *into, const struct ct_hist *from);

/* n values in the bucket whose lower bound is low_ns (a histogram read
 * back from its buckets); total follows, min, max and sum are the
 * caller's to set. */
void ct_hist_add_bucket(struct ct_hist *h, uint64_t low_ns, uint64_t n);

/* The value at percentile p (0..100] in ns; 0 for an empty histogram. */
uint64_t ct_hist_percentile(const struct ct_hist *h, double p);
double ct_hist_mean(const struct ct_hist *h);

/* Bucket i's lower bound and width in ns (for writing the full histogram). */
uint64_t ct_hist_bucket_low(unsigned i);
uint64_t ct_hist_bucket_width(unsigned i);

#endif
