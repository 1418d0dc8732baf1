/* A typed configuration back into its binary's command line (optargv.h):
 * what the runner hands the loadgen and the responder parses back to the
 * very values the scenario gave, and a load divides among hosts as each
 * option's split says. */
#include "lg_cli.h"
#include "optargv.h"
#include "responder_cli.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void parse(const struct ct_opt *table, void *cfg, size_t size, int argc, char **argv)
{
	char err[256] = "";
	memset(cfg, 0, size);
	int rc = ct_opt_parse(table, cfg, argc, argv, NULL, err, sizeof err);
	if (rc != CT_OPT_OK)
		fail_msg("%s", err);
}

/* Every option's value in a and b, as text, the same. */
static void assert_same(const struct ct_opt *table, const void *a, const void *b)
{
	for (const struct ct_opt *o = table; o->name; o++) {
		char va[4096], vb[4096], err[256];
		if (o->type == CT_OPT_LIST) {
			const struct ct_strlist *la = (const void *)((const char *)a + o->offset),
						*lb = (const void *)((const char *)b + o->offset);
			assert_int_equal(la->n, lb->n);
			for (size_t i = 0; i < la->n; i++)
				assert_string_equal(la->v[i], lb->v[i]);
			continue;
		}
		assert_int_equal(ct_opt_format(o, a, va, sizeof va, err, sizeof err), 0);
		assert_int_equal(ct_opt_format(o, b, vb, sizeof vb, err, sizeof err), 0);
		if (strcmp(va, vb) != 0)
			fail_msg("--%s: '%s' came back as '%s'", o->name, va, vb);
	}
}

/* cfg -> argv -> cfg again: the same values; the argv returned (free it). */
static struct ct_argv round_trip(const struct ct_opt *table, const void *cfg, void *back, size_t size)
{
	struct ct_argv a = { 0 };
	char err[256] = "";
	ct_argv_add(&a, "prog");
	if (ct_opt_argv(table, cfg, size, &a, err, sizeof err) < 0)
		fail_msg("%s", err);
	parse(table, back, size, (int)a.n, a.v);
	assert_same(table, cfg, back);
	return a;
}

static bool has(const struct ct_argv *a, const char *item)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], item) == 0)
			return true;
	return false;
}

static void test_loadgen_round_trip(void **state)
{
	(void)state;
	char *argv[] = { "lg",
			 "--server=198.18.0.2",
			 "--qname=www.example.test",
			 "--qtype=A,AAAA,TYPE65",
			 "--limit=1500ms",
			 "--rate-profile=100@2s,ramp:100-2500.5@1500ms",
			 "--clients=7",
			 "--timeout=1.234567ms", /* no whole unit: written back in us */
			 "--mode=tcp",
			 "--sockets=per-query",
			 "--src-range=2001:2::/64",
			 "--canary=2.5",
			 "--max-queries=1000",
			 "--max-lag=1500us",
			 "--no-rd",
			 NULL };
	struct lg_cli in, back;
	parse(lg_cli_options, &in, sizeof in, (int)(sizeof argv / sizeof *argv) - 1, argv);
	struct ct_argv a = round_trip(lg_cli_options, &in, &back, sizeof in);
	assert_true(has(&a, "--timeout=1234.567us"));
	assert_true(has(&a, "--limit=1500ms"));
	assert_true(has(&a, "--no-rd"));
	/* defaults are not repeated: the port and the threads were not given */
	for (size_t i = 0; i < a.n; i++) {
		assert_null(strstr(a.v[i], "--port"));
		assert_null(strstr(a.v[i], "--threads"));
	}
	ct_argv_free(&a);
}

static void test_responder_round_trip(void **state)
{
	(void)state;
	char *argv[] = { "r", "--listen=198.18.0.2:53", "--listen=[2001:2::2]:53", "--zone=z.zone", "--mode=delay=1.5",
			 "--workers=3", "--tcp-idle-timeout=250ms", "--user=root", NULL };
	struct responder_cli in, back;
	parse(responder_cli_options, &in, sizeof in, 8, argv);
	struct ct_argv a = round_trip(responder_cli_options, &in, &back, sizeof in);
	assert_true(has(&a, "--listen=[2001:2::2]:53"));
	ct_opt_free(responder_cli_options, &in);
	ct_opt_free(responder_cli_options, &back);
	ct_argv_free(&a);
}

/* Host i of the weights w: the loadgen's options as it would get them. */
static void part_of(const struct lg_cli *whole, const unsigned *w, unsigned n, unsigned i, struct lg_cli *out)
{
	char err[256] = "";
	*out = *whole;
	struct ct_opt_part p = { i, n, w };
	if (ct_opt_split(lg_cli_options, out, &p, err, sizeof err) < 0)
		fail_msg("%s", err);
}

static void test_split(void **state)
{
	(void)state;
	char *argv[] = { "lg", "--server=s", "--qname=q", "-Q", "900", "-n", "10", "--canary=5", "--canary-log=c.jsonl",
			 "--src-range=198.18.4.0/24", "--sockets=9", "-q", "30", NULL };
	struct lg_cli whole, part;
	parse(lg_cli_options, &whole, sizeof whole, 13, argv);
	const unsigned w[] = { 1, 1, 1 };
	uint64_t queries = 0;
	const char *ranges[] = { "198.18.4.0/26", "198.18.4.64/26", "198.18.4.128/26" };
	for (unsigned i = 0; i < 3; i++) {
		char text[80];
		part_of(&whole, w, 3, i, &part);
		assert_true(part.qps > 299.999 && part.qps < 300.001);
		queries += part.max_queries;
		assert_true(part.max_queries == 3 || part.max_queries == 4);
		assert_int_equal(part.sockets.n, 3);
		assert_int_equal(part.outstanding, 10);
		/* the canary on the first host only */
		assert_true(i == 0 ? part.canary == 5 && part.canary_log : part.canary == 0 && !part.canary_log);
		assert_string_equal(ct_cidr_str(&part.src_range, text, sizeof text), ranges[i]);
	}
	assert_int_equal(queries, 10); /* the parts add up to the whole */

	/* by weight; a profile's rates scale, per-query sockets stay */
	char *argv2[] = { "lg", "--server=s", "--qname=q", "--rate-profile=300@1s,ramp:300-600@2s", "--sockets=per-query",
			  "-c", "1", NULL };
	parse(lg_cli_options, &whole, sizeof whole, 7, argv2);
	const unsigned w2[] = { 2, 1 };
	part_of(&whole, w2, 2, 1, &part);
	assert_true(part.profile.seg[0].r0 > 99.99 && part.profile.seg[0].r0 < 100.01);
	assert_true(part.profile.seg[1].r1 > 199.99 && part.profile.seg[1].r1 < 200.01);
	assert_true(part.sockets.per_query);
	assert_int_equal(part.clients, 1); /* a count is at least 1 */
}

static void test_unwritable(void **state)
{
	(void)state;
	/* a default cannot be unset on a command line: said, not dropped */
	struct lg_cli c;
	char err[256] = "";
	parse(lg_cli_options, &c, sizeof c, 1, (char *[]){ "lg", NULL });
	c.qtype.n = 0;
	struct ct_argv a = { 0 };
	assert_int_equal(ct_opt_argv(lg_cli_options, &c, sizeof c, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "--qtype"));
	ct_argv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loadgen_round_trip),
		cmocka_unit_test(test_responder_round_trip),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_unwritable),
	};
	return cmocka_run_group_tests_name("optargv", tests, NULL, NULL);
}
