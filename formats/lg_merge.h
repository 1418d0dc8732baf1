/* One load from several load hosts: their summaries (loadgen.json, with
 * the full histograms) and interval lines (loadgen.jsonl) merged as if one
 * loadgen had sent it all. Counts are summed; latency percentiles come from
 * the histograms merged bucket by bucket (never averages of percentiles);
 * rates are over the longest host's sending time. */
#ifndef CT_LG_MERGE_H
#define CT_LG_MERGE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A new summary of the n parts, "load_hosts": n added; NULL with err when a
 * part is not a summary with its histograms. */
json_t *lg_summary_merge(json_t *const *parts, size_t n, char *err, size_t errlen);

/* The interval lines of n hosts that started together, by interval: the
 * counts summed, the latency from the histograms merged where every line
 * carries them (ctstorm-loadgen --interval-histograms), else left out
 * (percentiles cannot be merged); the summary line last. Returns the
 * number of intervals written, or -1 with err. */
long lg_jsonl_merge(FILE *const *in, size_t n, json_t *summary, FILE *out, char *err, size_t errlen);

#endif
