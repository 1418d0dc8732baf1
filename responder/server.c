#include "server.h"

#include "clock.h"
#include "ct_err.h"
#include "dnswire.h"
#include "opt.h"
#include "tcpframe.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Datagrams read or written per recvmmsg/sendmmsg call. */
#define UDP_BATCH 64
/* Batches handled per readiness event before yielding to TCP and timers. */
#define UDP_ROUNDS 16
/* Largest query datagram kept; longer ones are counted malformed. */
#define UDP_RECV_MAX 4096
/* Socket buffers asked for; the kernel may clamp them. */
#define UDP_SOCKBUF (4 << 20)
/* Stop reading a TCP connection while this much output waits. */
#define TCP_OUT_HIGH (256 << 10)

struct worker;

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message (CMSG_SPACE of
 * an in6_pktinfo is 40 bytes), aligned as a cmsghdr (whose own type ends
 * in a flexible array, so it cannot be a member here). */
union pktinfo_ctl {
	size_t align;
	uint8_t buf[64];
};

struct delay_slot {
	uint64_t due_ns;
	struct sockaddr_storage addr;
	socklen_t alen;
	union pktinfo_ctl ctl;
	socklen_t ctllen;
	uint16_t len;
	uint8_t data[]; /* handler's UDP maximum */
};

/* Replies a UDP socket's send buffer did not take (EAGAIN): kept, with
 * reading paused, until the socket is writable again. Made on the first
 * overload of the socket. */
