/* Open-loop schedule arithmetic: constant rates, steps, ramps, the end. */
#include "schedule.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_constant(void **state)
{
	(void)state;
	struct ct_sched s;
	ct_sched_constant(&s, 1000, 10 * 1000000000ull);
	assert_int_equal(ct_sched_time(&s, 0), 0);
	assert_int_equal(ct_sched_time(&s, 1), 1000000);       /* 1 ms apart */
	assert_int_equal(ct_sched_time(&s, 9999), 9999000000ull);
	assert_int_equal(ct_sched_time(&s, 10000), UINT64_MAX); /* 10000 queries in all */
	assert_true(fabs(s.total - 10000) < 1e-6);
	assert_true(fabs(ct_sched_rate(&s, 5000000000ull) - 1000) < 1e-9);
}

static void test_steps_and_ramp(void **state)
{
	(void)state;
	struct ct_sched s;
	char err[256];
	assert_int_equal(ct_sched_parse("1000@10s,ramp:1000-3000@2s,500@1s", &s, err, sizeof err), 0);
	assert_int_equal(s.n, 3);
	/* 10000 + (1000 + 3000) / 2 * 2 + 500 */
	assert_true(fabs(s.total - 14500) < 1e-6);
	/* the first query of the ramp starts it */
	assert_int_equal(ct_sched_time(&s, 10000), 10000000000ull);
	/* half way through the ramp's queries: N(t) = 1000 t + 500 t^2 = 2000 -> t = 1.236 s */
	uint64_t t = ct_sched_time(&s, 12000);
	assert_true(llabs((long long)t - 11236067977ll) < 1000);
	/* the rate in the middle of the ramp is the mean of its ends */
	assert_true(fabs(ct_sched_rate(&s, 11000000000ull) - 2000) < 1e-6);
	/* the step after the ramp: 500 qps = 2 ms apart */
	assert_int_equal(ct_sched_time(&s, 14001) - ct_sched_time(&s, 14000), 2000000);
	assert_int_equal(ct_sched_time(&s, 14500), UINT64_MAX);
	/* the intended times never go backwards */
	uint64_t prev = 0;
	for (uint64_t k = 0; k < 14500; k++) {
		uint64_t now = ct_sched_time(&s, k);
		assert_true(now >= prev);
		prev = now;
	}
	assert_true(fabs(ct_sched_count(&s, 11000000000ull) - (10000 + 1000 + 500)) < 1e-6);
}

static void test_ramp_down_and_pause(void **state)
{
	(void)state;
	struct ct_sched s;
	char err[256];
	assert_int_equal(ct_sched_parse("ramp:2000-0@2s,0@1s,100@1s", &s, err, sizeof err), 0);
	assert_true(fabs(s.total - 2100) < 1e-6);
	/* the first query after the pause comes at 3 s */
	assert_int_equal(ct_sched_time(&s, 2000), 3000000000ull);
}

struct bad {
	const char *text, *error;
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad bads[] = {
		{ "", "no segments" },
		{ "1000", "segment 1 '1000': expected RATE@DURATION" },
		{ "1000@10s,", "segment 2 is empty" },
		{ "1000@10s,,5@1s", "segment 2 is empty" },
		{ "fast@10s", "segment 1: 'fast' is not a rate" },
		{ "-5@10s", "segment 1: '-5' is not a rate" },
		{ "100@0s", "segment 1: duration: must be above 0" },
		{ "100@10 parsecs", "segment 1: duration:" },
		{ "ramp:1000@5s", "segment 1 'ramp:1000': expected ramp:FROM-TO@DURATION" },
		{ "10@1s,ramp:a-b@1s", "segment 2 'ramp:a-b'" },
	};
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct ct_sched s;
		char err[256] = "";
		if (ct_sched_parse(bads[i].text, &s, err, sizeof err) != -1)
			fail_msg("'%s' accepted", bads[i].text);
		if (!strstr(err, bads[i].error))
			fail_msg("'%s': '%s' lacks '%s'", bads[i].text, err, bads[i].error);
	}
}

static void test_late(void **state)
{
	(void)state;
	const uint64_t ms = 1000000;
	assert_int_equal(ct_slot_fate(5 * ms, 6 * ms, 0, 10 * ms), CT_SLOT_WAIT);  /* early: wait */
	assert_int_equal(ct_slot_fate(6 * ms, 6 * ms, 0, 10 * ms), CT_SLOT_SEND);  /* on time */
	assert_int_equal(ct_slot_fate(16 * ms, 6 * ms, 0, 10 * ms), CT_SLOT_SEND); /* exactly max lag: still sent */
	assert_int_equal(ct_slot_fate(16 * ms + 1, 6 * ms, 0, 10 * ms), CT_SLOT_LATE);
	/* with 1 ms of slack, a wake-up takes every slot due within 1 ms */
	assert_int_equal(ct_slot_fate(5 * ms, 6 * ms, ms, 10 * ms), CT_SLOT_SEND);
	assert_int_equal(ct_slot_fate(5 * ms - 1, 6 * ms, ms, 10 * ms), CT_SLOT_WAIT);
	assert_int_equal(ct_slot_fate(16 * ms + 1, 6 * ms, ms, 10 * ms), CT_SLOT_LATE);
	/* after a 1 s stall at 1000 qps, only the last 10 ms of slots go out */
	struct ct_sched s;
	ct_sched_constant(&s, 1000, 10 * 1000 * ms);
	uint64_t now = 1000 * ms, sent = 0, late = 0;
	for (uint64_t k = 0; ct_sched_time(&s, k) <= now; k++) {
		if (ct_slot_fate(now, ct_sched_time(&s, k), ms, 10 * ms) == CT_SLOT_LATE)
			late++;
		else
			sent++;
	}
	assert_int_equal(late, 990);
	assert_int_equal(sent, 11);
}

/* A profile written back with its rates scaled (a load host's share):
 * the same segments and durations, each rate times the share, and the
 * shares of all hosts adding up to the whole. */
static void test_format_scaled(void **state)
{
	(void)state;
	struct ct_sched s, half, back;
	char err[128], text[256];
	assert_int_equal(ct_sched_parse("ramp:100-1000@1500ms,1000@2s,0@250ms", &s, err, sizeof err), 0);
	assert_int_equal(ct_sched_format(&s, 1.0, text, sizeof text), 0);
	assert_string_equal(text, "ramp:100-1000@1500000us,1000@2000000us,0@250000us");
	assert_int_equal(ct_sched_format(&s, 1.0 / 3, text, sizeof text), 0);
	assert_int_equal(ct_sched_parse(text, &half, err, sizeof err), 0);
	assert_int_equal(half.n, s.n);
	assert_true(half.total_ns == s.total_ns);
	for (size_t i = 0; i < s.n; i++) {
		assert_true(fabs(half.seg[i].r0 * 3 - s.seg[i].r0) < 1e-4);
		assert_true(fabs(half.seg[i].r1 * 3 - s.seg[i].r1) < 1e-4);
	}
	assert_int_equal(ct_sched_format(&s, 2.0 / 3, text, sizeof text), 0);
	assert_int_equal(ct_sched_parse(text, &back, err, sizeof err), 0);
	assert_true(fabs(half.total + back.total - s.total) < 1e-2);
	assert_int_equal(ct_sched_format(&s, 1.0, text, 10), -1); /* does not fit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_steps_and_ramp),
		cmocka_unit_test(test_ramp_down_and_pause),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_format_scaled),
	};
	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
