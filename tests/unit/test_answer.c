/* Answer matching: only a response to exactly our question counts. */
#include "answer.h"
#include "queryfile.h"

#include "dnswire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static struct ct_queryset qs;

static int setup(void **state)
{
	(void)state;
	struct ct_query_opts o = { .rd = true };
	char err[256];
	return ct_queryset_one("www.example.test", 28 /* AAAA */, &o, &qs, err, sizeof err);
}

static int teardown(void **state)
{
	(void)state;
	ct_queryset_free(&qs);
	return 0;
}

/* The response to our query: header with QR (and rcode), the question
 * as given, one answer record. */
static size_t response(uint8_t *buf, uint16_t id, uint16_t flags, const char *qname_wire, size_t qnlen,
		       uint16_t qtype)
{
	memset(buf, 0, 12);
	ct_put16(buf, id);
	ct_put16(buf + 2, flags);
	ct_put16(buf + 4, 1);
	memcpy(buf + 12, qname_wire, qnlen);
	size_t o = 12 + qnlen;
	ct_put16(buf + o, qtype);
	ct_put16(buf + o + 2, 1);
	return o + 4;
}

#define QN "\3WWW\7example\4TEST" /* case differs: still ours */

struct acase {
	const char *what;
	uint16_t id, flags;
	const char *qn;
	size_t qnlen;
	uint16_t qtype;
	size_t cut;       /* >0: only this many bytes arrive */
	enum ct_answer_verdict want;
	int rcode;
};

static void test_cases(void **state)
{
	(void)state;
	static const struct acase cases[] = {
		{ "ours", 7, 0x8180, QN, sizeof QN, 28, 0, CT_ANS_OK, 0 },
		{ "NXDOMAIN and TC", 7, 0x8383, QN, sizeof QN, 28, 0, CT_ANS_OK, 3 },
		{ "other ID", 8, 0x8180, QN, sizeof QN, 28, 0, CT_ANS_MISMATCH },
		{ "other type", 7, 0x8180, QN, sizeof QN, 1, 0, CT_ANS_MISMATCH },
		{ "other name", 7, 0x8180, "\3xxx\7example\4test", sizeof QN, 28, 0, CT_ANS_MISMATCH },
		{ "a query, not a response", 7, 0x0100, QN, sizeof QN, 28, 0, CT_ANS_MALFORMED },
		{ "short header", 7, 0x8180, QN, sizeof QN, 28, 9, CT_ANS_MALFORMED },
		{ "question cut", 7, 0x8180, QN, sizeof QN, 28, 20, CT_ANS_MALFORMED },
		{ "NOTIFY opcode", 7, 0xa180, QN, sizeof QN, 28, 0, CT_ANS_MISMATCH },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct acase *c = &cases[i];
		uint8_t buf[512];
		size_t len = response(buf, c->id, c->flags, c->qn, c->qnlen, c->qtype);
		if (c->cut)
			len = c->cut;
		struct ct_answer_info info;
		enum ct_answer_verdict v = ct_answer_check(buf, len, qs.q[0].wire, qs.q[0].len, 7, &info);
		if (v != c->want)
			fail_msg("%s: verdict %d, want %d", c->what, v, c->want);
		if (v == CT_ANS_OK) {
			assert_int_equal(info.rcode, c->rcode);
			assert_int_equal(info.tc, (c->flags & 0x0200) != 0);
		}
	}
	uint16_t id;
	assert_int_equal(ct_answer_id((const uint8_t *)"abc", 3, &id), -1);
}

static void test_two_questions(void **state)
{
	(void)state;
	uint8_t buf[512];
	size_t len = response(buf, 7, 0x8180, QN, sizeof QN, 28);
	ct_put16(buf + 4, 2);
	struct ct_answer_info info;
	assert_int_equal(ct_answer_check(buf, len, qs.q[0].wire, qs.q[0].len, 7, &info), CT_ANS_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_two_questions),
	};
	return cmocka_run_group_tests_name("answer", tests, setup, teardown);
}
