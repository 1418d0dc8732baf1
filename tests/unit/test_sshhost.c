/* A real host's address as users write it, and the agent's requests: what
 * is accepted, how it is normalised, and every refusal naming what is
 * wrong (a host ssh would read as an option above all). */
#include "node.h"
#include "sshhost.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_targets(void **state)
{
	(void)state;
	static const struct {
		const char *in, *user, *host, *url;
		unsigned port;
	} good[] = {
		{ "ssh://db1", "", "db1", "ssh://db1", 0 },
		{ "ssh://root@db1.example.test:2222", "root", "db1.example.test", "ssh://root@db1.example.test:2222", 2222 },
		{ "ssh://198.18.0.2", "", "198.18.0.2", "ssh://198.18.0.2", 0 },
		{ "ssh://ops@[2001:2::2]:22", "ops", "2001:2::2", "ssh://ops@[2001:2::2]:22", 22 },
		{ "ssh://[2001:2::2]/", "", "2001:2::2", "ssh://[2001:2::2]", 0 },
		{ "ssh://edge_router-3", "", "edge_router-3", "ssh://edge_router-3", 0 },
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct ssh_target t;
		char err[256] = "";
		if (ssh_target_parse(good[i].in, &t, err, sizeof err) != 0)
			fail_msg("%s: %s", good[i].in, err);
		assert_string_equal(t.user, good[i].user);
		assert_string_equal(t.host, good[i].host);
		assert_int_equal(t.port, good[i].port);
		assert_string_equal(t.url, good[i].url);
	}
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "db1", "a host is ssh://[USER@]HOST[:PORT]" },
		{ "http://db1", "a host is ssh://" },
		{ "ssh://", "no host" },
		{ "ssh://-oProxyCommand=touch /tmp/x", "may not start with '-'" },
		{ "ssh://root@-oProxyCommand=x", "may not start with '-'" },
		{ "ssh://db1:0", "the port is not a number from 1 to 65535" },
		{ "ssh://db1:65536", "the port is not a number from 1 to 65535" },
		{ "ssh://db1:22x", "the port is not a number" },
		{ "ssh://db 1", "' ' in the host name" },
		{ "ssh://db1;reboot", "';' in the host name" },
		{ "ssh://@db1", "the user before '@' is empty" },
		{ "ssh://r$(id)@db1", "'$' in the user name" },
		{ "ssh://[2001:2::2", "'[' without ']'" },
		{ "ssh://[zz::1]", "'z' in an IPv6 address" },
		{ "ssh://db1/path", "unexpected '/path' after the host" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct ssh_target t;
		char err[256] = "";
		if (ssh_target_parse(bad[i].in, &t, err, sizeof err) == 0)
			fail_msg("%s: accepted", bad[i].in);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].in, err, bad[i].why);
	}
	assert_true(ssh_shell_safe("/usr/local/lib/ctstorm/bin"));
	assert_false(ssh_shell_safe("/tmp/a b"));
	assert_false(ssh_shell_safe("/tmp/$(x)"));
	assert_false(ssh_shell_safe(""));
}

