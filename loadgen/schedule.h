/* Open-loop send schedules: constant rates, steps and linear ramps.
 *
 * "1000@10s,ramp:1000-50000@30s,50000@10s" is 1000 qps for 10 s, then a
 * ramp from 1000 to 50000 qps over 30 s, then 50000 qps for 10 s. The
 * schedule answers one question exactly: when is query k meant to be
 * sent. Senders compare that with the clock; they never "catch up" by
 * bursting, and latency is measured from that intended time. */
#ifndef CT_SCHEDULE_H
#define CT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct ct_seg {
	double r0, r1;          /* rate at the start and the end, queries per second */
	uint64_t start_ns, dur_ns;
	double before;          /* queries scheduled before this segment */
	double count;           /* queries in it */
};

#define CT_SCHED_MAX_SEGS 64

struct ct_sched {
	struct ct_seg seg[CT_SCHED_MAX_SEGS];
	size_t n;
	uint64_t total_ns;
	double total;           /* queries in the whole schedule */
};

/* Parses a --rate-profile; errors name the segment. */
int ct_sched_parse(const char *text, struct ct_sched *s, char *err, size_t errlen);

/* s written back as a --rate-profile with every rate times scale (a load
 * host's share of the profile). -1 when it does not fit in len. */
int ct_sched_format(const struct ct_sched *s, double scale, char *buf, size_t len);

/* One constant segment (-Q QPS for -l seconds). */
void ct_sched_constant(struct ct_sched *s, double qps, uint64_t dur_ns);

/* Intended send time of query k (0-based) in ns from the start, or
 * UINT64_MAX when the schedule holds fewer than k + 1 queries. */
uint64_t ct_sched_time(const struct ct_sched *s, uint64_t k);

/* The scheduled rate at t_ns. */
double ct_sched_rate(const struct ct_sched *s, uint64_t t_ns);

/* What to do with a query whose slot is due at due_ns when the clock
 * reads now_ns: wait (more than slack_ns ahead), send it (up to slack_ns
 * early: a wake-up carries every slot that close), or skip it as late
 * (more than max_lag_ns behind: never a burst to catch up). */
enum ct_slot_fate { CT_SLOT_WAIT, CT_SLOT_SEND, CT_SLOT_LATE };
enum ct_slot_fate ct_slot_fate(uint64_t now_ns, uint64_t due_ns, uint64_t slack_ns, uint64_t max_lag_ns);

/* Queries scheduled in [0, t_ns). */
double ct_sched_count(const struct ct_sched *s, uint64_t t_ns);

#endif
