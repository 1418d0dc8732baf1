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
#include "config.h"
#include "ct_err.h"
#include "host.h"
#include "lg_cli.h"
#include "plan.h"
#include "run.h"
#include "search.h"
#include "step.h"

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
	struct ct_step_stats m;
	const char *status;
};

/* What the probe knows before its first step. */
struct plan {
	const char *variant;
	const char *tkey;            /* the timeout that sets the entries' life */
	double max, timeout, canary;
	double little;               /* Little's law: max / timeout */
	double modelled;             /* with the collector's pace by the kernel's formula */
	struct sc_probe_cfg cfg;
};

/* The table: the scenario's limit, or the host's (NAN on a real host:
 * read there once it is connected). */
static int table_size(const struct sc_resolved *r, const char *node, bool real, double *max)
{
	struct sc_node_cfg n;
	char buf[64];
	sc_section(r, node, sc_node_table(node), &n, sizeof n);
	if (n.max.given)
		*max = (double)sc_global_value(&n.max, false);
	else if (real)
		*max = NAN;
	else if (host_read_sysctl(-1, "/proc/sys/net/netfilter/nf_conntrack_max", buf, sizeof buf) == 0)
		*max = strtod(buf, NULL);
	else
		return -1;
	return 0;
}

/* The figures that follow from the table's size and its entries' life. */
static void plan_rates(struct plan *p)
{
	p->little = p->max / p->timeout;
	/* the kernel's own pace, modelled: Little with each entry living its
	 * timeout plus, at worst, one pass of the collector (its eviction at
	 * 95% starts only once the table has overflowed) */
	p->modelled = plan_breaking_rate(p->max, p->timeout, 1.0);
}

/* On a real host what the scenario leaves as the host has it, read there
 * by its agent: the table's size, and the timeout in its own namespace
 * (not the compiled-in one a new namespace starts from). */
static int plan_real(struct run_session *s, struct plan *p)
{
	char buf[64], err[CT_ERRLEN];
	double *value[] = { &p->max, &p->timeout };
	const char *key[] = { "nf_conntrack_max", p->tkey };
	for (size_t i = 0; i < 2; i++) {
		if (!isnan(*value[i]))
			continue; /* the scenario's */
		if (run_host_sysctl(s, key[i], buf, sizeof buf, err, sizeof err) < 0) {
			fprintf(stderr, "ctstorm: error: probe: %s\n", err);
			return -1;
		}
		*value[i] = strtod(buf, NULL);
	}
	plan_rates(p);
	return 0;
}

/* Sets the overrides the steps change, then reads the plan. The
 * overrides exist before the variant is resolved: the resolution points
 * into them, so later steps only replace their values and never grow
 * (move) the list under it. */
static int plan_probe(struct sc_file *f, size_t vi, bool quick, bool real, struct sc_resolved *r, struct plan *p)
{
	sc_resolve(f, vi, quick, r);
	bool own_interval = !sc_get(r, "sampler", "interval");
	sc_resolved_free(r);
	sc_set_override(f, "load", "limit", "1s");
	sc_set_override(f, "load", "max-qps", "");
	sc_set_override(f, "load", "rate-profile", "1@1s");
	if (own_interval)
		sc_set_override(f, "sampler", "interval", "200ms");
	sc_resolve(f, vi, quick, r);
	struct sc_scenario_cfg sc;
	struct sc_canary_cfg canary;
	struct lg_cli lg;
	sc_section(r, "scenario", sc_scenario_options, &sc, sizeof sc);
	sc_section(r, "canary", sc_canary_options, &canary, sizeof canary);
	sc_section(r, "load", lg_cli_options, &lg, sizeof lg);
	sc_section(r, "probe", sc_probe_options, &p->cfg, sizeof p->cfg);
	const char *node = sc.topology == SC_ROUTED ? "router" : "server";
	bool tcp = lg.mode == LG_MODE_TCP;
	ct_opt_free(lg_cli_options, &lg);
	p->variant = r->name;
	p->tkey = tcp ? "nf_conntrack_tcp_timeout_time_wait" : "nf_conntrack_udp_timeout";
	if (table_size(r, node, real, &p->max) < 0) {
		fprintf(stderr, "ctstorm: error: probe: no nf_conntrack_max in [%s] and conntrack is not loaded\n", node);
		return -1;
	}
	const char *tv = sc_value(r, node, p->tkey, NULL);
	p->timeout = tv ? strtod(tv, NULL) : real ? NAN : tcp ? DEFAULT_TIME_WAIT : DEFAULT_UDP_TIMEOUT;
	p->canary = canary.rate;
	if (!isnan(p->max) && !isnan(p->timeout))
		plan_rates(p);
	char text[32];
	snprintf(text, sizeof text, "%" PRIu64 "ms", (uint64_t)((p->cfg.warmup + p->cfg.hold) / CT_NS_PER_MS));
	sc_set_override(f, "load", "limit", text);
	return 0;
}

