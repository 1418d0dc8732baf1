/* The floor of sampling at a fixed interval: a process that does nothing
 * but wake on a periodic timerfd. bench/sampler.sh runs it beside the
 * sampler, so the sampler's own cost can be told from the machine's cost
 * of waking up at all.
 *
 * usage: ct-bench-wake INTERVAL_US SECONDS; prints the CPU share used. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s INTERVAL_US SECONDS\n", argv[0]);
		return 2;
	}
	long us = atol(argv[1]), secs = atol(argv[2]);
	if (us <= 0 || secs <= 0)
		return 2;
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = { { us / 1000000, us % 1000000 * 1000 }, { us / 1000000, us % 1000000 * 1000 } };
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0)
		return 1;
	uint64_t ticks, total = 0;
	while (total < (uint64_t)(secs * 1000000 / us)) {
		if (read(fd, &ticks, sizeof ticks) != sizeof ticks)
			return 1;
		total += ticks;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     (double)ru.ru_stime.tv_usec / 1e6;
	printf("%.2f\n", 100.0 * cpu / (double)secs);
	return 0;
}
