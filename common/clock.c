#include "clock.h"

#include <time.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * CT_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t ct_now_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t ct_wall_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

struct timeval ct_timeval(uint64_t ns)
{
	return (struct timeval){ (time_t)(ns / CT_NS_PER_SEC), (suseconds_t)(ns % CT_NS_PER_SEC / 1000) };
}
