#include "engine.h"

#include "answer.h"
#include "clock.h"
#include "ct_err.h"
#include "dnswire.h"

#include <ares.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A query's slot index is its DNS ID: at most this many in flight per thread. */
#define MAX_SLOTS 65536
/* Sends per callback before the loop gets a turn (answers, timers). */
#define SEND_BURST 256
#define NONE (-1)
#define START_DELAY_NS (20 * CT_NS_PER_MS)
/* c-ares keeps a socket or two per server. */
#define CARES_FDS 16
#define PKTINFO_SOCKETS 64
/* UDP answers read per recvmmsg, and the largest kept (bigger: malformed). */
#define RECV_BATCH 32
#define RECV_MAX 4096
#define CARES_TICK_NS (5 * CT_NS_PER_MS)

struct lg_thread;
struct stream;

struct flow {
	struct lg_thread *th;
	struct stream *st;
	int fd;
	struct event *ev;           /* UDP: readable */
	struct bufferevent *bev;    /* TCP */
	int pool_index;             /* where it sits in the stream's pool, or NONE */
	uint64_t sent;
	uint32_t outstanding;
	bool retired;               /* takes no new queries; freed when none are left */
	bool connected;
};

struct slot {
	struct flow *flow;
	struct stream *st;
	uint64_t intended_ns, sent_ns; /* monotonic */
	uint64_t seq;
	uint32_t query;
	int32_t prev, next;            /* the outstanding list, in send order */
	bool busy;
};

struct stream {
	struct lg_thread *th;
	bool canary;
	bool open_loop;
	const struct ct_sched *sched;
	uint32_t pool_size;
	uint64_t per_flow;
	/* A new 5-tuple per query without a socket per query: a pool of
	 * unconnected sockets, each query sent from the next address of the
	 * source range (IP_PKTINFO) over an AnyIP route. */
	bool pktinfo;
	uint64_t pk_next;
	struct flow **pool;
	uint32_t rr;
	uint64_t k;                    /* open loop: this thread's next turn */
	uint64_t stride, offset;       /* global schedule index = k * stride + offset */
	uint32_t outstanding, limit;
	uint64_t qnext;
	struct event *send_ev;
	bool finished;                 /* the schedule is over */
	struct lg_counters cnt;
	struct ct_hist hi, ha;         /* the whole run */
	struct ct_hist lag;            /* actual minus intended send time */
	struct ct_hist ihi, iha;       /* the current interval */
};

struct pub {
	pthread_mutex_t lock;
	uint64_t seq;                  /* intervals closed so far */
	struct lg_totals load, canary; /* cumulative at the end of interval seq */
	struct ct_hist hi, ha;         /* load latency during interval seq */
	double t_s;
};

struct lg_thread {
	struct lg_engine *e;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct slot *slots;
	/* free IDs as a FIFO: an ID comes back only after all others were
	 * used, so a late answer to a timed-out query is unlikely to meet a
	 * new query with its ID */
	uint16_t *free_ids;
	uint32_t nfree, free_head;
	int32_t head, tail;
	struct event *timeout_ev, *interval_ev, *end_ev;
	struct stream load, canary;
	bool has_canary;
	uint64_t src_next;
	bool stopping;                 /* no more sends: the run's time is up */
	uint64_t interval_k;
	struct pub pub;
	_Atomic bool done;
	/* --resolver cares: the channel and the events of its sockets */
	ares_channel ares;
	struct cares_fd {
		ares_socket_t fd;
		struct event *ev;
	} afd[CARES_FDS];
	struct event *ares_timer;
	uint8_t sbuf[CT_DNS_HDRLEN + 2 + 512 + 64];
	uint8_t rbuf[65536];             /* one TCP message */
	struct mmsghdr rmsg[RECV_BATCH]; /* UDP answers, read in batches */
	struct iovec riov[RECV_BATCH];
	uint8_t rbatch[RECV_BATCH][RECV_MAX];
};

struct lg_engine {
	struct lg_config cfg;
	struct lg_thread **th;
	uint64_t start_ns;
	_Atomic uint64_t issued;
	struct lg_totals *prev;        /* per thread: cumulative at the last collected interval */
	uint64_t collected;
	struct ct_sched canary_sched;
};

static void send_cb(evutil_socket_t fd, short what, void *arg);
static void finish_if_drained(struct lg_thread *th);

/* ---- slots ---- */

static int32_t slot_alloc(struct lg_thread *th)
{
	if (th->nfree == 0)
		return NONE;
	int32_t id = th->free_ids[th->free_head];
	th->free_head = (th->free_head + 1) % MAX_SLOTS;
	th->nfree--;
	return id;
}

