/* iptables text rewritten into chains ctstorm owns on a real host: every
 * rule lands in a CTSTORM-* chain reached by one jump per built-in chain,
 * the text's own chains renamed with their jumps, quoted words untouched;
 * anything that would change the host's own chains refused, naming the
 * line. */
#include "iptowned.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_seed_notrack(void **state)
{
	(void)state;
	/* seed 000's method 2, as the article gives it (two tables) */
	const char *in = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
			 "-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK\n"
			 "-A OUTPUT -p udp -m udp --sport 53 -j NOTRACK\n"
			 "COMMIT\n"
			 "*filter\n:INPUT ACCEPT [0:0]\n"
			 "-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
			 "COMMIT\n";
	struct ipt_owned o;
	char err[256];
	char *out = ipt_owned_rewrite(in, &o, err, sizeof err);
	assert_non_null(out);
	/* filter comes first in the rewritten text: tables in a fixed order */
	assert_string_equal(out, "*filter\n"
				 ":CTSTORM-INPUT - [0:0]\n"
				 "-A CTSTORM-INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
				 "-I INPUT 1 -j CTSTORM-INPUT\n"
				 "COMMIT\n"
				 "*raw\n"
				 ":CTSTORM-PREROUTING - [0:0]\n"
				 ":CTSTORM-OUTPUT - [0:0]\n"
				 "-A CTSTORM-PREROUTING -p udp -m udp --dport 53 -j NOTRACK\n"
				 "-A CTSTORM-OUTPUT -p udp -m udp --sport 53 -j NOTRACK\n"
				 "-I PREROUTING 1 -j CTSTORM-PREROUTING\n"
				 "-I OUTPUT 1 -j CTSTORM-OUTPUT\n"
				 "COMMIT\n");
	assert_int_equal(o.n, 2);
	assert_string_equal(o.t[0].table, "filter");
	assert_string_equal(o.t[0].builtins, "INPUT");
	assert_string_equal(o.t[0].chains, "CTSTORM-INPUT");
	assert_string_equal(o.t[1].table, "raw");
	assert_string_equal(o.t[1].builtins, "PREROUTING,OUTPUT");
	assert_string_equal(o.t[1].chains, "CTSTORM-PREROUTING,CTSTORM-OUTPUT");
	free(out);
}

static void test_own_chains(void **state)
{
	(void)state;
	/* a chain of the text's own, jumped to and gone to; a comment that
	 * names it stays as written; a table in two parts adds up */
	const char *in = "  # indented, as in a scenario file\n"
			 "  *raw\n  :DNS - [0:0]\n"
			 "  -A PREROUTING -p udp -j DNS\n"
			 "  -A DNS -m comment --comment \"-j DNS here\" -j CT --notrack\r\n"
			 "  COMMIT\n"
			 "*raw\n-I OUTPUT 1 -p udp --sport 53 -g DNS\nCOMMIT\n";
	struct ipt_owned o;
	char err[256];
	char *out = ipt_owned_rewrite(in, &o, err, sizeof err);
	assert_non_null(out);
	has_line(out, ":CTSTORM-DNS - [0:0]");
	has_line(out, "-A CTSTORM-PREROUTING -p udp -j CTSTORM-DNS");
	has_line(out, "-A CTSTORM-DNS -m comment --comment \"-j DNS here\" -j CT --notrack");
	has_line(out, "-I CTSTORM-OUTPUT 1 -p udp --sport 53 -g CTSTORM-DNS");
	has_line(out, "-I OUTPUT 1 -j CTSTORM-OUTPUT");
	assert_int_equal(o.n, 1);
	assert_string_equal(o.t[0].builtins, "PREROUTING,OUTPUT");
	assert_string_equal(o.t[0].chains, "CTSTORM-PREROUTING,CTSTORM-OUTPUT,CTSTORM-DNS");
	/* only one *raw in the result */
	assert_null(strstr(strstr(out, "*raw") + 1, "*raw"));
	free(out);
	/* a chain of its own nothing jumps to: owned all the same, no built-in */
	out = ipt_owned_rewrite("*filter\n:SPARE - [0:0]\n-A SPARE -j ACCEPT\nCOMMIT\n", &o, err, sizeof err);
	assert_non_null(out);
	assert_string_equal(o.t[0].builtins, "-");
	assert_string_equal(o.t[0].chains, "CTSTORM-SPARE");
	free(out);
}

static void refused(const char *in, const char *want)
{
	struct ipt_owned o;
	char err[256] = "";
	char *out = ipt_owned_rewrite(in, &o, err, sizeof err);
	if (out || !strstr(err, want))
		fail_msg("'%s': expected an error with '%s', got %s", in, want, out ? "a text" : err);
	assert_int_equal(o.n, 0);
}

static void test_refused(void **state)
{
	(void)state;
	refused("*filter\n:INPUT DROP [0:0]\nCOMMIT\n", "line 2: INPUT DROP: the policy of a built-in chain is the host's");
	refused("*filter\n-P INPUT DROP\nCOMMIT\n", "line 2: -P: ctstorm only adds rules (-A, -I)");
	refused("*filter\n-F INPUT\nCOMMIT\n", "line 2: -F:");
	refused("*filter\n-D INPUT -j ACCEPT\nCOMMIT\n", "line 2: -D:");
	refused("*filter\n-X\nCOMMIT\n", "line 2: -X:");
	refused("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", "line 2: chain NOPE: neither a built-in chain of *filter");
	refused("*raw\n-A INPUT -j ACCEPT\nCOMMIT\n", "chain INPUT: neither a built-in chain of *raw");
	refused("*filter\n-A INPUT -j ACCEPT\n", "COMMIT missing");
	refused("-A INPUT -j ACCEPT\n", "line 1: '-A INPUT -j ACCEPT' outside a table");
	refused("*broute\nCOMMIT\n", "line 1: *broute: not a table");
	refused("*filter\n*raw\n", "line 2: *raw inside *filter");
	refused("", "no rule in the text");
	refused("*raw\nCOMMIT\n", "no rule in the text");
	refused("*filter\n:A_CHAIN_NAME_OF_TWENTY_ONE - [0:0]\nCOMMIT\n", "at most 20 characters");
	refused("*filter\n:BAD;NAME - [0:0]\nCOMMIT\n", "chain BAD;NAME: letters, digits");
	refused("*filter\n:MINE ACCEPT [0:0]\nCOMMIT\n", "MINE: a chain of its own has the policy -");
	refused("*filter\n:INPUT\nCOMMIT\n", "a chain without a policy");
	refused("*filter\nACCEPT\nCOMMIT\n", "line 2: 'ACCEPT' is not iptables-restore input");
	refused("*filter\n-A\nCOMMIT\n", "line 2: -A without a chain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_notrack),
		cmocka_unit_test(test_own_chains),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
