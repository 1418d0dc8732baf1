/* The load engine: slots (a query in flight, indexed by its DNS ID),
 * outcomes, sending on a schedule or in a closed loop, timeouts, intervals
 * and threads. Flows live in flow.c, the c-ares glue in cares.c. */
#include "engine_int.h"

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
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* ---- outcomes ---- */

void canary_log(struct stream *st, const struct slot *s, const char *outcome, int rcode, uint64_t now)
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

static void free_id(struct lg_thread *th, int32_t id)
{
	th->free_ids[(th->free_head + th->nfree++) % MAX_SLOTS] = (uint16_t)id;
}

/* A query of a lookup ended: the lookup ends with its last query, failed
 * if any went unanswered (what a resolver waits out). A lookup cut short
 * by an interruption is not counted. The lead's ID stays taken until then,
 * so its record cannot be reused under the others. */
static void lookup_end(struct lg_thread *th, struct slot *s, int32_t id)
{
	int32_t lead = s->lead == NONE ? id : s->lead;
	struct slot *l = &th->slots[lead];
	if (lead != id)
		free_id(th, id);
	if (s->abandoned)
		l->abandoned = true;
	else if (!s->answered)
		l->lost = true;
	if (s->lead != NONE && --l->pending > 0)
		return;
	if (!l->abandoned) {
		lg_add(&s->st->cnt, LG_LOOKUPS, 1);
		if (l->lost)
			lg_add(&s->st->cnt, LG_LOOKUPS_FAILED, 1);
	}
	free_id(th, lead);
}

/* Ends a query: its slot is freed, its flow maybe closed, and a closed
 * loop sends the next one. */
void complete(struct lg_thread *th, int32_t id)
{
	struct slot *s = &th->slots[id];
	struct stream *st = s->st;
	struct flow *f = s->flow;
	list_remove(th, id);
	s->busy = false;
	lookup_end(th, s, id);
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

void fail_query(struct lg_thread *th, int32_t id, enum lg_counter why, const char *outcome)
{
	struct slot *s = &th->slots[id];
	lg_add(&s->st->cnt, LG_ERRORS, 1);
	if (why != LG__COUNT)
		lg_add(&s->st->cnt, why, 1);
	if (s->st->canary)
		canary_log(s->st, s, outcome, -1, ct_now_ns());
	complete(th, id);
}

/* at_ns: when the answer arrived (the kernel's receive time where the
 * socket has one), so an answer that waited in the socket while this
 * thread was sending does not count the wait. */
void record_answer(struct lg_thread *th, int32_t id, int rcode, bool tc, uint64_t at_ns)
{
	struct slot *s = &th->slots[id];
	struct stream *st = s->st;
	uint64_t now = at_ns > s->sent_ns ? at_ns : s->sent_ns;
	s->answered = true;
	lg_add(&st->cnt, LG_ANSWERED, 1);
	lg_add(&st->cnt, LG_RCODE0 + rcode, 1);
	if (tc)
		lg_add(&st->cnt, LG_TRUNCATED, 1);
	uint64_t from = lg_latency_origin(s);
	ct_hist_record(&st->hi, now - from);
	ct_hist_record(&st->ha, now - s->sent_ns);
	ct_hist_record(&st->ihi, now - from);
	ct_hist_record(&st->iha, now - s->sent_ns);
	if (st->canary)
		canary_log(st, s, "answered", rcode, now);
	complete(th, id);
}

/* Matches one answer; true when it completed a query (which may have
 * freed the flow). */
bool handle_answer(struct flow *f, const uint8_t *pkt, size_t len, uint64_t at_ns)
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
	record_answer(th, id, info.rcode, info.tc, at_ns);
	return true;
}

/* ---- sending ---- */