static void list_append(struct lg_thread *th, int32_t id)
{
	struct slot *s = &th->slots[id];
	s->prev = th->tail;
	s->next = NONE;
	if (th->tail != NONE)
		th->slots[th->tail].next = id;
	else
		th->head = id;
	th->tail = id;
}

static void list_remove(struct lg_thread *th, int32_t id)
{
	struct slot *s = &th->slots[id];
	if (s->prev != NONE)
		th->slots[s->prev].next = s->next;
	else
		th->head = s->next;
	if (s->next != NONE)
		th->slots[s->next].prev = s->prev;
	else
		th->tail = s->prev;
}

/* ---- flows ---- */

static void flow_free(struct flow *f)
{
	if (f->pool_index != NONE && f->st->pool[f->pool_index] == f)
		f->st->pool[f->pool_index] = NULL;
	if (f->ev)
		event_free(f->ev);
	if (f->bev)
		bufferevent_free(f->bev);
	else if (f->fd >= 0)
		close(f->fd);
	free(f);
}

static void flow_retire(struct flow *f)
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

static void udp_read_cb(evutil_socket_t fd, short what, void *arg);
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
	if (cfg->src.count && !st->pktinfo) {
		struct ct_sockaddr src;
		int one = 1;
		next_source(th, &src);
		/* the runner may route a whole range locally (AnyIP) without
		 * adding every address: FREEBIND lets us bind to any of them */
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&src.ss, src.len) < 0)
			goto fail;
	}
	f = calloc(1, sizeof *f);
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
		f->ev = event_new(th->base, fd, EV_READ | EV_PERSIST, udp_read_cb, f);
		if (!f->ev || event_add(f->ev, NULL) < 0) {
			errno = ENOMEM;
			goto fail;
		}
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
			free(f);
			return NULL;
		}
	}
	if (!st->pktinfo)
		lg_add(&st->cnt, LG_NEW_FLOWS, 1);
	return f;
fail:
	lg_add(&st->cnt, lg_errno_counter(errno), 1);
	if (f) {
		if (f->ev)
			event_free(f->ev);
		free(f);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The flow for the next query: the pool in turn, each flow replaced after
 * per_flow queries. */
static struct flow *flow_for_query(struct stream *st)
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

/* ---- outcomes ---- */

static void canary_log(struct stream *st, const struct slot *s, const char *outcome, int rcode, uint64_t now)
{
	FILE *log = st->th->e->cfg.canary_log;
	if (!log)
		return;
	double t = (double)(s->intended_ns - st->th->e->start_ns) / 1e9;
	if (rcode >= 0)
		fprintf(log, "{\"seq\":%llu,\"t_s\":%.6f,\"rcode\":\"%s\",\"latency_ms\":%.3f}\n",
			(unsigned long long)s->seq, t, lg_rcode_name(rcode), (double)(now - s->sent_ns) / 1e6);
	else
		fprintf(log, "{\"seq\":%llu,\"t_s\":%.6f,\"outcome\":\"%s\"}\n", (unsigned long long)s->seq, t,
			outcome);
}

/* Ends a query: its slot is freed, its flow maybe closed, and a closed
 * loop sends the next one. */
static void complete(struct lg_thread *th, int32_t id)
{
	struct slot *s = &th->slots[id];
	struct stream *st = s->st;
	struct flow *f = s->flow;
	list_remove(th, id);
	s->busy = false;
	th->free_ids[(th->free_head + th->nfree++) % MAX_SLOTS] = (uint16_t)id;
	st->outstanding--;
	if (f) {
		f->outstanding--;
		if (f->retired && f->outstanding == 0)
			flow_free(f);
	}
	if (!st->open_loop && !th->stopping)
		event_active(st->send_ev, EV_TIMEOUT, 0);
	if (th->stopping)
		finish_if_drained(th);
}

static void fail_query(struct lg_thread *th, int32_t id, enum lg_counter why, const char *outcome)
{
	struct slot *s = &th->slots[id];
	lg_add(&s->st->cnt, LG_ERRORS, 1);
	if (why != LG__COUNT)
		lg_add(&s->st->cnt, why, 1);
	if (s->st->canary)
		canary_log(s->st, s, outcome, -1, ct_now_ns());
	complete(th, id);
}

static void record_answer(struct lg_thread *th, int32_t id, int rcode, bool tc)
{
	struct slot *s = &th->slots[id];
	struct stream *st = s->st;
	uint64_t now = ct_now_ns();
	lg_add(&st->cnt, LG_ANSWERED, 1);
	lg_add(&st->cnt, LG_RCODE0 + rcode, 1);
	if (tc)
		lg_add(&st->cnt, LG_TRUNCATED, 1);
	ct_hist_record(&st->hi, now - s->intended_ns);
	ct_hist_record(&st->ha, now - s->sent_ns);
	ct_hist_record(&st->ihi, now - s->intended_ns);
	ct_hist_record(&st->iha, now - s->sent_ns);
	if (st->canary)
		canary_log(st, s, "answered", rcode, now);
	complete(th, id);
}

/* Matches one answer; true when it completed a query (which may have
 * freed the flow). */
static bool handle_answer(struct flow *f, const uint8_t *pkt, size_t len)
{
	struct lg_thread *th = f->th;
	struct stream *st = f->st;
	uint16_t id;
	if (ct_answer_id(pkt, len, &id) < 0) {
		lg_add(&st->cnt, LG_MALFORMED, 1);
		return false;
	}
	struct slot *s = &th->slots[id];
	if (!s->busy || s->flow != f) {
		lg_add(&st->cnt, LG_MISMATCHED, 1); /* late, duplicated or forged */
		return false;
	}
	const struct ct_query *q = &th->e->cfg.queries->q[s->query];
	struct ct_answer_info info;
	switch (ct_answer_check(pkt, len, q->wire, q->len, id, &info)) {
	case CT_ANS_MALFORMED:
		lg_add(&st->cnt, LG_MALFORMED, 1);
		return false;
	case CT_ANS_MISMATCH:
		lg_add(&st->cnt, LG_MISMATCHED, 1);
		return false;
	case CT_ANS_OK:
		break;
	}
	record_answer(th, id, info.rcode, info.tc);
	return true;
}

/* Every query outstanding on a flow fails (a TCP connection went away, a
 * per-query socket got an ICMP error). */
static void fail_flow(struct flow *f, enum lg_counter why, const char *outcome)
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

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct flow *f = arg;
	struct lg_thread *th = f->th;
	(void)what;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < RECV_BATCH; i++) {
			th->riov[i] = (struct iovec){ th->rbatch[i], RECV_MAX };
			th->rmsg[i].msg_hdr = (struct msghdr){ .msg_iov = &th->riov[i], .msg_iovlen = 1 };
		}
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
		for (int i = 0; i < n; i++) {
			bool last = f->outstanding == 1 && f->retired;
			if (th->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)
				lg_add(&f->st->cnt, LG_MALFORMED, 1);
			else if (handle_answer(f, th->rbatch[i], th->rmsg[i].msg_len) && last)
				return; /* the flow was freed with its last answer */
		}
		if (n < RECV_BATCH)
			return;
	}
}

