/* The latency histogram against exact percentiles of known data. */
#include "hist.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t exact(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	return sorted[rank ? rank - 1 : 0];
}

static void test_accuracy(void **state)
{
	(void)state;
	enum { N = 200000 };
	static uint64_t v[N];
	static struct ct_hist h;
	ct_hist_init(&h);
	srand(42);
	for (size_t i = 0; i < N; i++) {
		/* log-uniform from 1 µs to 10 s: every octave exercised */
		double e = 3.0 + 7.0 * (double)rand() / RAND_MAX;
		v[i] = (uint64_t)pow(10.0, e);
		ct_hist_record(&h, v[i]);
	}
	qsort(v, N, sizeof v[0], cmp);
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 99.99 };
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		double want = (double)exact(v, N, ps[i]);
		double got = (double)ct_hist_percentile(&h, ps[i]);
		if (fabs(got - want) / want > 0.01)
			fail_msg("p%g: %.0f vs exact %.0f (over 1%%)", ps[i], got, want);
	}
	assert_int_equal(ct_hist_percentile(&h, 100), v[N - 1]);
	assert_int_equal(h.min_ns, v[0]);
}

static void test_edges(void **state)
{
	(void)state;
	struct ct_hist h;
	ct_hist_init(&h);
	assert_int_equal(ct_hist_percentile(&h, 50), 0);
	ct_hist_record(&h, 5);                 /* below 1 µs */
	ct_hist_record(&h, 120000000000ull);   /* above 60 s: counted, clamped */
	assert_int_equal(h.total, 2);
	assert_int_equal(h.over, 1);
	assert_true(ct_hist_percentile(&h, 50) < 1024); /* below 1 us: one bucket */
	assert_int_equal(ct_hist_percentile(&h, 100), 120000000000ull);
	/* buckets tile the range without gaps */
	for (unsigned i = 0; i + 1 < CT_HIST_BUCKETS; i++)
		assert_int_equal(ct_hist_bucket_low(i) + ct_hist_bucket_width(i), ct_hist_bucket_low(i + 1));
}

static void test_merge(void **state)
{
	(void)state;
	static struct ct_hist a, b;
	ct_hist_init(&a);
	ct_hist_init(&b);
	for (uint64_t i = 1; i <= 1000; i++)
		ct_hist_record(i % 2 ? &a : &b, i * 1000);
	ct_hist_merge(&a, &b);
	assert_int_equal(a.total, 1000);
	assert_int_equal(a.min_ns, 1000);
	assert_int_equal(a.max_ns, 1000000);
	double p50 = (double)ct_hist_percentile(&a, 50);
	assert_true(fabs(p50 - 500000.0) / 500000.0 < 0.01);
	assert_true(fabs(ct_hist_mean(&a) - 500500.0) < 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
