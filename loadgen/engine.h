/* The load engine: threads, flows, sending on a schedule or in a closed
 * loop, matching answers, timeouts. Measurement only: it fills counters
 * and histograms; main.c and report.c turn them into text and JSON. */
#ifndef CT_LG_ENGINE_H
#define CT_LG_ENGINE_H

#include "hist.h"
#include "netaddr.h"
#include "queryfile.h"
#include "schedule.h"
#include "stats.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum lg_proto { LG_UDP, LG_TCP };

/* Source addresses for new flows: count addresses from base upwards. */
struct lg_src_range {
	struct ct_sockaddr base;  /* port 0 */
	uint64_t count;           /* 0: let the kernel choose */
};

struct lg_stream_cfg {
	bool open_loop;
	struct ct_sched sched;    /* open loop: the intended send times */
	uint32_t pool;            /* flows used in turn (sockets or connections) */
	uint64_t per_flow;        /* queries on a flow before it is replaced; 0: never */
};

struct lg_config {
	struct ct_sockaddr server;
	const struct ct_queryset *queries;
	enum lg_proto proto;
	struct lg_stream_cfg load;
	uint64_t duration_ns;
	uint64_t max_queries;     /* 0: no limit */
	uint32_t outstanding;     /* in flight at most, over all threads */
	uint64_t timeout_ns;
	uint64_t max_lag_ns;
	uint64_t pace_slack_ns;   /* open loop: slots this close to now go in the same wake-up */
	uint64_t start_at_ns;     /* CLOCK_REALTIME of the first slot; 0: now */
	unsigned threads;
	unsigned parallel;        /* queries per lookup, sent at once from one flow (1: a lookup is a query) */
	bool parallel_threads;    /* ... from that many threads released together */
	uint16_t sport;           /* every query from this source port (one socket); 0: any */
	struct lg_src_range src;
	bool cares;               /* resolve through c-ares, as an application */
	unsigned cares_tries;     /* c-ares attempts per lookup (each of timeout_ns) */
	double canary_rate;       /* 0: no canary */
	FILE *canary_log;         /* JSON lines, one per canary query */
	uint64_t interval_ns;
};

/* One stream's results. */
struct lg_result {
	struct lg_totals t;
	struct ct_hist lat_intended;  /* from the intended send time */
	struct ct_hist lat_actual;    /* from the actual send time */
	struct ct_hist send_lag;      /* how late each query left, against its slot */
	/* timeouts by the interval their query was sent in (a timeout is
	 * counted when it expires, an interval or more later) */
	uint64_t *timeouts_by_sent;
	size_t ntimeouts_by_sent;
};


struct lg_engine;

int lg_engine_new(struct lg_engine **out, const struct lg_config *cfg, char *err, size_t errlen);

/* Starts the threads; the run ends by itself (duration, count) or by
 * lg_engine_stop. */
int lg_engine_start(struct lg_engine *e, char *err, size_t errlen);

/* Asks every thread to stop at once (SIGINT): outstanding queries are
 * counted abandoned. */
void lg_engine_stop(struct lg_engine *e);

/* True once every thread has finished. */
bool lg_engine_done(struct lg_engine *e);

/* Joins the threads and merges their results. */
void lg_engine_join(struct lg_engine *e, struct lg_result *load, struct lg_result *canary);

/* Adds per-interval timeouts into r; lg_result_free releases them. */
void lg_result_add_timeouts(struct lg_result *r, const uint64_t *by_sent, size_t n);
void lg_result_free(struct lg_result *r);

/* Live counters (summed, racy but untorn) for the status line. */
void lg_engine_peek(struct lg_engine *e, struct lg_totals *load, struct lg_totals *canary);

/* Collects interval k (1-based) once every thread has closed it: returns
 * false while some thread has not. */
bool lg_engine_interval(struct lg_engine *e, uint64_t k, struct lg_interval *out);

/* When the first query was scheduled (monotonic). */
uint64_t lg_engine_start_ns(const struct lg_engine *e);

void lg_engine_free(struct lg_engine *e);

#endif
