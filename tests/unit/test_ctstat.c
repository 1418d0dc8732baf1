/* /proc/net/stat/nf_conntrack parsing: headers of several kernel eras,
 * per-CPU sums, and malformed text refused with the line named. */
#include "ctstat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Linux 6.18 (this machine's kind): clashres and chainlength. */
static const char k618[] =
	"entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
	"0000012c  00000003 00000010 00000000 00000002 00000000 00000000 00000000 00000000 00000001 00000064 00000002 00000000  00000000 00000000 00000000 00000005\n"
	"0000012c  00000001 00000020 00000000 00000003 00000000 00000000 00000000 00000000 00000000 0000000a 00000000 00000001  00000000 00000000 00000000 00000000\n";

/* Linux 5.4: searched and delete_list, no clash or chain columns. */
static const char k54[] =
	"entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
	"000000ff  00000000 00000100 00000000 00000001 00000000 00000000 00000000 00000007 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n"
	"000000ff  00000000 00000200 00000000 00000001 00000000 00000000 00000000 00000003 00000000 00000010 00000000 00000000  00000000 00000000 00000000 00000000\n"
	"000000ff  00000000 00000300 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n"
	"000000ff  00000000 00000400 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n";

/* Linux 5.15: clashres with delete_list still there. */
static const char k515[] =
	"entries  clashres found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
	"00000001  00000004 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 FFFFFFFF 00000000 00000000  00000000 00000000 00000000 00000000\n";

static void test_618(void **state)
{
	(void)state;
	struct ct_ctstat st;
	uint64_t entries;
	char err[256];
	assert_int_equal(ct_stat_parse_proc(k618, sizeof k618 - 1, &st, &entries, err, sizeof err), 0);
	assert_int_equal(entries, 300); /* global, not summed */
	assert_int_equal(st.v[CT_ST_DROP], 110);
	assert_int_equal(st.v[CT_ST_FOUND], 48);
	assert_int_equal(st.v[CT_ST_INVALID], 5);
	assert_int_equal(st.v[CT_ST_INSERT_FAILED], 1);
	assert_int_equal(st.v[CT_ST_EARLY_DROP], 2);
	assert_int_equal(st.v[CT_ST_ERROR], 1);
	assert_int_equal(st.v[CT_ST_CLASH_RESOLVE], 4);
	assert_int_equal(st.v[CT_ST_SEARCH_RESTART], 5);
	assert_true(st.have[CT_ST_CHAINTOOLONG]);
}

static void test_54(void **state)
{
	(void)state;
	struct ct_ctstat st;
	uint64_t entries;
	char err[256];
	assert_int_equal(ct_stat_parse_proc(k54, sizeof k54 - 1, &st, &entries, err, sizeof err), 0);
	assert_int_equal(entries, 255);
	assert_int_equal(st.v[CT_ST_FOUND], 0x100 + 0x200 + 0x300 + 0x400);
	assert_int_equal(st.v[CT_ST_INSERT], 10);
	assert_int_equal(st.v[CT_ST_DROP], 16);
	/* this kernel has neither column: reported as absent, never as 0 */
	assert_false(st.have[CT_ST_CLASH_RESOLVE]);
	assert_false(st.have[CT_ST_CHAINTOOLONG]);
	assert_true(st.have[CT_ST_DROP]);
}

static void test_515_large(void **state)
{
	(void)state;
	struct ct_ctstat st;
	uint64_t entries;
	char err[256];
	assert_int_equal(ct_stat_parse_proc(k515, sizeof k515 - 1, &st, &entries, err, sizeof err), 0);
	assert_int_equal(st.v[CT_ST_DROP], 0xffffffffull); /* upper-case hex, no sign trouble */
	assert_int_equal(st.v[CT_ST_CLASH_RESOLVE], 4);
}

/* a text without the entries column says so: the count must then come
 * from nf_conntrack_count */
static void test_no_entries(void **state)
{
	(void)state;
	static const char text[] = "drop early_drop\n00000002 00000001\n00000003 00000000\n";
	struct ct_ctstat st;
	uint64_t entries = 0;
	char err[256];
	assert_int_equal(ct_stat_parse_proc(text, sizeof text - 1, &st, &entries, err, sizeof err), 0);
	assert_true(entries == CT_STAT_NO_ENTRIES);
	assert_int_equal(st.v[CT_ST_DROP], 5);
}

struct bad {
	const char *what, *text, *error;
};

static void test_malformed(void **state)
{
	(void)state;
	static const struct bad bads[] = {
		{ "empty", "", "line 1: no column names" },
		{ "header only", "entries drop\n", "no per-CPU lines" },
		{ "too few values", "entries drop early_drop\n00000001 00000002\n", "line 2: 2 values for 3 columns" },
		{ "too many values", "entries drop\n00000001 00000002 00000003\n", "line 2: more values than the 2 columns" },
		{ "not hex", "entries drop\n00000001 0000zz02\n", "line 2, column 2: not a hex number" },
		{ "over 64 bits", "entries drop\n1 11112222333344445\n", "line 2: number longer than 64 bits" },
	};
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct ct_ctstat st;
		uint64_t entries;
		char err[256] = "";
		if (ct_stat_parse_proc(bads[i].text, strlen(bads[i].text), &st, &entries, err, sizeof err) != -1)
			fail_msg("%s: accepted", bads[i].what);
		if (!strstr(err, bads[i].error))
			fail_msg("%s: '%s' lacks '%s'", bads[i].what, err, bads[i].error);
	}
}

static void test_delta(void **state)
{
	(void)state;
	struct ct_ctstat a = { 0 }, b = { 0 }, d;
	a.v[CT_ST_DROP] = 10;
	b.v[CT_ST_DROP] = 25;
	a.v[CT_ST_FOUND] = 9; /* a namespace recreated: counters went down */
	b.v[CT_ST_FOUND] = 3;
	a.have[CT_ST_DROP] = b.have[CT_ST_DROP] = true;
	ct_stat_delta(&a, &b, &d);
	assert_int_equal(d.v[CT_ST_DROP], 15);
	assert_int_equal(d.v[CT_ST_FOUND], 0);
	assert_true(d.have[CT_ST_DROP]);
	assert_false(d.have[CT_ST_FOUND]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_618),       cmocka_unit_test(test_54), cmocka_unit_test(test_515_large),
		cmocka_unit_test(test_no_entries), cmocka_unit_test(test_malformed), cmocka_unit_test(test_delta),
	};
	return cmocka_run_group_tests_name("ctstat", tests, NULL, NULL);
}