/* One step at rate: the rate rises over the warm-up from a fifth of it, so
 * the collector's pace (set by the population it saw last) keeps up: a
 * sudden step from idle overflows before its first pass. False when the
 * step could not be measured (the lab failed, or a signal). */
static bool probe_step(struct run_session *s, struct sc_file *f, size_t vi, const struct plan *p, size_t i,
		       double rate, struct step *st)
{
	double load = fmax(rate - p->canary, 1);
	char profile[96], label[64], dir[1200];
	snprintf(profile, sizeof profile, "ramp:%.1f-%.1f@%" PRIu64 "ms,%.1f@%" PRIu64 "ms", load / 5, load,
		 (uint64_t)(p->cfg.warmup / CT_NS_PER_MS), load, (uint64_t)(p->cfg.hold / CT_NS_PER_MS));
	snprintf(label, sizeof label, "step-%02zu-%.0f", i + 1, rate);
	sc_set_override(f, "load", "max-qps", "");
	sc_set_override(f, "load", "rate-profile", profile);
	run_step(s, vi, label, &st->status);
	st->rate = load + p->canary;
	if (strcmp(st->status, "pass") != 0 && strcmp(st->status, "fail") != 0)
		return false;
	snprintf(dir, sizeof dir, "%s/%s", run_dir(s), label);
	ct_step_read(dir, (double)p->cfg.warmup / 1e9, &st->m);
	st->clean = st->m.drop == 0 && st->m.early_drop == 0 && st->m.insert_failed == 0 && st->m.lost == 0;
	printf("  step %zu: %.1f flows/s: %s (drop %.0f, early_drop %.0f, lost %.0f, peak %.0f, collector every %.1f s)\n",
	       i + 1, st->rate, st->clean ? "clean" : "not clean", st->m.drop, st->m.early_drop, st->m.lost, st->m.peak,
	       st->m.gc_period);
	fflush(stdout);
	return true;
}

/* The conclusion, printed and kept in the manifest. */
static void probe_report(struct run_session *s, const struct plan *p, const struct step *steps, size_t n,
			 const struct search *srch)
{
	double found = srch->lo;
	/* the collector's pace where it mattered: at the highest clean rate
	 * (past it the table overflows and the collector runs otherwise). The
	 * table peaks just before a pass, holding rate x (timeout + the gap
	 * since the last pass): the longest gap decides. */
	double period = NAN, longest = NAN;
	bool evicted = false;
	for (size_t i = 0; i < n; i++) {
		if (steps[i].clean && steps[i].rate == found) {
			period = steps[i].m.gc_period;
			longest = steps[i].m.gc_longest;
		}
		evicted |= !steps[i].clean && steps[i].m.early_drop > 0 && steps[i].m.drop == 0;
	}
	double measured_model = isnan(longest) ? NAN : p->max / (p->timeout + longest);
	double ratio = found > 0 && !isnan(measured_model) ? found / measured_model : NAN;
	char why[768] = "";
	if (!found)
		snprintf(why, sizeof why, "no clean step: even %.1f flows/s lost some", n ? steps[n - 1].rate : srch->next);
	else if (isnan(ratio))
		snprintf(why, sizeof why, "the collector's passes could not be seen in the window (lengthen [probe] hold)");
	else
		snprintf(why, sizeof why,
			 "%s: entries live their %.0f s timeout and then wait for the collector's next pass (every %.1f s "
			 "here, %.1f s at the longest; the kernel's formula gives %.1f s at this rate), so the plain "
			 "Little's law figure (%.1f/s) is %.1fx what the table takes%s",
			 fabs(ratio - 1) <= 0.10 ? "agrees within 10%" : "differs by more than 10%", p->timeout, period,
			 longest, plan_gc_period(found * p->timeout, p->timeout / 2), p->little, p->little / found,
			 evicted ? "; past it the kernel first evicted unassured entries (early_drop), then dropped" : "");
	if (!srch->bracketed && found)
		strncat(why, "; the budget ran out before a failing rate bracketed it", sizeof why - strlen(why) - 1);

	printf("\n%-6s %12s %8s %11s %14s %9s %9s %12s  %s\n", "step", "flows/s", "drop", "early_drop",
	       "insert_failed", "lost", "peak", "collector s", "clean");
	json_t *js = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct step *st = &steps[i];
		printf("%-6zu %12.1f %8.0f %11.0f %14.0f %9.0f %9.0f %12.1f  %s\n", i + 1, st->rate, st->m.drop,
		       st->m.early_drop, st->m.insert_failed, st->m.lost, st->m.peak, st->m.gc_period,
		       st->clean ? "yes" : "no");
		json_array_append_new(js, json_pack("{s:f, s:b, s:f, s:f, s:f, s:f, s:f, s:o}", "rate", st->rate, "clean",
						    st->clean, "drop", st->m.drop, "early_drop", st->m.early_drop,
						    "insert_failed", st->m.insert_failed, "lost", st->m.lost, "peak_count",
						    st->m.peak, "gc_period_s",
						    isnan(st->m.gc_period) ? json_null() : json_real(st->m.gc_period)));
	}
	double hold = (double)p->cfg.hold / 1e9, warm = (double)p->cfg.warmup / 1e9;
	printf("\nHighest clean rate: %.1f new flows/s (judged over %.0f s after %.0f s of warm-up).\n"
	       "Predicted: %.1f/s by Little's law with the collector's measured pace (%.0f / (%.0f s + the longest gap "
	       "between its passes, %.1f s)); measured/predicted %.2f: %s.\n",
	       found, hold, warm, measured_model, p->max, p->timeout, longest, ratio, why);
	printf("ctstorm plan's prediction for the same table (the collector's pace by the kernel's formula): %.1f/s, "
	       "measured/plan %.2f; Little's law with the timeout alone: %.1f/s.\n",
	       p->modelled, found > 0 ? found / p->modelled : 0.0, p->little);
	run_manifest_set(s, "probe",
			 json_pack("{s:s, s:f, s:s, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:o, s:b, s:s, s:o}", "variant",
				   p->variant, "max", p->max, "timeout_key", p->tkey, "timeout_s", p->timeout, "little_rate",
				   p->little, "modelled_rate", p->modelled, "found_rate", found, "gc_period_s",
				   isnan(period) ? json_null() : json_real(period), "gc_longest_gap_s",
				   isnan(longest) ? json_null() : json_real(longest), "predicted_rate",
				   isnan(measured_model) ? json_null() : json_real(measured_model), "ratio",
				   isnan(ratio) ? json_null() : json_real(ratio), "bracketed", srch->bracketed, "why", why,
				   "steps", js));
}