static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct flow *f = arg;
	struct lg_thread *th = f->th;
	struct evbuffer *in = bufferevent_get_input(bev);
	for (;;) {
		uint8_t hdr[2];
		size_t avail = evbuffer_get_length(in);
		if (avail < 2 || evbuffer_copyout(in, hdr, 2) != 2)
			return;
		size_t len = ct_get16(hdr);
		if (avail < 2 + len)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, th->rbuf, len);
		bool last = f->outstanding == 1 && f->retired;
		if (handle_answer(f, th->rbuf, len) && last)
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

/* ---- --resolver cares: lookups as an application makes them ---- */

static void cares_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	ares_process_fd(th->ares, (what & EV_READ) ? fd : ARES_SOCKET_BAD, (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
}

static void cares_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	(void)fd;
	(void)what;
	if (th->ares)
		ares_process_fd(th->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* its retries and timeouts */
}

/* c-ares tells which of its sockets to watch; a socket first seen is a new flow. */
static void cares_sock_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct lg_thread *th = data;
	struct cares_fd *slot = NULL, *empty = NULL;
	for (int i = 0; i < CARES_FDS; i++) {
		if (th->afd[i].ev && th->afd[i].fd == fd)
			slot = &th->afd[i];
		else if (!th->afd[i].ev && !empty)
			empty = &th->afd[i];
	}
	if (slot) {
		event_free(slot->ev);
		slot->ev = NULL;
	}
	if (!readable && !writable)
		return;
	if (!slot) {
		slot = empty;
		lg_add(&th->load.cnt, LG_NEW_FLOWS, 1);
	}
	if (!slot)
		return; /* more sockets than c-ares ever opens per server */
	slot->fd = fd;
	slot->ev = event_new(th->base, fd, (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0) | EV_PERSIST,
			     cares_io_cb, th);
	if (slot->ev)
		event_add(slot->ev, NULL);
}