struct udp_backlog {
	struct mmsghdr msg[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage addr[UDP_BATCH];
	union pktinfo_ctl ctl[UDP_BATCH];
	int head, n;
	struct event *wev;
	uint8_t buf[]; /* UDP_BATCH replies of the handler's UDP maximum */
};

struct udp_sock {
	struct worker *w;
	const struct ct_listen *l;
	const struct ct_mode *mode;
	int fd;
	bool wildcard;   /* bound to 0.0.0.0 or [::]: reply from the address asked */
	struct event *ev;
	/* delay mode: a FIFO of fixed slots (every reply has the same delay,
	 * so arrival order is due order) and one timer for its head */
	uint8_t *slots;
	size_t slot_size, cap, head, count;
	size_t counted;  /* at the head, already counted delayed (a send that waits) */
	struct event *timer;
	struct udp_backlog *backlog;
	_Atomic uint64_t queries;  /* this listener's, this worker's (its only writer) */
};

struct tcp_pending {
	struct tcp_pending *next;
	uint64_t due_ns;
	size_t len, cap;
	uint8_t data[];
};

struct tcp_listener {
	struct worker *w;
	const struct ct_listen *l;
	const struct ct_mode *mode;
	int fd;
	struct evconnlistener *lev;
	_Atomic uint64_t queries;  /* as udp_sock's */
};

struct tcp_conn {
	struct worker *w;
	struct tcp_listener *tl;
	const struct ct_mode *mode;
	struct bufferevent *bev;
	struct tcp_conn *prev, *next;
	struct tcp_pending *pend_head, *pend_tail;
	struct event *timer;
	bool paused;  /* reading stopped for back-pressure */
	bool eof;     /* the client finished sending; close once answered */
};

struct worker {
	struct ct_server *srv;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct udp_sock *udp;
	struct tcp_listener *tcp;
	size_t nsock;
	struct tcp_conn *conns;
	struct tcp_pending *spare;  /* delay mode: replies' blocks, reused */
	struct ct_stats stats;
	/* batch buffers, allocated once */
	struct mmsghdr rmsg[UDP_BATCH], smsg[UDP_BATCH];
	int rmsg_dirty;      /* headers the last recvmmsg wrote into */
	bool rmsg_wildcard;  /* they are set for a wildcard socket (control buffers) */
	struct iovec riov[UDP_BATCH], siov[UDP_BATCH];
	struct sockaddr_storage raddr[UDP_BATCH];
	union pktinfo_ctl rctl[UDP_BATCH], sctl[UDP_BATCH];
	uint8_t rbuf[UDP_BATCH][UDP_RECV_MAX];
	uint8_t *sbuf;     /* UDP_BATCH replies of slot size */
	uint8_t tcp_in[CT_MSG_MAX];
	uint8_t tcp_out[CT_MSG_MAX + 2];
};

struct ct_server {
	struct ct_server_cfg cfg;
	struct ct_mode *modes; /* effective mode per listen */
	struct worker **workers;
	_Atomic unsigned tcp_active;
	uint64_t started_ns;
};

/* ---- modes and listen specs ---- */

int ct_listen_parse(const char *text, struct ct_listen *l, char *err, size_t errlen)
{
	char addr[CT_ADDRSTRLEN];
	const char *comma = strchr(text, ',');
	size_t alen = comma ? (size_t)(comma - text) : strlen(text);
	memset(l, 0, sizeof *l);
	if (alen >= sizeof addr)
		return ct_err(err, errlen, "'%s': address too long", text);
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (ct_sockaddr_parse(addr, &l->addr, err, errlen) < 0)
		return -1;
	snprintf(l->text, sizeof l->text, "%s", addr);
	if (comma) {
		if (strncmp(comma + 1, "mode=", 5) != 0)
			return ct_err(err, errlen, "'%s': expected ADDR:PORT,mode=MODE after the comma", text);
		if (ct_mode_parse(comma + 6, &l->mode, err, errlen) < 0)
			return -1;
		l->has_mode = true;
	}
	return 0;
}

/* ---- UDP ---- */

static struct delay_slot *slot_at(struct udp_sock *u, size_t i)
{
	return (struct delay_slot *)(u->slots + ((u->head + i) % u->cap) * u->slot_size);
}

/* Sends a batch; returns how many datagrams it is done with (sent, or
 * refused and counted). Stops short at EAGAIN: the socket's buffer is
 * full, and trying the rest one by one would only spin; the caller keeps
 * them. ENOBUFS (the device's queue is full) drops the rest at once, for
 * the same reason; another error (EPERM from our own conntrack...) skips
 * that one datagram. */
static int send_batch(struct worker *w, int fd, struct mmsghdr *msgs, int n)
{
	int done = 0;
	while (done < n) {
		int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), MSG_DONTWAIT);
		if (r > 0) {
			done += r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		int skip = r < 0 && errno == ENOBUFS ? n - done : 1;
		ct_stats_add(&w->stats, CT_C_SEND_ERRORS, (uint64_t)skip);
		done += skip;
	}
	return done;
}

/* On a wildcard socket the kernel would pick the reply's source by route,
 * which need not be the address the query went to (a second address on
 * the interface, an AnyIP route): clients drop such replies. The query's
 * destination, from IP_PKTINFO, becomes the reply's source. */
static socklen_t reply_control(const struct msghdr *in, union pktinfo_ctl *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR((struct msghdr *)in, c)) {
		struct msghdr m = { .msg_control = out->buf, .msg_controllen = sizeof out->buf };
		struct cmsghdr *o = CMSG_FIRSTHDR(&m);
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			struct in_pktinfo reply = { .ipi_ifindex = 0, .ipi_spec_dst = pi.ipi_addr };
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof reply);
			memcpy(CMSG_DATA(o), &reply, sizeof reply);
			return (socklen_t)CMSG_SPACE(sizeof reply);
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo reply;
			memcpy(&reply, CMSG_DATA(c), sizeof reply); /* same address, same interface */
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof reply);
			memcpy(CMSG_DATA(o), &reply, sizeof reply);
			return (socklen_t)CMSG_SPACE(sizeof reply);
		}
	}
	return 0;
}

