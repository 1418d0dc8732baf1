/* The server around the handler, on loopback: TCP framing (pipelining,
 * partial reads, half close, stalls, the connection limit) and the
 * behaviour modes. Bounds on waits only keep a broken build from hanging;
 * nothing here asserts how fast anything is. */
#include "server.h"
#include "testutil.h"

#include "dnswire.h"

#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define WAIT_MS 5000

enum { L_ANSWER, L_DROP, L_DELAY, L_WILDCARD, L_COUNT };

struct fixture {
	struct test_db t;
	struct ct_listen listens[L_COUNT];
	struct ct_server *srv;
	struct ct_sockaddr udp[L_COUNT], tcp[L_COUNT];
};

static int setup(void **state)
{
	static struct fixture f;
	char err[512];
	const char *specs[L_COUNT] = { "127.0.0.1:0", "127.0.0.1:0,mode=drop", "127.0.0.1:0,mode=delay=50",
				       "0.0.0.0:0" };
	if (test_db_open(&f.t, "example.zone", NULL) < 0)
		return -1;
	for (int i = 0; i < L_COUNT; i++)
		if (ct_listen_parse(specs[i], &f.listens[i], err, sizeof err) < 0)
			return -1;
	struct ct_server_cfg cfg = { .handler = &f.t.cfg, .listens = f.listens, .nlistens = L_COUNT,
				     .workers = 1, .tcp_idle_ns = 300 * 1000000ull, .tcp_max_conns = 2,
				     .delay_queue = 64 };
	if (ct_server_open(&f.srv, &cfg, err, sizeof err) < 0 || ct_server_start(f.srv, err, sizeof err) < 0) {
		fprintf(stderr, "server: %s\n", err);
		return -1;
	}
	for (int i = 0; i < L_COUNT; i++) {
		ct_server_local_addr(f.srv, (size_t)i, SOCK_DGRAM, &f.udp[i]);
		ct_server_local_addr(f.srv, (size_t)i, SOCK_STREAM, &f.tcp[i]);
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ct_server_free(f->srv);
	test_db_close(&f->t);
	return 0;
}

static uint64_t counter(struct fixture *f, enum ct_counter c)
{
	struct ct_stats_snapshot s;
	ct_server_snapshot(f->srv, &s);
	return s.c[c];
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

static size_t query(uint8_t *buf, const char *name, uint16_t id)
{
	size_t len = test_make_query(buf, 512, name, CT_TYPE_A, 1, 0, false);
	ct_put16(buf, id);
	return len;
}

/* Reads exactly n bytes from a TCP socket, or fails the test. */
static void read_all(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		assert_true(readable(fd, WAIT_MS));
		ssize_t r = read(fd, buf + got, n - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

static uint16_t read_frame(int fd, uint8_t *buf)
{
	uint8_t len[2];
	read_all(fd, len, 2);
	read_all(fd, buf, ct_get16(len));
	return ct_get16(len);
}

static int tcp_connect(const struct ct_sockaddr *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (const struct sockaddr *)&a->ss, a->len), 0);
	return fd;
}

static int udp_ask(const struct ct_sockaddr *a, const uint8_t *q, size_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, q, len, 0, (const struct sockaddr *)&a->ss, a->len), (ssize_t)len);
	return fd;
}

static void test_udp_answer(void **state)
{
	struct fixture *f = *state;
	uint8_t q[512], r[4096];
	size_t len = query(q, "web.example.test.", 7);
	int fd = udp_ask(&f->udp[L_ANSWER], q, len);
	assert_true(readable(fd, WAIT_MS));
	ssize_t n = recv(fd, r, sizeof r, 0);
	assert_true(n > CT_DNS_HDRLEN);
	assert_int_equal(ct_get16(r), 7);
	assert_int_equal(ct_get16(r + 6), 2); /* two A records */
	close(fd);
}