static void cares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct slot *s = arg;
	struct stream *st = s->st;
	struct lg_thread *th = st->th;
	int32_t id = (int32_t)(s - th->slots);
	lg_add(&st->cnt, LG_RETRIES, (uint64_t)timeouts);
	if (status == ARES_EDESTRUCTION) {
		lg_add(&st->cnt, LG_ABANDONED, 1);
		complete(th, id);
	} else if (abuf && alen >= CT_DNS_HDRLEN && (abuf[2] & 0x80)) {
		/* an answer, whatever its rcode (c-ares calls NXDOMAIN ENOTFOUND) */
		record_answer(th, id, abuf[3] & 0xf, (abuf[2] & 0x02) != 0);
	} else if (status == ARES_ETIMEOUT || status == ARES_ECANCELLED) {
		lg_add(&st->cnt, LG_TIMEOUTS, 1);
		complete(th, id);
	} else {
		fail_query(th, id, status == ARES_ECONNREFUSED ? LG_ERR_ECONNREFUSED : LG_ERR_OTHER, ares_strerror(status));
	}
}

static int cares_init(struct lg_thread *th, char *err, size_t errlen)
{
	const struct lg_config *cfg = &th->e->cfg;
	struct ares_options o = { 0 };
	char servers[CT_ADDRSTRLEN];
	o.flags = ARES_FLAG_NOCHECKRESP | (cfg->proto == LG_TCP ? ARES_FLAG_USEVC : 0);
	o.timeout = (int)(cfg->timeout_ns / CT_NS_PER_MS);
	o.tries = (int)cfg->cares_tries;
	o.sock_state_cb = cares_sock_cb;
	o.sock_state_cb_data = th;
	int rc = ares_init_options(&th->ares, &o,
				   ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS)
		return ct_err(err, errlen, "c-ares: %s", ares_strerror(rc));
	rc = ares_set_servers_ports_csv(th->ares, ct_sockaddr_str(&cfg->server, servers, sizeof servers));
	if (rc != ARES_SUCCESS)
		return ct_err(err, errlen, "c-ares: server %s: %s", servers, ares_strerror(rc));
	th->ares_timer = event_new(th->base, -1, EV_PERSIST, cares_timer_cb, th);
	struct timeval tv = ct_timeval(CARES_TICK_NS);
	if (!th->ares_timer || event_add(th->ares_timer, &tv) < 0)
		return ct_err(err, errlen, "out of memory");
	return 0;
}

static void cares_free(struct lg_thread *th)
{
	if (th->ares) {
		ares_destroy(th->ares); /* pending lookups end as abandoned */
		th->ares = NULL;
	}
	for (int i = 0; i < CARES_FDS; i++)
		if (th->afd[i].ev) {
			event_free(th->afd[i].ev);
			th->afd[i].ev = NULL;
		}
	if (th->ares_timer) {
		event_free(th->ares_timer);
		th->ares_timer = NULL;
	}
}

/* ---- sending ---- */

/* Sends from the next source address: each (socket, address) pair is a
 * 5-tuple of its own, new until the pool wraps around the range. */
static int send_pktinfo(struct stream *st, struct flow *f, const uint8_t *buf, size_t len)
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

/* Sends one query meant for intended_ns (monotonic). */
static void send_query(struct stream *st, uint64_t intended_ns)
{
	struct lg_thread *th = st->th;
	const struct lg_config *cfg = &th->e->cfg;
	int32_t id = slot_alloc(th);
	if (id == NONE) {
		lg_add(&st->cnt, LG_THROTTLED, 1);
		return;
	}
	lg_add(&st->cnt, LG_SENT, 1);
	struct slot *s = &th->slots[id];
	s->st = st;
	s->flow = NULL;
	s->busy = true;
	s->query = (uint32_t)(st->qnext++ % cfg->queries->n);
	s->intended_ns = intended_ns;
	s->seq = st->k;
	list_append(th, id);
	st->outstanding++;

	if (th->ares && !st->canary) {
		s->sent_ns = ct_now_ns();
		ct_hist_record(&st->lag, s->sent_ns > intended_ns ? s->sent_ns - intended_ns : 0);
		const struct ct_query *q = &cfg->queries->q[s->query];
		ares_query(th->ares, q->name, CT_CLASS_IN, q->qtype, cares_cb, s);
		return;
	}
	struct flow *f = flow_for_query(st);
	s->sent_ns = ct_now_ns();
	ct_hist_record(&st->lag, s->sent_ns > intended_ns ? s->sent_ns - intended_ns : 0);
	if (!f) {
		fail_query(th, id, LG__COUNT, "no socket");
		return;
	}
	s->flow = f;
	f->outstanding++;
	f->sent++;
	const struct ct_query *q = &cfg->queries->q[s->query];
	if (st->pktinfo) {
		memcpy(th->sbuf, q->wire, q->len);
		ct_put16(th->sbuf, (uint16_t)id);
		if (send_pktinfo(st, f, th->sbuf, q->len) < 0) {
			lg_add(&st->cnt, lg_errno_counter(errno), 1);
			fail_query(th, id, LG__COUNT, "send error");
			return;
		}
	} else if (cfg->proto == LG_UDP) {
		memcpy(th->sbuf, q->wire, q->len);
		ct_put16(th->sbuf, (uint16_t)id);
		if (send(f->fd, th->sbuf, q->len, 0) < 0) {
			lg_add(&st->cnt, lg_errno_counter(errno), 1);
			fail_query(th, id, LG__COUNT, "send error");
			return;
		}
	} else {
		ct_put16(th->sbuf, q->len);
		memcpy(th->sbuf + 2, q->wire, q->len);
		ct_put16(th->sbuf + 2, (uint16_t)id);
		bufferevent_write(f->bev, th->sbuf, (size_t)q->len + 2);
	}
	if (st->per_flow && f->sent >= st->per_flow && !st->pktinfo)
		flow_retire(f);
}

