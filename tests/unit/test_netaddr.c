/* Address text forms: ADDR:PORT and CIDR ranges, with the lab's checks
 * (within a range, overlapping a range) the scenario checker uses. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void test_cidr_parse(void **state)
{
	(void)state;
	struct ct_cidr c;
	char err[256], buf[64];
	assert_int_equal(ct_cidr_parse("198.19.7.9/16", &c, err, sizeof err), 0);
	assert_int_equal(c.prefix, 16);
	assert_int_equal(c.base.ss.ss_family, AF_INET);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&c.base.ss)->sin_addr, buf, sizeof buf);
	assert_string_equal(buf, "198.19.0.0"); /* host bits cleared */
	assert_int_equal(ct_cidr_parse("2001:2:0:100::77/64", &c, err, sizeof err), 0);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&c.base.ss)->sin6_addr, buf, sizeof buf);
	assert_string_equal(buf, "2001:2:0:100::");
	assert_int_equal(ct_cidr_parse("0.0.0.0/0", &c, err, sizeof err), 0);
	static const struct {
		const char *text, *error;
	} bad[] = {
		{ "198.19.0.0", "is not ADDR/PREFIX" },
		{ "198.19.0.0/33", "an IPv4 prefix is 0..32" },
		{ "2001:2::/129", "an IPv6 prefix is 0..128" },
		{ "198.19.0/16", "'198.19.0' is not an IPv4 or IPv6 address" },
		{ "host.example/24", "is not an IPv4 or IPv6 address" },
		{ "198.19.0.0/-1", "the prefix length is not a number" },
		{ "198.19.0.0/", "the prefix length is not a number" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(ct_cidr_parse(bad[i].text, &c, err, sizeof err), -1);
		if (!strstr(err, bad[i].error))
			fail_msg("%s: got '%s', want '%s'", bad[i].text, err, bad[i].error);
	}
}

static void test_cidr_within(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		int within, overlap;
	} cases[] = {
		{ "198.19.0.0/16", "198.18.0.0/15", 1, 1 },
		{ "198.18.0.0/15", "198.19.0.0/16", 0, 1 },
		{ "198.18.0.0/16", "198.18.1.0/24", 0, 1 },
		{ "198.19.0.0/16", "198.18.0.0/24", 0, 0 },
		{ "10.0.0.0/8", "198.18.0.0/15", 0, 0 },
		{ "0.0.0.0/0", "198.18.0.0/15", 0, 1 },
		{ "2001:2:0:100::/64", "2001:2::/48", 1, 1 },
		{ "2001:2::/64", "2001:2:0:1::/64", 0, 0 },
		{ "2001:2::/64", "198.18.0.0/15", 0, 0 }, /* families differ */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct ct_cidr a, b;
		char err[256];
		assert_int_equal(ct_cidr_parse(cases[i].a, &a, err, sizeof err), 0);
		assert_int_equal(ct_cidr_parse(cases[i].b, &b, err, sizeof err), 0);
		if (ct_cidr_within(&a, &b) != cases[i].within || ct_cidr_overlap(&a, &b) != cases[i].overlap)
			fail_msg("%s vs %s: within %d overlap %d", cases[i].a, cases[i].b, ct_cidr_within(&a, &b),
				 ct_cidr_overlap(&a, &b));
	}
}

/* One source range shared by load hosts: equal parts, in order, each
 * inside the whole and apart from the others. */
static void test_cidr_part(void **state)
{
	(void)state;
	struct ct_cidr c, p[3];
	char buf[64], err[128];
	assert_int_equal(ct_cidr_parse("198.19.0.0/16", &c, err, sizeof err), 0);
	static const char *const want[3] = { "198.19.0.0/18", "198.19.64.0/18", "198.19.128.0/18" };
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ct_cidr_part(&c, 3, i, &p[i]), 0);
		assert_string_equal(ct_cidr_str(&p[i], buf, sizeof buf), want[i]);
		assert_true(ct_cidr_within(&p[i], &c));
		for (unsigned k = 0; k < i; k++)
			assert_false(ct_cidr_overlap(&p[i], &p[k]));
	}
	assert_int_equal(ct_cidr_part(&c, 1, 0, &p[0]), 0); /* one host: the whole range */
	assert_string_equal(ct_cidr_str(&p[0], buf, sizeof buf), "198.19.0.0/16");
	assert_int_equal(ct_cidr_part(&c, 3, 3, &p[0]), -1);
	assert_int_equal(ct_cidr_parse("198.19.0.0/29", &c, err, sizeof err), 0);
	assert_int_equal(ct_cidr_part(&c, 2, 1, &p[0]), 0); /* 4 addresses each */
	assert_string_equal(ct_cidr_str(&p[0], buf, sizeof buf), "198.19.0.4/30");
	assert_int_equal(ct_cidr_part(&c, 3, 0, &p[0]), -1); /* 2 each: too few */
	assert_int_equal(ct_cidr_parse("2001:2:0:100::/64", &c, err, sizeof err), 0);
	assert_int_equal(ct_cidr_part(&c, 2, 1, &p[0]), 0);
	assert_string_equal(ct_cidr_str(&p[0], buf, sizeof buf), "2001:2:0:100:8000::/65");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_within),
		cmocka_unit_test(test_cidr_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
