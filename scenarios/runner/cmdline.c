/* Each binary's command line, from its typed options (the values `ctstorm
 * check` accepted, typed by the binary's own table), with what the runner
 * sets itself filled in: one builder per binary, whatever node runs it. */
#include "runner.h"

#include "clock.h"
#include "ct_err.h"
#include "optargv.h"

#include <inttypes.h>
#include <string.h>

int cl_responder(const struct variant *V, const struct roles *R, const char *zone, const char *stats,
		 struct ct_argv *a, char *err, size_t errlen)
{
	struct responder_cli rc = V->resp; /* its [server] keys; listen, zone, user, stats-json are ours */
	const char *listen[RUN_MAX_LISTEN];
	for (size_t i = 0; i < R->nlisten; i++)
		listen[i] = R->listen[i];
	rc.listen = (struct ct_strlist){ listen, R->nlisten };
	rc.zone = (struct ct_strlist){ &zone, 1 };
	rc.user = "root"; /* it writes its counters into the results */
	rc.stats_json = stats;
	rc.quiet = true;
	return ct_opt_argv(responder_cli_options, &rc, sizeof rc, a, err, errlen);
}

int cl_sampler(const struct variant *V, const char *csv, const char *summary, const char *kmsg, struct ct_argv *a,
	       char *err, size_t errlen)
{
	struct sampler_cli sm = V->sm;
	sm.csv = csv;
	sm.summary = summary;
	sm.kmsg_log = kmsg;
	sm.quiet = true;
	return ct_opt_argv(sampler_cli_options, &sm, sizeof sm, a, err, errlen);
}

int cl_loadgen(const struct variant *V, const struct roles *R, const struct cl_load_files *files,
	       const struct ct_opt_part *part, uint64_t start_ms, struct ct_argv *a, char *err, size_t errlen)
{
	struct lg_cli lg = V->lg;
	lg.server = R->target;
	lg.port = 53;
	lg.json = files->json;
	lg.summary = files->summary;
	lg.quiet = true;
	lg.canary = V->canary.rate;
	lg.canary_log = lg.canary > 0 ? files->canary_log : NULL;
	lg.datafile = V->lg.datafile ? files->datafile : NULL;
	if (!lg.qname && !lg.datafile)
		lg.qname = V->zone; /* its SOA's owner exists in any zone */
	if (part) {
		if (ct_opt_split(lg_cli_options, &lg, part, err, errlen) < 0)
			return -1;
		lg.interval_histograms = true; /* the merged intervals' latency */
		lg.start_at = start_ms;
	}
	return ct_opt_argv(lg_cli_options, &lg, sizeof lg, a, err, errlen);
}

void cl_markers(const struct variant *V, const struct roles *R, unsigned n, struct ct_argv *a)
{
	ct_argv_add(a, "--server=%s", R->target);
	ct_argv_add(a, "--qname=%s", V->zone);
	ct_argv_add(a, "--sockets=per-query");
	ct_argv_add(a, "--max-qps=1000");
	ct_argv_add(a, "--max-queries=%u", n);
	ct_argv_add(a, "--limit=1s");
	ct_argv_add(a, "--timeout=500ms");
	ct_argv_add(a, "--quiet");
}