static bool budget_left(struct lg_engine *e)
{
	if (!e->cfg.max_queries)
		return true;
	return atomic_fetch_add(&e->issued, 1) < e->cfg.max_queries;
}

static void arm(struct event *ev, uint64_t ns)
{
	struct timeval tv = ct_timeval(ns);
	evtimer_add(ev, &tv);
}

static void send_open_loop(struct stream *st)
{
	struct lg_thread *th = st->th;
	struct lg_engine *e = th->e;
	uint64_t now = ct_now_ns();
	for (int burst = 0; !th->stopping; burst++) {
		uint64_t t = ct_sched_time(st->sched, st->k * st->stride + st->offset);
		if (t == UINT64_MAX) {
			st->finished = true;
			return;
		}
		uint64_t due = e->start_ns + t;
		enum ct_slot_fate fate = ct_slot_fate(now, due, e->cfg.max_lag_ns);
		if (fate == CT_SLOT_WAIT) {
			arm(st->send_ev, due - now);
			return;
		}
		if (burst == SEND_BURST) {
			arm(st->send_ev, 0); /* let answers and timers run */
			return;
		}
		if (fate == CT_SLOT_LATE) {
			/* behind its slot: skipped, never sent in a burst to catch up */
			lg_add(&st->cnt, LG_LATE, 1);
		} else if (st->outstanding >= st->limit) {
			lg_add(&st->cnt, LG_THROTTLED, 1);
		} else if (!budget_left(e)) {
			st->finished = true;
			th->stopping = true; /* --max-queries reached */
			finish_if_drained(th);
			return;
		} else {
			send_query(st, due);
			now = ct_now_ns();
		}
		st->k++;
	}
}

static void send_closed_loop(struct stream *st)
{
	struct lg_thread *th = st->th;
	for (int burst = 0; !th->stopping && st->outstanding < st->limit; burst++) {
		if (burst == SEND_BURST) {
			event_active(st->send_ev, EV_TIMEOUT, 0);
			return;
		}
		if (!budget_left(th->e)) {
			st->finished = true;
			th->stopping = true;
			finish_if_drained(th);
			return;
		}
		send_query(st, ct_now_ns());
		st->k++;
	}
}

static void send_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;
	(void)fd;
	(void)what;
	if (st->open_loop)
		send_open_loop(st);
	else
		send_closed_loop(st);
}

/* ---- time: timeouts, intervals, the end ---- */

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	uint64_t now = ct_now_ns(), limit = th->e->cfg.timeout_ns;
	(void)fd;
	(void)what;
	/* the list is in send order, so the oldest come first; c-ares
	 * lookups keep their own time (their retries) */
	for (int32_t id = th->head, next; id != NONE; id = next) {
		struct slot *s = &th->slots[id];
		next = s->next;
		if (now - s->sent_ns < limit)
			break;
		if (th->ares && !s->st->canary)
			continue;
		lg_add(&s->st->cnt, LG_TIMEOUTS, 1);
		if (s->st->canary)
			canary_log(s->st, s, "timeout", -1, now);
		complete(th, id);
	}
}

static void publish(struct lg_thread *th, uint64_t seq)
{
	struct pub *p = &th->pub;
	pthread_mutex_lock(&p->lock);
	memset(&p->load, 0, sizeof p->load);
	memset(&p->canary, 0, sizeof p->canary);
	lg_totals_add(&p->load, &th->load.cnt);
	if (th->has_canary)
		lg_totals_add(&p->canary, &th->canary.cnt);
	p->hi = th->load.ihi;
	p->ha = th->load.iha;
	p->seq = seq;
	p->t_s = (double)(ct_now_ns() - th->e->start_ns) / 1e9;
	pthread_mutex_unlock(&p->lock);
	ct_hist_init(&th->load.ihi);
	ct_hist_init(&th->load.iha);
}

