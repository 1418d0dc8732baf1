/* Load hosts' summaries and interval lines merged: counts are the sums,
 * and the merged latency is that of the union of their histograms (bucket
 * by bucket, the percentiles of the merged histogram, never averages of
 * percentiles). */
#include "engine.h"
#include "lg_jsonl.h"
#include "lg_merge.h"
#include "stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A host's summary as loadgen/report.c writes it (its stream part). */
static json_t *part(const struct lg_totals *t, const struct ct_hist h[3], double secs, json_int_t started)
{
	json_t *j = lg_counts_json(t);
	json_object_set_new(j, "latency_us",
			    json_pack("{s:o, s:o}", "intended", lg_latency_json(&h[0]), "actual", lg_latency_json(&h[1])));
	json_object_set_new(j, "send_lag_us", lg_latency_json(&h[2]));
	json_object_set_new(j, "histogram_us", json_pack("{s:s, s:o, s:o, s:o}", "format", "x", "intended",
							 lg_histogram_json(&h[0]), "actual", lg_histogram_json(&h[1]),
							 "send_lag", lg_histogram_json(&h[2])));
	json_object_set_new(j, "duration_s", json_real(secs));
	json_object_set_new(j, "started_unix_ms", json_integer(started));
	json_object_set_new(j, "interval_s", json_real(0.5));
	json_object_set_new(j, "timeouts_by_sent_interval", json_pack("[I, I]", (json_int_t)t->c[LG_TIMEOUTS], (json_int_t)0));
	json_object_set_new(j, "interrupted", json_false());
	json_object_set_new(j, "config", json_pack("{s:s}", "mode", "udp"));
	return j;
}

static void test_merge(void **state)
{
	(void)state;
	struct ct_hist a[3], b[3], u[3];
	struct lg_totals ta = { 0 }, tb = { 0 };
	for (int k = 0; k < 3; k++) {
		ct_hist_init(&a[k]);
		ct_hist_init(&b[k]);
		ct_hist_init(&u[k]);
	}
	srand(7);
	/* two hosts whose latencies differ: one fast, one with a slow tail */
	for (int i = 0; i < 20000; i++) {
		uint64_t x = 50000 + (uint64_t)(rand() % 200000), y = 120000 + (uint64_t)(rand() % 3000000);
		for (int k = 0; k < 3; k++) {
			ct_hist_record(&a[k], x + (uint64_t)k * 1000);
			ct_hist_record(&u[k], x + (uint64_t)k * 1000);
			if (i < 7000) {
				ct_hist_record(&b[k], y + (uint64_t)k * 1000);
				ct_hist_record(&u[k], y + (uint64_t)k * 1000);
			}
		}
	}
	ta.c[LG_SENT] = 20100, ta.c[LG_ANSWERED] = 20000, ta.c[LG_TIMEOUTS] = 100, ta.c[LG_RCODE0] = 20000;
	tb.c[LG_SENT] = 7050, tb.c[LG_ANSWERED] = 7000, tb.c[LG_TIMEOUTS] = 40, tb.c[LG_ERR_EPERM] = 10,
	tb.c[LG_ERRORS] = 10, tb.c[LG_RCODE0 + 3] = 7000;
	json_t *parts[2] = { part(&ta, a, 10.0, 1000), part(&tb, b, 10.2, 1003) };
	char err[256];
	json_t *m = lg_summary_merge(parts, 2, err, sizeof err);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "sent")), 27150);
	assert_int_equal(json_integer_value(json_object_get(m, "answered")), 27000);
	assert_int_equal(json_integer_value(json_object_get(m, "timeouts")), 140);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "errors"), "eperm")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "rcodes"), "NXDOMAIN")), 7000);
	assert_int_equal(json_integer_value(json_object_get(m, "load_hosts")), 2);
	assert_int_equal(json_integer_value(json_object_get(m, "started_unix_ms")), 1000);
	assert_true(json_number_value(json_object_get(m, "duration_s")) == 10.2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(m, "timeouts_by_sent_interval"), 0)), 140);
	/* the latency of the union, exactly: every percentile, count, min, max */
	json_t *want = lg_latency_json(&u[1]), *got = json_object_get(json_object_get(m, "latency_us"), "actual");
	static const char *const keys[] = { "count", "p50", "p90", "p99", "p999", "max", "min" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (json_number_value(json_object_get(want, keys[i])) != json_number_value(json_object_get(got, keys[i])))
			fail_msg("%s: merged %g, union %g", keys[i], json_number_value(json_object_get(got, keys[i])),
				 json_number_value(json_object_get(want, keys[i])));
	/* not the average of the hosts' p99s */
	double pa = json_number_value(json_object_get(json_object_get(json_object_get(parts[0], "latency_us"), "actual"), "p99"));
	double pb = json_number_value(json_object_get(json_object_get(json_object_get(parts[1], "latency_us"), "actual"), "p99"));
	assert_true(json_number_value(json_object_get(got, "p99")) != (pa + pb) / 2);
	json_t *hu = lg_histogram_json(&u[1]);
	assert_true(json_equal(json_object_get(json_object_get(m, "histogram_us"), "actual"), hu));
	json_decref(hu);
	json_t *lag = lg_latency_json(&u[2]);
	assert_true(json_number_value(json_object_get(json_object_get(m, "send_lag_us"), "p99")) ==
		    json_number_value(json_object_get(lag, "p99")));
	json_decref(lag);
	json_decref(want);
	json_decref(m);
	/* a part without its histograms cannot be merged exactly: refused */
	json_object_del(parts[1], "histogram_us");
	assert_null(lg_summary_merge(parts, 2, err, sizeof err));
	assert_non_null(strstr(err, "part 2: no full intended histogram"));
	json_decref(parts[0]);
	json_decref(parts[1]);
}

