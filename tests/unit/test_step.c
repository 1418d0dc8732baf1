/* A probe step's analysis on a fixture folder: the counters over the
 * judged window, the losses after the warm-up and the collector's pace. */
#include "step.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[] = "/tmp/ctstorm-step-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_fixture(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	/* the table grows from t=1, the collector cuts it at 4, 9, 14 and 19
	 * (one pass over two samples at 9 and 9.5 counts once); the window
	 * starts at 1 + 4 = 5; drop and early_drop move in it */
	FILE *f;
	char path[256];
	snprintf(path, sizeof path, "%s/sampler.csv", dir);
	f = fopen(path, "w");
	fprintf(f, "t_s,count,max,drop,early_drop,insert_failed\n");
	double count = 0;
	for (int i = 0; i <= 44; i++) {
		double t = i * 0.5;
		if (t >= 1)
			count += 100;
		if (t == 4 || t == 9 || t == 14 || t == 19)
			count -= 400;
		if (t == 9.5)
			count -= 300;
		double drop = t >= 12 ? 7 : t >= 3 ? 2 : 0;
		fprintf(f, "%.1f,%.0f,4096,%.0f,%d,0\n", t, count, drop, t >= 20 ? 3 : 0);
	}
	fclose(f);
	write_file("loadgen.jsonl", "{\"type\":\"interval\",\"t_s\":1,\"counts\":{\"timeouts\":5,\"failed\":1}}\n"
				    "{\"type\":\"interval\",\"t_s\":6,\"counts\":{\"timeouts\":2,\"failed\":1}}\n"
				    "{\"type\":\"interval\",\"t_s\":7,\"counts\":{\"timeouts\":0,\"failed\":0}}\n"
				    "{\"type\":\"summary\",\"summary\":{}}\n");
	struct ct_step_stats st;
	ct_step_read(dir, 4, &st);
	assert_true(st.drop == 5);       /* 7 at the end, 2 when the window opened */
	assert_true(st.early_drop == 3);
	assert_true(st.insert_failed == 0);
	assert_true(st.lost == 3);       /* only intervals past the warm-up */
	assert_int_equal(st.passes, 4);
	assert_true(st.gc_period == 5);  /* gaps 5, 5, 5 from halfway through the warm-up on */
	assert_true(st.gc_longest == 5);
	assert_true(st.peak > 0);

	/* an empty folder: nothing measured, no pace */
	unlink(path);
	snprintf(path, sizeof path, "%s/loadgen.jsonl", dir);
	unlink(path);
	ct_step_read(dir, 4, &st);
	assert_true(st.drop == 0 && st.lost == 0 && st.passes == 0);
	assert_true(isnan(st.gc_period));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fixture) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