static void interval_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	(void)fd;
	(void)what;
	th->interval_k++;
	publish(th, th->interval_k);
	uint64_t next = th->e->start_ns + (th->interval_k + 1) * th->e->cfg.interval_ns;
	uint64_t now = ct_now_ns();
	arm(th->interval_ev, next > now ? next - now : 0);
}

static void finish_if_drained(struct lg_thread *th)
{
	if (th->stopping && th->head == NONE)
		event_base_loopbreak(th->base);
}

/* Slots of the schedule the loop did not reach before the end (it was
 * behind): late, like any other slot missed, so every slot is accounted. */
static void close_schedule(struct stream *st)
{
	const struct lg_engine *e = st->th->e;
	if (!st->open_loop || st->finished)
		return;
	for (;;) {
		uint64_t t = ct_sched_time(st->sched, st->k * st->stride + st->offset);
		if (t == UINT64_MAX || t >= e->cfg.duration_ns)
			break;
		lg_add(&st->cnt, LG_LATE, 1);
		st->k++;
	}
	st->finished = true;
}

static void end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	(void)fd;
	(void)what;
	if (!th->stopping) {
		/* the run's time is up: stop sending, give what is in flight its
		 * full timeout (c-ares lookups: every attempt, with its backoff) */
		th->stopping = true;
		close_schedule(&th->load);
		if (th->has_canary)
			close_schedule(&th->canary);
		finish_if_drained(th);
		uint64_t wait = th->e->cfg.timeout_ns;
		if (th->ares)
			wait *= 2 * th->e->cfg.cares_tries;
		arm(th->end_ev, wait + 10 * CT_NS_PER_MS);
		return;
	}
	if (th->ares)
		ares_cancel(th->ares); /* still unresolved: timed out */
	timeout_cb(-1, 0, th); /* the last ones have timed out by now */
	event_base_loopbreak(th->base);
}

/* ---- threads ---- */

static int stream_init(struct lg_thread *th, struct stream *st, bool canary, char *err, size_t errlen)
{
	const struct lg_config *cfg = &th->e->cfg;
	unsigned T = cfg->threads;
	st->th = th;
	st->canary = canary;
	ct_hist_init(&st->hi);
	ct_hist_init(&st->ha);
	ct_hist_init(&st->lag);
	ct_hist_init(&st->ihi);
	ct_hist_init(&st->iha);
	if (canary) {
		st->open_loop = true;
		st->pool_size = 1;
		st->per_flow = 1; /* a fresh socket per query, as a stub resolver */
		st->stride = 1;
		st->offset = 0;
		st->limit = MAX_SLOTS;
	} else {
		st->open_loop = cfg->load.open_loop;
		st->sched = &cfg->load.sched;
		st->pool_size = cfg->load.pool / T + (th->id < cfg->load.pool % T ? 1 : 0);
		if (st->pool_size == 0)
			st->pool_size = 1;
		st->per_flow = cfg->load.per_flow;
		st->stride = T;
		st->offset = th->id;
		st->limit = cfg->outstanding / T + (th->id < cfg->outstanding % T ? 1 : 0);
		if (st->limit == 0)
			st->limit = 1;
		if (st->limit > MAX_SLOTS)
			st->limit = MAX_SLOTS;
	}
	if (!canary && st->per_flow == 1 && cfg->src.count && cfg->proto == LG_UDP && !cfg->cares) {
		st->pktinfo = true;
		/* enough sockets that the (socket, address) pairs outlast conntrack's
		 * UDP timeouts at any rate this machine can send */
		if (st->pool_size < PKTINFO_SOCKETS)
			st->pool_size = PKTINFO_SOCKETS;
	}
	st->qnext = th->id;
	st->pool = calloc(st->pool_size, sizeof *st->pool);
	st->send_ev = evtimer_new(th->base, send_cb, st);
	if (!st->pool || !st->send_ev)
		return ct_err(err, errlen, "out of memory");
	return 0;
}

static void stream_free(struct stream *st)
{
	for (uint32_t i = 0; st->pool && i < st->pool_size; i++)
		if (st->pool[i])
			flow_retire(st->pool[i]);
	free(st->pool);
	if (st->send_ev)
		event_free(st->send_ev);
}