/* Each listener counts the queries it received, UDP and TCP apart. */
static void test_queries_by_listener(void **state)
{
	struct fixture *f = *state;
	struct ct_stats_snapshot before, after;
	uint8_t q[512], r[4096];
	ct_server_snapshot(f->srv, &before);
	assert_int_equal(before.nlistens, L_COUNT);
	assert_string_equal(before.by_listen[L_DROP].listen, f->listens[L_DROP].text);
	size_t len = query(q, "web.example.test.", 9);
	for (int i = 0; i < 2; i++) {
		int fd = udp_ask(&f->udp[L_ANSWER], q, len);
		assert_true(readable(fd, WAIT_MS));
		assert_true(recv(fd, r, sizeof r, 0) > 0);
		close(fd);
	}
	int fd = tcp_connect(&f->tcp[L_DELAY]);
	uint8_t framed[514];
	ct_put16(framed, (uint16_t)len);
	memcpy(framed + 2, q, len);
	assert_int_equal(write(fd, framed, len + 2), (ssize_t)(len + 2));
	read_frame(fd, r);
	close(fd);
	ct_server_snapshot(f->srv, &after);
	assert_int_equal(after.by_listen[L_ANSWER].udp - before.by_listen[L_ANSWER].udp, 2);
	assert_int_equal(after.by_listen[L_ANSWER].tcp - before.by_listen[L_ANSWER].tcp, 0);
	assert_int_equal(after.by_listen[L_DELAY].tcp - before.by_listen[L_DELAY].tcp, 1);
	assert_int_equal(after.by_listen[L_DROP].udp - before.by_listen[L_DROP].udp, 0);
}

static void test_udp_wildcard(void **state)
{
	struct fixture *f = *state;
	uint8_t q[512], r[4096];
	struct ct_sockaddr to = f->udp[L_WILDCARD];
	((struct sockaddr_in *)&to.ss)->sin_addr.s_addr = htonl(0x7f000001);
	size_t len = query(q, "web.example.test.", 21);
	int fd = udp_ask(&to, q, len);
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	assert_true(readable(fd, WAIT_MS));
	assert_true(recvfrom(fd, r, sizeof r, 0, (struct sockaddr *)&from, &flen) > 0);
	assert_int_equal(ct_get16(r), 21);
	assert_int_equal(from.sin_addr.s_addr, htonl(0x7f000001)); /* from the address asked */
	close(fd);
}

static void test_udp_garbage_then_answer(void **state)
{
	struct fixture *f = *state;
	uint8_t junk[300], q[512], r[4096];
	uint64_t before = counter(f, CT_C_MALFORMED);
	memset(junk, 0xff, sizeof junk); /* QR set: must be ignored */
	int fd = udp_ask(&f->udp[L_ANSWER], junk, 7);
	sendto(fd, junk, sizeof junk, 0, (const struct sockaddr *)&f->udp[L_ANSWER].ss, f->udp[L_ANSWER].len);
	size_t len = query(q, "web.example.test.", 8);
	sendto(fd, q, len, 0, (const struct sockaddr *)&f->udp[L_ANSWER].ss, f->udp[L_ANSWER].len);
	assert_true(readable(fd, WAIT_MS));
	assert_true(recv(fd, r, sizeof r, 0) > 0);
	assert_int_equal(ct_get16(r), 8); /* the only reply is the real query's */
	assert_int_equal(counter(f, CT_C_MALFORMED) - before, 2);
	close(fd);
}

static void test_tcp_pipelined(void **state)
{
	struct fixture *f = *state;
	uint8_t out[2048], r[4096];
	size_t o = 0;
	for (uint16_t id = 1; id <= 3; id++) {
		size_t len = query(out + o + 2, "web.example.test.", id);
		ct_put16(out + o, (uint16_t)len);
		o += len + 2;
	}
	int fd = tcp_connect(&f->tcp[L_ANSWER]);
	assert_int_equal(write(fd, out, o), (ssize_t)o);
	for (uint16_t id = 1; id <= 3; id++) {
		read_frame(fd, r);
		assert_int_equal(ct_get16(r), id);
	}
	close(fd);
}

static void test_tcp_byte_by_byte(void **state)
{
	struct fixture *f = *state;
	uint8_t out[600], r[4096];
	size_t len = query(out + 2, "www.example.test.", 42);
	ct_put16(out, (uint16_t)len);
	int fd = tcp_connect(&f->tcp[L_ANSWER]);
	for (size_t i = 0; i < len + 2; i++) {
		assert_int_equal(write(fd, out + i, 1), 1);
		usleep(1000);
	}
	read_frame(fd, r);
	assert_int_equal(ct_get16(r), 42);
	close(fd);
}

