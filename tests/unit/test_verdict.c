/* Verdicts on a stored real run (tests/data/results-seed-000): the
 * metrics as the runner collects them, the registry's view of them, and
 * expectations judged against them. */
#include "ct_report.h"
#include "metrics.h"
#include "scenario.h"
#include "verdict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BASELINE CT_TEST_DATA_DIR "/results-seed-000/baseline"

static void test_collect(void **state)
{
	(void)state;
	json_t *m = vd_collect_metrics(BASELINE);
	double v;
	static const struct {
		const char *path;
		double want;
	} cases[] = {
		{ "loadgen.sent", 60 },           { "loadgen.answered", 13 },      { "loadgen.timeouts", 47 },
		{ "canary.sent", 8 },             { "sampler.drop", 52 },          { "sampler.totals.drop", 52 },
		{ "sampler.kmsg_table_full", 10 }, { "sampler.kmsg_suppressed", 43 }, { "sampler.peak_count", 15 },
		{ "responder.queries.udp", 16 },  { "loadgen.rcodes.NOERROR", 13 },
		/* left out by the writer for being zero: zero, not "not measured" */
		{ "loadgen.rcodes.NXDOMAIN", 0 }, { "canary.rcodes.SERVFAIL", 0 },
		{ "loadgen.interrupted", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!ct_metric_value(m, cases[i].path, &v))
			fail_msg("%s: not measured", cases[i].path);
		if (v != cases[i].want)
			fail_msg("%s: %g, want %g", cases[i].path, v, cases[i].want);
	}
	assert_false(ct_metric_value(m, "loadgen.no_such_thing", &v));
	assert_false(ct_metric_value(m, "loadgen.config.mode", &v)); /* a string: no number */
	json_decref(m);
	/* a folder without files: nothing measured, not even the zero counts */
	m = vd_collect_metrics("/nonexistent");
	assert_false(ct_metric_value(m, "loadgen.rcodes.NXDOMAIN", &v));
	json_decref(m);
}

/* Every number the writers put in the stored run is a registered metric,
 * and every registered metric is in it (or is a count left out at zero, or
 * one this run had no reason to write). */
static void walk(json_t *o, const char *prefix, size_t *unregistered)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		char path[256];
		snprintf(path, sizeof path, "%s.%s", prefix, k);
		if (json_is_object(v))
			walk(v, path, unregistered);
		else if ((json_is_number(v) || json_is_boolean(v)) && !ct_metric_find(path) &&
			 strcmp(path, "sampler.netns_inode") != 0) {
			print_error("not in the registry: %s\n", path);
			(*unregistered)++;
		}
	}
}

static void test_registry_matches_the_writers(void **state)
{
	(void)state;
	json_t *m = vd_collect_metrics(BASELINE);
	size_t unregistered = 0;
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v)
		walk(v, k, &unregistered);
	assert_int_equal(unregistered, 0);
	size_t missing = 0;
	for (size_t i = 0; i < ct_metrics_count(); i++) {
		const struct ct_metric *x = ct_metric_at(i);
		double d;
		/* c-ares retries, a delay queue and load hosts are not part of seed 000;
		 * the lookups are counted since after the stored run */
		if (!ct_metric_value(m, x->path, &d) && !strstr(x->path, "table_dumps.") && !strstr(x->path, "load_hosts") &&
		    !strstr(x->path, ".lookup")) {
			print_error("registered but not written: %s\n", x->path);
			missing++;
		}
		assert_non_null(x->unit);
		assert_true(strlen(x->meaning) > 3);
	}
	assert_int_equal(missing, 0);
	json_decref(m);
}

/* The report's columns name the registry's metrics (or its own derived ones). */
static void test_report_columns(void **state)
{
	(void)state;
	size_t n = 0;
	for (const char *path; (path = ct_report_column(n)); n++)
		if (strncmp(path, "derived.", 8) != 0 && !ct_metric_find(path))
			fail_msg("report column %zu: %s is not a registered metric", n, path);
	assert_true(n > 10);
}

static void test_judge(void **state)
{
	(void)state;
	const char *text = "[scenario]\nname = t\n[load]\nlimit = 1s\n[canary]\nrate = 5\n"
			   "[expect]\nsampler.drop > 0\ncanary.loss_pct < 20\nloadgen.rcodes.NXDOMAIN == 0\n"
			   "responder.tcp.accepted == 0\n";
	struct sc_file f = { 0 };
	struct sc_errors e = { 0 };
	assert_int_equal(sc_parse_string(text, "t.scn", &f, &e), 0);
	struct sc_resolved r;
	sc_resolve(&f, (size_t)-1, false, &r);
	json_t *m = vd_collect_metrics(BASELINE);
	bool all;
	json_t *x = vd_judge(&r, m, true, &all);
	assert_false(all); /* the canary lost 75% */
	static const int want[] = { 1, 0, 1, 1 };
	for (size_t i = 0; i < 4; i++) {
		json_t *o = json_array_get(x, i);
		assert_int_equal(json_is_true(json_object_get(o, "pass")), want[i]);
		assert_int_equal(json_integer_value(json_object_get(o, "line")), 8 + (int)i);
	}
	json_decref(x);
	/* a variant that did not run to its end is not judged */
	x = vd_judge(&r, m, false, &all);
	assert_true(json_is_null(json_object_get(json_array_get(x, 0), "pass")));
	json_decref(x);
	json_decref(m);
	/* nothing measured: each expectation says so */
	m = json_object();
	x = vd_judge(&r, m, true, &all);
	assert_false(all);
	assert_string_equal(json_string_value(json_object_get(json_array_get(x, 0), "why")), "not measured in this run");
	json_decref(x);
	json_decref(m);
	sc_resolved_free(&r);
	sc_file_free(&f);
	sc_errors_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_registry_matches_the_writers),
		cmocka_unit_test(test_report_columns),
		cmocka_unit_test(test_judge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
