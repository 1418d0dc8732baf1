/* --baseline's judgement (ct_report_regressions) on the stored seed-000
 * run: against itself nothing; against a copy where notrack's kernel
 * dropped packets and raised-max lost answers, exactly those, and only
 * beyond the tolerance; latency under a millisecond is no change. */
#include "ct_report.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define RUN CT_TEST_DATA_DIR "/results-seed-000"

static char copy[256];

static int setup(void **state)
{
	(void)state;
	snprintf(copy, sizeof copy, "/tmp/ctstorm-baseline-%d", (int)getpid());
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", copy, RUN, copy);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", copy);
	return system(cmd) == 0 ? 0 : -1;
}

/* Sets a metric of a variant's verdict.json in the copy. */
static void set_metric(const char *variant, const char *family, const char *path2, double v)
{
	char file[400];
	snprintf(file, sizeof file, "%s/%s/verdict.json", copy, variant);
	json_t *j = json_load_file(file, 0, NULL);
	assert_non_null(j);
	json_t *o = json_object_get(json_object_get(j, "metrics"), family);
	assert_non_null(o);
	char key[64];
	snprintf(key, sizeof key, "%s", path2);
	char *dot = strchr(key, '.');
	while (dot) {
		*dot = '\0';
		o = json_object_get(o, key);
		assert_non_null(o);
		memmove(key, dot + 1, strlen(dot + 1) + 1);
		dot = strchr(key, '.');
	}
	json_object_set_new(o, key, json_real(v));
	assert_int_equal(json_dump_file(j, file, 0), 0);
	json_decref(j);
}

static int regressions(double tol, char **text)
{
	char err[256] = "";
	size_t len;
	FILE *out = open_memstream(text, &len);
	int n = ct_report_regressions(RUN, copy, tol, out, err, sizeof err);
	fclose(out);
	if (n < 0)
		fail_msg("%s", err);
	return n;
}

static void test_same_run(void **state)
{
	(void)state;
	char *text;
	assert_int_equal(regressions(0.10, &text), 0);
	free(text);
}

static void test_regressions(void **state)
{
	(void)state;
	char *text;
	set_metric("notrack", "sampler", "drop", 40);                          /* 0 -> 40 drops */
	set_metric("raised-max", "loadgen", "answered", 57);                   /* 60 -> 57: -5% */
	set_metric("conntrack-off", "loadgen", "latency_us.actual.p99", 900);  /* +0.6 ms: noise */
	assert_int_equal(regressions(0.10, &text), 1);
	assert_non_null(strstr(text, "notrack: drop 0 -> 40"));
	assert_null(strstr(text, "answered"));
	free(text);
	assert_int_equal(regressions(0.01, &text), 2); /* 5% is beyond 1% */
	assert_non_null(strstr(text, "raised-max: answered 60 -> 57 (-5%, beyond 1%)"));
	assert_null(strstr(text, "p99"));
	free(text);
	set_metric("conntrack-off", "loadgen", "latency_us.actual.p99", 5000); /* +4.7 ms */
	assert_int_equal(regressions(0.10, &text), 2);
	assert_non_null(strstr(text, "conntrack-off: p99 ms"));
	free(text);
	/* better is no regression: fewer drops in the baseline's failing variant */
	set_metric("baseline", "sampler", "drop", 1);
	assert_int_equal(regressions(0.10, &text), 2);
	free(text);
	char err[256];
	assert_int_equal(ct_report_regressions("/nonexistent", copy, 0.1, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_run),
		cmocka_unit_test(test_regressions),
	};
	return cmocka_run_group_tests_name("baseline", tests, setup, teardown);
}
