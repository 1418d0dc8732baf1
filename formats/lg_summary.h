/* The loadgen's results as its files hold them (loadgen.json, the
 * intervals of loadgen.jsonl): the counters' names, the counts, latency
 * and histograms as JSON, a writer and its reader side by side. The
 * loadgen fills these plain structs; the runner, the report and the probe
 * read them back, and none of them links the loadgen. */
#ifndef CT_LG_SUMMARY_H
#define CT_LG_SUMMARY_H

#include "hist.h"

#include <jansson.h>
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

/* A plain copy for writers. */
struct lg_totals {
	uint64_t c[LG__COUNT];
};

void lg_totals_sub(struct lg_totals *out, const struct lg_totals *a, const struct lg_totals *b);

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

/* One interval of a stream: its counts and latency histograms. */
struct lg_interval {
	double t_s;                   /* end of the interval, since the start */
	double len_s;
	struct lg_totals t;           /* this interval's counts */
	struct ct_hist lat_intended;
	struct ct_hist lat_actual;
};

#endif