static void test_tcp_half_close(void **state)
{
	struct fixture *f = *state;
	uint8_t out[600], r[4096];
	size_t len = query(out + 2, "web.example.test.", 9);
	ct_put16(out, (uint16_t)len);
	int fd = tcp_connect(&f->tcp[L_ANSWER]);
	assert_int_equal(write(fd, out, len + 2), (ssize_t)(len + 2));
	shutdown(fd, SHUT_WR);
	read_frame(fd, r);
	assert_int_equal(ct_get16(r), 9);
	assert_true(readable(fd, WAIT_MS));
	assert_int_equal(read(fd, r, sizeof r), 0); /* then the server closes */
	close(fd);
}

static void test_tcp_stall_is_closed(void **state)
{
	struct fixture *f = *state;
	uint8_t r[16];
	uint64_t before = counter(f, CT_C_TCP_IDLE_CLOSED);
	int fd = tcp_connect(&f->tcp[L_ANSWER]);
	assert_int_equal(write(fd, "\0\x20\x12", 3), 3); /* half a frame, then nothing */
	assert_true(readable(fd, WAIT_MS));
	assert_true(read(fd, r, sizeof r) <= 0);
	assert_int_equal(counter(f, CT_C_TCP_IDLE_CLOSED) - before, 1);
	close(fd);
}

static void test_tcp_limit(void **state)
{
	struct fixture *f = *state;
	uint8_t out[600], r[4096];
	uint64_t before = counter(f, CT_C_TCP_REJECTED);
	int a = tcp_connect(&f->tcp[L_ANSWER]);
	int b = tcp_connect(&f->tcp[L_ANSWER]);
	/* make sure both were accepted before the third arrives */
	size_t len = query(out + 2, "web.example.test.", 1);
	ct_put16(out, (uint16_t)len);
	assert_int_equal(write(a, out, len + 2), (ssize_t)(len + 2));
	read_frame(a, r);
	assert_int_equal(write(b, out, len + 2), (ssize_t)(len + 2));
	read_frame(b, r);
	int c = tcp_connect(&f->tcp[L_ANSWER]); /* over --tcp-max-conns 2 */
	assert_true(readable(c, WAIT_MS));
	assert_true(read(c, r, sizeof r) <= 0);
	assert_int_equal(counter(f, CT_C_TCP_REJECTED) - before, 1);
	close(a);
	close(b);
	close(c);
}

static void test_drop_mode(void **state)
{
	struct fixture *f = *state;
	uint8_t q[512];
	uint64_t before = counter(f, CT_C_MODE_DROPPED);
	size_t len = query(q, "web.example.test.", 5);
	int fd = udp_ask(&f->udp[L_DROP], q, len);
	for (int i = 0; i < 500 && counter(f, CT_C_MODE_DROPPED) == before; i++)
		usleep(10000);
	assert_int_equal(counter(f, CT_C_MODE_DROPPED) - before, 1);
	assert_false(readable(fd, 200)); /* and nothing came back */
	close(fd);
}

static void test_delay_mode(void **state)
{
	struct fixture *f = *state;
	uint8_t q[512], r[4096];
	uint64_t before = counter(f, CT_C_MODE_DELAYED);
	size_t len = query(q, "web.example.test.", 6);
	int fd = udp_ask(&f->udp[L_DELAY], q, len);
	assert_true(readable(fd, WAIT_MS));
	assert_true(recv(fd, r, sizeof r, 0) > 0);
	assert_int_equal(ct_get16(r), 6);
	assert_int_equal(counter(f, CT_C_MODE_DELAYED) - before, 1);
	close(fd);

	/* TCP on a delay listener answers late too */
	uint8_t out[600];
	len = query(out + 2, "web.example.test.", 11);
	ct_put16(out, (uint16_t)len);
	fd = tcp_connect(&f->tcp[L_DELAY]);
	assert_int_equal(write(fd, out, len + 2), (ssize_t)(len + 2));
	read_frame(fd, r);
	assert_int_equal(ct_get16(r), 11);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_answer),        cmocka_unit_test(test_queries_by_listener),
		cmocka_unit_test(test_udp_wildcard),
		cmocka_unit_test(test_udp_garbage_then_answer),
		cmocka_unit_test(test_tcp_pipelined),     cmocka_unit_test(test_tcp_byte_by_byte),
		cmocka_unit_test(test_tcp_half_close),    cmocka_unit_test(test_tcp_stall_is_closed),
		cmocka_unit_test(test_tcp_limit),         cmocka_unit_test(test_drop_mode),
		cmocka_unit_test(test_delay_mode),
	};
	return cmocka_run_group_tests_name("server", tests, setup, teardown);
}