static void delay_flush(struct udp_sock *u)
{
	struct worker *w = u->w;
	uint64_t now = ct_now_ns();
	while (u->count) {
		int n = 0;
		while (n < UDP_BATCH && (size_t)n < u->count) {
			struct delay_slot *s = slot_at(u, (size_t)n);
			if (s->due_ns > now)
				break;
			w->siov[n] = (struct iovec){ s->data, s->len };
			w->smsg[n].msg_hdr = (struct msghdr){ .msg_name = &s->addr, .msg_namelen = s->alen,
							       .msg_iov = &w->siov[n], .msg_iovlen = 1,
							       .msg_control = s->ctllen ? s->ctl.buf : NULL,
							       .msg_controllen = s->ctllen };
			n++;
		}
		if (n == 0)
			break;
		/* counted before they leave: whoever reads an answer finds it counted */
		if ((size_t)n > u->counted)
			ct_stats_add(&w->stats, CT_C_MODE_DELAYED, (uint64_t)n - u->counted);
		int done = send_batch(w, u->fd, w->smsg, n);
		u->head = (u->head + (size_t)done) % u->cap;
		u->count -= (size_t)done;
		u->counted = (size_t)(n - done);
		if (done < n) {
			/* the socket's buffer is full: the rest wait for the next tick */
			struct timeval tv = ct_timeval(CT_NS_PER_MS);
			evtimer_add(u->timer, &tv);
			return;
		}
	}
	if (u->count) {
		uint64_t wait = slot_at(u, 0)->due_ns - now;
		struct timeval tv = ct_timeval(wait);
		evtimer_add(u->timer, &tv);
	}
}

static void udp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	delay_flush(arg);
}

static void delay_push(struct udp_sock *u, const uint8_t *data, size_t len,
		       const struct sockaddr_storage *addr, socklen_t alen, const struct msghdr *query)
{
	if (u->count == u->cap || len > u->slot_size - sizeof(struct delay_slot)) {
		ct_stats_add(&u->w->stats, CT_C_DELAY_OVERFLOW, 1);
		return;
	}
	struct delay_slot *s = slot_at(u, u->count);
	s->due_ns = ct_now_ns() + u->mode->delay_ns;
	memcpy(&s->addr, addr, alen);
	s->alen = alen;
	s->ctllen = u->wildcard ? reply_control(query, &s->ctl) : 0;
	s->len = (uint16_t)len;
	memcpy(s->data, data, len);
	if (u->count++ == 0) {
		uint64_t d = u->mode->delay_ns;
		struct timeval tv = ct_timeval(d);
		evtimer_add(u->timer, &tv);
	}
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg);

static void udp_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *u = arg;
	struct udp_backlog *b = u->backlog;
	(void)what;
	int done = send_batch(u->w, fd, b->msg + b->head, b->n);
	b->head += done;
	b->n -= done;
	if (b->n)
		return; /* still full: wait for the next writable */
	event_del(b->wev);
	event_add(u->ev, NULL);
	udp_read_cb(fd, EV_READ, u);
}

/* Keeps the replies the socket did not take and pauses reading until it
 * drains: the queries wait in the kernel's queue meanwhile (and the
 * kernel drops what does not fit, as it would for any server). */
static void udp_keep(struct udp_sock *u, const struct mmsghdr *msgs, int n)
{
	size_t smax = u->w->srv->cfg.handler->edns_udp_max;
	struct udp_backlog *b = u->backlog;
	if (!b) {
		b = calloc(1, sizeof *b + UDP_BATCH * smax);
		if (!b || !(b->wev = event_new(u->w->base, u->fd, EV_WRITE | EV_PERSIST, udp_write_cb, u))) {
			free(b);
			ct_stats_add(&u->w->stats, CT_C_SEND_ERRORS, (uint64_t)n);
			return;
		}
		u->backlog = b;
	}
	for (int i = 0; i < n; i++) {
		const struct msghdr *m = &msgs[i].msg_hdr;
		uint8_t *data = b->buf + (size_t)i * smax;
		memcpy(data, m->msg_iov[0].iov_base, m->msg_iov[0].iov_len);
		memcpy(&b->addr[i], m->msg_name, m->msg_namelen);
		if (m->msg_controllen)
			memcpy(b->ctl[i].buf, m->msg_control, m->msg_controllen);
		b->iov[i] = (struct iovec){ data, m->msg_iov[0].iov_len };
		b->msg[i].msg_hdr = (struct msghdr){ .msg_name = &b->addr[i], .msg_namelen = m->msg_namelen,
						      .msg_iov = &b->iov[i], .msg_iovlen = 1,
						      .msg_control = m->msg_controllen ? b->ctl[i].buf : NULL,
						      .msg_controllen = m->msg_controllen };
	}
	b->head = 0;
	b->n = n;
	event_del(u->ev);
	event_add(b->wev, NULL);
}

