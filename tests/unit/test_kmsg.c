/* Kernel log records: the table-full line with and without a namespace,
 * suppression lines, old kernels' wording, and records that are not. */
#include "kmsg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

struct kcase {
	const char *what, *rec;
	int rc;
	enum ct_kmsg_kind kind;
	bool has_netns;
	uint64_t netns, suppressed, seq, ts_us;
};

static const struct kcase cases[] = {
	{ "6.x other namespace", "4,1234,98765432,-;nf_conntrack: nf_conntrack: table full in netns 4026532313, dropping packet\n",
	  0, CT_KMSG_TABLE_FULL, true, 4026532313ull, 0, 1234, 98765432 },
	{ "initial namespace", "4,77,5,-;nf_conntrack: nf_conntrack: table full, dropping packet\n", 0, CT_KMSG_TABLE_FULL,
	  false, 0, 0, 77, 5 },
	{ "old ip_conntrack", "4,1,2,-;ip_conntrack: table full, dropping packet.\n", 0, CT_KMSG_TABLE_FULL, false, 0, 0, 1, 2 },
	{ "net_ratelimit", "4,9,10,-;net_ratelimit: 123 callbacks suppressed\n", 0, CT_KMSG_SUPPRESSED, false, 0, 123, 9, 10 },
	{ "printk suppression (seed 003)", "4,9,10,-;printk: 2758 messages suppressed.\n", 0, CT_KMSG_SUPPRESSED, false, 0, 2758, 9, 10 },
	{ "with continuation lines", "6,3,4,c;nf_conntrack: nf_conntrack: table full in netns 7, dropping packet\n SUBSYSTEM=net\n DEVICE=n3\n",
	  0, CT_KMSG_TABLE_FULL, true, 7, 0, 3, 4 },
	{ "extra header fields", "4,5,6,-,caller=T12;net_ratelimit: 4 callbacks suppressed\n", 0, CT_KMSG_SUPPRESSED, false, 0, 4, 5, 6 },
	{ "unrelated line", "6,1,2,-;eth0: link up\n", 0, CT_KMSG_OTHER },
	{ "table full of something else", "6,1,2,-;foo: table full, dropping packet\n", 0, CT_KMSG_OTHER },
	{ "netns without a number", "4,1,2,-;nf_conntrack: table full in netns , dropping packet\n", 0, CT_KMSG_OTHER },
	{ "suppressed without a number", "4,1,2,-;net_ratelimit: callbacks suppressed\n", 0, CT_KMSG_OTHER },
	{ "no semicolon", "4,1,2,-nf_conntrack\n", -1 },
	{ "no sequence", "4;hello\n", -1 },
	{ "letters in the prefix", "x,1,2,-;hello\n", -1 },
	{ "empty", "", -1 },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct kcase *c = &cases[i];
		struct ct_kmsg_record r;
		int rc = ct_kmsg_parse(c->rec, strlen(c->rec), &r);
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d", c->what, rc, c->rc);
		if (rc < 0)
			continue;
		if (r.kind != c->kind || r.has_netns != c->has_netns || r.netns != c->netns ||
		    r.suppressed != c->suppressed)
			fail_msg("%s: kind %d netns %d/%llu suppressed %llu", c->what, r.kind, r.has_netns,
				 (unsigned long long)r.netns, (unsigned long long)r.suppressed);
		if (c->seq && (r.seq != c->seq || r.ts_us != c->ts_us))
			fail_msg("%s: seq %llu ts %llu", c->what, (unsigned long long)r.seq,
				 (unsigned long long)r.ts_us);
		assert_null(memchr(r.msg, '\n', r.msglen)); /* the message stops at the first line */
	}
}

static void test_dmesg_text(void **state)
{
	(void)state;
	struct ct_kmsg_record r;
	const char *line = "[ 1234.567890] nf_conntrack: nf_conntrack: table full in netns 42, dropping packet";
	ct_kmsg_classify(line, strlen(line), &r);
	assert_int_equal(r.kind, CT_KMSG_TABLE_FULL);
	assert_int_equal(r.netns, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_dmesg_text),
	};
	return cmocka_run_group_tests_name("kmsg", tests, NULL, NULL);
}
