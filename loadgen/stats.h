/* Load generator counters and latency, per stream (the load, the canary).
 * Each thread owns its counters (single writer, read by the main thread
 * for the live line and the intervals); histograms are per thread and
 * merged under a lock at interval ends and after the threads stop. */
#ifndef CT_LG_STATS_H
#define CT_LG_STATS_H

#include "hist.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum lg_counter {
	LG_SENT,
	LG_ANSWERED,
	LG_TIMEOUTS,
	LG_ERRORS,            /* queries that failed outright (send error, refused, TCP failure) */
	LG_ABANDONED,         /* still in flight when the run was interrupted */
	LG_LATE,              /* open loop: not sent, more than --max-lag behind its slot */
	LG_THROTTLED,         /* open loop: not sent, --max-outstanding in flight */
	LG_MISMATCHED,        /* a response to no query of ours */
	LG_MALFORMED,         /* not a DNS response */
	LG_TRUNCATED,         /* answered with TC=1 */
	LG_NEW_FLOWS,         /* sockets opened: new 5-tuples toward the server */
	LG_ERR_EPERM,         /* send refused by the sender's own netfilter (its conntrack full) */
	LG_ERR_ENOBUFS,
	LG_ERR_ECONNREFUSED,  /* ICMP port unreachable */
	LG_ERR_EADDRNOTAVAIL, /* out of source ports or addresses */
	LG_ERR_OTHER,
	LG_TCP_CONNECT_FAILED,
	LG_TCP_CONNECT_TIMEOUT,
	LG_TCP_CLOSED,        /* the server closed with queries outstanding */
	LG_RETRIES,           /* c-ares: attempts that timed out (a lookup that needed a retry has one) */
	LG_LOOKUPS,           /* lookups ended (--parallel-per-socket K queries each; else one) */
	LG_LOOKUPS_FAILED,    /* ... with a query of theirs unanswered: what a resolver waits out */
	LG_RCODE0,            /* LG_RCODE0 + rcode, 16 of them */
	LG__COUNT = LG_RCODE0 + 16
};

struct lg_counters {
	_Atomic uint64_t c[LG__COUNT];
};

static inline void lg_add(struct lg_counters *s, enum lg_counter c, uint64_t n)
{
	uint64_t v = atomic_load_explicit(&s->c[c], memory_order_relaxed);
	atomic_store_explicit(&s->c[c], v + n, memory_order_relaxed);
}

static inline uint64_t lg_get(const struct lg_counters *s, enum lg_counter c)
{
	return atomic_load_explicit(&((struct lg_counters *)s)->c[c], memory_order_relaxed);
}

/* A plain copy for writers. */
struct lg_totals {
	uint64_t c[LG__COUNT];
};

void lg_totals_add(struct lg_totals *t, const struct lg_counters *c);
void lg_totals_sub(struct lg_totals *out, const struct lg_totals *a, const struct lg_totals *b);

/* Counts a send errno in the right bucket. */
enum lg_counter lg_errno_counter(int err);

const char *lg_rcode_name(int rcode);

/* JSON pieces shared by interval lines and the summary. */
json_t *lg_counts_json(const struct lg_totals *t);
/* The reader beside it: false when j is not such counts. */
bool lg_counts_read(json_t *j, struct lg_totals *t);
/* part of whole in percent; 0 of nothing. */
double lg_pct(uint64_t part, uint64_t whole);
/* The rates over secs and the loss percentages (queries, lookups) of t, into j. */
void lg_rates_json(json_t *j, const struct lg_totals *t, double secs);
/* Every non-empty bucket: [[lower bound in us, count], ...]. */
json_t *lg_histogram_json(const struct ct_hist *h);
json_t *lg_latency_json(const struct ct_hist *h);

#endif