/* The receive headers are set once (worker_open); recvmmsg writes only a
 * datagram's name and control lengths and its flags: those of the
 * datagrams the last call read are put back before the next, all of them
 * when the socket differs in wanting the destination (wildcard). */
static void recv_headers_ready(struct worker *w, bool wildcard)
{
	int n = w->rmsg_wildcard == wildcard ? w->rmsg_dirty : UDP_BATCH;
	for (int i = 0; i < n; i++) {
		w->rmsg[i].msg_hdr.msg_namelen = sizeof w->raddr[i];
		w->rmsg[i].msg_hdr.msg_control = wildcard ? w->rctl[i].buf : NULL;
		w->rmsg[i].msg_hdr.msg_controllen = wildcard ? sizeof w->rctl[i] : 0;
	}
	w->rmsg_wildcard = wildcard;
	w->rmsg_dirty = 0;
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock *u = arg;
	struct worker *w = u->w;
	const struct ct_handler_cfg *h = w->srv->cfg.handler;
	size_t smax = h->edns_udp_max;
	(void)what;

	for (int round = 0; round < UDP_ROUNDS; round++) {
		recv_headers_ready(w, u->wildcard);
		int n = recvmmsg(fd, w->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
		w->rmsg_dirty = n > 0 ? n : 0;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				ct_stats_add(&w->stats, CT_C_RECV_ERRORS, 1);
			return;
		}
		ct_stats_add(&w->stats, CT_C_QUERIES_UDP, (uint64_t)n);
		ct_counter_add(&u->queries, (uint64_t)n);
		int out = 0;
		for (int i = 0; i < n; i++) {
			struct ct_handle_info info;
			if (w->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				ct_stats_add(&w->stats, CT_C_MALFORMED, 1);
				continue;
			}
			uint8_t *reply = w->sbuf + (size_t)out * smax;
			size_t len = ct_handle_query(h, CT_UDP, w->rbuf[i], w->rmsg[i].msg_len, reply, smax,
						     &info);
			ct_stats_count(&w->stats, &info);
			if (len == 0)
				continue;
			if (u->mode->kind == CT_MODE_DROP) {
				ct_stats_add(&w->stats, CT_C_MODE_DROPPED, 1);
			} else if (u->mode->kind == CT_MODE_DELAY) {
				delay_push(u, reply, len, &w->raddr[i], w->rmsg[i].msg_hdr.msg_namelen,
					   &w->rmsg[i].msg_hdr);
			} else {
				w->siov[out] = (struct iovec){ reply, len };
				w->smsg[out].msg_hdr = (struct msghdr){ .msg_name = &w->raddr[i],
									 .msg_namelen = w->rmsg[i].msg_hdr.msg_namelen,
									 .msg_iov = &w->siov[out], .msg_iovlen = 1 };
				if (u->wildcard) {
					socklen_t cl = reply_control(&w->rmsg[i].msg_hdr, &w->sctl[out]);
					w->smsg[out].msg_hdr.msg_control = cl ? w->sctl[out].buf : NULL;
					w->smsg[out].msg_hdr.msg_controllen = cl;
				}
				out++;
			}
		}
		int done = send_batch(w, fd, w->smsg, out);
		if (done < out) {
			udp_keep(u, w->smsg + done, out - done);
			return;
		}
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- TCP ---- */

/* Delay mode's replies wait in blocks the worker reuses: no allocation per
 * reply once the blocks for the replies in flight exist. */
#define PENDING_MIN 512

static struct tcp_pending *pending_get(struct worker *w, size_t len)
{
	struct tcp_pending *p = w->spare;
	if (p && p->cap >= len) {
		w->spare = p->next;
		return p;
	}
	size_t cap = len > PENDING_MIN ? len : PENDING_MIN;
	p = malloc(sizeof *p + cap);
	if (p)
		p->cap = cap;
	return p;
}

static void pending_put(struct worker *w, struct tcp_pending *p)
{
	p->next = w->spare;
	w->spare = p;
}

static void conn_free(struct tcp_conn *c)
{
	struct worker *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	if (c->timer)
		event_free(c->timer);
	while (c->pend_head) {
		struct tcp_pending *p = c->pend_head;
		c->pend_head = p->next;
		pending_put(w, p);
	}
	atomic_fetch_sub(&w->srv->tcp_active, 1);
	free(c);
}

static bool conn_idle(struct tcp_conn *c)
{
	return !c->pend_head && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

static void conn_send(struct tcp_conn *c, const uint8_t *framed, size_t len)
{
	bufferevent_write(c->bev, framed, len);
}

static void tcp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	uint64_t now = ct_now_ns();
	(void)fd;
	(void)what;
	while (c->pend_head && c->pend_head->due_ns <= now) {
		struct tcp_pending *p = c->pend_head;
		c->pend_head = p->next;
		if (!c->pend_head)
			c->pend_tail = NULL;
		ct_stats_add(&c->w->stats, CT_C_MODE_DELAYED, 1);
		conn_send(c, p->data, p->len);
		pending_put(c->w, p);
	}
	if (c->pend_head) {
		uint64_t wait = c->pend_head->due_ns - now;
		struct timeval tv = ct_timeval(wait);
		evtimer_add(c->timer, &tv);
	}
}

static int conn_delay(struct tcp_conn *c, const uint8_t *framed, size_t len)
{
	struct tcp_pending *p = pending_get(c->w, len);
	if (!p)
		return -1;
	if (!c->timer && !(c->timer = evtimer_new(c->w->base, tcp_timer_cb, c))) {
		pending_put(c->w, p);
		return -1;
	}
	p->next = NULL;
	p->due_ns = ct_now_ns() + c->mode->delay_ns;
	p->len = len;
	memcpy(p->data, framed, len);
	if (c->pend_tail)
		c->pend_tail->next = p;
	else
		c->pend_head = p;
	c->pend_tail = p;
	if (c->pend_head == p) {
		uint64_t d = c->mode->delay_ns;
		struct timeval tv = ct_timeval(d);
		evtimer_add(c->timer, &tv);
	}
	return 0;
}

/* Handles every complete frame in the input, RFC 7766 pipelining. */
static void conn_process(struct tcp_conn *c)
{
	struct worker *w = c->w;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);

	for (;;) {
		if (evbuffer_get_length(out) > TCP_OUT_HIGH) {
			/* the client is not reading: stop reading it too */
			bufferevent_disable(c->bev, EV_READ);
			c->paused = true;
			return;
		}
		ssize_t flen = ct_tcp_frame_pull(in, w->tcp_in);
		if (flen < 0)
			return;
		ct_stats_add(&w->stats, CT_C_QUERIES_TCP, 1);
		ct_counter_add(&c->tl->queries, 1);

		struct ct_handle_info info;
		size_t len = ct_handle_query(w->srv->cfg.handler, CT_TCP, w->tcp_in, (size_t)flen, w->tcp_out + 2,
					     CT_MSG_MAX, &info);
		ct_stats_count(&w->stats, &info);
		if (len == 0)
			continue;
		ct_put16(w->tcp_out, (uint16_t)len);
		if (c->mode->kind == CT_MODE_DROP)
			ct_stats_add(&w->stats, CT_C_MODE_DROPPED, 1);
		else if (c->mode->kind == CT_MODE_DELAY && conn_delay(c, w->tcp_out, len + 2) < 0)
			ct_stats_add(&w->stats, CT_C_DELAY_OVERFLOW, 1);
		else if (c->mode->kind == CT_MODE_ANSWER)
			conn_send(c, w->tcp_out, len + 2);
	}
}

static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

static void tcp_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	(void)bev;
	if (c->paused) {
		c->paused = false;
		bufferevent_enable(c->bev, EV_READ);
		conn_process(c);
	}
	if (c->eof && conn_idle(c))
		conn_free(c);
}

