/* The sampler's writers: CSV shape, JSON lines, summary, Prometheus text. */
#include "sample.h"
#include "sampler_csv.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct ct_sample make(double t, uint64_t count, uint64_t drop, uint64_t kf)
{
	struct ct_sample x = { .t_s = t, .wall_s = 1795400000.5 + t, .count = count, .max = 400, .buckets = 1024,
			       .have_kmsg = true, .kmsg_table_full = kf };
	for (int i = 0; i < CT_ST__COUNT; i++)
		x.st.have[i] = true;
	x.st.have[CT_ST_CHAINTOOLONG] = false; /* an older kernel */
	x.st.v[CT_ST_DROP] = drop;
	return x;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_csv(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ct_csv_header(f);
	struct ct_sample a = make(0, 10, 5, 0), b = make(0.1, 400, 9, 1);
	b.has_table = true;
	b.table.total = 400;
	b.table.udp_assured = 300;
	b.table.dump_ms = 1.5;
	ct_csv_row(f, &a);
	ct_csv_row(f, &b);
	fclose(f);
	char *l1 = buf, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	l2[-1] = l3[-1] = '\0';
	*strchr(l3, '\n') = '\0';
	/* rectangular: every row has as many fields as the header */
	assert_int_equal(count_char(l1, ','), count_char(l2, ','));
	assert_int_equal(count_char(l1, ','), count_char(l3, ','));
	assert_non_null(strstr(l1, "t_s,wall_s,count,max,buckets,found"));
	assert_non_null(strstr(l2, "0.000000,1795400000.500,10,400,1024,"));
	assert_non_null(strstr(l3, ",400,0,0,300,")); /* table_total, udp unreplied/replied/assured */
	assert_non_null(strstr(l2, ",,0,0,")); /* chaintoolong absent: empty, then kmsg */
	free(buf);
}

/* The rows' fixed-point numbers are printf's: t_s %.6f, wall_s %.3f. */
/* Every column the readers go by (sampler_csv.h) holds what the writer
 * put in it: the registry and the writer's order agree, the kernel's
 * counters and the TCP states included. */
static void test_columns(void **state)
{
	(void)state;
	struct ct_sample x = make(2.5, 77, 0, 3);
	for (int i = 0; i < CT_ST__COUNT; i++)
		x.st.v[i] = 1000 + (uint64_t)i, x.st.have[i] = true;
	x.has_table = true;
	x.table = (struct ct_table){ .total = 500, .udp_unreplied = 501, .udp_replied = 502, .udp_assured = 503,
				     .icmp = 504, .other = 505, .dump_ms = 6.25 };
	for (int i = 1; i < CT_TCP_STATES; i++)
		x.table.tcp[i] = 2000 + (uint64_t)i;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ct_csv_header(f);
	ct_csv_row(f, &x);
	fclose(f);
	char *row = strchr(buf, '\n') + 1;
	struct rf_csv csv;
	rf_csv_open(&csv, buf);
	for (int c = 0; c < RF_COL__N; c++)
		assert_int_equal(csv.col[c], c); /* the writer's header is the registry's */
	for (int i = 0; i < CT_ST__COUNT; i++) {
		assert_string_equal(rf_col_names[RF_COL_STAT0 + i], ct_stat_name(i));
		assert_true(rf_csv_get(&csv, row, RF_COL_STAT0 + i) == 1000 + i);
	}
	for (int i = 1; i < CT_TCP_STATES; i++)
		assert_true(rf_csv_get(&csv, row, RF_COL_TCP0 + i - 1) == 2000 + i);
	assert_true(rf_csv_get(&csv, row, RF_COL_COUNT) == 77);
	assert_true(rf_csv_get(&csv, row, RF_COL_KMSG_TABLE_FULL) == 3);
	assert_true(rf_csv_get(&csv, row, RF_COL_UDP_ASSURED) == 503);
	assert_true(rf_csv_get(&csv, row, RF_COL_OTHER) == 505);
	assert_true(rf_csv_get(&csv, row, RF_COL_TABLE_DUMP_MS) == 6.25);
	/* a file without a column: NAN, as an empty field */
	rf_csv_open(&csv, "t_s,count\n");
	assert_true(rf_csv_get(&csv, "1,2\n", RF_COL_COUNT) == 2);
	assert_true(isnan(rf_csv_get(&csv, "1,2\n", RF_COL_DROP)));
	free(buf);
}

static void test_csv_numbers(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct ct_sample x = make(i * 0.0012345 + (i % 7) * 1e-7, 1, 0, 0);
		x.wall_s = 1795400000.0 + i * 0.0107 + (i % 3) * 0.00049;
		char *buf = NULL, want[96];
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		ct_csv_row(f, &x);
		fclose(f);
		int n = snprintf(want, sizeof want, "%.6f,%.3f,1,400,1024,", x.t_s, x.wall_s);
		if (strncmp(buf, want, (size_t)n) != 0)
			fail_msg("t_s %.9f wall_s %.6f: row starts '%.40s', printf says '%s'", x.t_s, x.wall_s, buf, want);
		free(buf);
	}
}

