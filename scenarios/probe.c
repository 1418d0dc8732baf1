/* `ctstorm probe`: the highest rate of new flows a scenario's table takes
 * for a set time without losing one, found by measurement (ramp, then
 * bisect, within a time budget), next to Little's law's prediction for the
 * same table size and timeout.
 *
 * A step is clean when the kernel neither dropped a packet for want of an
 * entry (drop, insert_failed) nor evicted an entry to make room
 * (early_drop), and the load lost no query. */
#include "probe.h"

#include "clock.h"
#include "ct_err.h"
#include "host.h"
#include "opt.h"
#include "plan.h"
#include "run.h"
#include "sample.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* New namespaces start from the kernel's compiled-in timeouts, whatever
 * the host's initial namespace was set to. */
#define DEFAULT_UDP_TIMEOUT 30
#define DEFAULT_TIME_WAIT 120

struct step {
	double rate;
	bool clean;
	/* in the measurement window, after the warm-up */
	double drop, early_drop, insert_failed, peak, lost;
	double gc_period;  /* median time between the collector's passes, NAN if fewer than two */
	double gc_longest; /* the longest of those gaps: what sets the peak */
	int passes;
	const char *status;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A step's window: the sampler's series from warm_s after the load began
 * (the first entry), the loadgen's intervals past warm_s. The collector's
 * passes show as falls of the count. */
static void analyse(const char *dir, double warm_s, struct step *st)
{
	char path[1300];
	st->drop = st->early_drop = st->insert_failed = st->peak = st->lost = 0;
	st->gc_period = st->gc_longest = NAN;
	st->passes = 0;
	snprintf(path, sizeof path, "%s/sampler.csv", dir);
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	if (f && getline(&line, &cap, f) > 0) {
		int ct = ct_csv_column(line, "t_s"), cc = ct_csv_column(line, "count"), cd = ct_csv_column(line, "drop"),
		    ce = ct_csv_column(line, "early_drop"), ci = ct_csv_column(line, "insert_failed");
		double t0 = NAN, first[3] = { NAN, NAN, NAN }, last[3] = { 0, 0, 0 }, prev = NAN, passes[512];
		int np = 0;
		while (getline(&line, &cap, f) > 0) {
			double t = ct_csv_value(line, ct), count = ct_csv_value(line, cc);
			if (isnan(t0) && count > 0)
				t0 = t;
			/* a fall; one pass may show over two samples */
			if (!isnan(prev) && count < prev - fmax(5, prev * 0.02) && np < 512 &&
			    (np == 0 || t - passes[np - 1] > 1.0))
				passes[np++] = t;
			prev = count;
			if (isnan(t0) || t < t0 + warm_s)
				continue;
			double v[3] = { ct_csv_value(line, cd), ct_csv_value(line, ce), ct_csv_value(line, ci) };
			for (int k = 0; k < 3; k++) {
				if (isnan(first[k]))
					first[k] = v[k];
				if (!isnan(v[k]))
					last[k] = v[k];
			}
			st->peak = fmax(st->peak, count);
		}
		st->drop = isnan(first[0]) ? 0 : last[0] - first[0];
		st->early_drop = isnan(first[1]) ? 0 : last[1] - first[1];
		st->insert_failed = isnan(first[2]) ? 0 : last[2] - first[2];
		/* the collector's period once it has the load's measure: gaps
		 * between passes from halfway through the warm-up on (the first
		 * pass comes whenever the idle worker's 60 s timer says) */
		double gaps[511];
		int ng = 0;
		for (int i = 1; i < np; i++)
			if (passes[i - 1] >= t0 + warm_s / 2)
				gaps[ng++] = passes[i] - passes[i - 1];
		st->passes = np;
		st->gc_longest = NAN;
		if (ng) {
			qsort(gaps, (size_t)ng, sizeof *gaps, cmp_double);
			st->gc_period = gaps[ng / 2];
			st->gc_longest = gaps[ng - 1];
		}
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/loadgen.jsonl", dir);
	if ((f = fopen(path, "r"))) {
		while (getline(&line, &cap, f) > 0) {
			json_t *j = json_loads(line, 0, NULL);
			json_t *c = json_object_get(j, "counts");
			if (c && json_number_value(json_object_get(j, "t_s")) > warm_s + 0.5)
				st->lost += json_number_value(json_object_get(c, "timeouts")) +
					    json_number_value(json_object_get(c, "failed"));
			json_decref(j);
		}
		fclose(f);
	}
	free(line);
}

static uint64_t duration_ns(const struct sc_resolved *r, const char *key, uint64_t def)
{
	uint64_t v;
	char why[CT_ERRLEN];
	const char *t = sc_value(r, "probe", key, NULL);
	return t && ct_parse_duration(t, &v, why, sizeof why) == 0 ? v : def;
}

int run_probe(struct sc_file *f, size_t vi, const struct run_opts *o)
{
	/* The overrides the steps change exist before the variant is resolved:
	 * the resolution points into them, so later steps only replace their
	 * values and never grow (move) the list under it. */
	struct sc_resolved r;
	sc_resolve(f, vi, o->quick, &r);
	bool own_interval = !sc_get(&r, "sampler", "interval");
	sc_resolved_free(&r);
	sc_set_override(f, "load", "limit", "1s");
	sc_set_override(f, "load", "max-qps", "");
	sc_set_override(f, "load", "rate-profile", "1@1s");
	if (own_interval)
		sc_set_override(f, "sampler", "interval", "200ms");
	sc_resolve(f, vi, o->quick, &r);
	const char *node = strcmp(sc_value(&r, "scenario", "topology", "pair"), "routed") == 0 ? "router" : "server";
	bool tcp = strcmp(sc_value(&r, "load", "mode", "udp"), "tcp") == 0;
	const char *tkey = tcp ? "nf_conntrack_tcp_timeout_time_wait" : "nf_conntrack_udp_timeout";

	/* the table: the scenario's limit, or the host's */
	const char *mv = sc_value(&r, node, "nf_conntrack_max", NULL);
	double max;
	char buf[64];
	if (mv && strcmp(mv, "formula") == 0)
		max = (double)sc_formula_max();
	else if (mv)
		max = strtod(mv, NULL);
	else if (host_read_sysctl(-1, "/proc/sys/net/netfilter/nf_conntrack_max", buf, sizeof buf) == 0)
		max = strtod(buf, NULL);
	else {
		fprintf(stderr, "ctstorm: error: probe: no nf_conntrack_max in [%s] and conntrack is not loaded\n", node);
		sc_resolved_free(&r);
		return CT_EXIT_FAIL;
	}
	const char *tv = sc_value(&r, node, tkey, NULL);
	double timeout = tv ? strtod(tv, NULL) : tcp ? DEFAULT_TIME_WAIT : DEFAULT_UDP_TIMEOUT;
	double canary = strtod(sc_value(&r, "canary", "rate", "0"), NULL);

	/* Little's law with the nominal timeout: rate x timeout entries */
	double predicted = max / timeout;

	/* each step: a warm-up past the collector's first pass (an idle host's
	 * collector wakes every 60 s) while the rate ramps up, then the window
	 * that is judged */
	uint64_t warm = duration_ns(&r, "warmup", 65ull * CT_NS_PER_SEC);
	uint64_t hold = duration_ns(&r, "hold", 20ull * CT_NS_PER_SEC);
	uint64_t budget = duration_ns(&r, "budget", 900ull * CT_NS_PER_SEC);
	double precision = strtod(sc_value(&r, "probe", "precision", "4"), NULL) / 100.0;
	char text[32];
	snprintf(text, sizeof text, "%" PRIu64 "ms", (uint64_t)((warm + hold) / CT_NS_PER_MS));
	sc_set_override(f, "load", "limit", text);
	/* the kernel's own pace, modelled: Little with each entry living its
	 * timeout plus, at worst, one pass of the collector (its eviction at
	 * 95% starts only once the table has overflowed) */
	double modelled = plan_breaking_rate(max, timeout, 1.0);

	printf("probe %s: nf_conntrack_max %.0f, %s %.0f s. Little's law: %.1f new flows/s (%.0f / %.0f s); with the "
	       "collector's pace modelled: %.1f/s.\nEach step: %.0f s of warm-up, then %.0f s judged; at most %.0f s "
	       "in all.\n",
	       r.name, max, tkey, timeout, predicted, max, timeout, modelled, (double)warm / 1e9, (double)hold / 1e9,
	       (double)budget / 1e9);
	fflush(stdout);

	int rc;
	struct run_opts ro = *o;
	ro.probe = true;
	struct run_session *s = run_open(f, &ro, 16, &rc);
	if (!s) {
		sc_resolved_free(&r);
		return rc;
	}
	struct step steps[64];
	size_t n = 0;
	double lo = 0, hi = INFINITY, rate = modelled;
	uint64_t t0 = ct_now_ns();
	bool bracketed = false;
	while (n < 64 && !run_stopped(s)) {
		double spent = (double)(ct_now_ns() - t0) / 1e9;
		if (spent + (double)(warm + hold) / 1e9 + 3 > (double)budget / 1e9)
			break;
		double load = rate - canary;
		if (load < 1)
			load = 1;
		/* the rate rises over the warm-up from a fifth of it, so the
		 * collector's pace (set by the population it saw last) keeps up:
		 * a sudden step from idle overflows before its first pass */
		char profile[96], label[64];
		snprintf(profile, sizeof profile, "ramp:%.1f-%.1f@%" PRIu64 "ms,%.1f@%" PRIu64 "ms", load / 5, load,
			 (uint64_t)(warm / CT_NS_PER_MS), load, (uint64_t)(hold / CT_NS_PER_MS));
		snprintf(label, sizeof label, "step-%02zu-%.0f", n + 1, rate);
		sc_set_override(f, "load", "max-qps", "");
		sc_set_override(f, "load", "rate-profile", profile);
		struct step *st = &steps[n];
		run_step(s, vi, label, &st->status);
		st->rate = load + canary;
		bool measured = strcmp(st->status, "pass") == 0 || strcmp(st->status, "fail") == 0;
		if (!measured)
			break; /* the lab failed or we were interrupted */
		char dir[1200];
		snprintf(dir, sizeof dir, "%s/%s", run_dir(s), label);
		analyse(dir, (double)warm / 1e9, st);
		st->clean = st->drop == 0 && st->early_drop == 0 && st->insert_failed == 0 && st->lost == 0;
		printf("  step %zu: %.1f flows/s: %s (drop %.0f, early_drop %.0f, lost %.0f, peak %.0f, collector every %.1f s)\n",
		       n + 1, st->rate, st->clean ? "clean" : "not clean", st->drop, st->early_drop, st->lost, st->peak,
		       st->gc_period);
		fflush(stdout);
		n++;
		if (st->clean)
			lo = fmax(lo, st->rate);
		else
			hi = fmin(hi, st->rate);
		if (lo > 0 && isfinite(hi)) {
			bracketed = true;
			if ((hi - lo) / lo <= precision)
				break;
			rate = (lo + hi) / 2;
		} else if (isfinite(hi)) {
			rate = hi / 2; /* not even the first was clean */
		} else {
			rate *= 1.25; /* ramp */
		}
	}

	double found = lo;
	/* the collector's pace where it mattered: at the highest clean rate
	 * (past it the table overflows and the collector runs otherwise). The
	 * table peaks just before a pass, holding rate x (timeout + the gap
	 * since the last pass): the longest gap decides. */
	double period = NAN, longest = NAN;
	for (size_t i = 0; i < n; i++)
		if (steps[i].clean && steps[i].rate == lo) {
			period = steps[i].gc_period;
			longest = steps[i].gc_longest;
		}
	double measured_model = isnan(longest) ? NAN : max / (timeout + longest);
	double ratio = found > 0 && !isnan(measured_model) ? found / measured_model : NAN;
	bool evicted = false;
	for (size_t i = 0; i < n; i++)
		evicted |= !steps[i].clean && steps[i].early_drop > 0 && steps[i].drop == 0;
	char why[768] = "";
	if (!found)
		snprintf(why, sizeof why, "no clean step: even %.1f flows/s lost some", n ? steps[0].rate : rate);
	else if (isnan(ratio))
		snprintf(why, sizeof why, "the collector's passes could not be seen in the window (lengthen [probe] hold)");
	else
		snprintf(why, sizeof why,
			 "%s: entries live their %.0f s timeout and then wait for the collector's next pass (every %.1f s "
			 "here, %.1f s at the longest; the kernel's formula gives %.1f s at this rate), so the plain "
			 "Little's law figure (%.1f/s) is %.1fx what the table takes%s",
			 fabs(ratio - 1) <= 0.10 ? "agrees within 10%" : "differs by more than 10%", timeout, period, longest,
			 plan_gc_period(found * timeout, timeout / 2), predicted, predicted / found,
			 evicted ? "; past it the kernel first evicted unassured entries (early_drop), then dropped" : "");
	if (!bracketed && found)
		strncat(why, "; the budget ran out before a failing rate bracketed it", sizeof why - strlen(why) - 1);

	printf("\n%-6s %12s %8s %11s %14s %9s %9s %12s  %s\n", "step", "flows/s", "drop", "early_drop",
	       "insert_failed", "lost", "peak", "collector s", "clean");
	for (size_t i = 0; i < n; i++)
		printf("%-6zu %12.1f %8.0f %11.0f %14.0f %9.0f %9.0f %12.1f  %s\n", i + 1, steps[i].rate, steps[i].drop,
		       steps[i].early_drop, steps[i].insert_failed, steps[i].lost, steps[i].peak, steps[i].gc_period,
		       steps[i].clean ? "yes" : "no");
	printf("\nHighest clean rate: %.1f new flows/s (judged over %.0f s after %.0f s of warm-up).\n"
	       "Predicted: %.1f/s by Little's law with the collector's measured pace (%.0f / (%.0f s + the longest gap "
	       "between its passes, %.1f s)); measured/predicted %.2f: %s.\n",
	       found, (double)hold / 1e9, (double)warm / 1e9, measured_model, max, timeout, longest, ratio, why);
	printf("ctstorm plan's prediction for the same table (the collector's pace by the kernel's formula): %.1f/s, "
	       "measured/plan %.2f; Little's law with the timeout alone: %.1f/s.\n",
	       modelled, found > 0 ? found / modelled : 0.0, predicted);

	json_t *js = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(js, json_pack("{s:f, s:b, s:f, s:f, s:f, s:f, s:f, s:o}", "rate", steps[i].rate, "clean",
						    steps[i].clean, "drop", steps[i].drop, "early_drop", steps[i].early_drop,
						    "insert_failed", steps[i].insert_failed, "lost", steps[i].lost, "peak_count",
						    steps[i].peak, "gc_period_s",
						    isnan(steps[i].gc_period) ? json_null() : json_real(steps[i].gc_period)));
	run_manifest_set(s, "probe",
			 json_pack("{s:s, s:f, s:s, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:o, s:b, s:s, s:o}", "variant", r.name, "max",
				   max, "timeout_key", tkey, "timeout_s", timeout, "little_rate", predicted, "modelled_rate",
				   modelled, "found_rate", found, "gc_period_s", isnan(period) ? json_null() : json_real(period), "gc_longest_gap_s",
				   isnan(longest) ? json_null() : json_real(longest),
				   "predicted_rate", isnan(measured_model) ? json_null() : json_real(measured_model), "ratio",
				   isnan(ratio) ? json_null() : json_real(ratio), "bracketed", bracketed, "why", why, "steps", js));
	rc = run_close(s, found > 0 ? CT_EXIT_OK : CT_EXIT_FAIL);
	sc_resolved_free(&r);
	return rc;
}
