/* A variant's metrics and its verdict: pure functions over the results
 * folder's JSON files, unit-tested on a stored run. */
#ifndef SC_VERDICT_H
#define SC_VERDICT_H

#include "scenario.h"

#include <jansson.h>
#include <stdbool.h>

/* Everything [expect] can name, from a variant's folder: loadgen.* and
 * canary.* (loadgen.json), sampler.* (sampler.json, with the counters'
 * totals and the kernel-log counts at the top: sampler.drop,
 * sampler.kmsg_table_full) and responder.* (responder.json). */
json_t *vd_collect_metrics(const char *dir);

/* Each expectation of r with its measured value: an array of {expect,
 * file, line, measured, pass, why}. pass is null when judged is false (the
 * variant did not run to its end). *all is whether every one held. */
json_t *vd_judge(const struct sc_resolved *r, json_t *metrics, bool judged, bool *all);

#endif
