/* The option table: defaults, ranges, lists, durations, did-you-mean;
 * its man page entries and completion (optdoc). */
#include "opt.h"
#include "optdoc.h"

#include <setjmp.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

struct cfg {
	uint64_t workers;
	uint64_t idle;
	const char *user;
	struct ct_strlist listen;
	bool quiet;
};

#define OFF(f) offsetof(struct cfg, f)
static const struct ct_opt table[] = {
	{ "workers", 'w', CT_OPT_UINT, OFF(workers), "1", 1, 64, "N", "workers", NULL },
	{ "idle", 0, CT_OPT_DURATION, OFF(idle), "10s", 1000000, 3600000000000ull, "D", "idle", NULL },
	{ "user", 'u', CT_OPT_STR, OFF(user), "nobody", 0, 0, "NAME", "user", NULL },
	{ "listen", 'l', CT_OPT_LIST, OFF(listen), "127.0.0.1:53", 0, 0, "A", "listen", NULL },
	{ "quiet", 'q', CT_OPT_FLAG, OFF(quiet), NULL, 0, 0, NULL, "quiet", NULL },
	CT_OPT_END,
};

static enum ct_opt_result run(struct cfg *c, char *err, int argc, const char **argv)
{
	memset(c, 0, sizeof *c);
	return ct_opt_parse(table, c, argc, (char **)argv, NULL, err, 256);
}

static void test_defaults(void **state)
{
	(void)state;
	struct cfg c;
	char err[256];
	const char *argv[] = { "prog", NULL };
	assert_int_equal(run(&c, err, 1, argv), CT_OPT_OK);
	assert_int_equal(c.workers, 1);
	assert_int_equal(c.idle, 10000000000ull);
	assert_string_equal(c.user, "nobody");
	assert_int_equal(c.listen.n, 1);
	assert_string_equal(c.listen.v[0], "127.0.0.1:53");
	assert_false(c.quiet);
	ct_opt_free(table, &c);
}

static void test_values(void **state)
{
	(void)state;
	struct cfg c;
	char err[256];
	const char *argv[] = { "prog", "-w", "4", "--idle=250ms", "-q", "--listen", "a", "-l", "b", NULL };
	assert_int_equal(run(&c, err, 9, argv), CT_OPT_OK);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.idle, 250000000ull);
	assert_true(c.quiet);
	/* the first explicit value replaces the default list */
	assert_int_equal(c.listen.n, 2);
	assert_string_equal(c.listen.v[0], "a");
	assert_string_equal(c.listen.v[1], "b");
	ct_opt_free(table, &c);
}

struct bad {
	const char *arg1, *arg2;
	const char *error;
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad bads[] = {
		{ "--workers", "0", "--workers: 0 is outside 1..64" },
		{ "--workers", "65", "--workers: 65 is outside 1..64" },
		{ "--workers", "4x", "--workers: '4x' is not a whole number" },
		{ "--workers", "-1", "--workers: '-1' is not a whole number" },
		{ "--idle", "5 parsecs", "--idle: '5 parsecs' has an unknown unit" },
		{ "--idle", "0", "--idle: 0 is outside 1ms..3600000ms" },
		{ "--wrokers", "2", "unknown option '--wrokers' (did you mean '--workers'?)" },
		{ "--zzzzzzzz", "2", "unknown option '--zzzzzzzz'" },
		{ "-x", "2", "unknown option '-x'" },
	};
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct cfg c;
		char err[256] = "";
		const char *argv[] = { "prog", bads[i].arg1, bads[i].arg2, NULL };
		assert_int_equal(run(&c, err, 3, argv), CT_OPT_ERROR);
		if (!strstr(err, bads[i].error))
			fail_msg("'%s %s': got '%s', want '%s'", bads[i].arg1, bads[i].arg2, err, bads[i].error);
		ct_opt_free(table, &c);
	}
}

static void test_missing_value(void **state)
{
	(void)state;
	struct cfg c;
	char err[256];
	const char *argv[] = { "prog", "--workers", NULL };
	assert_int_equal(run(&c, err, 2, argv), CT_OPT_ERROR);
	assert_non_null(strstr(err, "needs a value"));
	ct_opt_free(table, &c);
}

static void test_help_version(void **state)
{
	(void)state;
	struct cfg c;
	char err[256];
	const char *h[] = { "prog", "--help", NULL };
	const char *v[] = { "prog", "--version", NULL };
	assert_int_equal(run(&c, err, 2, h), CT_OPT_HELP);
	ct_opt_free(table, &c);
	assert_int_equal(run(&c, err, 2, v), CT_OPT_VERSION);
	ct_opt_free(table, &c);
}

