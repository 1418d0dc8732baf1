/* The live line of a run: what the children write, read as they write
 * it (new complete lines of loadgen.jsonl and sampler.csv since the last
 * look), as rates and totals on one terminal line. */
#ifndef SC_PROGRESS_H
#define SC_PROGRESS_H

#include "sampler_csv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tail {
	off_t off;
	char part[4096];  /* an incomplete last line */
	size_t plen;
};

struct progress {
	char vdir[1100];
	struct tail lg, sm;
	struct rf_csv csv;   /* sampler.csv's columns, from its header */
	bool header;
	double sent, answered, timeouts, rate_sent, rate_answered;
	double count, max, drop0, drop, kmsg;
	bool have_sample;
	uint64_t next_ms;
};

/* Redraws the line at most every 250 ms: variant idx of n, t of total s. */
void progress_line(struct progress *p, size_t idx, size_t n, const char *name, double t, double total);

#endif