/* A slot for one query of a lookup meant for intended_ns (monotonic). */
static int32_t query_prepare(struct stream *st, uint64_t intended_ns)
{
	struct lg_thread *th = st->th;
	int32_t id = slot_alloc(th);
	lg_add(&st->cnt, LG_SENT, 1);
	struct slot *s = &th->slots[id];
	*s = (struct slot){ .st = st, .busy = true, .lead = NONE, .intended_ns = intended_ns, .seq = st->k,
			    .query = (uint32_t)(st->qnext++ % th->e->cfg.queries->n) };
	list_append(th, id);
	st->outstanding++;
	return id;
}

static void query_leaves(struct stream *st, struct slot *s, struct flow *f, uint64_t now)
{
	s->sent_ns = now;
	ct_hist_record(&st->lag, now > s->intended_ns ? now - s->intended_ns : 0);
	if (f) {
		s->flow = f;
		f->outstanding++;
		f->sent++;
	}
}

/* The query of slot id with its ID in it, into buf: its length. */
static size_t query_wire(struct lg_thread *th, int32_t id, uint8_t *buf)
{
	const struct ct_query *q = &th->e->cfg.queries->q[th->slots[id].query];
	memcpy(buf, q->wire, q->len);
	ct_put16(buf, (uint16_t)id);
	return q->len;
}

static void send_failed(struct lg_thread *th, int32_t id, int err)
{
	lg_add(&th->slots[id].st->cnt, lg_errno_counter(err), 1);
	fail_query(th, id, LG__COUNT, "send error");
}

