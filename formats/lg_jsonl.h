/* The loadgen's --json lines: one writer and one reader side by side.
 * Each interval is a line {"type":"interval", "t_s", "len_s", "counts":
 * {...}, "qps", "new_flows_per_s", "latency_us": {"intended", "actual"}};
 * the last line is {"type":"summary", ...}. The runner's live line, the
 * probe's analysis and the report read intervals back through
 * lg_interval_read. */
#ifndef LG_JSONL_H
#define LG_JSONL_H

#include <stdbool.h>
#include <stdio.h>

struct lg_interval;

/* with_histogram adds "histogram_us": {"intended", "actual"}, every
 * non-empty bucket (as the summary's): what lg_jsonl_merge merges. */
void lg_write_interval(FILE *out, const struct lg_interval *iv, bool with_histogram);

/* An interval as read back: counts, and the actual latency's percentiles
 * in milliseconds (NAN where the interval had no answer). */
struct lg_interval_rec {
	double t_s, len_s;
	double sent, answered, timeouts, failed, late;
	double p50_ms, p99_ms, p999_ms;
};

/* False for any other line (the summary, a broken line). */
bool lg_interval_read(const char *line, struct lg_interval_rec *r);

#endif