static void test_jsonl(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ct_sample a = make(0.25, 10, 5, 2), b = make(0.5, 400, 9, 1);
	a.have_kmsg = false;
	b.has_table = true;
	b.table.total = 400;
	b.table.udp_assured = 300;
	b.table.tcp[CT_TCP_STATES - 1] = 7;
	b.table.dump_ms = 1.5;
	ct_sample_jsonl(f, &a);
	ct_sample_jsonl(f, &b);
	fclose(f);
	char *l2 = strchr(buf, '\n') + 1;
	assert_int_equal(l2[strlen(l2) - 1], '\n');
	json_error_t e;
	json_t *ja = json_loadb(buf, (size_t)(l2 - buf), 0, &e), *jb = json_loads(l2, 0, &e);
	assert_non_null(ja);
	assert_non_null(jb);
	assert_true(json_real_value(json_object_get(ja, "t_s")) == 0.25);
	assert_int_equal(json_integer_value(json_object_get(ja, "count")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ja, "stat"), "drop")), 5);
	assert_true(json_is_null(json_object_get(json_object_get(ja, "stat"), "chaintoolong"))); /* not reported */
	assert_null(json_object_get(ja, "kmsg"));
	assert_null(json_object_get(ja, "table"));
	assert_int_equal(json_object_size(json_object_get(ja, "stat")), CT_ST__COUNT);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(jb, "kmsg"), "table_full")), 1);
	json_t *t = json_object_get(jb, "table");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "udp"), "assured")), 300);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "tcp"), ct_tcp_state_name(CT_TCP_STATES - 1))),
			 7);
	assert_int_equal(json_object_size(json_object_get(t, "tcp")), CT_TCP_STATES - 1);
	assert_true(json_real_value(json_object_get(t, "dump_ms")) == 1.5);
	json_decref(ja);
	json_decref(jb);
	free(buf);
}

static void test_summary(void **state)
{
	(void)state;
	struct ct_summary s = { .first_drop_s = -1, .source = "ctnetlink", .have_kmsg = true };
	struct ct_sample xs[] = { make(0, 10, 5, 0), make(0.1, 390, 5, 0), make(0.2, 400, 9, 1), make(0.3, 350, 12, 0) };
	for (size_t i = 0; i < 4; i++)
		ct_summary_add(&s, &xs[i]);
	json_t *j = ct_summary_json(&s);
	assert_int_equal(json_integer_value(json_object_get(j, "peak_count")), 400);
	assert_true(json_real_value(json_object_get(j, "peak_t_s")) > 0.19);
	assert_true(json_real_value(json_object_get(j, "first_drop_s")) > 0.19);
	json_t *totals = json_object_get(j, "totals");
	assert_int_equal(json_integer_value(json_object_get(totals, "drop")), 7);
	assert_true(json_is_null(json_object_get(totals, "chaintoolong")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "kmsg"), "table_full")), 1);
	json_decref(j);
}

static void test_no_drop_is_null(void **state)
{
	(void)state;
	struct ct_summary s = { .first_drop_s = -1, .source = "proc" };
	struct ct_sample x = make(0, 1, 0, 0);
	x.have_kmsg = false;
	ct_summary_add(&s, &x);
	json_t *j = ct_summary_json(&s);
	assert_true(json_is_null(json_object_get(j, "first_drop_s")));
	assert_true(json_is_null(json_object_get(j, "kmsg")));
	json_decref(j);
}

static void test_prom(void **state)
{
	(void)state;
	char buf[8192];
	struct ct_summary s = { .first_drop_s = -1, .have_kmsg = true, .kmsg_table_full = 3 };
	struct ct_sample x = make(1, 123, 45, 0);
	ct_prom_text(buf, sizeof buf, "cts-a\"b", &x, &s);
	assert_non_null(strstr(buf, "\nctstorm_conntrack_entries{netns=\"cts-a\\\"b\"} 123\n")); /* the quote escaped */
	assert_non_null(strstr(buf, "\nctstorm_conntrack_entries_limit{netns=\"cts-a\\\"b\"} 400\n"));
	assert_non_null(strstr(buf, "# TYPE ctstorm_conntrack_stat_drop_total counter\n"
				    "ctstorm_conntrack_stat_drop_total{netns=\"cts-a\\\"b\"} 45\n"));
	assert_null(strstr(buf, "chaintoolong")); /* absent counters are left out */
	assert_null(strstr(buf, "\nnode_")); /* no sample under node_exporter's names */
	assert_non_null(strstr(buf, "\nctstorm_kmsg_table_full_total{netns=\"cts-a\\\"b\"} 3\n"));
	/* a small buffer truncates cleanly */
	char small[64];
	size_t n = ct_prom_text(small, sizeof small, "ns", &x, &s);
	assert_true(n < sizeof small);
	assert_int_equal(strlen(small), n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_csv_numbers),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_no_drop_is_null),
		cmocka_unit_test(test_prom),
	};
	return cmocka_run_group_tests_name("sample_out", tests, NULL, NULL);
}