/* Sends slot id's query on flow f. */
static void query_send(struct stream *st, int32_t id, struct flow *f)
{
	struct lg_thread *th = st->th;
	struct slot *s = &th->slots[id];
	query_leaves(st, s, f, ct_now_ns());
	if (st->pktinfo || th->e->cfg.proto == LG_UDP) {
		size_t len = query_wire(th, id, th->sbuf);
		if ((st->pktinfo ? send_pktinfo(st, f, th->sbuf, len) : send(f->fd, th->sbuf, len, 0)) < 0)
			send_failed(th, id, errno);
	} else {
		size_t len = query_wire(th, id, th->sbuf + 2);
		ct_put16(th->sbuf, (uint16_t)len);
		bufferevent_write(f->bev, th->sbuf, len + 2);
	}
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* A helper of --parallel-threads: spins until released, sends its query,
 * waits for the next round. */
static void *racer_main(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	uint64_t seen = 0;
	for (unsigned spins = 0;;) {
		uint64_t g = atomic_load_explicit(&r->gen, memory_order_acquire);
		if (g == seen) {
			if (atomic_load_explicit(&r->quit, memory_order_relaxed))
				return NULL;
			/* a spin keeps the release within a microsecond or so; past
			 * a while, let whatever else wants this CPU have it */
			if (++spins < 4096)
				cpu_relax();
			else
				sched_yield();
			continue;
		}
		seen = g;
		spins = 0;
		r->err[me->i] = send(r->fd, r->buf[me->i], r->len[me->i], 0) < 0 ? errno : 0;
		atomic_fetch_add_explicit(&r->done, 1, memory_order_release);
	}
}

static void race_start(struct lg_thread *th)
{
	unsigned k = th->e->cfg.parallel;
	struct race *r = calloc(1, sizeof *r);
	if (!r)
		return; /* the lookups then leave from this thread alone */
	for (unsigned i = 1; i < k; i++) {
		r->arg[i] = (struct racer){ r, i };
		if (pthread_create(&r->helper[r->nhelpers], NULL, racer_main, &r->arg[i]) != 0)
			break;
		r->nhelpers++;
	}
	th->race = r;
}

static void race_stop(struct lg_thread *th)
{
	struct race *r = th->race;
	if (!r)
		return;
	atomic_store(&r->quit, true);
	for (unsigned i = 0; i < r->nhelpers; i++)
		pthread_join(r->helper[i], NULL);
	free(r);
	th->race = NULL;
}

/* The K queries of a lookup from K threads at once, on flow f. */
static void race_send(struct stream *st, const int32_t *ids, unsigned k, struct flow *f)
{
	struct lg_thread *th = st->th;
	struct race *r = th->race;
	uint64_t now = ct_now_ns();
	for (unsigned i = 0; i < k; i++) {
		r->len[i] = query_wire(th, ids[i], r->buf[i]);
		query_leaves(st, &th->slots[ids[i]], f, now);
	}
	r->fd = f->fd;
	atomic_store_explicit(&r->done, 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->gen, 1, memory_order_release);
	r->err[0] = send(f->fd, r->buf[0], r->len[0], 0) < 0 ? errno : 0;
	while (atomic_load_explicit(&r->done, memory_order_acquire) < k - 1)
		cpu_relax();
	for (unsigned i = 0; i < k; i++)
		if (r->err[i])
			send_failed(th, ids[i], r->err[i]);
}

/* Queries per lookup on this stream (the canary's are single). */
static unsigned lookup_size(const struct stream *st)
{
	return st->canary ? 1 : st->th->e->cfg.parallel;
}

/* Sends one lookup meant for intended_ns (monotonic): its queries at once,
 * from one flow. */
static void send_lookup(struct stream *st, uint64_t intended_ns)
{
	struct lg_thread *th = st->th;
	unsigned k = lookup_size(st);
	if (th->nfree < k) {
		lg_add(&st->cnt, LG_THROTTLED, k);
		return;
	}
	int32_t ids[MAX_PARALLEL], lead = query_prepare(st, intended_ns);
	ids[0] = lead;
	th->slots[lead].pending = (uint8_t)k;
	for (unsigned i = 1; i < k; i++)
		ids[i] = query_prepare(st, intended_ns);
	for (unsigned i = 0; k > 1 && i < k; i++)
		th->slots[ids[i]].lead = lead;
	if (th->ares && !st->canary) {
		struct slot *s = &th->slots[ids[0]];
		query_leaves(st, s, NULL, ct_now_ns());
		const struct ct_query *q = &th->e->cfg.queries->q[s->query];
		ares_query(th->ares, q->name, CT_CLASS_IN, q->qtype, cares_cb, s);
		return;
	}
	struct flow *f = flow_for_query(st);
	if (!f) {
		uint64_t now = ct_now_ns();
		for (unsigned i = 0; i < k; i++) {
			query_leaves(st, &th->slots[ids[i]], NULL, now);
			fail_query(th, ids[i], LG__COUNT, "no socket");
		}
		return;
	}
	/* a failed send ends only its own query: f stays, not yet retired */
	if (k > 1 && th->race && th->race->nhelpers == k - 1)
		race_send(st, ids, k, f);
	else
		for (unsigned i = 0; i < k; i++)
			query_send(st, ids[i], f);
	if (st->per_flow && f->sent >= st->per_flow && !st->pktinfo)
		flow_retire(f);
}

/* --max-queries: each thread has its share, counted without sharing; a
 * lookup takes its n queries or none. */
static bool budget_take(struct lg_thread *th, unsigned n)
{
	if (!th->e->cfg.max_queries)
		return true;
	if (th->budget < n)
		return false;
	th->budget -= n;
	return true;
}

static void arm(struct event *ev, uint64_t ns)
{
	struct timeval tv = ct_timeval(ns);
	evtimer_add(ev, &tv);
}

/* Whether the loop watches the answer set: not while the open loop's next
 * wake-up (the load's or the canary's, whichever comes first) is within
 * twice the pace slack: it reads the answers then, their latency from
 * their kernel receive time. Always in a closed loop (it sends on each
 * answer) and once the run is stopping. */
static void rx_watch_update(struct lg_thread *th)
{
	bool watch = th->stopping || !th->load.open_loop;
	if (!watch) {
		uint64_t soonest = th->load.finished ? UINT64_MAX : th->load.next_wake_ns;
		if (th->has_canary && !th->canary.finished && th->canary.next_wake_ns < soonest)
			soonest = th->canary.next_wake_ns;
		watch = soonest > ct_now_ns() + 2 * th->e->cfg.pace_slack_ns;
	}
	if (watch == th->rx_watched)
		return;
	if (watch)
		event_add(th->rx_ev, NULL);
	else
		event_del(th->rx_ev);
	th->rx_watched = watch;
}

/* The answers the loop has not been woken for. */
static void rx_catch_up(struct lg_thread *th)
{
	if (!th->rx_watched)
		flow_read_answers(th);
}

static void rx_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flow_read_answers(arg);
}