static void *thread_main(void *arg)
{
	struct lg_thread *th = arg;
	struct lg_engine *e = th->e;
	struct timeval tv = ct_timeval(e->cfg.timeout_ns / 50 < CT_NS_PER_MS        ? CT_NS_PER_MS
				       : e->cfg.timeout_ns / 50 > 100 * CT_NS_PER_MS ? 100 * CT_NS_PER_MS
										   : e->cfg.timeout_ns / 50);
	event_add(th->timeout_ev, &tv);
	uint64_t now = ct_now_ns(), wait = e->start_ns > now ? e->start_ns - now : 0;
	arm(th->interval_ev, wait + e->cfg.interval_ns);
	arm(th->end_ev, wait + e->cfg.duration_ns);
	arm(th->load.send_ev, wait);
	if (th->has_canary)
		arm(th->canary.send_ev, wait);
	event_base_dispatch(th->base);
	cares_free(th); /* its pending lookups come back abandoned */
	/* interrupted: whatever is still in flight is abandoned, not lost */
	while (th->head != NONE) {
		lg_add(&th->slots[th->head].st->cnt, LG_ABANDONED, 1);
		complete(th, th->head);
	}
	publish(th, th->interval_k + 1); /* the last, partial interval */
	atomic_store(&th->done, true);
	return NULL;
}

static int thread_new(struct lg_engine *e, unsigned id, char *err, size_t errlen)
{
	struct lg_thread *th = calloc(1, sizeof *th);
	if (!th)
		return ct_err(err, errlen, "out of memory");
	e->th[id] = th;
	th->e = e;
	th->id = id;
	th->head = th->tail = NONE;
	pthread_mutex_init(&th->pub.lock, NULL);
	ct_hist_init(&th->pub.hi);
	ct_hist_init(&th->pub.ha);
	th->slots = calloc(MAX_SLOTS, sizeof *th->slots);
	th->free_ids = malloc(MAX_SLOTS * sizeof *th->free_ids);
	if (!th->slots || !th->free_ids)
		return ct_err(err, errlen, "out of memory");
	/* handed out in order, 0 last */
	for (uint32_t i = 0; i < MAX_SLOTS; i++)
		th->free_ids[i] = (uint16_t)((i + 1) % MAX_SLOTS);
	th->nfree = MAX_SLOTS;
	th->free_head = 0;
	struct event_config *ec = event_config_new();
	if (ec)
		event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	th->base = ec ? event_base_new_with_config(ec) : NULL;
	if (ec)
		event_config_free(ec);
	if (!th->base)
		return ct_err(err, errlen, "cannot create an event loop");
	th->timeout_ev = event_new(th->base, -1, EV_PERSIST, timeout_cb, th);
	th->interval_ev = evtimer_new(th->base, interval_cb, th);
	th->end_ev = evtimer_new(th->base, end_cb, th);
	if (!th->timeout_ev || !th->interval_ev || !th->end_ev)
		return ct_err(err, errlen, "out of memory");
	if (stream_init(th, &th->load, false, err, errlen) < 0)
		return -1;
	if (e->cfg.cares && cares_init(th, err, errlen) < 0)
		return -1;
	if (id == 0 && e->cfg.canary_rate > 0) {
		th->has_canary = true;
		if (stream_init(th, &th->canary, true, err, errlen) < 0)
			return -1;
		th->canary.sched = &e->canary_sched;
	}
	return 0;
}

static void cares_library_init(void)
{
	ares_library_init(ARES_LIB_INIT_ALL);
}

int lg_engine_new(struct lg_engine **out, const struct lg_config *cfg, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT, ares_once = PTHREAD_ONCE_INIT;
	pthread_once(&once, (void (*)(void))evthread_use_pthreads);
	if (cfg->cares)
		pthread_once(&ares_once, cares_library_init);
	struct lg_engine *e = calloc(1, sizeof *e);
	*out = NULL;
	if (!e)
		return ct_err(err, errlen, "out of memory");
	e->cfg = *cfg;
	ct_sched_constant(&e->canary_sched, cfg->canary_rate, cfg->duration_ns);
	e->th = calloc(cfg->threads, sizeof *e->th);
	e->prev = calloc(cfg->threads, sizeof *e->prev);
	if (!e->th || !e->prev) {
		lg_engine_free(e);
		return ct_err(err, errlen, "out of memory");
	}
	for (unsigned i = 0; i < cfg->threads; i++) {
		if (thread_new(e, i, err, errlen) < 0) {
			lg_engine_free(e);
			return -1;
		}
	}
	*out = e;
	return 0;
}

int lg_engine_start(struct lg_engine *e, char *err, size_t errlen)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* a moment ahead, so every thread is waiting when the first slot comes */
	e->start_ns = ct_now_ns() + START_DELAY_NS;
	for (unsigned i = 0; i < e->cfg.threads; i++) {
		int rc = pthread_create(&e->th[i]->thread, NULL, thread_main, e->th[i]);
		if (rc) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			lg_engine_stop(e);
			return ct_err(err, errlen, "cannot start thread %u: %s", i, strerror(rc));
		}
		e->th[i]->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void lg_engine_stop(struct lg_engine *e)
{
	for (unsigned i = 0; i < e->cfg.threads; i++)
		if (e->th[i] && e->th[i]->started)
			event_base_loopbreak(e->th[i]->base);
}

