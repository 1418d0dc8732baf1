/* Time helpers: one monotonic clock for intervals, the wall clock for logs. */
#ifndef CT_CLOCK_H
#define CT_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

#define CT_NS_PER_SEC 1000000000ull
#define CT_NS_PER_MS 1000000ull

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t ct_now_ns(void);

/* CLOCK_REALTIME in nanoseconds since the epoch. */
uint64_t ct_wall_ns(void);

/* A duration in nanoseconds as a struct timeval (for libevent timers). */
struct timeval ct_timeval(uint64_t ns);

#endif