static void send_open_loop(struct stream *st)
{
	struct lg_thread *th = st->th;
	struct lg_engine *e = th->e;
	uint64_t now = ct_now_ns();
	st->next_wake_ns = UINT64_MAX;
	for (int burst = 0; !th->stopping; burst++) {
		uint64_t t = ct_sched_time(st->sched, st->k * st->stride + st->offset);
		if (t == UINT64_MAX) {
			st->finished = true;
			return;
		}
		uint64_t due = e->start_ns + t;
		enum ct_slot_fate fate = ct_slot_fate(now, due, e->cfg.pace_slack_ns, e->cfg.max_lag_ns);
		if (fate == CT_SLOT_WAIT) {
			/* woken at the next slot's time, the wake-up takes every slot
			 * due within the slack: one per batch, not one per query */
			arm(st->send_ev, due - now);
			st->next_wake_ns = due;
			return;
		}
		if (burst == SEND_BURST) {
			arm(st->send_ev, 0); /* let timers run */
			st->next_wake_ns = now;
			return;
		}
		/* answers not read yet may be what holds the stream at its limit */
		if (fate == CT_SLOT_SEND && st->outstanding + lookup_size(st) > st->limit)
			rx_catch_up(th);
		if (fate == CT_SLOT_LATE) {
			/* behind its slot: skipped, never sent in a burst to catch up */
			lg_add(&st->cnt, LG_LATE, 1);
		} else if (st->outstanding + lookup_size(st) > st->limit) {
			lg_add(&st->cnt, LG_THROTTLED, lookup_size(st));
		} else if (!budget_take(th, lookup_size(st))) {
			st->finished = true;
			th->stopping = true; /* --max-queries reached */
			finish_if_drained(th);
			return;
		} else {
			send_lookup(st, due);
			now = ct_now_ns();
		}
		st->k++;
	}
}

static void send_closed_loop(struct stream *st)
{
	struct lg_thread *th = st->th;
	for (int burst = 0; !th->stopping && st->outstanding + lookup_size(st) <= st->limit; burst++) {
		if (burst == SEND_BURST) {
			event_active(st->send_ev, EV_TIMEOUT, 0);
			return;
		}
		if (!budget_take(th, lookup_size(st))) {
			st->finished = true;
			th->stopping = true;
			finish_if_drained(th);
			return;
		}
		send_lookup(st, ct_now_ns());
		st->k++;
	}
}

static void send_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *st = arg;
	(void)fd;
	(void)what;
	if (!st->open_loop) {
		send_closed_loop(st);
		return;
	}
	send_open_loop(st);
	rx_catch_up(st->th); /* the answers since the last wake-up */
	rx_watch_update(st->th);
}

/* ---- time: timeouts, intervals, the end ---- */

/* The answers' receive times are on the realtime clock; the offset to the
 * monotonic one is taken again at every timeout tick (1..100 ms), so that
 * NTP's slewing of the realtime clock cannot build up during a run. */
static void clock_offset_update(struct lg_thread *th)
{
	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	th->rt_to_mono_ns = ((int64_t)mono.tv_sec - rt.tv_sec) * 1000000000 + (mono.tv_nsec - rt.tv_nsec);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	uint64_t now = ct_now_ns(), limit = th->e->cfg.timeout_ns;
	(void)fd;
	(void)what;
	clock_offset_update(th);
	rx_catch_up(th); /* an answer waiting to be read has not timed out */
	/* the list is in send order, so the oldest come first; c-ares
	 * lookups keep their own time (their retries) */
	for (int32_t id = th->head, next; id != NONE; id = next) {
		struct slot *s = &th->slots[id];
		next = s->next;
		if (now - s->sent_ns < limit)
			break;
		if (th->ares && !s->st->canary)
			continue;
		count_timeout(s->st, s);
		if (s->st->canary)
			canary_log(s->st, s, "timeout", -1, now);
		complete(th, id);
	}
}

