/* Zone files: what loads, and that every bad one is refused with file:line. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define SOA "example. 300 IN SOA ns.example. host.example. 1 3600 600 86400 60\n"

struct zcase {
	const char *what;
	const char *text;
	const char *error; /* expected substring; NULL: must load and build */
};

static const struct zcase cases[] = {
	{ "minimal zone", SOA "www 60 IN A 198.18.0.1\n", NULL },
	{ "ORIGIN and TTL directives", "$ORIGIN example.\n$TTL 60\n@ IN SOA ns host 1 2 3 4 5\nwww IN AAAA 2001:2::1\n", NULL },
	{ "multi-line SOA and comments", "; hello\nexample. 300 IN SOA ns.example. host.example. (\n 1 ; serial\n 2 3 4 5 )\n", NULL },
	{ "empty file", "", "bad.zone: no SOA record" },
	{ "only directives", "$TTL 300\n", "bad.zone: no SOA record" },
	{ "record before the SOA", "www.example. 60 IN A 198.18.0.1\n" SOA, "bad.zone:1: www.example.: the first record must be the zone's SOA" },
	{ "bad address", SOA "\nwww.example. 60 IN A 198.18.0.999\n", "bad.zone:3: " },
	{ "unknown type", SOA "www.example. 60 IN BOGUS 1\n", "bad.zone:2: " },
	{ "out of zone", SOA "www.other. 60 IN A 198.18.0.1\n", "bad.zone:2: www.other. is outside the zone example." },
	{ "suffix that is not a subdomain", SOA "www.anexample. 60 IN A 198.18.0.1\n", "bad.zone:2: www.anexample. is outside the zone example." },
	{ "second SOA", SOA "\n" SOA, "bad.zone:3: a second SOA record" },
	{ "class CH", SOA "www.example. 60 CH TXT \"x\"\n", "bad.zone:2: www.example.: only class IN is served" },
	{ "$INCLUDE", SOA "$INCLUDE other.zone\n", "bad.zone:2: $INCLUDE is not supported" },
	{ "CNAME beside data", SOA "www.example. 60 IN A 198.18.0.1\nwww.example. 60 IN CNAME web.example.\n", "bad.zone:3: www.example. has a CNAME and other data" },
	{ "data beside CNAME", SOA "www.example. 60 IN CNAME web.example.\nwww.example. 60 IN TXT \"x\"\n", "bad.zone:3: www.example. has a CNAME and other data" },
	{ "two CNAMEs", SOA "www.example. 60 IN CNAME a.example.\nwww.example. 60 IN CNAME b.example.\n", "bad.zone:3: www.example. has more than one CNAME" },
	{ "CNAME at the apex", SOA "example. 60 IN CNAME a.example.\n", "bad.zone:2: example. has a CNAME and other data" },
	{ "duplicate records are one", SOA "www.example. 60 IN A 198.18.0.1\nwww.example. 60 IN A 198.18.0.1\n", NULL },
};

static int load_text(const char *text, struct ct_zone *z, struct ct_db **db, char *err, size_t errlen)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	if (!fp)
		fp = fopen("/dev/null", "r"); /* fmemopen refuses a zero-length buffer */
	int rc = ct_zone_load_fp(fp, "bad.zone", z, err, errlen);
	fclose(fp);
	if (rc < 0)
		return -1;
	rc = ct_db_build(db, z, 1, NULL, err, errlen);
	if (rc < 0)
		ct_zone_free(z);
	return rc;
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct zcase *c = &cases[i];
		struct ct_zone z;
		struct ct_db *db = NULL;
		char err[512] = "";
		int rc = load_text(c->text, &z, &db, err, sizeof err);
		if (!c->error) {
			if (rc < 0)
				fail_msg("%s: refused: %s", c->what, err);
			ct_db_free(db);
			ct_zone_free(&z);
			continue;
		}
		if (rc == 0) {
			ct_db_free(db);
			ct_zone_free(&z);
			fail_msg("%s: loaded, should fail with '%s'", c->what, c->error);
		}
		if (!strstr(err, c->error))
			fail_msg("%s: error '%s' does not contain '%s'", c->what, err, c->error);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	struct ct_zone z;
	char err[512];
	assert_int_equal(ct_zone_load("/nonexistent/ctstorm.zone", &z, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/ctstorm.zone: cannot open"));
}

static void test_same_zone_twice(void **state)
{
	(void)state;
	struct ct_zone z[2];
	struct ct_db *db;
	char err[512], path[1024];
	snprintf(path, sizeof path, "%s/example.zone", CT_TEST_DATA_DIR);
	assert_int_equal(ct_zone_load(path, &z[0], err, sizeof err), 0);
	assert_int_equal(ct_zone_load(path, &z[1], err, sizeof err), 0);
	assert_int_equal(ct_db_build(&db, z, 2, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "zone example.test. is already loaded from"));
	ct_zone_free(&z[0]);
	ct_zone_free(&z[1]);
}

static void test_synthesize_unknown_zone(void **state)
{
	(void)state;
	struct ct_zone z;
	struct ct_db *db;
	char err[512], path[1024];
	const char *names[] = { "elsewhere.test." };
	struct ct_strlist synth = { names, 1 };
	snprintf(path, sizeof path, "%s/example.zone", CT_TEST_DATA_DIR);
	assert_int_equal(ct_zone_load(path, &z, err, sizeof err), 0);
	assert_int_equal(ct_db_build(&db, &z, 1, &synth, err, sizeof err), -1);
	assert_string_equal(err, "--synthesize: 'elsewhere.test.' is not one of the loaded zones");
	ct_zone_free(&z);
}

static void test_nested_zones(void **state)
{
	(void)state;
	/* a child zone loaded beside its parent answers for its own names */
	static const char parent[] = SOA "child.example. 60 IN NS ns.child.example.\n"
					 "ns.child.example. 60 IN A 198.18.0.53\n";
	static const char child[] = "child.example. 300 IN SOA ns.child.example. h.child.example. 1 2 3 4 5\n"
				    "www.child.example. 60 IN A 198.18.1.1\n";
	struct ct_zone z[2];
	struct ct_db *db;
	char err[512];
	FILE *a = fmemopen((void *)parent, sizeof parent - 1, "r");
	FILE *b = fmemopen((void *)child, sizeof child - 1, "r");
	assert_int_equal(ct_zone_load_fp(a, "parent", &z[0], err, sizeof err), 0);
	assert_int_equal(ct_zone_load_fp(b, "child", &z[1], err, sizeof err), 0);
	fclose(a);
	fclose(b);
	assert_int_equal(ct_db_build(&db, z, 2, NULL, err, sizeof err), 0);
	uint8_t www[] = "\3www\5child\7example";
	const struct ct_answer *ans = ct_db_lookup(db, www, sizeof www, 1);
	assert_int_equal(ans->an, 1);
	assert_true(ans->flags & 0x0400);
	uint8_t other[] = "\5other\5child\7example";
	ans = ct_db_lookup(db, other, sizeof other, 1);
	assert_int_equal(ans->flags & 0xf, 3); /* the child's NXDOMAIN, not a referral */
	ct_db_free(db);
	ct_zone_free(&z[0]);
	ct_zone_free(&z[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_same_zone_twice),
		cmocka_unit_test(test_synthesize_unknown_zone),
		cmocka_unit_test(test_nested_zones),
	};
	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
