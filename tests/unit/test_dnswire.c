/* Wire helpers: names with and without compression, hostile lengths. */
#include "dnswire.h"
#include "netaddr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

struct ncase {
	const char *what;
	const char *pkt;
	size_t len, off;
	bool allow_ptr;
	int want_len;     /* -1: malformed */
	size_t want_end;  /* offset after the name */
	const char *want; /* presentation form */
};

static const struct ncase names[] = {
	{ "root", "\0", 1, 0, false, 1, 1, "." },
	{ "plain, lowercased", "\3WwW\7ExAmPlE\0", 13, 0, false, 13, 13, "www.example." },
	{ "pointer followed", "\7example\0\3www\xc0\0", 15, 9, true, 13, 15, "www.example." },
	{ "pointer refused", "\7example\0\3www\xc0\0", 15, 9, false, -1, 0, NULL },
	{ "pointer to itself", "\xc0\0", 2, 0, true, -1, 0, NULL },
	{ "pointer forward", "\xc0\2\0", 3, 0, true, -1, 0, NULL },
	{ "pointer loop", "\3abc\xc0\0\xc0\0", 8, 6, true, -1, 0, NULL },
	{ "cut in a label", "\5ab", 3, 0, false, -1, 0, NULL },
	{ "no terminating zero", "\1a", 2, 0, false, -1, 0, NULL },
	{ "0x40 label type", "\x41" "a\0", 3, 0, false, -1, 0, NULL },
	{ "half a pointer", "\xc0", 1, 0, true, -1, 0, NULL },
};

static void test_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct ncase *c = &names[i];
		uint8_t out[CT_DNS_MAXNAME];
		char text[1024];
		size_t off = c->off;
		int l = ct_dns_name_read((const uint8_t *)c->pkt, c->len, &off, out, c->allow_ptr);
		if (l != c->want_len)
			fail_msg("%s: length %d, want %d", c->what, l, c->want_len);
		if (l < 0)
			continue;
		assert_int_equal(off, c->want_end);
		ct_dns_name_str(out, (size_t)l, text, sizeof text);
		assert_string_equal(text, c->want);
	}
}

static void test_name_too_long(void **state)
{
	(void)state;
	/* 5 labels of 63 = 320 bytes: over 255 */
	uint8_t pkt[400];
	size_t o = 0;
	for (int i = 0; i < 5; i++) {
		pkt[o++] = 63;
		memset(pkt + o, 'a', 63);
		o += 63;
	}
	pkt[o++] = 0;
	size_t off = 0;
	assert_int_equal(ct_dns_name_read(pkt, o, &off, NULL, false), -1);
}

static void test_rr_skip(void **state)
{
	(void)state;
	static const uint8_t rr[] = "\0\0\1\0\1\0\0\0\x3c\0\4\xc6\x12\0\1";
	size_t off = 0;
	assert_int_equal(ct_dns_rr_skip(rr, 15, &off), 0);
	assert_int_equal(off, 15);
	off = 0;
	assert_int_equal(ct_dns_rr_skip(rr, 14, &off), -1); /* rdata cut */
}

static void test_sockaddr(void **state)
{
	(void)state;
	struct ct_sockaddr a;
	char buf[CT_ADDRSTRLEN], err[256];
	assert_int_equal(ct_sockaddr_parse("198.18.0.2:53", &a, err, sizeof err), 0);
	assert_string_equal(ct_sockaddr_str(&a, buf, sizeof buf), "198.18.0.2:53");
	assert_int_equal(ct_sockaddr_parse("[2001:2::2]:5353", &a, err, sizeof err), 0);
	assert_string_equal(ct_sockaddr_str(&a, buf, sizeof buf), "[2001:2::2]:5353");
	assert_int_equal(ct_sockaddr_parse("2001:2::2:53", &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "[ADDR]:PORT"));
	assert_int_equal(ct_sockaddr_parse("198.18.0.2", &a, err, sizeof err), -1);
	assert_int_equal(ct_sockaddr_parse("198.18.0.2:65536", &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad port"));
	assert_int_equal(ct_sockaddr_parse("dns.example:53", &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a numeric"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_rr_skip),
		cmocka_unit_test(test_sockaddr),
	};
	return cmocka_run_group_tests_name("dnswire", tests, NULL, NULL);
}