void count_timeout(struct stream *st, const struct slot *s)
{
	lg_add(&st->cnt, LG_TIMEOUTS, 1);
	const struct lg_engine *e = st->th->e;
	if (!e->cfg.interval_ns)
		return;
	size_t k = s->sent_ns > e->start_ns ? (size_t)((s->sent_ns - e->start_ns) / e->cfg.interval_ns) : 0;
	if (k >= st->nto_by_sent) {
		size_t n = st->nto_by_sent ? st->nto_by_sent : 64;
		while (n <= k)
			n *= 2;
		uint64_t *a = realloc(st->to_by_sent, n * sizeof *a);
		if (!a)
			abort();
		memset(a + st->nto_by_sent, 0, (n - st->nto_by_sent) * sizeof *a);
		st->to_by_sent = a;
		st->nto_by_sent = n;
	}
	st->to_by_sent[k]++;
}

static void publish(struct lg_thread *th, uint64_t seq)
{
	struct pub *p = &th->pub;
	pthread_mutex_lock(&p->lock);
	struct pub_interval *x = &p->ring[seq % PUB_RING];
	memset(&x->load, 0, sizeof x->load);
	lg_totals_add(&x->load, &th->load.cnt);
	x->hi = th->load.ihi;
	x->ha = th->load.iha;
	x->t_s = (double)(ct_now_ns() - th->e->start_ns) / 1e9;
	x->seq = seq;
	p->seq = seq;
	pthread_mutex_unlock(&p->lock);
	ct_hist_init(&th->load.ihi);
	ct_hist_init(&th->load.iha);
}

