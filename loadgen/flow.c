/* Flows: the sockets and connections queries leave by, and what comes
 * back on them. */
#include "engine_int.h"

#include "answer.h"
#include "clock.h"
#include "ct_err.h"
#include "dnswire.h"
#include "tcpframe.h"

#include <errno.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ---- flows ---- */

/* Flows are recycled within their thread: a socket per query costs the
 * socket's own system calls, not an allocation and an event as well. */
static struct flow *flow_get(struct lg_thread *th)
{
	struct flow *f = th->spare_flows;
	if (!f)
		return calloc(1, sizeof *f);
	th->spare_flows = f->next_spare;
	memset(f, 0, sizeof *f);
	return f;
}

static void flow_put(struct flow *f)
{
	struct lg_thread *th = f->th;
	f->next_spare = th->spare_flows;
	th->spare_flows = f;
}

void flow_spares_free(struct lg_thread *th)
{
	while (th->spare_flows) {
		struct flow *f = th->spare_flows;
		th->spare_flows = f->next_spare;
		free(f);
	}
}

void flow_free(struct flow *f)
{
	if (f->pool_index != NONE && f->st->pool[f->pool_index] == f)
		f->st->pool[f->pool_index] = NULL;
	if (f->bev)
		bufferevent_free(f->bev);
	else if (f->fd >= 0)
		close(f->fd); /* which takes it out of the thread's answer set */
	flow_put(f);
}

void flow_retire(struct flow *f)
{
	if (f->pool_index != NONE && f->st->pool[f->pool_index] == f)
		f->st->pool[f->pool_index] = NULL;
	f->pool_index = NONE;
	f->retired = true;
	if (f->outstanding == 0)
		flow_free(f);
}

/* Source address number k of this thread's share of the range (thread t
 * takes t, t + T, t + 2T, ...). */
static void source_at(struct lg_thread *th, uint64_t nth, struct ct_sockaddr *src)
{
	const struct lg_src_range *r = &th->e->cfg.src;
	uint64_t i = (nth * th->e->cfg.threads + th->id) % r->count;
	*src = r->base;
	if (src->ss.ss_family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&src->ss;
		v4->sin_addr.s_addr = htonl(ntohl(v4->sin_addr.s_addr) + (uint32_t)i);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&src->ss;
		uint8_t *b = v6->sin6_addr.s6_addr;
		uint64_t low = 0;
		for (int k = 8; k < 16; k++)
			low = low << 8 | b[k];
		low += i;
		for (int k = 15; k >= 8; k--, low >>= 8)
			b[k] = (uint8_t)low;
	}
}

/* The next source address for a new socket. */
static void next_source(struct lg_thread *th, struct ct_sockaddr *src)
{
	source_at(th, th->src_next++, src);
}

static void tcp_read_cb(struct bufferevent *bev, void *arg);
static void tcp_event_cb(struct bufferevent *bev, short events, void *arg);

/* A new socket (a new 5-tuple toward the server), or NULL with the
 * errno counted. */
