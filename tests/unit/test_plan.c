/* ctstorm plan's arithmetic, checked by hand. */
#include "plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void test_flow_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		enum plan_proto proto;
		double rate, timeout;
		const char *key;
	} cases[] = {
		{ "udp:5000", 0, PLAN_UDP, 5000, 0, "nf_conntrack_udp_timeout" },
		{ "udp:5000:10", 0, PLAN_UDP, 5000, 10, "nf_conntrack_udp_timeout" },
		{ "udp:200:stream", 0, PLAN_UDP, 200, 0, "nf_conntrack_udp_timeout_stream" },
		{ "tcp:2000:time_wait", 0, PLAN_TCP, 2000, 0, "nf_conntrack_tcp_timeout_time_wait" },
		{ "tcp:10.5:established:3600", 0, PLAN_TCP, 10.5, 3600, "nf_conntrack_tcp_timeout_established" },
		/* as conntrack -L prints the states; timeouts with units */
		{ "TCP:2000:TIME_WAIT:2m", 0, PLAN_TCP, 2000, 120, "nf_conntrack_tcp_timeout_time_wait" },
		{ "udp:5000:30s", 0, PLAN_UDP, 5000, 30, "nf_conntrack_udp_timeout" },
		{ "udp:5000:500ms", 0, PLAN_UDP, 5000, 0.5, "nf_conntrack_udp_timeout" },
		{ "udp:5000:0", -1 },
		{ "udp:0", -1 },
		{ "udp:-3", -1 },
		{ "udp:lots", -1 },
		{ "tcp:5", -1 },
		{ "tcp:5:timewait", -1 },
		{ "icmp:5", -1 },
		{ "udp:5:10:20", -1 },
		{ "udp:5:x", -1 },
		{ "udp", -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct plan_flow f;
		char err[256] = "";
		int rc = plan_flow_parse(cases[i].text, &f, err, sizeof err);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d (%s)", cases[i].text, rc, cases[i].rc, err);
		if (rc < 0) {
			assert_non_null(strstr(err, cases[i].text)); /* names what was wrong */
			continue;
		}
		assert_int_equal(f.proto, cases[i].proto);
		assert_true(f.rate == cases[i].rate);
		assert_int_equal(f.timeout_given, cases[i].timeout > 0);
		if (cases[i].timeout > 0)
			assert_true(f.timeout_s == cases[i].timeout);
		char key[64];
		plan_timeout_key(&f, key, sizeof key);
		assert_string_equal(key, cases[i].key);
	}
}

static void test_little(void **state)
{
	(void)state;
	struct plan_flow flows[2];
	char err[256];
	assert_int_equal(plan_flow_parse("udp:5000:30", &flows[0], err, sizeof err), 0);
	assert_int_equal(plan_flow_parse("tcp:2000:time_wait:120", &flows[1], err, sizeof err), 0);
	struct plan_input in = { .flows = flows, .n = 2, .ram_bytes = 64ull << 30, .pointer_bits = 64,
				 .headroom = 0.25, .gc_lag_s = 2, .entry_bytes = 320 };
	struct plan_result r;
	plan_compute(&in, &r);
	/* 5000 x 30 = 150000; 2000 x 120 = 240000 */
	assert_true(r.per_flow[0] == 150000 && r.per_flow[1] == 240000);
	assert_true(r.steady == 390000);
	/* (5000 + 2000) x 2 s */
	assert_true(r.gc_extra == 14000);
	/* (390000 + 14000) x 1.25 */
	assert_true(r.peak == 505000);
	/* the next multiple of 1024: 494 x 1024 */
	assert_int_equal(r.plan.max, 505856);
	assert_int_equal(r.plan.buckets, 505856);
	assert_int_equal(r.plan.memory_bytes, 505856ull * 320 + 505856ull * 8);
	/* seed 004's example: 64 GB, 64 bits -> 2097152, buckets 262144 .. 1048576 */
	assert_int_equal(r.formula.max, 2097152);
	assert_int_equal(r.formula.buckets, 262144);
	assert_int_equal(r.formula_buckets_max, 1048576);
	/* the kernel's default above 4 GiB on 64 bits */
	assert_int_equal(r.kernel.max, 262144);
	assert_int_equal(r.kernel.buckets, 262144);
}

/* A burst after a quiet period: every flow of the idle collector's first
 * interval is held at its first pass, whatever the timeouts. */