int run_probe(struct sc_file *f, size_t vi, const struct run_opts *o)
{
	struct sc_resolved r;
	struct plan p;
	/* on a real server or router the table is that host's; load hosts
	 * share each step's rate profile by weight */
	sc_resolve(f, vi, o->quick, &r);
	bool real = sc_get(&r, "hosts", "server") || sc_get(&r, "hosts", "router");
	sc_resolved_free(&r);
	if (plan_probe(f, vi, o->quick, real, &r, &p) < 0) {
		sc_resolved_free(&r);
		return CT_EXIT_FAIL;
	}
	int rc;
	struct run_opts ro = *o;
	ro.probe = true;
	struct run_session *s = run_open(f, &ro, 16, &rc);
	if (!s) {
		sc_resolved_free(&r);
		return rc;
	}
	if (real && plan_real(s, &p) < 0) {
		sc_resolved_free(&r);
		return run_close(s, CT_EXIT_FAIL);
	}
	double warm = (double)p.cfg.warmup / 1e9, hold = (double)p.cfg.hold / 1e9, budget = (double)p.cfg.budget / 1e9;
	printf("probe %s: nf_conntrack_max %.0f, %s %.0f s. Little's law: %.1f new flows/s (%.0f / %.0f s); with the "
	       "collector's pace modelled: %.1f/s.\nEach step: %.0f s of warm-up, then %.0f s judged; at most %.0f s "
	       "in all.\n",
	       r.name, p.max, p.tkey, p.timeout, p.little, p.max, p.timeout, p.modelled, warm, hold, budget);
	fflush(stdout);

	struct step steps[64];
	size_t n = 0;
	struct search srch;
	search_init(&srch, p.modelled, (double)p.cfg.precision / 100.0);
	uint64_t t0 = ct_now_ns();
	while (n < 64 && !srch.done && !run_stopped(s)) {
		double spent = (double)(ct_now_ns() - t0) / 1e9;
		if (spent + warm + hold + 3 > budget)
			break;
		if (!probe_step(s, f, vi, &p, n, srch.next, &steps[n]))
			break;
		search_step(&srch, steps[n].rate, steps[n].clean);
		n++;
	}
	probe_report(s, &p, steps, n, &srch);
	rc = run_close(s, srch.lo > 0 ? CT_EXIT_OK : CT_EXIT_FAIL);
	sc_resolved_free(&r);
	return rc;
}