static void interval_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lg_thread *th = arg;
	(void)fd;
	(void)what;
	rx_catch_up(th); /* answers in the interval they arrived in */
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
		rx_catch_up(th);
		rx_watch_update(th); /* the last answers as they come */
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
		if (st->limit < cfg->parallel)
			st->limit = cfg->parallel; /* room for one whole lookup */
	}
	/* a source address per query (IP_PKTINFO), unless the queries of a
	 * lookup must share their 5-tuple */
	if (!canary && st->per_flow == 1 && cfg->src.count && cfg->proto == LG_UDP && !cfg->cares &&
	    cfg->parallel == 1) {
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
	free(st->to_by_sent);
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
	th->load.next_wake_ns = th->canary.next_wake_ns = now + wait;
	if (th->has_canary)
		arm(th->canary.send_ev, wait);
	rx_watch_update(th);
	if (e->cfg.parallel_threads && e->cfg.parallel > 1)
		race_start(th);
	event_base_dispatch(th->base);
	race_stop(th);
	cares_free(th); /* its pending lookups come back abandoned */
	/* interrupted: whatever is still in flight is abandoned, not lost */
	while (th->head != NONE) {
		lg_add(&th->slots[th->head].st->cnt, LG_ABANDONED, 1);
		th->slots[th->head].abandoned = true;
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
	th->rx_ep = -1;
	pthread_mutex_init(&th->pub.lock, NULL);
	th->slots = calloc(MAX_SLOTS, sizeof *th->slots);
	th->free_ids = malloc(MAX_SLOTS * sizeof *th->free_ids);
	if (!th->slots || !th->free_ids)
		return ct_err(err, errlen, "out of memory");
	/* handed out in order, 0 last */
	for (uint32_t i = 0; i < MAX_SLOTS; i++)
		th->free_ids[i] = (uint16_t)((i + 1) % MAX_SLOTS);
	th->nfree = MAX_SLOTS;
	th->free_head = 0;
	th->budget = e->cfg.max_queries / e->cfg.threads + (id < e->cfg.max_queries % e->cfg.threads ? 1 : 0);
	for (int i = 0; i < RECV_BATCH; i++) {
		th->riov[i] = (struct iovec){ th->rbatch[i], RECV_MAX };
		th->rmsg[i].msg_hdr = (struct msghdr){ .msg_iov = &th->riov[i], .msg_iovlen = 1,
							.msg_control = th->rctl[i].buf,
							.msg_controllen = sizeof th->rctl[i].buf };
	}
	clock_offset_update(th);
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
	th->rx_ep = epoll_create1(EPOLL_CLOEXEC);
	if (th->rx_ep < 0)
		return ct_err(err, errlen, "epoll_create1: %s", strerror(errno));
	th->rx_ev = event_new(th->base, th->rx_ep, EV_READ | EV_PERSIST, rx_cb, th);
	if (!th->rx_ev)
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
	e->prev_seq = calloc(cfg->threads, sizeof *e->prev_seq);
	if (!e->th || !e->prev || !e->prev_seq) {
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
	/* a moment ahead, so every thread is waiting when the first slot comes;
	 * or when asked, at an agreed wall-clock time (at most 60 s ahead) */
	uint64_t delay = START_DELAY_NS, wall = ct_wall_ns();
	if (e->cfg.start_at_ns > wall + START_DELAY_NS)
		delay = e->cfg.start_at_ns - wall < 60 * CT_NS_PER_SEC ? e->cfg.start_at_ns - wall : 60 * CT_NS_PER_SEC;
	e->start_ns = ct_now_ns() + delay;
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
		lg_result_add_timeouts(load, th->load.to_by_sent, th->load.nto_by_sent);
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

void lg_result_add_timeouts(struct lg_result *r, const uint64_t *by_sent, size_t n)
{
	size_t used = n;
	while (used && !by_sent[used - 1])
		used--;
	if (used > r->ntimeouts_by_sent) {
		uint64_t *a = realloc(r->timeouts_by_sent, used * sizeof *a);
		if (!a)
			abort();
		memset(a + r->ntimeouts_by_sent, 0, (used - r->ntimeouts_by_sent) * sizeof *a);
		r->timeouts_by_sent = a;
		r->ntimeouts_by_sent = used;
	}
	for (size_t i = 0; i < used; i++)
		r->timeouts_by_sent[i] += by_sent[i];
}

void lg_result_free(struct lg_result *r)
{
	free(r->timeouts_by_sent);
	r->timeouts_by_sent = NULL;
	r->ntimeouts_by_sent = 0;
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
		/* overwritten only when the collector fell PUB_RING intervals
		 * behind: then this one takes the newest's counts, and the
		 * intervals up to it nothing (their latencies are lost) */
		const struct pub_interval *x = &p->ring[k % PUB_RING];
		bool whole = x->seq == k;
		if (!whole)
			x = &p->ring[p->seq % PUB_RING];
		memset(&d, 0, sizeof d);
		if (x->seq > e->prev_seq[i]) {
			lg_totals_sub(&d, &x->load, &e->prev[i]);
			e->prev[i] = x->load;
			e->prev_seq[i] = x->seq;
			if (whole) {
				ct_hist_merge(&out->lat_intended, &x->hi);
				ct_hist_merge(&out->lat_actual, &x->ha);
			}
		}
		if (x->t_s > t)
			t = x->t_s;
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
		flow_spares_free(th);
		if (th->timeout_ev)
			event_free(th->timeout_ev);
		if (th->interval_ev)
			event_free(th->interval_ev);
		if (th->end_ev)
			event_free(th->end_ev);
		if (th->rx_ev)
			event_free(th->rx_ev);
		if (th->rx_ep >= 0)
			close(th->rx_ep);
		if (th->base)
			event_base_free(th->base);
		pthread_mutex_destroy(&th->pub.lock);
		free(th->slots);
		free(th->free_ids);
		free(th);
	}
	free(e->th);
	free(e->prev);
	free(e->prev_seq);
	free(e);
}
