/* Writers over the engine's results: the live line, the text summary
 * (like dnsperf's), interval JSON lines and the summary document. */
#ifndef CT_LG_REPORT_H
#define CT_LG_REPORT_H

#include "engine.h"
#include "lg_jsonl.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct lg_report {
	const struct lg_result *load;
	const struct lg_result *canary;  /* NULL: no canary */
	const struct lg_config *cfg;
	double duration_s;
	uint64_t started_unix_ms; /* the first query's slot, on the wall clock */
	bool interrupted;
};

void lg_status_line(FILE *out, double t_s, double total_s, const struct lg_totals *total,
		    const struct lg_totals *last, double last_s, const struct lg_totals *canary);
void lg_print_summary(FILE *out, const struct lg_report *r);

/* with_histogram adds every non-empty bucket of both latency histograms. */
json_t *lg_summary_json(const struct lg_report *r, bool with_histogram);

#endif
