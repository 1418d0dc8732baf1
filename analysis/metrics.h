/* The metric registry: every number an expectation, a verdict, a report
 * column or the docs can name, with its unit, its meaning and the file it
 * comes from. The runner's metrics of a variant are these paths into
 * loadgen.json (loadgen.*, canary.*), sampler.json (sampler.*) and
 * responder.json (responder.*); `ctstorm metrics` prints this table. */
#ifndef CT_METRICS_H
#define CT_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ct_metric {
	const char *path;     /* "sampler.drop" */
	const char *unit;     /* "packets", "queries", "%", "s", "us", ... */
	const char *source;   /* the results file it comes from */
	const char *meaning;  /* one line */
	bool zero_if_absent;  /* the writer leaves zero counts out (rcodes) */
};

/* The registry, in a stable order (families as written). */
size_t ct_metrics_count(void);
const struct ct_metric *ct_metric_at(size_t i);

/* The entry for a path, or NULL. */
const struct ct_metric *ct_metric_find(const char *path);

/* The registered path nearest to an unknown one, if it is a plausible
 * typo; NULL otherwise. */
const char *ct_metric_suggest(const char *path);

/* The value at a dotted path of a variant's metrics (loadgen.*, canary.*,
 * sampler.*, responder.*; booleans as 0 or 1). A registered count the
 * writer leaves out when zero (rcodes) is 0 where its file was written.
 * False when it was not measured. */
bool ct_metric_value(json_t *metrics, const char *path, double *out);

#endif
