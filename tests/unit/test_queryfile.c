/* dnsperf-format query files: encoding, comments, errors with file:line. */
#include "queryfile.h"

#include "dnswire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static const struct ct_query_opts plain = { .rd = true };

static void test_parse(void **state)
{
	(void)state;
	static const char text[] = "; a comment\n\nwww.example.test A\n  example.test.\tMX ; trailing\r\nx.test TYPE65\n";
	struct ct_queryset qs;
	char err[256];
	assert_int_equal(ct_queryset_parse(text, sizeof text - 1, "q.txt", &plain, &qs, err, sizeof err), 0);
	assert_int_equal(qs.n, 3);
	static const uint8_t want[] = "\0\0\1\0\0\1\0\0\0\0\0\0\3www\7example\4test\0\0\1\0\1";
	assert_int_equal(qs.q[0].len, sizeof want - 1);
	assert_memory_equal(qs.q[0].wire, want, sizeof want - 1);
	assert_int_equal(qs.q[1].qtype, CT_TYPE_MX);
	assert_int_equal(qs.q[2].qtype, 65);
	ct_queryset_free(&qs);
}

static void test_edns(void **state)
{
	(void)state;
	struct ct_query_opts o = { .rd = false, .edns = 1232, .dnssec_ok = true };
	struct ct_queryset qs;
	char err[256];
	assert_int_equal(ct_queryset_one("example.test", 6 /* SOA */, &o, &qs, err, sizeof err), 0);
	const uint8_t *w = qs.q[0].wire;
	size_t len = qs.q[0].len;
	assert_int_equal(ct_get16(w + 2), 0);   /* no RD */
	assert_int_equal(ct_get16(w + 10), 1);  /* one additional: the OPT */
	assert_int_equal(ct_get16(w + len - 10), CT_TYPE_OPT);
	assert_int_equal(ct_get16(w + len - 8), 1232);
	assert_int_equal(ct_get16(w + len - 4), CT_EDNS_DO);
	ct_queryset_free(&qs);
}

struct bad {
	const char *text, *error;
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad bads[] = {
		{ "", "q.txt: no queries in it" },
		{ "; only comments\n", "q.txt: no queries in it" },
		{ "www.example.test\n", "q.txt:1: expected 'NAME TYPE'" },
		{ "ok.test A\nwww.example.test A extra\n", "q.txt:2: expected 'NAME TYPE'" },
		{ "\n\nwww.example.test BOGUS\n", "q.txt:3: unknown query type 'BOGUS'" },
		{ "a..b A\n", "q.txt:1: 'a..b' is not a domain name" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test A\n", "q.txt:1:" },
	};
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct ct_queryset qs;
		char err[256] = "";
		if (ct_queryset_parse(bads[i].text, strlen(bads[i].text), "q.txt", &plain, &qs, err, sizeof err) != -1)
			fail_msg("'%s' accepted", bads[i].text);
		if (!strstr(err, bads[i].error))
			fail_msg("'%s': '%s' lacks '%s'", bads[i].text, err, bads[i].error);
	}
	struct ct_queryset qs;
	char err[256];
	assert_int_equal(ct_queryset_load("/nonexistent/q.txt", &plain, &qs, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/q.txt: cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("queryfile", tests, NULL, NULL);
}
