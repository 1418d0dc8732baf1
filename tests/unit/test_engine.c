/* The load engine against a small server on loopback that answers A and
 * leaves AAAA unanswered when told to, and notes every query's source
 * port and type: a lookup of K queries is answered only when all K are,
 * its queries share one socket, a fixed source port is kept. Waits are
 * bounded only so a broken build cannot hang; nothing here asserts how fast
 * anything is. */
#include "engine.h"

#include "dnswire.h"
#include "queryfile.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define MAXSEEN 4096

struct server {
	int fd;
	uint16_t port;
	bool drop_aaaa;
	pthread_t t;
	_Atomic bool quit;
	size_t nseen;
	struct seen {
		uint16_t sport, qtype;
	} seen[MAXSEEN];
};

/* The type of a query for one name: after the header and the name. */
static uint16_t query_type(const uint8_t *q, size_t len)
{
	size_t o = CT_DNS_HDRLEN;
	while (o < len && q[o])
		o += (size_t)q[o] + 1;
	return o + 3 <= len ? ct_get16(q + o + 1) : 0;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	while (!atomic_load(&s->quit)) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		if (poll(&p, 1, 20) <= 0)
			continue;
		uint8_t buf[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < CT_DNS_HDRLEN)
			continue;
		uint16_t t = query_type(buf, (size_t)n);
		if (s->nseen < MAXSEEN)
			s->seen[s->nseen++] = (struct seen){ ntohs(from.sin_port), t };
		if (s->drop_aaaa && t == 28)
			continue;
		buf[2] |= 0x80; /* the question echoed as an empty answer */
		sendto(s->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void server_start(struct server *s, bool drop_aaaa)
{
	memset(s, 0, sizeof *s);
	s->drop_aaaa = drop_aaaa;
	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->t, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	atomic_store(&s->quit, true);
	pthread_join(s->t, NULL);
	close(s->fd);
}

struct run {
	unsigned parallel;
	bool threads;
	uint16_t sport;
	bool per_query;
	uint64_t queries;
	double qps;             /* open loop at this rate; 0: closed loop */
	double canary;          /* its canary's rate */
	uint32_t pool;          /* sockets (default 1) */
};

/* A run of r->queries queries of www.example.test A, AAAA in turn; the
 * canary's results into canary_out when given. */
static void run_with_canary(struct server *s, const struct run *r, struct lg_result *load, struct lg_result *canary_out)
{
	char err[256];
	struct ct_queryset qs;
	const uint16_t types[] = { 1, 28 };
	struct ct_query_opts qo = { .rd = true };
	assert_int_equal(ct_queryset_types("www.example.test", types, 2, &qo, &qs, err, sizeof err), 0);
	struct lg_config cfg = { .queries = &qs,
				 .proto = LG_UDP,
				 .load = { .pool = r->pool ? r->pool : 1, .per_flow = r->per_query ? 1 : 0 },
				 .duration_ns = 20 * 1000000000ull,
				 .max_queries = r->queries,
				 .outstanding = 8,
				 .timeout_ns = 300 * 1000000ull,
				 .max_lag_ns = 10 * 1000000ull,
				 .threads = 1,
				 .parallel = r->parallel,
				 .parallel_threads = r->threads,
				 .sport = r->sport,
				 .interval_ns = 1000000000ull,
				 .pace_slack_ns = 1000000,
				 .canary_rate = r->canary };
	if (r->qps > 0) {
		cfg.load.open_loop = true;
		ct_sched_constant(&cfg.load.sched, r->qps, cfg.duration_ns);
		cfg.outstanding = 4096;
	}
	struct sockaddr_in *sa = (struct sockaddr_in *)&cfg.server.ss;
	sa->sin_family = AF_INET;
	sa->sin_port = htons(s->port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.server.len = sizeof *sa;
	struct lg_engine *e;
	assert_int_equal(lg_engine_new(&e, &cfg, err, sizeof err), 0);
	assert_int_equal(lg_engine_start(e, err, sizeof err), 0);
	for (int i = 0; i < 2000 && !lg_engine_done(e); i++)
		usleep(10000);
	assert_true(lg_engine_done(e));
	struct lg_result canary;
	lg_engine_join(e, load, &canary);
	if (canary_out)
		*canary_out = canary;
	else
		lg_result_free(&canary);
	lg_engine_free(e);
	ct_queryset_free(&qs);
}

static void run(struct server *s, const struct run *r, struct lg_result *load)
{
	run_with_canary(s, r, load, NULL);
}

/* The seen queries come in pairs from one source port, an A and an AAAA
 * (the release of --parallel-threads may swap them on the wire): from
 * every port as many of one as of the other. A port may come back for a
 * later lookup once the kernel has freed it, never during one. */
static void assert_pairs_share_a_port(const struct server *s)
{
	assert_int_equal(s->nseen % 2, 0);
	for (size_t i = 0; i < s->nseen; i++) {
		int balance = 0;
		for (size_t j = 0; j < s->nseen; j++)
			if (s->seen[j].sport == s->seen[i].sport)
				balance += s->seen[j].qtype == 1 ? 1 : -1;
		assert_int_equal(balance, 0);
	}
}

static void test_lookup_answered_only_when_all_are(void **state)
{
	(void)state;
	struct server s;
	server_start(&s, true);
	struct lg_result r;
	run(&s, &(struct run){ .parallel = 2, .per_query = true, .queries = 40 }, &r);
	server_stop(&s);
	assert_int_equal(r.t.c[LG_SENT], 40);
	assert_int_equal(r.t.c[LG_ANSWERED], 20); /* every A */
	assert_int_equal(r.t.c[LG_TIMEOUTS], 20); /* every AAAA */
	assert_int_equal(r.t.c[LG_LOOKUPS], 20);
	assert_int_equal(r.t.c[LG_LOOKUPS_FAILED], 20);
	assert_int_equal(r.t.c[LG_NEW_FLOWS], 20); /* a socket per lookup */
	assert_pairs_share_a_port(&s);
	lg_result_free(&r);
}

static void test_lookup_of_two_from_one_socket(void **state)
{
	(void)state;
	for (int threads = 0; threads <= 1; threads++) {
		struct server s;
		server_start(&s, false);
		struct lg_result r;
		run(&s, &(struct run){ .parallel = 2, .threads = threads, .per_query = true, .queries = 60 }, &r);
		server_stop(&s);
		assert_int_equal(r.t.c[LG_ANSWERED], 60);
		assert_int_equal(r.t.c[LG_LOOKUPS], 30);
		assert_int_equal(r.t.c[LG_LOOKUPS_FAILED], 0);
		assert_int_equal(r.t.c[LG_NEW_FLOWS], 30);
		assert_int_equal(s.nseen, 60);
		assert_pairs_share_a_port(&s);
		lg_result_free(&r);
	}
}

static void test_single_queries_are_lookups(void **state)
{
	(void)state;
	struct server s;
	server_start(&s, true);
	struct lg_result r;
	run(&s, &(struct run){ .parallel = 1, .queries = 10 }, &r);
	server_stop(&s);
	assert_int_equal(r.t.c[LG_LOOKUPS], 10);
	assert_int_equal(r.t.c[LG_LOOKUPS_FAILED], 5); /* the AAAA ones */
	lg_result_free(&r);
}

static void test_fixed_source_port_is_kept(void **state)
{
	(void)state;
	/* a port nothing else here holds: bind one, note it, let it go */
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	assert_int_equal(bind(probe, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&a, &al), 0);
	uint16_t port = ntohs(a.sin_port);
	close(probe);

	struct server s;
	server_start(&s, false);
	struct lg_result r;
	run(&s, &(struct run){ .parallel = 1, .sport = port, .queries = 30 }, &r);
	server_stop(&s);
	assert_int_equal(r.t.c[LG_ANSWERED], 30);
	assert_int_equal(r.t.c[LG_NEW_FLOWS], 1);
	assert_int_equal(s.nseen, 30);
	for (size_t i = 0; i < s.nseen; i++)
		assert_int_equal(s.seen[i].sport, port);
	lg_result_free(&r);
}

/* At 4000 qps the loop wakes every slack (1 ms) or so, and reads the
 * answers then, not on a wake-up of their own: every one still comes in,
 * the canary's (a fresh socket a query, 100 qps) as well. */
static void test_open_loop_reads_answers_at_its_wake_ups(void **state)
{
	(void)state;
	struct server s;
	server_start(&s, false);
	struct lg_result r, c;
	run_with_canary(&s, &(struct run){ .parallel = 1, .qps = 4000, .canary = 100, .pool = 4, .queries = 400 }, &r,
			&c);
	server_stop(&s);
	/* --max-queries counts the canary's too */
	assert_int_equal(r.t.c[LG_SENT] + c.t.c[LG_SENT], 400);
	assert_true(r.t.c[LG_SENT] > 0 && c.t.c[LG_SENT] > 0);
	assert_int_equal(r.t.c[LG_ANSWERED], r.t.c[LG_SENT]);
	assert_int_equal(r.t.c[LG_TIMEOUTS] + r.t.c[LG_THROTTLED] + r.t.c[LG_MISMATCHED], 0);
	assert_int_equal(r.t.c[LG_NEW_FLOWS], 4);
	assert_int_equal(c.t.c[LG_ANSWERED], c.t.c[LG_SENT]);
	assert_int_equal(c.t.c[LG_TIMEOUTS], 0);
	assert_int_equal(s.nseen, r.t.c[LG_SENT] + c.t.c[LG_SENT]);
	lg_result_free(&r);
	lg_result_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_answered_only_when_all_are),
		cmocka_unit_test(test_lookup_of_two_from_one_socket),
		cmocka_unit_test(test_single_queries_are_lookups),
		cmocka_unit_test(test_fixed_source_port_is_kept),
		cmocka_unit_test(test_open_loop_reads_answers_at_its_wake_ups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
