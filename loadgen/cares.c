/* --resolver cares: lookups through c-ares on the thread's event loop. */
#include "engine_int.h"

#include "answer.h"
#include "clock.h"
#include "ct_err.h"
#include "dnswire.h"

#include <errno.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void cares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
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
		record_answer(th, id, abuf[3] & 0xf, (abuf[2] & 0x02) != 0, ct_now_ns());
	} else if (status == ARES_ETIMEOUT || status == ARES_ECANCELLED) {
		count_timeout(st, s);
		complete(th, id);
	} else {
		fail_query(th, id, status == ARES_ECONNREFUSED ? LG_ERR_ECONNREFUSED : LG_ERR_OTHER, ares_strerror(status));
	}
}

int cares_init(struct lg_thread *th, char *err, size_t errlen)
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

void cares_free(struct lg_thread *th)
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