/* n intervals of one host, as its loadgen writes them (with_hist: with
 * --interval-histograms); host h's latency is shifted so hosts differ. */
static FILE *host_lines(int h, int n, bool with_hist, struct ct_hist *unions)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	for (int k = 0; k < n; k++) {
		struct lg_interval iv = { .t_s = k + 1.0, .len_s = 1.0 };
		ct_hist_init(&iv.lat_intended);
		ct_hist_init(&iv.lat_actual);
		int answers = 300 + 100 * h + 50 * k;
		for (int i = 0; i < answers; i++) {
			uint64_t x = 40000 + (uint64_t)(rand() % (100000 * (h * 20 + 1)));
			ct_hist_record(&iv.lat_intended, x + 500);
			ct_hist_record(&iv.lat_actual, x);
			ct_hist_record(&unions[k], x);
		}
		iv.t.c[LG_SENT] = (uint64_t)answers + 2;
		iv.t.c[LG_ANSWERED] = (uint64_t)answers;
		iv.t.c[LG_TIMEOUTS] = 2;
		lg_write_interval(f, &iv, with_hist);
	}
	rewind(f);
	return f;
}

/* Interval lines of hosts that ran together: counts summed per interval,
 * and, where every line carries its histograms, each interval's latency
 * that of the union of the hosts' answers in that interval. */
static void test_merge_intervals(void **state)
{
	(void)state;
	srand(11);
	for (int with = 1; with >= 0; with--) {
		struct ct_hist u[3];
		for (int k = 0; k < 3; k++)
			ct_hist_init(&u[k]);
		/* the second host ends an interval sooner */
		FILE *in[2] = { host_lines(0, 3, true, u), host_lines(1, 2, with, u) };
		char *buf = NULL, err[256];
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		assert_int_equal(lg_jsonl_merge(in, 2, NULL, out, err, sizeof err), 3);
		fclose(out);
		fclose(in[0]);
		fclose(in[1]);
		char *line = buf;
		for (int k = 0; k < 3; k++) {
			char *nl = strchr(line, '\n');
			assert_non_null(nl);
			*nl = '\0';
			json_t *j = json_loads(line, 0, NULL);
			assert_non_null(j);
			json_t *c = json_object_get(j, "counts"), *got = json_object_get(json_object_get(j, "latency_us"), "actual");
			int want_answers = (300 + 50 * k) + (k < 2 ? 400 + 50 * k : 0);
			assert_int_equal(json_integer_value(json_object_get(c, "answered")), want_answers);
			assert_int_equal(json_integer_value(json_object_get(c, "timeouts")), k < 2 ? 4 : 2);
			if (!with && k < 2) /* a host without its histograms: no latency rather than a wrong one */
				assert_true(json_is_null(got));
			else {
				json_t *want = lg_latency_json(&u[k]);
				static const char *const keys[] = { "count", "p50", "p90", "p99", "max", "min" };
				for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
					if (json_number_value(json_object_get(want, keys[i])) !=
					    json_number_value(json_object_get(got, keys[i])))
						fail_msg("interval %d, %s: merged %g, union %g", k + 1, keys[i],
							 json_number_value(json_object_get(got, keys[i])),
							 json_number_value(json_object_get(want, keys[i])));
				json_decref(want);
			}
			json_decref(j);
			line = nl + 1;
		}
		assert_int_equal(*line, '\0');
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_merge), cmocka_unit_test(test_merge_intervals) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
