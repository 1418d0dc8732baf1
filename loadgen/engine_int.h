/* The load engine's insides, shared by engine.c (slots, sending, time,
 * threads), flow.c (sockets and connections) and cares.c (c-ares). Not for
 * other modules: they use engine.h. */
#ifndef CT_LG_ENGINE_INT_H
#define CT_LG_ENGINE_INT_H

#include "clock.h"
#include "dnswire.h"
#include "engine.h"

#include <ares.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

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
/* Ready UDP flows taken from the answer set per epoll_wait. */
#define RX_EVENTS 64
#define RECV_MAX 4096
#define CARES_TICK_NS (5 * CT_NS_PER_MS)

struct lg_thread;
struct stream;

struct flow {
	struct lg_thread *th;
	struct stream *st;
	int fd;                     /* UDP: in the thread's answer set (rx_ep) */
	struct bufferevent *bev;    /* TCP */
	struct flow *next_spare;    /* the thread's spare flows, for reuse */
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
	/* A lookup of several queries (--parallel-per-socket): each names its
	 * first, the lead, which keeps its ID until the last of them ends and
	 * holds the lookup's outcome. NONE: a lookup of one query. */
	int32_t lead;
	uint8_t pending;               /* the lead: queries of the lookup not ended yet */
	bool lost;                     /* the lead: one of them went unanswered */
	bool answered, abandoned;      /* how this query ended */
	bool busy;
};

/* --parallel-threads: the queries of a lookup leave from helper threads
 * released together (query 0 from the engine thread itself), as the
 * kernel's udpclash selftest does: their packets meet in conntrack on
 * several CPUs at once. */
#define MAX_PARALLEL 16
struct race {
	pthread_t helper[MAX_PARALLEL];
	struct racer {
		struct race *r;
		unsigned i;            /* sends buf[i] */
	} arg[MAX_PARALLEL];
	unsigned nhelpers;
	_Atomic uint64_t gen;          /* bumped to release the helpers */
	_Atomic unsigned done;         /* helpers that have sent this round */
	_Atomic bool quit;
	int fd;
	size_t len[MAX_PARALLEL];
	int err[MAX_PARALLEL];         /* each send's errno, 0 when it went */
	uint8_t buf[MAX_PARALLEL][CT_DNS_HDRLEN + 2 + 512 + 64];
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
	uint64_t next_wake_ns;         /* open loop: when send_ev fires next (monotonic) */
	bool finished;                 /* the schedule is over */
	struct lg_counters cnt;
	uint64_t *to_by_sent;          /* timeouts by the interval their query was sent in */
	size_t nto_by_sent;
	struct ct_hist hi, ha;         /* the whole run */
	struct ct_hist lag;            /* actual minus intended send time */
	struct ct_hist ihi, iha;       /* the current interval */
};

/* A closed interval, as its thread published it. */
struct pub_interval {
	uint64_t seq;                  /* which interval (1-based); 0: none yet */
	struct lg_totals load;         /* cumulative at its end */
	struct ct_hist hi, ha;         /* load latency during it */
	double t_s;
};

/* The last intervals a thread closed, for the collector: a ring, so an
 * interval closed right after another (the last, partial one at the end)
 * does not overwrite one not yet collected. */
#define PUB_RING 8
struct pub {
	pthread_mutex_t lock;
	uint64_t seq;                  /* intervals closed so far */
	struct pub_interval ring[PUB_RING];
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
	/* The UDP flows' sockets, in an epoll set of their own: the loop
	 * watches it (rx_ev) unless the open loop wakes often enough to read
	 * the answers itself (rx_watched false): no wake-up per answer, and
	 * each answer keeps its kernel receive time. */
	int rx_ep;
	struct event *rx_ev;
	bool rx_watched;
	struct stream load, canary;
	bool has_canary;
	uint64_t src_next;
	struct flow *spare_flows;      /* freed flows, reused: none allocated per query */
	uint64_t budget;               /* --max-queries: this thread's share left */
	struct race *race;             /* --parallel-threads */
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
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct timespec))];
	} rctl[RECV_BATCH];              /* each answer's arrival time (SO_TIMESTAMPNS) */
	int64_t rt_to_mono_ns;           /* CLOCK_MONOTONIC minus CLOCK_REALTIME */
	uint8_t rbatch[RECV_BATCH][RECV_MAX];
};

struct lg_engine {
	struct lg_config cfg;
	struct lg_thread **th;
	uint64_t start_ns;
	struct lg_totals *prev;        /* per thread: cumulative at the last collected interval */
	uint64_t *prev_seq;            /* per thread: the interval those counts closed */
	uint64_t collected;
	struct ct_sched canary_sched;
};

/* Latency "from the intended send time" counts from the send when the
 * query left early (within the pace slack), never from before it left. */
static inline uint64_t lg_latency_origin(const struct slot *s)
{
	return s->sent_ns < s->intended_ns ? s->sent_ns : s->intended_ns;
}

/* engine.c: outcomes */
void complete(struct lg_thread *th, int32_t id);
/* Counts slot s's query as timed out, also by the interval it was sent in. */
void count_timeout(struct stream *st, const struct slot *s);
void fail_query(struct lg_thread *th, int32_t id, enum lg_counter why, const char *outcome);
void record_answer(struct lg_thread *th, int32_t id, int rcode, bool tc, uint64_t at_ns);
bool handle_answer(struct flow *f, const uint8_t *pkt, size_t len, uint64_t at_ns);
void canary_log(struct stream *st, const struct slot *s, const char *outcome, int rcode, uint64_t now);

/* flow.c */
struct flow *flow_for_query(struct stream *st);
void flow_free(struct flow *f);
void flow_retire(struct flow *f);
void flow_spares_free(struct lg_thread *th);
void fail_flow(struct flow *f, enum lg_counter why, const char *outcome);
int send_pktinfo(struct stream *st, struct flow *f, const uint8_t *buf, size_t len);
/* Reads every answer waiting on the thread's UDP flows. */
void flow_read_answers(struct lg_thread *th);

/* cares.c */
int cares_init(struct lg_thread *th, char *err, size_t errlen);
void cares_free(struct lg_thread *th);
void cares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

#endif