bool lg_engine_done(struct lg_engine *e)
{
	for (unsigned i = 0; i < e->cfg.threads; i++)
		if (e->th[i]->started && !atomic_load(&e->th[i]->done))
			return false;
	return true;
}

void lg_engine_join(struct lg_engine *e, struct lg_result *load, struct lg_result *canary)
{
	memset(load, 0, sizeof *load);
	memset(canary, 0, sizeof *canary);
	ct_hist_init(&load->lat_intended);
	ct_hist_init(&load->lat_actual);
	ct_hist_init(&load->send_lag);
	ct_hist_init(&canary->lat_intended);
	ct_hist_init(&canary->lat_actual);
	ct_hist_init(&canary->send_lag);
	for (unsigned i = 0; i < e->cfg.threads; i++) {
		struct lg_thread *th = e->th[i];
		if (th->started) {
			pthread_join(th->thread, NULL);
			th->started = false;
		}
		lg_totals_add(&load->t, &th->load.cnt);
		ct_hist_merge(&load->lat_intended, &th->load.hi);
		ct_hist_merge(&load->lat_actual, &th->load.ha);
		ct_hist_merge(&load->send_lag, &th->load.lag);
		if (th->has_canary) {
			lg_totals_add(&canary->t, &th->canary.cnt);
			ct_hist_merge(&canary->lat_intended, &th->canary.hi);
			ct_hist_merge(&canary->lat_actual, &th->canary.ha);
			ct_hist_merge(&canary->send_lag, &th->canary.lag);
		}
	}
}

void lg_engine_peek(struct lg_engine *e, struct lg_totals *load, struct lg_totals *canary)
{
	memset(load, 0, sizeof *load);
	memset(canary, 0, sizeof *canary);
	for (unsigned i = 0; i < e->cfg.threads; i++) {
		lg_totals_add(load, &e->th[i]->load.cnt);
		if (e->th[i]->has_canary)
			lg_totals_add(canary, &e->th[i]->canary.cnt);
	}
}

bool lg_engine_interval(struct lg_engine *e, uint64_t k, struct lg_interval *out)
{
	for (unsigned i = 0; i < e->cfg.threads; i++) {
		pthread_mutex_lock(&e->th[i]->pub.lock);
		bool ready = e->th[i]->pub.seq >= k;
		pthread_mutex_unlock(&e->th[i]->pub.lock);
		if (!ready)
			return false;
	}
	memset(out, 0, sizeof *out);
	ct_hist_init(&out->lat_intended);
	ct_hist_init(&out->lat_actual);
	double t = 0;
	for (unsigned i = 0; i < e->cfg.threads; i++) {
		struct pub *p = &e->th[i]->pub;
		struct lg_totals d;
		pthread_mutex_lock(&p->lock);
		lg_totals_sub(&d, &p->load, &e->prev[i]);
		e->prev[i] = p->load;
		ct_hist_merge(&out->lat_intended, &p->hi);
		ct_hist_merge(&out->lat_actual, &p->ha);
		if (p->t_s > t)
			t = p->t_s;
		pthread_mutex_unlock(&p->lock);
		for (int c = 0; c < LG__COUNT; c++)
			out->t.c[c] += d.c[c];
	}
	out->t_s = t;
	out->len_s = t - (double)e->collected * (double)e->cfg.interval_ns / 1e9;
	e->collected = k;
	return true;
}

uint64_t lg_engine_start_ns(const struct lg_engine *e)
{
	return e->start_ns;
}

void lg_engine_free(struct lg_engine *e)
{
	if (!e)
		return;
	lg_engine_stop(e);
	for (unsigned i = 0; e->th && i < e->cfg.threads; i++) {
		struct lg_thread *th = e->th[i];
		if (!th)
			continue;
		if (th->started)
			pthread_join(th->thread, NULL);
		cares_free(th);
		while (th->head != NONE)
			complete(th, th->head);
		stream_free(&th->load);
		if (th->has_canary)
			stream_free(&th->canary);
		if (th->timeout_ev)
			event_free(th->timeout_ev);
		if (th->interval_ev)
			event_free(th->interval_ev);
		if (th->end_ev)
			event_free(th->end_ev);
		if (th->base)
			event_base_free(th->base);
		pthread_mutex_destroy(&th->pub.lock);
		free(th->slots);
		free(th->free_ids);
		free(th);
	}
	free(e->th);
	free(e->prev);
	free(e);
}
