/* Load generator counters, per stream (the load, the canary). Each
 * thread owns its counters (single writer, read by the main thread for the
 * live line and the intervals); histograms are per thread and merged under
 * a lock at interval ends and after the threads stop. What they are
 * written as is the results' format (lg_summary.h). */
#ifndef CT_LG_STATS_H
#define CT_LG_STATS_H

#include "lg_summary.h"

#include <stdatomic.h>
#include <stdint.h>

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

void lg_totals_add(struct lg_totals *t, const struct lg_counters *c);

/* Counts a send errno in the right bucket. */
enum lg_counter lg_errno_counter(int err);

#endif