static struct flow *flow_new(struct stream *st)
{
	struct lg_thread *th = st->th;
	const struct lg_config *cfg = &th->e->cfg;
	int type = cfg->proto == LG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(cfg->server.ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct flow *f = NULL;
	if (fd < 0)
		goto fail;
	if (cfg->src.count) {
		/* the runner may route a whole range locally (AnyIP) without
		 * adding every address: FREEBIND lets us bind to any of them,
		 * and lets IPv6 take any of them as IPV6_PKTINFO source (IPv4
		 * accepts a locally routed one as it is) */
		int one = 1;
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
	}
	if (type == SOCK_DGRAM) {
		/* each answer's arrival time, not when this thread got to read it */
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	}
	if (cfg->src.count && !st->pktinfo) {
		struct ct_sockaddr src;
		next_source(th, &src);
		if (bind(fd, (struct sockaddr *)&src.ss, src.len) < 0)
			goto fail;
	} else if (cfg->sport && !st->canary) {
		/* one source port for the run (the only socket of the load) */
		struct ct_sockaddr src = { .len = cfg->server.len };
		src.ss.ss_family = cfg->server.ss.ss_family;
		if (src.ss.ss_family == AF_INET)
			((struct sockaddr_in *)&src.ss)->sin_port = htons(cfg->sport);
		else
			((struct sockaddr_in6 *)&src.ss)->sin6_port = htons(cfg->sport);
		if (bind(fd, (struct sockaddr *)&src.ss, src.len) < 0)
			goto fail;
	}
	f = flow_get(th);
	if (!f) {
		errno = ENOMEM;
		goto fail;
	}
	f->th = th;
	f->st = st;
	f->fd = fd;
	f->pool_index = NONE;
	if (cfg->proto == LG_UDP) {
		/* connected: the kernel filters strangers and reports ICMP
		 * errors; pktinfo sockets stay open to every source address */
		if (!st->pktinfo && connect(fd, (const struct sockaddr *)&cfg->server.ss, cfg->server.len) < 0)
			goto fail;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
		if (epoll_ctl(th->rx_ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			goto fail;
		f->connected = true;
	} else {
		f->bev = bufferevent_socket_new(th->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (!f->bev) {
			errno = ENOMEM;
			goto fail;
		}
		fd = -1; /* the bufferevent owns it */
		bufferevent_setcb(f->bev, tcp_read_cb, NULL, tcp_event_cb, f);
		struct timeval tv = ct_timeval(cfg->timeout_ns);
		bufferevent_set_timeouts(f->bev, NULL, &tv); /* the connect must finish in time */
		bufferevent_enable(f->bev, EV_READ | EV_WRITE);
		if (bufferevent_socket_connect(f->bev, (struct sockaddr *)&cfg->server.ss, (int)cfg->server.len) < 0) {
			lg_add(&st->cnt, LG_TCP_CONNECT_FAILED, 1);
			bufferevent_free(f->bev);
			flow_put(f);
			return NULL;
		}
	}
	if (!st->pktinfo)
		lg_add(&st->cnt, LG_NEW_FLOWS, 1);
	return f;
fail:
	lg_add(&st->cnt, lg_errno_counter(errno), 1);
	if (f)
		flow_put(f);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The flow for the next query: the pool in turn, each flow replaced after
 * per_flow queries. */
struct flow *flow_for_query(struct stream *st)
{
	/* pktinfo: tuple j is socket j % P from address j / P, so all P x N
	 * pairs come before any repeats */
	uint32_t i = st->pktinfo ? (uint32_t)(st->pk_next % st->pool_size) : st->rr++ % st->pool_size;
	struct flow *f = st->pool[i];
	if (!f) {
		f = flow_new(st);
		if (!f)
			return NULL;
		f->pool_index = (int)i;
		st->pool[i] = f;
	}
	return f;
}

/* Every query outstanding on a flow fails (a TCP connection went away, a
 * per-query socket got an ICMP error). */
void fail_flow(struct flow *f, enum lg_counter why, const char *outcome)
{
	struct lg_thread *th = f->th;
	f->retired = true;
	if (f->pool_index != NONE && f->st->pool[f->pool_index] == f)
		f->st->pool[f->pool_index] = NULL;
	f->pool_index = NONE;
	uint32_t n = f->outstanding;
	if (n == 0) {
		flow_free(f);
		return;
	}
	for (int32_t id = th->head, next; id != NONE && n > 0; id = next) {
		next = th->slots[id].next;
		if (th->slots[id].flow != f)
			continue;
		n--;
		/* the last one completed frees the flow */
		fail_query(th, id, why, outcome);
	}
}

/* When datagram i arrived, on the monotonic clock: the kernel's receive
 * time (SO_TIMESTAMPNS, on the realtime clock), or now without one. */
static uint64_t arrival_ns(struct lg_thread *th, int i, uint64_t now)
{
	struct msghdr *m = &th->rmsg[i].msg_hdr;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			int64_t at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + th->rt_to_mono_ns;
			/* a realtime step since the offset was taken: trust our clock */
			return at > 0 && (uint64_t)at <= now ? (uint64_t)at : now;
		}
	}
	return now;
}

/* The answers waiting on one UDP flow, read in batches. */
static void udp_read(struct flow *f)
{
	struct lg_thread *th = f->th;
	int fd = f->fd;
	/* the batch headers were set up once (thread_new): with no name,
	 * recvmmsg changes nothing in them but the lengths, put back here */
	for (int round = 0; round < 4; round++) {
		int n = recvmmsg(fd, th->rmsg, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* an ICMP error on our connected socket */
			lg_add(&f->st->cnt, lg_errno_counter(errno), 1);
			if (f->st->per_flow == 1 && !f->st->pktinfo)
				fail_flow(f, LG__COUNT, "refused"); /* the flow may be gone */
			return;
		}
		uint64_t now = ct_now_ns();
		bool gone = false;
		for (int i = 0; i < n; i++) {
			uint64_t at = gone ? 0 : arrival_ns(th, i, now);
			th->rmsg[i].msg_hdr.msg_controllen = sizeof th->rctl[i].buf;
			if (gone)
				continue; /* only the header put back for the next read */
			bool last = f->outstanding == 1 && f->retired;
			if (th->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)
				lg_add(&f->st->cnt, LG_MALFORMED, 1);
			else if (handle_answer(f, th->rbatch[i], th->rmsg[i].msg_len, at) && last)
				gone = true; /* the flow was freed with its last answer */
		}
		if (gone || n < RECV_BATCH)
			return; /* a short batch: nothing more is waiting */
	}
}

void flow_read_answers(struct lg_thread *th)
{
	struct epoll_event ready[RX_EVENTS];
	/* a round reads each flow epoll reports ready; reading a flow may
	 * free that flow, never another, so the rest of the list stays valid */
	for (int round = 0; round < 64; round++) {
		int n = epoll_wait(th->rx_ep, ready, RX_EVENTS, 0);
		for (int i = 0; i < n; i++)
			udp_read(ready[i].data.ptr);
		if (n < RX_EVENTS)
			break;
	}
}

static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct flow *f = arg;
	struct lg_thread *th = f->th;
	struct evbuffer *in = bufferevent_get_input(bev);
	ssize_t len;
	while ((len = ct_tcp_frame_pull(in, th->rbuf)) >= 0) {
		bool last = f->outstanding == 1 && f->retired;
		if (handle_answer(f, th->rbuf, (size_t)len, ct_now_ns()) && last)
			return;
	}
}

static void tcp_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct flow *f = arg;
	(void)bev;
	if (events & BEV_EVENT_CONNECTED) {
		f->connected = true;
		bufferevent_set_timeouts(f->bev, NULL, NULL); /* queries keep their own time */
		return;
	}
	enum lg_counter why = LG_TCP_CLOSED;
	const char *outcome = "tcp closed";
	if (!f->connected && (events & BEV_EVENT_TIMEOUT)) {
		why = LG_TCP_CONNECT_TIMEOUT;
		outcome = "connect timeout";
	} else if (!f->connected) {
		why = LG_TCP_CONNECT_FAILED;
		outcome = "connect failed";
		lg_add(&f->st->cnt, lg_errno_counter(EVUTIL_SOCKET_ERROR()), 1);
	}
	if (f->outstanding == 0 && f->connected && why == LG_TCP_CLOSED) {
		/* the server closed an idle connection: not an error */
		f->retired = true;
		if (f->pool_index != NONE && f->st->pool[f->pool_index] == f)
			f->st->pool[f->pool_index] = NULL;
		flow_free(f);
		return;
	}
	fail_flow(f, why, outcome);
}

/* Sends from the next source address: each (socket, address) pair is a
 * 5-tuple of its own, new until the pool wraps around the range. */
int send_pktinfo(struct stream *st, struct flow *f, const uint8_t *buf, size_t len)
{
	struct lg_thread *th = st->th;
	const struct lg_config *cfg = &th->e->cfg;
	struct ct_sockaddr src;
	union {
		size_t align;
		uint8_t buf[64];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_name = (void *)&cfg->server.ss, .msg_namelen = cfg->server.len, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	source_at(th, st->pk_next / st->pool_size, &src);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (src.ss.ss_family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ((struct sockaddr_in *)&src.ss)->sin_addr };
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		m.msg_controllen = CMSG_SPACE(sizeof pi);
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ((struct sockaddr_in6 *)&src.ss)->sin6_addr };
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		m.msg_controllen = CMSG_SPACE(sizeof pi);
	}
	if (sendmsg(f->fd, &m, 0) < 0)
		return -1;
	/* new until every pair of this thread's share has been used once */
	if (st->pk_next++ < (uint64_t)st->pool_size * ((cfg->src.count + cfg->threads - 1) / cfg->threads))
		lg_add(&st->cnt, LG_NEW_FLOWS, 1);
	return 0;
}