static void test_requests(void **state)
{
	(void)state;
	struct node_req r;
	char err[256];
#define PARSE(s) node_parse_request(s, strlen(s), &r, err, sizeof err)
	assert_int_equal(PARSE("{\"op\":\"hello\"}"), 0);
	assert_int_equal(r.op, NODE_HELLO);
	assert_int_equal(PARSE("{\"op\":\"sysctl-set\",\"key\":\"nf_conntrack_max\",\"value\":131072,\"allow_lower\":true}"), 0);
	assert_int_equal(r.op, NODE_SYSCTL_SET);
	assert_string_equal(r.key, "nf_conntrack_max");
	assert_string_equal(r.value, "131072");
	assert_true(r.allow_lower);
	assert_int_equal(PARSE("{\"op\":\"sysctl-set\",\"key\":\"net.ipv4.ip_local_port_range\",\"value\":\"1024 65535\"}"), 0);
	assert_string_equal(r.value, "1024 65535");
	assert_false(r.allow_lower);
	assert_int_equal(PARSE("{\"op\":\"spawn\",\"prog\":\"loadgen\",\"args\":[\"--src-range=198.19.0.0/16\"]}"), 0);
	node_req_free(&r);
	assert_int_equal(PARSE("{\"op\":\"spawn\",\"prog\":\"sampler\",\"args\":[\"--csv=sampler.csv\",\"--quiet\"]}"), 0);
	assert_int_equal(r.prog, NODE_SAMPLER);
	assert_string_equal(r.args[1], "--quiet");
	assert_null(r.args[2]);
	node_req_free(&r);
	assert_int_equal(PARSE("{\"op\":\"firewall\",\"nft\":\"chain c { }\"}"), 0);
	assert_string_equal(r.data, "chain c { }");
	node_req_free(&r);
	assert_int_equal(PARSE("{\"op\":\"forget\",\"dst\":\"2001:2::2\",\"port\":53}"), 0);
	assert_string_equal(r.src, "");
	/* a source range: its base with the host bits cleared, and its length */
	assert_int_equal(PARSE("{\"op\":\"forget\",\"dst\":\"198.18.0.2\",\"src\":\"198.19.7.9/16\",\"port\":53}"), 0);
	assert_string_equal(r.src, "198.19.0.0");
	assert_int_equal(r.src_prefix, 16);
	assert_int_equal(PARSE("{\"op\":\"forget\",\"dst\":\"198.18.0.2\",\"src\":\"198.18.0.1\",\"port\":53}"), 0);
	assert_int_equal(r.src_prefix, 32);
	assert_int_equal(PARSE("{\"op\":\"route\",\"range\":\"198.19.1.1/16\",\"local\":true}"), 0);
	assert_string_equal(r.route, "198.19.0.0/16");
	assert_true(r.local);
	assert_int_equal(PARSE("{\"op\":\"route\",\"range\":\"2001:2:0:100::/64\",\"via\":\"2001:2::1\"}"), 0);
	assert_string_equal(r.dst, "2001:2::1");
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "not JSON" },
		{ "[1]", "a request is an object with \"op\"" },
		{ "{\"op\":\"reboot\"}", "unknown op 'reboot'" },
		{ "{\"op\":\"hello\",\"key\":\"x\"}", "hello: unknown field 'key'" },
		{ "{\"op\":\"hello\",\"op\":\"bye\"}", "not JSON" },
		{ "{\"op\":\"sysctl-get\"}", "\"key\" is a sysctl" },
		{ "{\"op\":\"sysctl-get\",\"key\":\"kernel.core_pattern\"}", "\"key\" is a sysctl" },
		{ "{\"op\":\"sysctl-get\",\"key\":\"../../etc/passwd\"}", "\"key\" is a sysctl" },
		{ "{\"op\":\"sysctl-set\",\"key\":\"nf_conntrack_max\"}", "\"value\" is a number or a short line" },
		{ "{\"op\":\"sysctl-set\",\"key\":\"nf_conntrack_max\",\"value\":-1}", "\"value\" is a number" },
		{ "{\"op\":\"sysctl-set\",\"key\":\"nf_conntrack_max\",\"value\":\"1\\n2\"}", "\"value\" is a number" },
		{ "{\"op\":\"sysctl-set\",\"key\":\"nf_conntrack_max\",\"value\":1,\"allow_lower\":\"yes\"}",
		  "\"allow_lower\" is true or false" },
		{ "{\"op\":\"put\",\"name\":\"../etc/passwd\",\"data\":\"x\"}", "put: \"name\" is a file name" },
		{ "{\"op\":\"get\",\"name\":\".ssh\"}", "get: \"name\" is a file name" },
		{ "{\"op\":\"put\",\"name\":\"z\",\"data\":\"a\\u0000b\"}", "not JSON" },
		{ "{\"op\":\"spawn\",\"prog\":\"sh\",\"args\":[]}", "spawn: \"prog\" is responder, sampler or loadgen" },
		{ "{\"op\":\"spawn\",\"prog\":\"loadgen\",\"args\":[\"--a\\nb\"]}", "spawn: argument 1 is not one printable line" },
		{ "{\"op\":\"stop\",\"prog\":\"sampler\",\"signal\":\"KILL\",\"grace_ms\":0}", "stop: \"signal\" is INT or TERM" },
		{ "{\"op\":\"stop\",\"prog\":\"sampler\",\"signal\":\"INT\",\"grace_ms\":-1}", "stop: \"grace_ms\" is 0 to 120000" },
		{ "{\"op\":\"ready\",\"prog\":\"sampler\",\"what\":\"soon\"}", "ready: \"what\" is port53 or sample" },
		{ "{\"op\":\"forget\",\"dst\":\"db1\",\"port\":53}", "forget: \"dst\" is an IPv4 or IPv6 address" },
		{ "{\"op\":\"forget\",\"dst\":\"198.18.0.2\",\"src\":\"2001:2::1\",\"port\":53}", "forget: \"src\" is an address or a range (ADDR/PREFIX) of dst's family" },
		{ "{\"op\":\"forget\",\"dst\":\"198.18.0.2\",\"src\":\"198.19.0.0/33\",\"port\":53}", "forget: \"src\" is an address or a range" },
		{ "{\"op\":\"route\",\"range\":\"198.19.0.0\"}", "route: \"range\" is ADDR/PREFIX" },
		{ "{\"op\":\"route\",\"range\":\"198.19.0.0/16\",\"via\":\"2001:2::1\"}", "route: \"via\" is an address of the range's family" },
		{ "{\"op\":\"route\",\"range\":\"198.19.0.0/16\",\"via\":\"198.18.0.1\",\"local\":true}", "(not with local)" },
		{ "{\"op\":\"route\",\"range\":\"198.19.0.0/16\",\"via\":\"-h\"}", "route: \"via\" is an address" },
		{ "{\"op\":\"forget\",\"dst\":\"198.18.0.2\",\"port\":0}", "forget: \"port\" is 1 to 65535" },
		{ "{\"op\":\"time\",\"x\":1}", "time: unknown field 'x'" },
		{ "{\"op\":\"spawn\",\"prog\":\"loadgen\",\"args\":[\"--summary=/etc/passwd\"]}",
		  "spawn: argument 1 names a path" },
		/* found by fuzz_node: a key is a name, never a path */
		{ "{\"op\":\"sysctl-get\",\"key\":\"nf_conntrack_/../../../etc/shadow\"}", "\"key\" is a sysctl" },
		{ "{\"op\":\"sysctl-set\",\"key\":\"nf_conntrack_max.....\",\"value\":1}", "\"key\" is a sysctl" },
		{ "{\"op\":\"sysctl-get\",\"key\":\"net.ipv4.\"}", "\"key\" is a sysctl" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		if (PARSE(bad[i].in) == 0)
			fail_msg("%s: accepted", bad[i].in);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].in, err, bad[i].why);
	}
#undef PARSE
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_targets), cmocka_unit_test(test_requests) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