static void test_set_by_name(void **state)
{
	(void)state;
	struct cfg c;
	char err[256];
	const char *argv[] = { "prog", NULL };
	assert_int_equal(run(&c, err, 1, argv), CT_OPT_OK);
	assert_int_equal(ct_opt_set(table, &c, "workers", "8", err, sizeof err), 0);
	assert_int_equal(c.workers, 8);
	assert_int_equal(ct_opt_set(table, &c, "usr", "x", err, sizeof err), -1);
	assert_string_equal(err, "unknown option 'usr' (did you mean 'user'?)");
	ct_opt_free(table, &c);
}

static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t ns;
	} ok[] = { { "3", 3000000000ull }, { "1.5s", 1500000000ull }, { "250ms", 250000000ull },
		   { "500us", 500000ull }, { "2m", 120000000000ull }, { "1h", 3600000000000ull } };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t ns;
		assert_int_equal(ct_parse_duration(ok[i].text, &ns, NULL, 0), 0);
		assert_int_equal(ns, ok[i].ns);
	}
	uint64_t ns;
	assert_int_equal(ct_parse_duration("", &ns, NULL, 0), -1);
	assert_int_equal(ct_parse_duration("s", &ns, NULL, 0), -1);
	assert_int_equal(ct_parse_duration("-1s", &ns, NULL, 0), -1);
	assert_int_equal(ct_parse_duration("1e30h", &ns, NULL, 0), -1);
}

/* The typed values: an enum's words, a rate, yes/no, and the nearest
 * word suggested. */
struct typed {
	unsigned mode;
	double rate;
	bool flag;
};

static const char *const modes[] = { "udp", "tcp", NULL };
#define TOFF(f) offsetof(struct typed, f)
static const struct ct_opt typed_table[] = {
	{ "mode", 'm', CT_OPT_ENUM, TOFF(mode), "udp", 0, 0, NULL, "transport", NULL, modes },
	{ "rate", 'r', CT_OPT_RATE, TOFF(rate), NULL, 0, 1000, "QPS", "rate", NULL },
	{ "flag", 0, CT_OPT_FLAG, TOFF(flag), NULL, 0, 0, NULL, "a flag", NULL },
	CT_OPT_END,
};

static void test_typed(void **state)
{
	(void)state;
	struct typed t = { 0 };
	char err[256];
	const char *argv[] = { "prog", "-m", "tcp", "--rate=12.5", NULL };
	assert_int_equal(ct_opt_parse(typed_table, &t, 4, (char **)argv, NULL, err, sizeof err), CT_OPT_OK);
	assert_int_equal(t.mode, 1);
	assert_true(t.rate == 12.5);
	static const struct {
		const char *key, *value, *error;
	} bads[] = {
		{ "mode", "quic", "--mode: 'quic' is not udp or tcp" },
		{ "mode", "tpc", "--mode: 'tpc' is not udp or tcp (did you mean 'tcp'?)" },
		{ "mode", "UDP", "is not udp or tcp" },
		{ "rate", "0", "--rate: '0' is not a rate per second above 0 and at most 1000" },
		{ "rate", "1001", "at most 1000" },
		{ "rate", "ten", "'ten' is not a rate" },
		{ "rate", "5qps", "'5qps' is not a rate" },
		{ "rate", "nan", "'nan' is not a rate" },
		{ "flag", "maybe", "--flag: 'maybe' is not a boolean (yes/no)" },
	};
	for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
		assert_int_equal(ct_opt_set(typed_table, &t, bads[i].key, bads[i].value, err, sizeof err), -1);
		if (!strstr(err, bads[i].error))
			fail_msg("%s = %s: got '%s', want '%s'", bads[i].key, bads[i].value, err, bads[i].error);
	}
	static const char *const yes[] = { "yes", "true", "1" }, *const no[] = { "no", "false", "0" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(ct_opt_set(typed_table, &t, "flag", yes[i], err, sizeof err), 0);
		assert_true(t.flag);
		assert_int_equal(ct_opt_set(typed_table, &t, "flag", no[i], err, sizeof err), 0);
		assert_false(t.flag);
	}
	/* three words: "one of" */
	static const char *const three[] = { "ctstorm", "nsd", "knot", NULL };
	unsigned v;
	assert_int_equal(ct_parse_enum("bind", three, &v, err, sizeof err), -1);
	assert_string_equal(err, "'bind' is not one of ctstorm, nsd or knot");
}