static void test_after_quiet(void **state)
{
	(void)state;
	struct plan_flow f;
	char err[256];
	assert_int_equal(plan_flow_parse("udp:400:5", &f, err, sizeof err), 0);
	struct plan_input in = { .flows = &f, .n = 1, .ram_bytes = 4ull << 30, .pointer_bits = 64, .headroom = 0.25,
				 .gc_lag_s = 2, .after_quiet_s = PLAN_AFTER_QUIET_S, .entry_bytes = 320 };
	struct plan_result r;
	plan_compute(&in, &r);
	assert_true(r.steady == 2000 && r.gc_extra == 800);
	assert_true(r.burst == 24000);
	assert_true(r.peak == 30000);   /* 24000 x 1.25: the burst, not the steady 2800 */
	assert_int_equal(r.plan.max, 30720);
	/* long timeouts: Little's law is the larger */
	assert_int_equal(plan_flow_parse("udp:400:120", &f, err, sizeof err), 0);
	plan_compute(&in, &r);
	assert_true(r.burst == 24000 && r.peak == (48000 + 800) * 1.25);
	/* steady traffic only */
	in.after_quiet_s = 0;
	plan_compute(&in, &r);
	assert_true(r.burst == 0 && r.peak == 48800 * 1.25);
}

static void test_kernel_default(void **state)
{
	(void)state;
	static const struct {
		uint64_t ram;
		unsigned bits, kernel;
		uint64_t max, buckets;
	} cases[] = {
		/* since 5.15: max = buckets, 262144 above 4 GiB on 64 bits, 65536 above 1 GiB */
		{ 64ull << 30, 64, PLAN_KERNEL(6, 1), 262144, 262144 },
		{ 2ull << 30, 64, PLAN_KERNEL(5, 15), 65536, 65536 },
		{ 512ull << 20, 64, PLAN_KERNEL(6, 1), 4096, 4096 }, /* 512 MiB / 16384 / 8 */
		{ 3ull << 30, 32, PLAN_KERNEL(6, 1), 65536, 65536 }, /* 32 bits, above 1 GiB */
		{ 8ull << 20, 64, PLAN_KERNEL(6, 1), 1024, 1024 },   /* the floor */
		/* before: max = 4 x buckets, 65536 above 4 GiB, 16384 above 1 GiB, at least 32 */
		{ 64ull << 30, 64, PLAN_KERNEL(5, 10), 262144, 65536 },
		{ 2ull << 30, 64, PLAN_KERNEL(4, 19), 65536, 16384 },
		{ 512ull << 20, 64, PLAN_KERNEL(5, 14), 16384, 4096 },
		{ 4ull << 20, 64, PLAN_KERNEL(4, 9), 128, 32 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint64_t max, buckets;
		plan_kernel_default(cases[i].ram, cases[i].bits, cases[i].kernel, &max, &buckets);
		if (max != cases[i].max || buckets != cases[i].buckets)
			fail_msg("case %zu: max %llu buckets %llu, want %llu %llu", i, (unsigned long long)max,
				 (unsigned long long)buckets, (unsigned long long)cases[i].max,
				 (unsigned long long)cases[i].buckets);
	}
	unsigned k;
	char err[256];
	assert_int_equal(plan_kernel_parse("6.1", &k, err, sizeof err), 0);
	assert_int_equal(k, PLAN_KERNEL(6, 1));
	assert_int_equal(plan_kernel_parse("5.10.0-28-amd64", &k, err, sizeof err), 0);
	assert_int_equal(k, PLAN_KERNEL(5, 10));
	assert_int_equal(plan_kernel_parse("6.18.0+", &k, err, sizeof err), 0); /* "+": the next dot or dash only */
	assert_int_equal(k, PLAN_KERNEL(6, 18));
	assert_int_equal(plan_kernel_parse("six", &k, err, sizeof err), -1);
	assert_int_equal(plan_kernel_parse("6", &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "'6'"));
}

static void test_small_and_sizes(void **state)
{
	(void)state;
	struct plan_flow f;
	char err[256];
	assert_int_equal(plan_flow_parse("udp:10:5", &f, err, sizeof err), 0);
	struct plan_input in = { .flows = &f, .n = 1, .ram_bytes = 1ull << 30, .pointer_bits = 64,
				 .headroom = 0, .gc_lag_s = 0, .entry_bytes = 256 };
	struct plan_result r;
	plan_compute(&in, &r);
	assert_true(r.peak == 50);
	assert_int_equal(r.plan.max, 1024); /* never below 1024 */
	uint64_t b;
	assert_int_equal(plan_parse_size("64G", &b, err, sizeof err), 0);
	assert_int_equal(b, 68719476736ull);
	assert_int_equal(plan_parse_size("512MiB", &b, err, sizeof err), 0);
	assert_int_equal(b, 536870912ull);
	assert_int_equal(plan_parse_size("1.5G", &b, err, sizeof err), 0);
	assert_int_equal(b, 1610612736ull);
	assert_int_equal(plan_parse_size("17179869184B", &b, err, sizeof err), 0);
	assert_int_equal(b, 17179869184ull);
	assert_int_equal(plan_parse_size("64", &b, err, sizeof err), -1); /* 64 bytes? a unit, please */
	assert_non_null(strstr(err, "64G"));
	assert_int_equal(plan_parse_size("12x", &b, err, sizeof err), -1);
	assert_int_equal(plan_parse_size("-1G", &b, err, sizeof err), -1);
}

/* A flow's life before its state's timeout, flows held open, and what
 * the kernel cannot take. */
static void test_life_open_bounds(void **state)
{
	(void)state;
	char err[256];
	struct plan_flow f[2];
	struct plan_open o;
	assert_int_equal(plan_flow_parse("tcp:2000:time_wait:120:life=30s", &f[0], err, sizeof err), 0);
	assert_float_equal(plan_flow_lifetime(&f[0]), 150, 1e-9);
	assert_int_equal(plan_flow_parse("udp:10:dst=4:life=2s", &f[1], err, sizeof err), 0);
	assert_float_equal(f[1].life_s, 2, 1e-9);
	assert_float_equal(f[1].dsts, 4, 1e-9);
	assert_int_equal(plan_flow_parse("udp:10:life=soon", &f[1], err, sizeof err), -1);
	assert_non_null(strstr(err, "life=soon"));
	assert_int_equal(plan_open_parse("tcp:50000", &o, err, sizeof err), 0);
	assert_string_equal(o.state, "established");
	assert_int_equal(plan_open_parse("udp:5:established", &o, err, sizeof err), -1);
	assert_int_equal(plan_open_parse("tcp:50000", &o, err, sizeof err), 0);
	struct plan_input in = { .flows = f, .n = 1, .open = &o, .nopen = 1, .ram_bytes = 64ull << 30,
				 .pointer_bits = 64, .headroom = 0.25, .gc_lag_s = 2, .entry_bytes = 320 };
	struct plan_result r;
	plan_compute(&in, &r);
	/* (2000 x 150 + 50000 + 2000 x 2) x 1.25 */
	assert_float_equal(r.steady, 350000, 1e-6);
	assert_float_equal(r.peak, 442500, 1e-6);
	assert_int_equal(r.refused, PLAN_FITS);
	assert_int_equal(r.driver, PLAN_DRIVER_STEADY);
	assert_int_equal(r.plan.max, 443392);
	/* an idle timeout taken for a life: past the kernel's int */
	assert_int_equal(plan_flow_parse("tcp:50000:established:432000", &f[0], err, sizeof err), 0);
	in.nopen = 0;
	plan_compute(&in, &r);
	assert_int_equal(r.refused, PLAN_OVER_KERNEL);
	assert_int_equal(r.plan.max, 0);
	/* within the int but not the RAM */
	assert_int_equal(plan_flow_parse("udp:1000000:30", &f[0], err, sizeof err), 0);
	in.ram_bytes = 1ull << 30;
	plan_compute(&in, &r);
	assert_int_equal(r.refused, PLAN_OVER_RAM);
	/* a burst after quiet drives it */
	assert_int_equal(plan_flow_parse("udp:100:5", &f[0], err, sizeof err), 0);
	in.after_quiet_s = 60;
	plan_compute(&in, &r);
	assert_int_equal(r.driver, PLAN_DRIVER_AFTER_QUIET);
}

static void test_gc_model(void **state)
{
	(void)state;
	/* idle: the 100 pretend entries at 60 s */
	assert_true(plan_gc_period(0, 0) == 60);
	/* (100 x 60 + 5000 x 2.5) / 5100 */
	assert_float_equal(plan_gc_period(5000, 2.5), 18500.0 / 5100.0, 1e-9);
	/* never below a second */
	assert_true(plan_gc_period(1e9, 0.1) == 1);
	/* auto: 1000 flows/s of 5 s: 5000 live, 2.5 s left on average */
	struct plan_flow f;
	char err[256];
	assert_int_equal(plan_flow_parse("udp:1000:5", &f, err, sizeof err), 0);
	struct plan_input in = { .flows = &f, .n = 1, .ram_bytes = 1ull << 30, .pointer_bits = 64, .headroom = 0,
				 .gc_lag_s = -1, .entry_bytes = 256 };
	struct plan_result r;
	plan_compute(&in, &r);
	/* to the millisecond, as the text shows it: 3.627 s, so 3627 entries */
	assert_float_equal(r.gc_period_s, 3.627, 1e-9);
	assert_float_equal(r.gc_extra, 3627, 1e-6);
	/* the breaking rate of 2048 entries, 5 s: r x (5 + P(5r, 2.5)) = 0.95 x 2048 */
	double b = plan_breaking_rate(2048, 5, 0.95);
	assert_float_equal(b * (5 + plan_gc_period(b * 5, 2.5)), 0.95 * 2048, 1e-3);
	assert_true(b > 126 && b < 128);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_parse),
		cmocka_unit_test(test_little),
		cmocka_unit_test(test_after_quiet),
		cmocka_unit_test(test_kernel_default),
		cmocka_unit_test(test_small_and_sizes),
		cmocka_unit_test(test_gc_model),
		cmocka_unit_test(test_life_open_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