static void tcp_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct tcp_conn *c = arg;
	(void)bev;
	if (events & BEV_EVENT_TIMEOUT) {
		ct_stats_add(&c->w->stats, CT_C_TCP_IDLE_CLOSED, 1);
		conn_free(c);
	} else if ((events & BEV_EVENT_EOF) && !(events & BEV_EVENT_ERROR)) {
		/* half close: answer what was asked, then close */
		c->eof = true;
		conn_process(c);
		if (conn_idle(c))
			conn_free(c);
	} else if (events & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		conn_free(c);
	}
}

static void tcp_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
			  void *arg)
{
	struct tcp_listener *tl = arg;
	struct worker *w = tl->w;
	(void)lev;
	(void)sa;
	(void)salen;

	if (atomic_fetch_add(&w->srv->tcp_active, 1) >= w->srv->cfg.tcp_max_conns) {
		atomic_fetch_sub(&w->srv->tcp_active, 1);
		ct_stats_add(&w->stats, CT_C_TCP_REJECTED, 1);
		close(fd);
		return;
	}
	struct tcp_conn *c = calloc(1, sizeof *c);
	struct bufferevent *bev = c ? bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (!bev) {
		free(c);
		close(fd);
		atomic_fetch_sub(&w->srv->tcp_active, 1);
		ct_stats_add(&w->stats, CT_C_TCP_REJECTED, 1);
		return;
	}
	ct_stats_add(&w->stats, CT_C_TCP_ACCEPTED, 1);
	c->w = w;
	c->tl = tl;
	c->mode = tl->mode;
	c->bev = bev;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	uint64_t idle = w->srv->cfg.tcp_idle_ns;
	struct timeval tv = ct_timeval(idle);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setcb(bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* ---- setup ---- */

static bool is_wildcard(const struct ct_sockaddr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

static int open_socket(const struct ct_listen *l, int type, char *err, size_t errlen)
{
	const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
	int fd = socket(l->addr.ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ct_err(err, errlen, "%s (%s): socket: %s", l->text, proto, strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
		int e = errno;
		close(fd);
		return ct_err(err, errlen, "%s (%s): SO_REUSEPORT: %s", l->text, proto, strerror(e));
	}
	if (l->addr.ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (type == SOCK_DGRAM) {
		int size = UDP_SOCKBUF;
		/* FORCE needs CAP_NET_ADMIN and ignores rmem_max; fall back quietly */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	}
	if (type == SOCK_DGRAM && is_wildcard(&l->addr)) {
		if (l->addr.ss.ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
	}
	if (bind(fd, (const struct sockaddr *)&l->addr.ss, l->addr.len) < 0) {
		int e = errno;
		close(fd);
		return ct_err(err, errlen, "%s (%s): cannot bind: %s", l->text, proto, strerror(e));
	}
	if (type == SOCK_STREAM && listen(fd, 1024) < 0) {
		int e = errno;
		close(fd);
		return ct_err(err, errlen, "%s (tcp): listen: %s", l->text, strerror(e));
	}
	return fd;
}

static int worker_open(struct ct_server *srv, struct worker *w, char *err, size_t errlen)
{
	const struct ct_server_cfg *cfg = &srv->cfg;
	size_t smax = cfg->handler->edns_udp_max;
	if (!(w->base = event_base_new()) || !(w->udp = calloc(cfg->nlistens, sizeof *w->udp)) ||
	    !(w->tcp = calloc(cfg->nlistens, sizeof *w->tcp)) || !(w->sbuf = malloc(UDP_BATCH * smax)))
		return ct_err(err, errlen, "out of memory");
	for (size_t i = 0; i < cfg->nlistens; i++) {
		w->udp[i].fd = w->tcp[i].fd = -1;
	}
	for (int i = 0; i < UDP_BATCH; i++) {
		w->riov[i] = (struct iovec){ w->rbuf[i], UDP_RECV_MAX };
		w->rmsg[i].msg_hdr = (struct msghdr){ .msg_name = &w->raddr[i], .msg_namelen = sizeof w->raddr[i],
						       .msg_iov = &w->riov[i], .msg_iovlen = 1 };
	}
	w->nsock = cfg->nlistens;
	for (size_t i = 0; i < cfg->nlistens; i++) {
		struct udp_sock *u = &w->udp[i];
		struct tcp_listener *t = &w->tcp[i];
		u->w = t->w = w;
		u->l = t->l = &cfg->listens[i];
		u->mode = t->mode = &srv->modes[i];
		u->wildcard = is_wildcard(&u->l->addr);
		if ((u->fd = open_socket(u->l, SOCK_DGRAM, err, errlen)) < 0 ||
		    (t->fd = open_socket(t->l, SOCK_STREAM, err, errlen)) < 0)
			return -1;
		if (!(u->ev = event_new(w->base, u->fd, EV_READ | EV_PERSIST, udp_read_cb, u)) ||
		    event_add(u->ev, NULL) < 0)
			return ct_err(err, errlen, "%s: cannot watch the UDP socket", u->l->text);
		if (u->mode->kind == CT_MODE_DELAY) {
			u->slot_size = (sizeof(struct delay_slot) + smax + 7) & ~(size_t)7;
			u->cap = cfg->delay_queue;
			if (!(u->slots = malloc(u->cap * u->slot_size)) ||
			    !(u->timer = evtimer_new(w->base, udp_timer_cb, u)))
				return ct_err(err, errlen, "delay queue: out of memory (%u replies of %zu bytes)",
					      cfg->delay_queue, u->slot_size);
		}
		t->lev = evconnlistener_new(w->base, tcp_accept_cb, t, LEV_OPT_CLOSE_ON_FREE, 0, t->fd);
		if (!t->lev)
			return ct_err(err, errlen, "%s: cannot watch the TCP listener", t->l->text);
		t->fd = -1; /* the listener owns it now */
	}
	return 0;
}

int ct_server_open(struct ct_server **out, const struct ct_server_cfg *cfg, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, (void (*)(void))evthread_use_pthreads);

	struct ct_server *srv = calloc(1, sizeof *srv);
	*out = NULL;
	if (!srv)
		return ct_err(err, errlen, "out of memory");
	srv->cfg = *cfg;
	if (!(srv->modes = calloc(cfg->nlistens, sizeof *srv->modes)) ||
	    !(srv->workers = calloc(cfg->workers, sizeof *srv->workers))) {
		ct_server_free(srv);
		return ct_err(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < cfg->nlistens; i++)
		srv->modes[i] = cfg->listens[i].mode;
	for (unsigned i = 0; i < cfg->workers; i++) {
		struct worker *w = calloc(1, sizeof *w);
		if (!w) {
			ct_server_free(srv);
			return ct_err(err, errlen, "out of memory");
		}
		w->srv = srv;
		w->id = i;
		srv->workers[i] = w;
		if (worker_open(srv, w, err, errlen) < 0) {
			ct_server_free(srv);
			return -1;
		}
	}
	*out = srv;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

int ct_server_start(struct ct_server *srv, char *err, size_t errlen)
{
	sigset_t all, old;
	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	srv->started_ns = ct_now_ns();
	for (unsigned i = 0; i < srv->cfg.workers; i++) {
		struct worker *w = srv->workers[i];
		int rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			ct_server_stop(srv);
			return ct_err(err, errlen, "cannot start worker %u: %s", i, strerror(rc));
		}
		w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void ct_server_stop(struct ct_server *srv)
{
	for (unsigned i = 0; i < srv->cfg.workers; i++) {
		struct worker *w = srv->workers[i];
		if (w && w->started)
			event_base_loopbreak(w->base);
	}
	for (unsigned i = 0; i < srv->cfg.workers; i++) {
		struct worker *w = srv->workers[i];
		if (w && w->started) {
			pthread_join(w->thread, NULL);
			w->started = false;
		}
	}
}

static void worker_free(struct worker *w)
{
	while (w->conns)
		conn_free(w->conns);
	for (size_t i = 0; i < w->nsock; i++) {
		struct udp_sock *u = &w->udp[i];
		if (u->ev)
			event_free(u->ev);
		if (u->timer)
			event_free(u->timer);
		if (u->backlog) {
			event_free(u->backlog->wev);
			free(u->backlog);
		}
		free(u->slots);
		if (u->fd >= 0)
			close(u->fd);
		if (w->tcp[i].lev)
			evconnlistener_free(w->tcp[i].lev);
		if (w->tcp[i].fd >= 0)
			close(w->tcp[i].fd);
	}
	while (w->spare) {
		struct tcp_pending *p = w->spare;
		w->spare = p->next;
		free(p);
	}
	free(w->udp);
	free(w->tcp);
	free(w->sbuf);
	if (w->base)
		event_base_free(w->base);
	free(w);
}

void ct_server_free(struct ct_server *srv)
{
	if (!srv)
		return;
	ct_server_stop(srv);
	for (unsigned i = 0; srv->workers && i < srv->cfg.workers; i++)
		if (srv->workers[i])
			worker_free(srv->workers[i]);
	free(srv->workers);
	free(srv->modes);
	free(srv);
}

int ct_server_local_addr(const struct ct_server *srv, size_t listen_index, int type,
			 struct ct_sockaddr *out)
{
	const struct worker *w = srv->workers[0];
	if (listen_index >= w->nsock)
		return -1;
	int fd = type == SOCK_DGRAM ? w->udp[listen_index].fd
				    : evconnlistener_get_fd(w->tcp[listen_index].lev);
	out->len = sizeof out->ss;
	return getsockname(fd, (struct sockaddr *)&out->ss, &out->len);
}

void ct_server_snapshot(const struct ct_server *srv, struct ct_stats_snapshot *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned i = 0; i < srv->cfg.workers; i++)
		ct_stats_sum(out, &srv->workers[i]->stats);
	out->nlistens = srv->cfg.nlistens < CT_STATS_LISTENS ? srv->cfg.nlistens : CT_STATS_LISTENS;
	for (size_t l = 0; l < out->nlistens; l++) {
		struct ct_listen_count *b = &out->by_listen[l];
		b->listen = srv->cfg.listens[l].text;
		for (unsigned i = 0; i < srv->cfg.workers; i++) {
			b->udp += atomic_load_explicit(&srv->workers[i]->udp[l].queries, memory_order_relaxed);
			b->tcp += atomic_load_explicit(&srv->workers[i]->tcp[l].queries, memory_order_relaxed);
		}
	}
	out->tcp_active = atomic_load(&((struct ct_server *)srv)->tcp_active);
	out->uptime_s = srv->started_ns ? (double)(ct_now_ns() - srv->started_ns) / 1e9 : 0.0;
}
