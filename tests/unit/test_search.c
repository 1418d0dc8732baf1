/* The probe's search over synthetic tables: it ramps, brackets, bisects
 * to the precision asked, and gives up on a table that takes nothing. */
#include "search.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Runs the search against a table that breaks above limit; returns the
 * steps taken. */
static int converge(double first, double precision, double limit, struct search *s)
{
	search_init(s, first, precision);
	int steps = 0;
	while (!s->done && steps < 64) {
		double rate = s->next;
		search_step(s, rate, rate <= limit);
		steps++;
	}
	return steps;
}

static void test_converges(void **state)
{
	(void)state;
	static const struct {
		double first, precision, limit;
	} cases[] = {
		{ 100, 0.05, 819 },   /* ramp up from far below */
		{ 1000, 0.05, 819 },  /* halve down from above */
		{ 800, 0.04, 819 },   /* start near it */
		{ 50, 0.01, 51.5 },   /* narrow precision */
		{ 10000, 0.08, 3 },   /* far above a small table */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct search s;
		int steps = converge(cases[i].first, cases[i].precision, cases[i].limit, &s);
		assert_true(s.done);
		assert_true(s.bracketed);
		assert_true(steps < 64);
		/* the answer is clean, the bracket above it failed, and they are close */
		assert_true(s.lo <= cases[i].limit);
		assert_true(s.hi > cases[i].limit);
		assert_true((s.hi - s.lo) / s.lo <= cases[i].precision);
	}
}

static void test_ramp_and_halve(void **state)
{
	(void)state;
	struct search s;
	search_init(&s, 100, 0.05);
	search_step(&s, 100, true);
	assert_true(s.next == 125); /* clean: a quarter more */
	assert_false(s.bracketed);
	search_init(&s, 100, 0.05);
	search_step(&s, 100, false);
	assert_true(s.next == 50); /* none clean yet: half */
	search_step(&s, 50, true);
	assert_true(s.bracketed);
	assert_true(s.next == 75); /* bracketed: the middle */
}

static void test_nothing_clean(void **state)
{
	(void)state;
	struct search s;
	int steps = converge(400, 0.05, 0, &s);
	assert_true(s.done);
	assert_true(s.lo == 0);
	assert_false(s.bracketed);
	assert_true(s.next < SEARCH_MIN_RATE);
	assert_true(steps <= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converges),
		cmocka_unit_test(test_ramp_and_halve),
		cmocka_unit_test(test_nothing_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