static void test_did_you_mean(void **state)
{
	(void)state;
	static const char *const words[] = { "loadgen.late", "loadgen.loss_pct", "sampler.drop", "max-qps", NULL };
	assert_string_equal(ct_did_you_mean("sampler.drops", words, 4), "sampler.drop"); /* one edit */
	assert_string_equal(ct_did_you_mean("loadgen.loss", words, 4), "loadgen.loss_pct"); /* a prefix first */
	assert_string_equal(ct_did_you_mean("max-qsp", words, 4), "max-qps");
	assert_null(ct_did_you_mean("banana", words, 4));
}

/* What fn writes into a memory stream, as a string (freed by the caller). */
#define CAPTURE(buf, call)                                                 \
	do {                                                               \
		size_t len_;                                               \
		FILE *out = open_memstream(&(buf), &len_);                 \
		call;                                                      \
		fclose(out);                                               \
	} while (0)

static void test_roff(void **state)
{
	(void)state;
	char *buf;
	CAPTURE(buf, ct_roff_text(out, ".dot -minus back\\slash\n'quote mid'dle"));
	assert_string_equal(buf, "\\&.dot \\-minus back\\eslash\n\\&'quote mid'dle");
	free(buf);
	CAPTURE(buf, ct_opt_man(out, table));
	assert_non_null(strstr(buf, ".TP\n\\fB\\-w\\fR, \\fB\\-\\-workers\\fR \\fIN\\fR\nworkers (1..64) [default: 1]\n"));
	assert_non_null(strstr(buf, "\\fB\\-\\-listen\\fR \\fIA\\fR\nlisten (may repeat) [default: 127.0.0.1:53]\n"));
	assert_non_null(strstr(buf, "\\fB\\-\\-version\\fR\n"));
	free(buf);
}

static void test_words_split(void **state)
{
	(void)state;
	struct ct_words ws;
	ct_words_split("prog  --user ro", &ws);
	assert_int_equal(ws.n, 3);
	assert_string_equal(ct_words_cur(&ws), "ro");
	assert_string_equal(ct_words_prev(&ws), "--user");
	ct_words_free(&ws);
	ct_words_split("prog --user ", &ws); /* after a blank: a new, empty word */
	assert_int_equal(ws.n, 3);
	assert_string_equal(ct_words_cur(&ws), "");
	ct_words_free(&ws);
	ct_words_split("", &ws);
	assert_int_equal(ws.n, 1);
	assert_string_equal(ct_words_cur(&ws), "");
	assert_string_equal(ct_words_prev(&ws), "");
	ct_words_free(&ws);
}

static const char *const transports[] = { "udp", "tcp", "tls", NULL };
static const struct ct_opt enum_table[] = {
	{ "mode", 'm', CT_OPT_ENUM, 0, "udp", 0, 0, NULL, "transport", NULL, transports },
	{ "max-qps", 'Q', CT_OPT_RATE, 0, NULL, 0, 1000, "QPS", "rate", NULL },
	{ "quiet", 'q', CT_OPT_FLAG, 0, NULL, 0, 0, NULL, "quiet", NULL },
	CT_OPT_END,
};

static char *complete(const char *line, bool *handled)
{
	char *buf;
	struct ct_words ws;
	ct_words_split(line, &ws);
	CAPTURE(buf, *handled = ct_opt_complete(out, enum_table, &ws));
	ct_words_free(&ws);
	return buf;
}

static void test_complete(void **state)
{
	(void)state;
	static const struct {
		const char *line, *want;
		bool handled;
	} cases[] = {
		{ "p --m", "--mode\n--max-qps\n", true },
		{ "p -", "--mode\n--max-qps\n--quiet\n--help\n--version\n", true },
		{ "p --mode t", "tcp\ntls\n", true },
		{ "p -m ", "udp\ntcp\ntls\n", true },
		{ "p --mode=u", "--mode=udp\n", true },
		{ "p --max-qps ", "", true },          /* a value, but no words to offer */
		{ "p --quiet ", "", false },           /* a flag takes none: a positional */
		{ "p file", "", false },
		{ "p --nosuch=x", "", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool handled;
		char *got = complete(cases[i].line, &handled);
		assert_string_equal(got, cases[i].want);
		assert_int_equal(handled, cases[i].handled);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),       cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_help_version), cmocka_unit_test(test_set_by_name),
		cmocka_unit_test(test_durations),    cmocka_unit_test(test_typed),
		cmocka_unit_test(test_did_you_mean), cmocka_unit_test(test_roff),
		cmocka_unit_test(test_words_split),  cmocka_unit_test(test_complete),
	};
	return cmocka_run_group_tests_name("opt", tests, NULL, NULL);
}
