#include "ct_report.h"

#include "atomicfile.h"
#include "ct_err.h"
#include "lg_jsonl.h"
#include "metrics.h"
#include "rf_names.h"
#include "sampler_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Variants keep their colour in every plot: the n-th variant of a run. */
static const char *const palette[] = { "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
				       "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#d62728" };
#define NPAL (sizeof palette / sizeof *palette)

struct variant {
	char name[64];
	char status[16];
	char dir[1200];
	json_t *verdict;
	json_t *metrics; /* borrowed from verdict */
	const char *shows; /* "incident", "fix", "failed-fix", "behaviour" */
	char sdat[1400], ldat[1400], tdat[1400];
	bool have_samples, have_intervals, have_composition, have_by_sent;
	bool aligned;      /* the sampler's rows are on the load's clock */
	bool comp_used[5]; /* composition series with a value other than 0 */
	size_t passes;     /* collector passes seen in the samples (the count falling at once) */
	unsigned pct_used[3]; /* intervals showing p50, p99, p99.9 */
	double t_min, t_max, rate_max;
	double load_s;     /* the load's length (its window starts at 0) */
	/* load hosts: each one's own summary, as {"loadgen": ...} */
	json_t *hosts[16];
	char host_names[16][96];
	size_t nhosts;
};

struct run {
	char dir[1024];
	char label[160];
	json_t *manifest;
	struct variant *v;
	size_t nv;
	bool aligned;      /* every variant's sampler on the load's clock */
	double t_min, t_max, rate_max, load_s;
};

/* ---- metrics ---- */

/* A change the report names between two runs: 10% and more. */
#define REPORT_CHANGE 0.10

struct col {
	const char *head;
	const char *path;   /* into the metrics */
	int decimals;
	double scale;
	int worse;          /* +1: higher is worse; -1: lower is worse; 0: neither */
	double noise;       /* a change this small (in the column's unit) is no change */
	const char *help;   /* the glossary's line */
};

static const struct col cols[] = {
	{ "sent", "loadgen.sent", 0, 1, 0, 0, "queries the load sent" },
	{ "answered", "loadgen.answered", 0, 1, -1, 0, "queries answered (any rcode) within the timeout" },
	{ "lost %", "loadgen.loss_pct", 1, 1, +1, 0,
	  "queries lost of those sent: timed out, refused, failed to connect, closed (all but the answered)" },
	{ "canary lost %", "canary.loss_pct", 1, 1, +1, 0,
	  "the same for the canary: a slow stream of queries from fresh sockets, what a normal client sees meanwhile" },
	{ "lookups failed", "loadgen.lookups_failed", 0, 1, +1, 0,
	  "lookups with a query unanswered (a lookup: the K queries --parallel-per-socket sends at once, A and AAAA "
	  "as glibc; else one query): what a resolver waits out, 5 s in glibc" },
	{ "p50 ms", "loadgen.latency_us.actual.p50", 2, 1e-3, +1, 1.0, "median time from send to answer" },
	{ "p99 ms", "loadgen.latency_us.actual.p99", 2, 1e-3, +1, 1.0, "99th percentile of the time to answer" },
	{ "p99.9 ms", "loadgen.latency_us.actual.p999", 2, 1e-3, +1, 1.0, "99.9th percentile of the time to answer" },
	{ "max ms", "loadgen.latency_us.actual.max", 2, 1e-3, +1, 1.0, "the slowest answer" },
	{ "peak count", "sampler.peak_count", 0, 1, 0, 0, "most entries the conntrack table held at a sample" },
	{ "limit", "sampler.max", 0, 1, 0, 0, "nf_conntrack_max: the table's size" },
	{ "first drop s", "derived.first_drop_s", 2, 1, 0, 0,
	  "when the kernel first dropped a packet, seconds after the load started (the sampler's first_drop_s on the "
	  "load's clock)" },
	{ "drop", "sampler.drop", 0, 1, +1, 0,
	  "packets the kernel dropped because the table was full (conntrack -S drop)" },
	{ "early_drop", "sampler.early_drop", 0, 1, +1, 0,
	  "entries evicted to make room for a new flow (unassured ones, from the new flow's hash chain)" },
	{ "insert_failed", "sampler.insert_failed", 0, 1, +1, 0,
	  "entries the kernel could not insert: a clash it could not resolve, or a chain too long" },
	{ "chaintoolong", "sampler.chaintoolong", 0, 1, +1, 0,
	  "inserts refused because the entry's hash chain was too long (past 50 to 79 entries): too few buckets "
	  "(kernels since 5.15; a drop while the table is below its limit)" },
	{ "clash_resolve", "sampler.clash_resolve", 0, 1, 0, 0,
	  "clashes of two packets of one flow the kernel resolved (kernels since 5.6)" },
	{ "kmsg lines", "sampler.kmsg_table_full", 0, 1, +1, 0, "\"nf_conntrack: table full, dropping packet\" kernel log lines" },
	{ "suppressed", "sampler.kmsg_suppressed", 0, 1, +1, 0, "such lines the kernel's rate limit suppressed" },
	{ "new flows/s", "loadgen.new_flows_per_s", 0, 1, 0, 0, "new 5-tuples per second the load offered the kernel" },
};
#define NCOLS (sizeof cols / sizeof *cols)

/* The glossary's other lines: what is not a metric column. */
static const char *const glossary_extra[][2] = {
	{ "verdict",
	  "reproduced / not reproduced (a variant showing the incident), held / did not hold (a fix), as expected / not "
	  "as expected (a behaviour), from the variant's expectations; not judged when it has none or did not run to "
	  "its end" },
	{ "what changed", "the variant's own settings against the scenario" },
	{ "collector pass", "in the conntrack plots, a green line up to the limit where the count fell at once (by a "
			    "twentieth and 16 entries or more between two samples): the kernel's collector freed the "
			    "expired entries; nothing expired is freed between its passes" },
	{ "load window", "the shaded span of every plot: from the first query's slot to the load's end; time 0 is the "
			 "load's start" },
};

const char *ct_report_column(size_t i)
{
	return i < NCOLS ? cols[i].path : NULL;
}

static void cell(const struct col *c, json_t *m, char *buf, size_t len)
{
	double v;
	if (m && ct_metric_value(m, c->path, &v))
		snprintf(buf, len, "%.*f", c->decimals, v * c->scale);
	else
		snprintf(buf, len, "-");
}

static bool metric(const struct variant *v, const char *path, double *out)
{
	return ct_metric_value(v->metrics, path, out);
}

/* ---- verdicts in words ---- */

const char *ct_verdict_word(const char *shows, const char *status, size_t judged, bool *good)
{
	*good = false;
	if (strcmp(status, "error") == 0)
		return "could not run";
	if (strcmp(status, "interrupted") == 0)
		return "interrupted";
	if ((strcmp(status, "pass") != 0 && strcmp(status, "fail") != 0) || !judged)
		return "not judged";
	bool pass = strcmp(status, "pass") == 0;
	*good = pass;
	if (strcmp(shows, "incident") == 0)
		return pass ? "reproduced" : "not reproduced";
	if (strcmp(shows, "fix") == 0)
		return pass ? "held" : "did not hold";
	if (strcmp(shows, "failed-fix") == 0)
		return pass ? "did not hold" : "not as expected";
	return pass ? "as expected" : "not as expected";
}

const char *ct_verdict_word_of(json_t *verdict, const char *variant, const char *status, const char **shows,
			       bool *good)
{
	const char *s = json_string_value(json_object_get(verdict, "shows"));
	if (!s)
		s = strcmp(variant, "baseline") == 0 ? "incident" : "fix";
	if (shows)
		*shows = s;
	size_t k, judged = 0;
	json_t *x;
	json_array_foreach(json_object_get(verdict, "expectations"), k, x)
		judged += json_is_boolean(json_object_get(x, "pass"));
	return ct_verdict_word(s, status, judged, good);
}

static const char *verdict_word(const struct variant *v, bool *good)
{
	return ct_verdict_word_of(v->verdict, v->name, v->status, NULL, good);
}

/* The variant's overrides, "; "-joined ("" when none). */
static void what_changed(const struct variant *v, char *buf, size_t len)
{
	size_t k, n = 0;
	json_t *x;
	buf[0] = '\0';
	json_array_foreach(json_object_get(v->verdict, "overrides"), k, x) {
		/* a multi-line value (a ruleset) by its first line and its length */
		const char *o = json_string_value(x), *nl = o ? strchr(o, '\n') : NULL;
		size_t lines = 1;
		for (const char *c = nl; c; c = strchr(c + 1, '\n'))
			lines++;
		int w = nl ? snprintf(buf + n, len - n, "%s%.*s ... (%zu lines)", k ? "; " : "", (int)(nl - o), o, lines)
			   : snprintf(buf + n, len - n, "%s%s", k ? "; " : "", o ? o : "");
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

/* A list of names in words: "a, b and c" or "none". */
static void name_list(FILE *o, char (*names)[112], size_t n)
{
	if (!n)
		fputs("none", o);
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", names[i]);
}

/* The incident's sentence: what the variant lost and the kernel dropped. */
static void incident_sentence(FILE *o, const struct variant *v, bool good)
{
	double lost, sent, answered, drop, kmsg;
	fprintf(o, "%s: %s", good ? "Reproduced" : "Not reproduced", v->name);
	bool said = metric(v, "loadgen.loss_pct", &lost) && metric(v, "loadgen.sent", &sent) &&
		    metric(v, "loadgen.answered", &answered);
	if (said)
		fprintf(o, " lost %.*f%% of its queries (%.0f of %.0f answered)", lost < 9.95 && lost > 0 ? 1 : 0, lost,
			answered, sent);
	if (metric(v, "sampler.drop", &drop))
		fprintf(o, "%s the kernel dropped %.0f packets", said ? "," : "", drop);
	/* drops of another kind: the table was not full */
	double refused;
	if (metric(v, "sampler.chaintoolong", &refused) && refused > 0)
		fprintf(o, ", refused %.0f inserts into hash chains too long", refused);
	else if (metric(v, "sampler.insert_failed", &refused) && refused > 0)
		fprintf(o, ", failed %.0f inserts", refused);
	if (metric(v, "sampler.kmsg_table_full", &kmsg) && kmsg > 0)
		fprintf(o, " and logged %.0f \"table full\" lines", kmsg);
	size_t k;
	json_t *x;
	if (!good)
		json_array_foreach(json_object_get(v->verdict, "expectations"), k, x)
			if (json_is_false(json_object_get(x, "pass"))) {
				fprintf(o, "; it did not meet %s (measured %g)", json_string_value(json_object_get(x, "expect")),
					json_number_value(json_object_get(x, "measured")));
				break;
			}
	fputc('.', o);
}

/* What this kernel absorbed that others would not: the insertion clashes
 * it resolved (packets of one new flow meeting in conntrack at once, the
 * A and AAAA of a lookup). */
static void exposure(FILE *o, const struct run *r)
{
	bool first = true;
	for (size_t i = 0; i < r->nv; i++) {
		double clashes, lookups, sent;
		const struct variant *v = &r->v[i];
		if (!metric(v, "sampler.clash_resolve", &clashes) || clashes <= 0)
			continue;
		fprintf(o, "%s%s %.0f", first ? " This kernel resolved insertion clashes: " : ", ", v->name, clashes);
		if (metric(v, "loadgen.lookups", &lookups) && metric(v, "loadgen.sent", &sent) && lookups > 0 &&
		    lookups < sent)
			fprintf(o, " (of %.0f lookups)", lookups);
		first = false;
	}
	if (!first)
		fputs("; a kernel that does not (before 5.6 where the two packets got different NAT targets, before 4.19 "
		      "otherwise, or a regression) drops a packet of each, and a resolver waits out its timeout for it, 5 s "
		      "in glibc.",
		      o);
}

/* The answer first: did the incident reproduce, and which fixes held. */
static void headline(FILE *o, const struct run *r)
{
	enum { HELD, NOT_HELD, EXPECTED, UNEXPECTED, UNJUDGED, NLISTS };
	static const char *const lead[NLISTS] = { "Fixes that held: ", "; fixes that did not: ", "As expected: ",
						  "; not as expected: ", "Not judged: " };
	char names[NLISTS][32][112];
	size_t n[NLISTS] = { 0 };
	bool fixes = false, sentence = false;
	for (size_t i = 0; i < r->nv; i++) {
		const struct variant *v = &r->v[i];
		bool good, fix = strcmp(v->shows, "fix") == 0 || strcmp(v->shows, "failed-fix") == 0;
		const char *w = verdict_word(v, &good);
		fixes |= fix;
		if (strcmp(w, "reproduced") == 0 || strcmp(w, "not reproduced") == 0) {
			fputs(sentence ? " " : "", o);
			incident_sentence(o, v, good);
			sentence = true;
			continue;
		}
		int l = strcmp(w, "held") == 0 ? HELD
			: strcmp(w, "did not hold") == 0 ? NOT_HELD
			: strcmp(w, "as expected") == 0 ? EXPECTED
			: strcmp(w, "not as expected") == 0 ? (fix ? HELD : UNEXPECTED) : UNJUDGED;
		if (n[l] < 32)
			snprintf(names[l][n[l]++], sizeof names[l][0], "%s%s", v->name,
				 strcmp(v->shows, "failed-fix") != 0 ? ""
				 : l == NOT_HELD ? " (as the scenario expects)" : " (which the scenario expects not to)");
	}
	for (int l = HELD; l < NLISTS; l++) {
		/* the fixes' pair is said whenever there are fixes, the others when
		 * they have names */
		bool pair_first = l == HELD || l == EXPECTED, shown;
		if (l == HELD || l == NOT_HELD)
			shown = fixes;
		else if (l == EXPECTED || l == UNEXPECTED)
			shown = n[EXPECTED] || n[UNEXPECTED];
		else
			shown = n[l] > 0;
		if (!shown)
			continue;
		if (pair_first || l == UNJUDGED)
			fputs(sentence ? " " : "", o);
		fputs(lead[l], o);
		name_list(o, names[l], n[l]);
		if (l == NOT_HELD || l == UNEXPECTED || l == UNJUDGED)
			fputc('.', o);
		sentence = true;
	}
	if (!sentence)
		fputs("No variant ran.", o);
	exposure(o, r);
}

/* ---- loading ---- */

/* When the sampler started, on the wall clock: its first row's wall time
 * less its t_s (NAN when sampler.csv lacks them). */
static double sampler_start_wall(const struct variant *v)
{
	char in[1300];
	snprintf(in, sizeof in, "%s/" RF_SAMPLER_CSV, v->dir);
	FILE *f = fopen(in, "r");
	if (!f)
		return NAN;
	char *head = NULL, *row = NULL;
	size_t hc = 0, rc = 0;
	double start = NAN;
	if (getline(&head, &hc, f) > 0 && getline(&row, &rc, f) > 0) {
		struct rf_csv csv;
		rf_csv_open(&csv, head);
		start = rf_csv_get(&csv, row, RF_COL_WALL_S) - rf_csv_get(&csv, row, RF_COL_T_S);
	}
	free(head);
	free(row);
	fclose(f);
	return start;
}

static void load_variant(struct variant *v, const char *run_dir, json_t *entry)
{
	snprintf(v->name, sizeof v->name, "%s", json_string_value(json_object_get(entry, "name")));
	snprintf(v->status, sizeof v->status, "%s", json_string_value(json_object_get(entry, "status")));
	snprintf(v->dir, sizeof v->dir, "%s/%s", run_dir, json_string_value(json_object_get(entry, "dir")));
	char path[1300];
	snprintf(path, sizeof path, "%s/" RF_VERDICT, v->dir);
	/* a variant that never got to judge (its lab failed, the run was
	 * killed) still has a row, with what it has */
	v->verdict = json_load_file(path, 0, NULL);
	if (!v->verdict)
		v->verdict = json_pack("{s:s, s:s, s:[]}", "variant", v->name, "description", "(no verdict.json)",
				       "expectations");
	v->metrics = json_object_get(v->verdict, "metrics");
	if (!json_is_object(v->metrics)) {
		v->metrics = json_object();
		json_object_set_new(v->verdict, "metrics", v->metrics);
	}
	bool good;
	ct_verdict_word_of(v->verdict, v->name, v->status, &v->shows, &good);
	/* a load from several hosts: each host's share beside the total */
	for (size_t i = 0; i < 16; i++) {
		snprintf(path, sizeof path, "%s/client-%zu/" RF_LOADGEN_JSON, v->dir, i + 1);
		json_t *h = json_load_file(path, 0, NULL);
		if (!h)
			break;
		json_object_del(h, "histogram_us");
		v->hosts[v->nhosts] = json_pack("{s:o}", "loadgen", h);
		snprintf(v->host_names[v->nhosts], sizeof v->host_names[0], "client-%zu", i + 1);
		v->nhosts++;
	}
	v->t_min = v->t_max = NAN;
	if (!metric(v, "loadgen.duration_s", &v->load_s))
		v->load_s = 0;
	double first_drop, start_ms, sampler_start = sampler_start_wall(v);
	if (metric(v, "sampler.first_drop_s", &first_drop) && metric(v, "loadgen.started_unix_ms", &start_ms) &&
	    !isnan(sampler_start))
		json_object_set_new(v->metrics, "derived",
				    json_pack("{s:f}", "first_drop_s", sampler_start + first_drop - start_ms / 1e3));
}

static int load_run(struct run *r, const char *dir, char *err, size_t errlen)
{
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	char path[1100];
	snprintf(path, sizeof path, "%s/" RF_MANIFEST, dir);
	json_error_t je;
	r->manifest = json_load_file(path, 0, &je);
	if (!r->manifest)
		return ct_err(err, errlen, "%s: not a results folder (%s)", dir, je.text);
	json_t *vs = json_object_get(r->manifest, "variants");
	const char *started = json_string_value(json_object_get(r->manifest, "started"));
	snprintf(r->label, sizeof r->label, "%s %s",
		 json_string_value(json_object_get(json_object_get(r->manifest, "scenario"), "name")),
		 started ? started : "");
	r->nv = json_array_size(vs);
	r->v = calloc(r->nv ? r->nv : 1, sizeof *r->v);
	if (!r->v)
		abort();
	for (size_t i = 0; i < r->nv; i++)
		load_variant(&r->v[i], dir, json_array_get(vs, i));
	return 0;
}

static void free_run(struct run *r)
{
	for (size_t i = 0; i < r->nv; i++) {
		json_decref(r->v[i].verdict);
		for (size_t k = 0; k < r->v[i].nhosts; k++)
			json_decref(r->v[i].hosts[k]);
	}
	free(r->v);
	json_decref(r->manifest);
}

/* ---- data for gnuplot ---- */

static void extend(struct variant *v, double t)
{
	if (isnan(v->t_min) || t < v->t_min)
		v->t_min = t;
	if (isnan(v->t_max) || t > v->t_max)
		v->t_max = t;
}

/* The composition's columns of sampler.csv, in the plot's order. */
static const enum rf_col comp_cols[] = { RF_COL_UDP_UNREPLIED, RF_COL_UDP_REPLIED, RF_COL_UDP_ASSURED,
					 RF_COL_TCP_ESTABLISHED, RF_COL_TCP_TIME_WAIT };
#define NCOMP (sizeof comp_cols / sizeof *comp_cols)

/* Entries leave the table in bulk only when the kernel's collector passes
 * (expiry alone frees nothing; early_drop evicts one at a time): a count
 * falling at once by a twentieth and 16 entries or more between two samples
 * is a pass. */
static bool collector_pass(double before, double after)
{
	return !isnan(before) && !isnan(after) && before - after >= 16 && before - after >= before / 20;
}

/* sampler.csv -> t count max drops_in_interval kmsg, then the composition
 * columns; t is on the load's clock (the row's wall time against the
 * load's start) when both are known, else the sampler's own. */
static void sampler_dat(struct variant *v, const char *out)
{
	char in[1300];
	snprintf(in, sizeof in, "%s/" RF_SAMPLER_CSV, v->dir);
	FILE *f = fopen(in, "r"), *o = NULL;
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	if (getline(&line, &cap, f) <= 0)
		goto done;
	static const enum rf_col want[] = { RF_COL_T_S, RF_COL_COUNT, RF_COL_MAX, RF_COL_DROP, RF_COL_KMSG_TABLE_FULL,
					    RF_COL_WALL_S };
	enum { NN = sizeof want / sizeof *want };
	struct rf_csv csv;
	rf_csv_open(&csv, line);
	if (csv.col[RF_COL_T_S] < 0 || csv.col[RF_COL_COUNT] < 0)
		goto done;
	double start_ms;
	v->aligned = csv.col[RF_COL_WALL_S] >= 0 && metric(v, "loadgen.started_unix_ms", &start_ms);
	if (!(o = fopen(out, "w")))
		goto done;
	fprintf(o, "# t_s count max drops kmsg udp_unreplied udp_replied udp_assured tcp_established tcp_time_wait "
		   "pass\n");
	double last_drop = NAN, last_count = NAN;
	bool falling = false;
	while (getline(&line, &cap, f) > 0) {
		double x[NN], c[NCOMP];
		for (int i = 0; i < NN; i++)
			x[i] = rf_csv_get(&csv, line, want[i]);
		double t = v->aligned ? x[5] - start_ms / 1e3 : x[0];
		if (isnan(t))
			continue;
		double inc = isnan(x[3]) || isnan(last_drop) ? 0 : x[3] - last_drop;
		if (!isnan(x[3]))
			last_drop = x[3];
		/* gnuplot skips NaN (set datafile missing) */
		fprintf(o, "%.3f %.0f %.0f %.0f %.0f", t, x[1], x[2], inc, isnan(x[4]) ? 0 : x[4]);
		for (size_t i = 0; i < NCOMP; i++) {
			c[i] = rf_csv_get(&csv, line, comp_cols[i]);
			fprintf(o, " %.0f", c[i]);
			v->have_composition |= !isnan(c[i]);
			v->comp_used[i] |= !isnan(c[i]) && c[i] != 0;
		}
		/* a pass may take two samples to show: marked where the fall starts */
		bool fall = collector_pass(last_count, x[1]), pass = fall && !falling;
		falling = fall;
		fprintf(o, " %s\n", pass ? "1" : "nan");
		v->passes += pass;
		if (!isnan(x[1]))
			last_count = x[1];
		extend(v, t);
		v->have_samples = true;
	}
done:
	free(line);
	if (o)
		fclose(o);
	fclose(f);
}

/* Per-interval percentiles need this many answers in the interval to mean
 * something: p50, p99, p99.9. */
static const double pct_min_samples[3] = { 10, 100, 1000 };

/* loadgen.jsonl -> t answered/s sent/s late/s p50 p99 p99.9 (ms) timeouts/s: each
 * interval at its middle, as a rate over its true length (the last one is
 * short). The timeouts, at the time their queries were sent, go to tdat:
 * t timeouts/s. */
static void loadgen_dat(struct variant *v, const char *out, const char *tout)
{
	char in[1300];
	snprintf(in, sizeof in, "%s/" RF_LOADGEN_JSONL, v->dir);
	FILE *f = fopen(in, "r"), *o = NULL;
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	struct lg_interval_rec iv;
	while (getline(&line, &cap, f) > 0) {
		if (!lg_interval_read(line, &iv) || iv.len_s <= 0)
			continue;
		if (!o && !(o = fopen(out, "w")))
			break;
		double p[3] = { iv.p50_ms, iv.p99_ms, iv.p999_ms };
		for (int k = 0; k < 3; k++) {
			if (iv.answered < pct_min_samples[k])
				p[k] = NAN;
			v->pct_used[k] += !isnan(p[k]);
		}
		/* after the load's end only the answers still coming in: an
		 * interval of nothing there is the end, not a fix failing */
		if (v->load_s > 0 && iv.t_s - iv.len_s >= v->load_s - 1e-3 && iv.answered == 0)
			continue;
		double t = iv.t_s - iv.len_s / 2, rate = iv.answered / iv.len_s;
		fprintf(o, "%.3f %.1f %.1f %.1f %.4f %.4f %.4f %.1f\n", t, rate, iv.sent / iv.len_s, iv.late / iv.len_s,
			p[0], p[1], p[2], iv.timeouts / iv.len_s);
		extend(v, iv.t_s);
		if (rate > v->rate_max)
			v->rate_max = rate;
		if (iv.sent / iv.len_s > v->rate_max)
			v->rate_max = iv.sent / iv.len_s;
		v->have_intervals = true;
	}
	free(line);
	if (o)
		fclose(o);
	fclose(f);
	double len;
	json_t *by = json_object_get(json_object_get(v->metrics, "loadgen"), "timeouts_by_sent_interval");
	if (!json_is_array(by) || !metric(v, "loadgen.interval_s", &len) || len <= 0 || !(o = fopen(tout, "w")))
		return;
	size_t k;
	json_t *x;
	json_array_foreach(by, k, x)
		fprintf(o, "%.3f %.1f\n", ((double)k + 0.5) * len, (double)json_integer_value(x) / len);
	/* the series ends at the load's end */
	if (v->load_s > (double)json_array_size(by) * len)
		fprintf(o, "%.3f 0\n", v->load_s);
	fclose(o);
	v->have_by_sent = true;
}

/* ---- gnuplot ---- */

static void gp_escape(FILE *g, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'' || *s == '_' || *s == '^' || *s == '@' || *s == '&' || *s == '~' || *s == '{' || *s == '}')
			fputc(*s == '\'' ? '\'' : '\\', g); /* '' in single quotes; \_ for enhanced text */
		fputc(*s, g);
	}
}

static void gp_terminal(FILE *g, bool png, const char *out, const char *name, int w, int h)
{
	if (png)
		fprintf(g, "set terminal pngcairo size %d,%d enhanced font 'sans,10' background rgb 'white'\n", w, h);
	else
		fprintf(g, "set terminal svg size %d,%d dynamic enhanced font 'sans,11' background rgb 'white'\n", w, h);
	fprintf(g, "set output '%s/plots/%s.%s'\nreset\nset datafile missing 'nan'\nset grid lc rgb '#dddddd'\n", out,
		name, png ? "png" : "svg");
}

static void gp_title(FILE *g, const char *what, const char *title)
{
	fprintf(g, "set %s '", what);
	gp_escape(g, title);
	fputs("'\n", g);
}

/* The load's window, shaded behind the data; time 0 is its start. */
static void gp_window(FILE *g, double load_s)
{
	if (load_s > 0)
		fprintf(g, "set object 1 rect from 0, graph 0 to %.3f, graph 1 fc rgb '#eef3fa' fs solid 1.0 noborder behind\n",
			load_s);
}

static const char *xlabel(bool aligned)
{
	return aligned ? "seconds since the load started (shaded: the load)" : "seconds since the sampler started";
}

/* Small multiples: a panel per variant, in its colour, every panel on the
 * same axes, so no variant's line can hide another's. table: the table's
 * fill in % of its limit; else the answered queries per second. */
static void multiples(FILE *g, bool png, const char *out, const struct run *r, size_t ri, bool table)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nv; i++)
		n += table ? r->v[i].have_samples : r->v[i].have_intervals;
	if (!n)
		return;
	size_t ncol = n < 3 ? n : 3, nrow = (n + ncol - 1) / ncol;
	char name[64];
	snprintf(name, sizeof name, "r%zu-variants-%s", ri, table ? "conntrack" : "answered");
	gp_terminal(g, png, out, name, 1100, 60 + 230 * (int)nrow);
	fprintf(g, "set multiplot layout %zu,%zu title '%s' font 'sans,13'\n", nrow, ncol,
		table ? "conntrack table, % of its limit (nf\\_conntrack\\_max), every variant on the same axes"
		      : "answered queries per second, every variant on the same axes");
	fprintf(g, "set xrange [%.3f:%.3f]\n", isnan(r->t_min) ? 0 : r->t_min, isnan(r->t_max) ? 1 : r->t_max);
	/* a line at 0 stays above the axis */
	if (table)
		fprintf(g, "set yrange [-4:105]\n");
	else
		fprintf(g, "set yrange [%.1f:%.1f]\n", -0.04 * r->rate_max, r->rate_max > 0 ? 1.08 * r->rate_max : 1);
	gp_window(g, r->load_s);
	fprintf(g, "unset key\nset xlabel '%s' font 'sans,9'\nset ylabel '%s' font 'sans,9'\n", xlabel(r->aligned),
		table ? "% of the limit" : "answered/s");
	for (size_t i = 0; i < r->nv; i++) {
		const struct variant *v = &r->v[i];
		if (!(table ? v->have_samples : v->have_intervals))
			continue;
		fprintf(g, "set title '");
		gp_escape(g, v->name);
		fprintf(g, "' tc rgb '%s' font 'sans,11'\n", palette[i % NPAL]);
		if (table)
			fprintf(g, "plot '%s' using 1:(100.0*$2/$3) with lines lw 2.5 lc rgb '%s'\n", v->sdat, palette[i % NPAL]);
		else
			fprintf(g, "plot '%s' using 1:2 with linespoints lw 2.5 pt 7 ps 0.5 lc rgb '%s'\n", v->ldat,
				palette[i % NPAL]);
	}
	fprintf(g, "unset multiplot\n");
}

/* The plots of one variant, as specs: which data, the axes, and the
 * series (gnuplot's "using" and style; colour "" is the variant's own,
 * NULL gnuplot's). The gnuplot script and the HTML both walk this table. */
enum plot_data { PD_SAMPLES, PD_INTERVALS, PD_LATENCY, PD_COMPOSITION };
enum series_file { SF_MAIN, SF_BY_SENT, SF_COUNTED };

struct series {
	const char *using, *style, *colour, *title;
	enum series_file file;
};

struct plot_spec {
	const char *kind;     /* the file name's last part: r0-baseline-<kind>.svg */
	const char *title;    /* after "<variant>: " */
	enum plot_data data;
	const char *ylabel;
	const char *setup;    /* gnuplot lines before plot */
	struct series s[NCOMP];
};

static const struct plot_spec variant_plots[] = {
	{ "conntrack", "conntrack entries", PD_SAMPLES, "entries", "set yrange [0:*]",
	  { { "1:2", "lines lw 2", "", "count", SF_MAIN },
	    { "1:3", "lines dt 2 lw 1.5", "#555555", "limit (nf\\_conntrack\\_max)", SF_MAIN },
	    { "1:($4 > 0 ? $2 : 1/0)", "points pt 2 ps 1.2", "#d62728", "packets dropped in the interval", SF_MAIN },
	    { "1:($11 * $3)", "impulses lw 1.5", "#2ca02c", "collector pass (the count fell at once)", SF_MAIN } } },
	{ "queries", "queries per second", PD_INTERVALS, "queries per second", "set yrange [0:*]",
	  { { "1:3", "lines dt 3 lw 1.5", "#555555", "sent", SF_MAIN },
	    { "1:2", "linespoints lw 2 pt 7 ps 0.5", "", "answered", SF_MAIN },
	    { "1:2", "linespoints lw 2 pt 7 ps 0.5", "#d62728", "timed out (when sent)", SF_BY_SENT },
	    { "1:8", "linespoints lw 2 pt 7 ps 0.5", "#d62728", "timed out (when counted)", SF_COUNTED },
	    { "1:4", "linespoints lw 1.5 pt 7 ps 0.5", "#7f7f7f", "late (not sent)", SF_MAIN } } },
	{ "latency", "latency of answered queries (where an interval holds 10/100/1000 answers)", PD_LATENCY,
	  "latency (ms)", "set logscale y",
	  { { "1:5", "linespoints lw 2 pt 7 ps 0.5", "", "p50", SF_MAIN },
	    { "1:6", "linespoints lw 1.5 pt 7 ps 0.5", "#ff7f0e", "p99", SF_MAIN },
	    { "1:7", "linespoints lw 1 pt 7 ps 0.5", "#d62728", "p99.9", SF_MAIN } } },
	{ "composition", "table composition by state", PD_COMPOSITION, "entries", "set yrange [0:*]",
	  { { "1:6", "linespoints pt 7 ps 0.4 lw 2", NULL, "UDP unreplied", SF_MAIN },
	    { "1:7", "linespoints pt 7 ps 0.4 lw 2", NULL, "UDP replied", SF_MAIN },
	    { "1:8", "linespoints pt 7 ps 0.4 lw 2", NULL, "UDP assured", SF_MAIN },
	    { "1:9", "linespoints pt 7 ps 0.4 lw 2", NULL, "TCP established", SF_MAIN },
	    { "1:10", "linespoints pt 7 ps 0.4 lw 2", NULL, "TCP time\\_wait", SF_MAIN } } },
};
#define NPLOTS (sizeof variant_plots / sizeof *variant_plots)

static bool has_data(const struct variant *v, enum plot_data d)
{
	return d == PD_SAMPLES	   ? v->have_samples
	       : d == PD_INTERVALS ? v->have_intervals
	       : d == PD_LATENCY   ? v->pct_used[0] >= 2 /* a line, not a dot */
				   : v->have_composition;
}

/* Whether series k of plot p has data for v: the timeouts only where the
 * run recorded them by send time; a state of the composition only where
 * some sample held it (no TCP states for a UDP run). */
static bool series_used(const struct variant *v, const struct plot_spec *p, size_t k)
{
	if (p->s[k].file == SF_BY_SENT)
		return v->have_by_sent;
	if (p->s[k].file == SF_COUNTED) /* a run from before they were recorded by send time */
		return !v->have_by_sent;
	if (p->data == PD_COMPOSITION)
		return v->comp_used[k];
	if (p->data == PD_SAMPLES && k == 3)
		return v->passes > 0;
	if (p->data == PD_LATENCY)
		return v->pct_used[k] > 0;
	return true;
}

static void plot_variant(FILE *g, bool png, const char *out, const struct run *r, const struct variant *v,
			 const char *colour, size_t ri, const struct plot_spec *p)
{
	char name[160], title[200];
	snprintf(name, sizeof name, "r%zu-%s-%s", ri, v->name, p->kind);
	snprintf(title, sizeof title, "%s: %s", v->name, p->title);
	gp_terminal(g, png, out, name, 900, 400);
	fputs("set key below\n", g);
	gp_title(g, "title", title);
	bool loadgen = p->data == PD_INTERVALS || p->data == PD_LATENCY;
	fprintf(g, "set xlabel '%s'\nset ylabel '%s'\n", xlabel(loadgen || v->aligned), p->ylabel);
	fprintf(g, "set xrange [%.3f:%.3f]\n", isnan(r->t_min) ? 0 : r->t_min, isnan(r->t_max) ? 1 : r->t_max);
	gp_window(g, v->load_s);
	fprintf(g, "%s\nplot ", p->setup);
	bool first = true;
	for (size_t k = 0; k < NCOMP && p->s[k].using; k++) {
		const struct series *x = &p->s[k];
		if (!series_used(v, p, k))
			continue;
		const char *file = x->file == SF_BY_SENT ? v->tdat : loadgen ? v->ldat : v->sdat;
		fprintf(g, "%s'%s' using %s with %s", first ? "" : ", ", file, x->using, x->style);
		if (x->colour)
			fprintf(g, " lc rgb '%s'", *x->colour ? x->colour : colour);
		fprintf(g, " title '%s'", x->title);
		first = false;
	}
	if (first) /* a composition of nothing but zeros */
		fprintf(g, "'%s' using 1:2 with lines lc rgb '%s' title 'count (no entry in any state)'", v->sdat, colour);
	fputc('\n', g);
}

static void plots_for(FILE *g, bool png, const char *out, const struct run *r, size_t ri)
{
	/* every variant of the run, a panel each, first */
	multiples(g, png, out, r, ri, true);
	multiples(g, png, out, r, ri, false);
	for (size_t i = 0; i < r->nv; i++)
		for (size_t k = 0; k < NPLOTS; k++)
			if (has_data(&r->v[i], variant_plots[k].data))
				plot_variant(g, png, out, r, &r->v[i], palette[i % NPAL], ri, &variant_plots[k]);
}

/* Runs gnuplot on the script; its messages go to plots/gnuplot.log. */
static int run_gnuplot(const char *prog, const char *script, const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp(prog, prog, script, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* ---- the documents ---- */

static void html_escape(FILE *o, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", o);
		else if (*s == '>')
			fputs("&gt;", o);
		else if (*s == '&')
			fputs("&amp;", o);
		else if (*s == '"')
			fputs("&quot;", o);
		else
			fputc(*s, o);
	}
}

/* An SVG file, inline: from its <svg element on. */
static bool embed_svg(FILE *o, const char *out, const char *name)
{
	char path[1300];
	snprintf(path, sizeof path, "%s/plots/%s.svg", out, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	char *svg = n > 0 ? strstr(buf, "<svg") : NULL;
	if (svg)
		fprintf(o, "<figure>%s<figcaption><a href=\"plots/%s.png\">PNG</a> · <a href=\"plots/%s.svg\">SVG</a></figcaption></figure>\n",
			svg, name, name);
	free(buf);
	return svg != NULL;
}

static const char css[] =
	"body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}"
	"table{border-collapse:collapse;font-size:13px;margin:1em 0}"
	"th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}"
	"th{background:#f2f2f2}td.l,th.l{text-align:left;white-space:nowrap}.scroll{overflow-x:auto}"
	".pass{color:#186a1b;font-weight:bold}.fail,.error{color:#b00020;font-weight:bold}"
	".interrupted{color:#a15c00;font-weight:bold}.worse{background:#fde2e1}.better{background:#e3f4e1}"
	"figure{margin:1em 0}svg{max-width:100%;height:auto}figcaption{font-size:12px;color:#666}"
	".swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle}"
	"code{background:#f5f5f5;padding:0 3px}"
	"tr.host td{color:#555;font-size:12px}.headline{font-size:17px;background:#f6f8fb;border-left:4px solid #1f77b4;padding:.6em 1em;max-width:1100px}"
	"th[title]{text-decoration:underline dotted;cursor:help}dl.glossary dt{font-weight:bold;margin-top:.4em}"
	"dl.glossary dd{margin-left:1.5em}";

/* The verdict word and the variant's settings, for the tables. */
static void variant_words(const struct variant *v, const char **word, bool *good, char *changed, size_t len)
{
	*word = verdict_word(v, good);
	what_changed(v, changed, len);
}

static void table_md(FILE *o, struct run *runs, size_t nruns)
{
	fprintf(o, "| %svariant | verdict | what changed |", nruns > 1 ? "run | " : "");
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(o, " %s |", cols[c].head);
	fprintf(o, "\n|%s---|---|---|", nruns > 1 ? "---|" : "");
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(o, "---:|");
	fprintf(o, "\n");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			const char *word;
			bool good;
			char changed[1024];
			variant_words(v, &word, &good, changed, sizeof changed);
			if (nruns > 1)
				fprintf(o, "| %zu ", ri + 1);
			fprintf(o, "| %s | %s | ", v->name, word);
			for (const char *c = *changed ? changed : "-"; *c; c++)
				fprintf(o, "%s%c", *c == '|' ? "\\" : "", *c); /* a pipe in a cell is \| */
			fputs(" |", o);
			for (size_t c = 0; c < NCOLS; c++) {
				char b[48];
				cell(&cols[c], v->metrics, b, sizeof b);
				fprintf(o, " %s |", b);
			}
			fputc('\n', o);
			/* each load host's share (its loadgen's columns; the rest is the whole's) */
			for (size_t k = 0; k < v->nhosts; k++) {
				fprintf(o, "%s| %s / %s | | |", nruns > 1 ? "| " : "", v->name, v->host_names[k]);
				for (size_t c = 0; c < NCOLS; c++) {
					char b[48] = "";
					if (strncmp(cols[c].path, "loadgen.", 8) == 0)
						cell(&cols[c], v->hosts[k], b, sizeof b);
					fprintf(o, " %s |", b);
				}
				fputc('\n', o);
			}
		}
}

static size_t col_index(const char *path)
{
	size_t i = 0;
	while (i < NCOLS && strcmp(cols[i].path, path) != 0)
		i++;
	if (i == NCOLS)
		abort(); /* a column named here that the table lost */
	return i;
}

/* Whether column c says something in some variant of the runs: a count
 * other than 0; lookups failed where lookups were of several queries. */
static bool col_speaks(const struct col *c, struct run *runs, size_t nruns)
{
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			double x, lookups, sent;
			json_t *m = runs[ri].v[i].metrics;
			if (strcmp(c->path, "loadgen.lookups_failed") == 0) {
				if (m && ct_metric_value(m, "loadgen.lookups", &lookups) &&
				    ct_metric_value(m, "loadgen.sent", &sent) && lookups > 0 && lookups < sent)
					return true;
			} else if (m && ct_metric_value(m, c->path, &x) && x != 0) {
				return true;
			}
		}
	return false;
}

/* The text table for a terminal: the columns that matter most, and those
 * of the kernel's other refusals and of lookups where a run has them. */
static void table_text(FILE *o, struct run *runs, size_t nruns)
{
	static const char *const always[] = { "loadgen.sent",	     "loadgen.answered", "loadgen.loss_pct",
					      "canary.loss_pct",     "loadgen.latency_us.actual.p99",
					      "sampler.peak_count",  "sampler.max",	 "sampler.drop",
					      "sampler.early_drop",  "sampler.kmsg_table_full" };
	static const char *const when_used[] = { "loadgen.lookups_failed", "sampler.insert_failed",
						 "sampler.chaintoolong", "sampler.clash_resolve" };
	size_t pick[sizeof always / sizeof *always + sizeof when_used / sizeof *when_used], NP = 0;
	for (size_t k = 0; k < sizeof always / sizeof *always; k++) {
		pick[NP++] = col_index(always[k]);
		/* after the canary: the lookups; after early_drop: the other refusals */
		for (size_t u = 0; u < sizeof when_used / sizeof *when_used; u++) {
			bool here = u == 0 ? strcmp(always[k], "canary.loss_pct") == 0
					   : strcmp(always[k], "sampler.early_drop") == 0;
			size_t c = col_index(when_used[u]);
			if (here && col_speaks(&cols[c], runs, nruns))
				pick[NP++] = c;
		}
	}
	size_t w[sizeof pick / sizeof *pick + 2];
	w[0] = strlen("variant");
	w[NP + 1] = strlen("verdict");
	for (size_t k = 0; k < NP; k++)
		w[k + 1] = strlen(cols[pick[k]].head);
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			bool good;
			const char *word = verdict_word(v, &good);
			size_t nl = strlen(v->name) + (nruns > 1 ? 4 : 0);
			w[0] = nl > w[0] ? nl : w[0];
			for (size_t k = 0; k < NP; k++) {
				char b[48];
				cell(&cols[pick[k]], v->metrics, b, sizeof b);
				if (strlen(b) > w[k + 1])
					w[k + 1] = strlen(b);
			}
			if (strlen(word) > w[NP + 1])
				w[NP + 1] = strlen(word);
		}
	fprintf(o, "%-*s", (int)w[0], "variant");
	for (size_t k = 0; k < NP; k++)
		fprintf(o, "  %*s", (int)w[k + 1], cols[pick[k]].head);
	fprintf(o, "  %s\n", "verdict");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			char name[96];
			bool good;
			if (nruns > 1)
				snprintf(name, sizeof name, "#%zu %s", ri + 1, v->name);
			else
				snprintf(name, sizeof name, "%s", v->name);
			fprintf(o, "%-*s", (int)w[0], name);
			for (size_t k = 0; k < NP; k++) {
				char b[48];
				cell(&cols[pick[k]], v->metrics, b, sizeof b);
				fprintf(o, "  %*s", (int)w[k + 1], b);
			}
			fprintf(o, "  %s\n", verdict_word(v, &good));
		}
	fputc('\n', o);
	headline(o, &runs[nruns - 1]);
	fputc('\n', o);
}

/* Before/after: the same variant in the first and the last run. */
struct change {
	const char *variant, *metric;
	double before, after;
	int flag; /* +1 regression, -1 improvement, 0 neither */
};

/* Changes of tolerance (a fraction) and more, and more than a rounding's
 * worth, of the last run against the first. */
static size_t changes(struct run *runs, size_t nruns, double tolerance, struct change *out, size_t cap)
{
	size_t n = 0;
	if (nruns < 2)
		return 0;
	struct run *a = &runs[0], *b = &runs[nruns - 1];
	for (size_t i = 0; i < b->nv; i++)
		for (size_t k = 0; k < a->nv; k++) {
			if (strcmp(a->v[k].name, b->v[i].name) != 0)
				continue;
			for (size_t c = 0; c < NCOLS && n < cap; c++) {
				double x, y;
				if (!ct_metric_value(a->v[k].metrics, cols[c].path, &x) ||
				    !ct_metric_value(b->v[i].metrics, cols[c].path, &y))
					continue;
				double d = y - x, rel = fabs(d) / (fabs(x) > 1e-9 ? fabs(x) : 1);
				/* latency below a millisecond moves by half from run to run on
				 * the same host: not a change worth naming */
				if (rel < tolerance || rel == 0 || fabs(d * cols[c].scale) < pow(10, -cols[c].decimals) ||
				    fabs(d * cols[c].scale) <= cols[c].noise)
					continue;
				out[n++] = (struct change){ b->v[i].name, cols[c].head, x * cols[c].scale, y * cols[c].scale,
							    cols[c].worse * (d > 0 ? 1 : -1) };
			}
		}
	return n;
}

/* Where each run comes from: kernel, host, ctstorm, when, status. */
static void run_line(FILE *o, const struct run *r, bool html)
{
	json_t *m = r->manifest;
	const char *host = json_string_value(json_object_get(m, "hostname"));
	const char *ver = json_string_value(json_object_get(json_object_get(m, "tools"), "ctstorm"));
	const char *status = json_string_value(json_object_get(m, "status"));
	if (html) {
		fputs("<code>", o);
		html_escape(o, r->dir);
		fputs("</code>", o);
	} else
		fprintf(o, "`%s`", r->dir);
	fprintf(o, ": kernel %s on %s, ctstorm %s, started %s, ",
		json_string_value(json_object_get(json_object_get(m, "kernel"), "release")), host ? host : "(host not recorded)",
		ver ? ver : "?", json_string_value(json_object_get(m, "started")));
	json_t *hosts = json_object_get(m, "hosts");
	static const char *const roles[] = { "router", "server" };
	for (size_t i = 0; i < 2; i++) {
		json_t *h = json_object_get(hosts, roles[i]);
		if (h)
			fprintf(o, "%s on %s (%s, kernel %s), ", roles[i], json_string_value(json_object_get(h, "url")),
				json_string_value(json_object_get(h, "hostname")), json_string_value(json_object_get(h, "kernel")));
	}
	const char *own = json_string_value(json_object_get(hosts, "server_address"));
	if (own)
		fprintf(o, "server at %s (the DNS server running there), ", own);
	json_t *tested = json_object_get(hosts, "router") ? json_object_get(hosts, "router") : json_object_get(hosts, "server");
	const char *control = json_string_value(json_object_get(tested, "control"));
	if (control)
		fprintf(o, "control connection: %s; ", control);
	size_t k;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(m, "hosts"), "clients"), k, x)
		fprintf(o, "%s %s on %s (weight %lld, clock %+.1f ms), ", k ? "" : "load from",
			json_string_value(json_object_get(x, "role")), json_string_value(json_object_get(x, "url")),
			(long long)json_integer_value(json_object_get(x, "weight")),
			json_number_value(json_object_get(x, "clock_offset_ms")));
	if (html)
		fprintf(o, "status <span class=\"%s\">%s</span>", status, status);
	else
		fprintf(o, "status %s", status);
	fputs(json_is_true(json_object_get(m, "quick")) ? " (--quick)" : "", o);
}

/* The headline as text, for either document. */
static char *headline_text(const struct run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	headline(f, r);
	fclose(f);
	return buf;
}

/* The title, the answer and where each run comes from. */
static void html_head(FILE *o, struct run *runs, size_t nruns)
{
	struct run *last = &runs[nruns - 1];
	json_t *sc = json_object_get(last->manifest, "scenario");
	const char *name = json_string_value(json_object_get(sc, "name"));
	fprintf(o, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctstorm report: ");
	html_escape(o, name);
	fprintf(o, "</title><style>%s</style></head><body>\n<h1>ctstorm: ", css);
	html_escape(o, name);
	fprintf(o, "</h1>\n<p class=\"headline\" id=\"headline\">");
	char *h = headline_text(last);
	html_escape(o, h);
	free(h);
	fprintf(o, "</p>\n<p>");
	html_escape(o, json_string_value(json_object_get(sc, "description")));
	fprintf(o, "</p>\n<ul class=\"runs\">\n");
	for (size_t ri = 0; ri < nruns; ri++) {
		fprintf(o, "<li>%s", nruns > 1 ? (ri == 0 ? "Before: " : ri == nruns - 1 ? "After: " : "Run: ") : "Run: ");
		run_line(o, &runs[ri], true);
		fprintf(o, "</li>\n");
	}
	fprintf(o, "</ul>\n");
}

static void html_th(FILE *o, const char *head, const char *help, bool left)
{
	fprintf(o, "<th%s title=\"", left ? " class=\"l\"" : "");
	html_escape(o, help);
	fprintf(o, "\">");
	html_escape(o, head);
	fprintf(o, "</th>");
}

/* The comparison table. */
static void html_variants(FILE *o, struct run *runs, size_t nruns)
{
	fprintf(o, "<h2>Variants</h2>\n<div class=\"scroll\"><table><tr>%s<th class=\"l\">variant</th>", nruns > 1 ? "<th>run</th>" : "");
	html_th(o, glossary_extra[0][0], glossary_extra[0][1], true);
	html_th(o, glossary_extra[1][0], glossary_extra[1][1], true);
	for (size_t c = 0; c < NCOLS; c++)
		html_th(o, cols[c].head, cols[c].help, false);
	fprintf(o, "</tr>\n");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			const char *word;
			bool good;
			char changed[1024];
			variant_words(v, &word, &good, changed, sizeof changed);
			fprintf(o, "<tr>");
			if (nruns > 1)
				fprintf(o, "<td>%zu</td>", ri + 1);
			fprintf(o, "<td class=\"l\"><span class=\"swatch\" style=\"background:%s\"></span>", palette[i % NPAL]);
			html_escape(o, v->name);
			fprintf(o, "</td><td class=\"l %s\" title=\"expectations: %s\">%s</td>",
				strcmp(word, "not judged") == 0 || strcmp(word, "interrupted") == 0 ? "interrupted"
				: good ? "pass" : "fail", v->status, word);
			fprintf(o, "<td class=\"l\"><code>");
			html_escape(o, *changed ? changed : "-");
			fprintf(o, "</code></td>");
			for (size_t c = 0; c < NCOLS; c++) {
				char b[48];
				cell(&cols[c], v->metrics, b, sizeof b);
				fprintf(o, "<td>%s</td>", b);
			}
			fprintf(o, "</tr>\n");
			for (size_t k = 0; k < v->nhosts; k++) {
				fprintf(o, "<tr class=\"host\">%s<td class=\"l\">&nbsp;&nbsp;", nruns > 1 ? "<td></td>" : "");
				html_escape(o, v->host_names[k]);
				fprintf(o, "</td><td></td><td class=\"l\">its share of the load</td>");
				for (size_t c = 0; c < NCOLS; c++) {
					char b[48] = "";
					if (strncmp(cols[c].path, "loadgen.", 8) == 0)
						cell(&cols[c], v->hosts[k], b, sizeof b);
					fprintf(o, "<td>%s</td>", b);
				}
				fprintf(o, "</tr>\n");
			}
		}
	fprintf(o, "</table></div>\n");
}

static void html_changes(FILE *o, size_t nruns, const struct change *ch, size_t nch)
{
	if (nruns > 1) {
		fprintf(o, "<h2>Changes, first run to last (10%% or more)</h2>\n");
		if (!nch)
			fprintf(o, "<p>None.</p>\n");
		else {
			fprintf(o, "<table><tr><th class=\"l\">variant</th><th class=\"l\">metric</th><th>before</th><th>after</th>"
				   "<th class=\"l\">flag</th></tr>\n");
			for (size_t i = 0; i < nch; i++) {
				const char *flag = ch[i].flag > 0 ? "worse" : ch[i].flag < 0 ? "better" : "";
				fprintf(o, "<tr class=\"%s\"><td class=\"l\">", flag);
				html_escape(o, ch[i].variant);
				fprintf(o, "</td><td class=\"l\">%s</td><td>%g</td><td>%g</td><td class=\"l\">%s</td></tr>\n",
					ch[i].metric, ch[i].before, ch[i].after,
					ch[i].flag > 0 ? "regression" : ch[i].flag < 0 ? "improvement" : "changed");
			}
			fprintf(o, "</table>\n");
		}
	}
}

/* The responder's queries by listener, where it answered on several
 * addresses (the lab's DNAT backends): which backend the flows reached.
 * A table in either document; nothing when no variant had two. */
static void backends_table(FILE *o, bool html, struct run *runs, size_t nruns)
{
	json_t *heads = NULL;
	for (size_t ri = 0; ri < nruns && !heads; ri++)
		for (size_t i = 0; i < runs[ri].nv && !heads; i++) {
			json_t *l = json_object_get(json_object_get(runs[ri].v[i].metrics, "responder"), "listeners");
			if (json_array_size(l) >= 2)
				heads = l;
		}
	if (!heads)
		return;
	static const char *const about = "What each address of the responder received (its listeners in responder.json): "
					 "the backends the router's DNAT sent the flows to, UDP and TCP.";
	size_t k;
	json_t *h;
	if (html) {
		fprintf(o, "<h2>Queries by backend</h2>\n<p>%s</p>\n<table><tr>%s<th class=\"l\">variant</th>", about,
			nruns > 1 ? "<th>run</th>" : "");
		json_array_foreach(heads, k, h) {
			fputs("<th>", o);
			html_escape(o, json_string_value(json_object_get(h, "listen")));
			fputs("</th>", o);
		}
		fputs("</tr>\n", o);
	} else {
		fprintf(o, "\n## Queries by backend\n\n%s\n\n| %svariant |", about, nruns > 1 ? "run | " : "");
		json_array_foreach(heads, k, h)
			fprintf(o, " %s |", json_string_value(json_object_get(h, "listen")));
		fprintf(o, "\n|%s---|", nruns > 1 ? "---|" : "");
		for (k = 0; k < json_array_size(heads); k++)
			fputs("---:|", o);
		fputc('\n', o);
	}
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			json_t *l = json_object_get(json_object_get(runs[ri].v[i].metrics, "responder"), "listeners");
			if (html) {
				fputs("<tr>", o);
				if (nruns > 1)
					fprintf(o, "<td>%zu</td>", ri + 1);
				fputs("<td class=\"l\">", o);
				html_escape(o, runs[ri].v[i].name);
				fputs("</td>", o);
			} else {
				if (nruns > 1)
					fprintf(o, "| %zu ", ri + 1);
				fprintf(o, "| %s |", runs[ri].v[i].name);
			}
			json_array_foreach(heads, k, h) {
				/* by address, not by position: a variant may have fewer */
				const char *want = json_string_value(json_object_get(h, "listen"));
				char cellv[32] = "-";
				size_t j;
				json_t *x;
				json_array_foreach(l, j, x)
					if (want && json_is_string(json_object_get(x, "listen")) &&
					    strcmp(want, json_string_value(json_object_get(x, "listen"))) == 0)
						snprintf(cellv, sizeof cellv, "%" JSON_INTEGER_FORMAT,
							 json_integer_value(json_object_get(x, "udp")) +
								 json_integer_value(json_object_get(x, "tcp")));
				fprintf(o, html ? "<td>%s</td>" : " %s |", cellv);
			}
			fputs(html ? "</tr>\n" : "\n", o);
		}
	if (html)
		fputs("</table>\n", o);
}

static const char *expect_result(json_t *x)
{
	json_t *pass = json_object_get(x, "pass");
	return json_is_true(pass) ? "pass" : json_is_false(pass) ? "fail" : "not judged";
}

static void html_expectations(FILE *o, struct run *runs, size_t nruns)
{
	fprintf(o, "<h2>Expectations</h2>\n<table><tr>%s<th class=\"l\">variant</th><th class=\"l\">expectation</th>"
		   "<th>measured</th><th class=\"l\">result</th></tr>\n",
		nruns > 1 ? "<th>run</th>" : "");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			size_t k;
			json_t *x;
			json_array_foreach(json_object_get(runs[ri].v[i].verdict, "expectations"), k, x) {
				json_t *mv = json_object_get(x, "measured");
				const char *res = expect_result(x);
				fprintf(o, "<tr>");
				if (nruns > 1)
					fprintf(o, "<td>%zu</td>", ri + 1);
				fprintf(o, "<td class=\"l\">");
				html_escape(o, runs[ri].v[i].name);
				fprintf(o, "</td><td class=\"l\"><code>");
				html_escape(o, json_string_value(json_object_get(x, "expect")));
				if (json_is_number(mv))
					fprintf(o, "</code></td><td>%g</td>", json_number_value(mv));
				else
					fprintf(o, "</code></td><td>-</td>");
				fprintf(o, "<td class=\"l %s\">%s</td></tr>\n", strcmp(res, "pass") == 0 ? "pass" : "fail", res);
			}
		}
	fprintf(o, "</table>\n");
}

static void html_plots(FILE *o, const char *out, struct run *runs, size_t nruns, bool plots)
{
	fprintf(o, "<h2>Plots</h2>\n");
	if (!plots)
		fprintf(o, "<p>No plots: gnuplot could not be run (see plots/gnuplot.log).</p>\n");
	for (size_t ri = 0; plots && ri < nruns; ri++) {
		char nm[64];
		if (nruns > 1) {
			fprintf(o, "<h3>Run %zu: ", ri + 1);
			html_escape(o, runs[ri].dir);
			fprintf(o, "</h3>\n");
		}
		if (!runs[ri].aligned)
			fprintf(o, "<p>This run's sampler rows are not on the load's clock (a run from before ctstorm "
				   "recorded the load's start): its table plots count from the sampler's start.</p>\n");
		snprintf(nm, sizeof nm, "r%zu-variants-conntrack", ri);
		embed_svg(o, out, nm);
		snprintf(nm, sizeof nm, "r%zu-variants-answered", ri);
		embed_svg(o, out, nm);
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			fprintf(o, "<h3>");
			html_escape(o, v->name);
			fprintf(o, ": ");
			html_escape(o, json_string_value(json_object_get(v->verdict, "description")));
			fprintf(o, "</h3>\n");
			for (size_t k = 0; k < NPLOTS; k++) {
				char plot[160];
				snprintf(plot, sizeof plot, "r%zu-%s-%s", ri, v->name, variant_plots[k].kind);
				if (!embed_svg(o, out, plot) && variant_plots[k].data == PD_LATENCY && v->have_intervals)
					fprintf(o, "<p class=\"note\">No latency over time: fewer than two intervals held %.0f "
						   "answers, too few for a percentile (the whole run's are in the table).</p>\n",
						pct_min_samples[0]);
			}
		}
	}
}

static void html_glossary(FILE *o)
{
	fprintf(o, "<h2>Glossary</h2>\n<dl class=\"glossary\" id=\"glossary\">\n");
	for (size_t i = 0; i < sizeof glossary_extra / sizeof *glossary_extra; i++) {
		fprintf(o, "<dt>%s</dt><dd>", glossary_extra[i][0]);
		html_escape(o, glossary_extra[i][1]);
		fprintf(o, "</dd>\n");
	}
	for (size_t c = 0; c < NCOLS; c++) {
		fprintf(o, "<dt>%s</dt><dd>", cols[c].head);
		html_escape(o, cols[c].help);
		fprintf(o, " (<code>%s</code>)</dd>\n", cols[c].path);
	}
	fprintf(o, "</dl>\n");
}

static void write_html(FILE *o, const char *out, struct run *runs, size_t nruns, struct change *ch, size_t nch,
		       bool plots)
{
	html_head(o, runs, nruns);
	html_variants(o, runs, nruns);
	html_changes(o, nruns, ch, nch);
	html_expectations(o, runs, nruns);
	backends_table(o, true, runs, nruns);
	html_plots(o, out, runs, nruns, plots);
	html_glossary(o);
	fprintf(o, "<p><small>Made by ctstorm %s. Every file behind it is in the results folder.</small></p>\n</body></html>\n",
		CT_VERSION);
}

static void md_expectations(FILE *m, struct run *runs, size_t nruns)
{
	fprintf(m, "\n## Expectations\n\n");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			size_t k;
			json_t *x;
			json_array_foreach(json_object_get(runs[ri].v[i].verdict, "expectations"), k, x) {
				json_t *mv = json_object_get(x, "measured");
				char measured[32] = "-";
				if (json_is_number(mv))
					snprintf(measured, sizeof measured, "%g", json_number_value(mv));
				fprintf(m, "- %s%s, `%s`: measured %s, %s\n", nruns > 1 ? (ri == 0 ? "before, " : "after, ") : "",
					runs[ri].v[i].name, json_string_value(json_object_get(x, "expect")), measured,
					expect_result(x));
			}
		}
}

static void md_glossary(FILE *m)
{
	fprintf(m, "\n## Glossary\n\n");
	for (size_t i = 0; i < sizeof glossary_extra / sizeof *glossary_extra; i++)
		fprintf(m, "- **%s**: %s\n", glossary_extra[i][0], glossary_extra[i][1]);
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(m, "- **%s**: %s (`%s`)\n", cols[c].head, cols[c].help, cols[c].path);
}

static void write_md(FILE *m, struct run *runs, size_t nruns, const struct change *ch, size_t nch, bool have_plots)
{
	json_t *sc = json_object_get(runs[nruns - 1].manifest, "scenario");
	char *h = headline_text(&runs[nruns - 1]);
	fprintf(m, "# ctstorm: %s\n\n**%s**\n\n%s\n\n", json_string_value(json_object_get(sc, "name")), h,
		json_string_value(json_object_get(sc, "description")));
	free(h);
	for (size_t ri = 0; ri < nruns; ri++) {
		fprintf(m, "- run %zu: ", ri + 1);
		run_line(m, &runs[ri], false);
		fputc('\n', m);
	}
	fprintf(m, "\n");
	table_md(m, runs, nruns);
	if (nruns > 1) {
		fprintf(m, "\n## Changes, first run to last (10%% or more)\n\n");
		if (!nch)
			fprintf(m, "None.\n");
		for (size_t i = 0; i < nch; i++)
			fprintf(m, "- %s, %s: %g -> %g%s\n", ch[i].variant, ch[i].metric, ch[i].before, ch[i].after,
				ch[i].flag > 0 ? " **regression**" : ch[i].flag < 0 ? " (improvement)" : "");
	}
	md_expectations(m, runs, nruns);
	backends_table(m, false, runs, nruns);
	fprintf(m, "\n## Plots\n\n%s", have_plots ? "" : "No plots: gnuplot could not be run (plots/gnuplot.log).\n");
	for (size_t ri = 0; have_plots && ri < nruns; ri++) {
		fprintf(m, "![the table, every variant](plots/r%zu-variants-conntrack.svg)\n", ri);
		fprintf(m, "![answered, every variant](plots/r%zu-variants-answered.svg)\n", ri);
		for (size_t i = 0; i < runs[ri].nv; i++)
			fprintf(m, "![%s](plots/r%zu-%s-queries.svg)\n", runs[ri].v[i].name, ri, runs[ri].v[i].name);
	}
	md_glossary(m);
}

/* A run's shared axes: every variant's time span and rate on one scale. */
static void run_axes(struct run *r)
{
	r->t_min = r->t_max = NAN;
	r->rate_max = r->load_s = 0;
	r->aligned = true;
	for (size_t i = 0; i < r->nv; i++) {
		const struct variant *v = &r->v[i];
		if (!isnan(v->t_min) && (isnan(r->t_min) || v->t_min < r->t_min))
			r->t_min = v->t_min;
		if (!isnan(v->t_max) && (isnan(r->t_max) || v->t_max > r->t_max))
			r->t_max = v->t_max;
		r->rate_max = v->rate_max > r->rate_max ? v->rate_max : r->rate_max;
		r->load_s = v->load_s > r->load_s ? v->load_s : r->load_s;
		r->aligned &= !v->have_samples || v->aligned;
	}
}

/* The data files, the gnuplot script and its SVG and PNG plots in
 * OUT/plots. Returns -1 with err when the folder cannot be written; *ok
 * says whether gnuplot made the plots. */
static int make_plots(const struct ct_report_opts *o, struct run *runs, bool *ok, char *err, size_t errlen)
{
	char plots[1100], script[1200], log[1200];
	snprintf(plots, sizeof plots, "%s/plots", o->out);
	if (mkdir(o->out, 0755) < 0 && errno != EEXIST)
		return ct_err(err, errlen, "%s: %s", o->out, strerror(errno));
	if (mkdir(plots, 0755) < 0 && errno != EEXIST)
		return ct_err(err, errlen, "%s: %s", plots, strerror(errno));
	for (size_t ri = 0; ri < o->nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			snprintf(v->sdat, sizeof v->sdat, "%s/r%zu-%s-sampler.dat", plots, ri, v->name);
			snprintf(v->ldat, sizeof v->ldat, "%s/r%zu-%s-loadgen.dat", plots, ri, v->name);
			snprintf(v->tdat, sizeof v->tdat, "%s/r%zu-%s-timeouts.dat", plots, ri, v->name);
			sampler_dat(v, v->sdat);
			loadgen_dat(v, v->ldat, v->tdat);
		}
	for (size_t ri = 0; ri < o->nruns; ri++)
		run_axes(&runs[ri]);
	snprintf(script, sizeof script, "%s/plots.gp", plots);
	snprintf(log, sizeof log, "%s/gnuplot.log", plots);
	FILE *g = fopen(script, "w");
	if (!g)
		return ct_err(err, errlen, "%s: %s", script, strerror(errno));
	for (int png = 0; png <= 1; png++)
		for (size_t ri = 0; ri < o->nruns; ri++)
			plots_for(g, png, o->out, &runs[ri], ri);
	fclose(g);
	*ok = run_gnuplot(o->gnuplot ? o->gnuplot : "gnuplot", script, log) == 0;
	return 0;
}

int ct_report(const struct ct_report_opts *o, char *err, size_t errlen)
{
	struct run *runs = calloc(o->nruns, sizeof *runs);
	if (!runs)
		abort();
	int rc = -1;
	char *html = NULL, *md = NULL, path[1200];
	size_t html_len = 0, md_len = 0;
	bool have_plots = false;
	for (size_t i = 0; i < o->nruns; i++)
		if (load_run(&runs[i], o->runs[i], err, errlen) < 0)
			goto out;
	if (make_plots(o, runs, &have_plots, err, errlen) < 0)
		goto out;
	struct change ch[256];
	size_t nch = changes(runs, o->nruns, REPORT_CHANGE, ch, 256);
	FILE *h = open_memstream(&html, &html_len), *m = open_memstream(&md, &md_len);
	if (!h || !m) {
		if (h)
			fclose(h);
		if (m)
			fclose(m);
		ct_err(err, errlen, "out of memory");
		goto out;
	}
	write_html(h, o->out, runs, o->nruns, ch, nch, have_plots);
	fclose(h);
	write_md(m, runs, o->nruns, ch, nch, have_plots);
	fclose(m);
	snprintf(path, sizeof path, "%s/report.html", o->out);
	if (ct_write_atomic(path, html, html_len, err, errlen) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/report.md", o->out);
	if (ct_write_atomic(path, md, md_len, err, errlen) < 0)
		goto out;
	if (o->table_out)
		table_text(o->table_out, runs, o->nruns);
	rc = 0;
out:
	free(html);
	free(md);
	for (size_t i = 0; i < o->nruns; i++)
		free_run(&runs[i]);
	free(runs);
	return rc;
}

int ct_report_regressions(const char *baseline, const char *run, double tolerance, FILE *out, char *err,
			  size_t errlen)
{
	struct run runs[2] = { 0 };
	if (load_run(&runs[0], baseline, err, errlen) < 0)
		return -1;
	if (load_run(&runs[1], run, err, errlen) < 0) {
		free_run(&runs[0]);
		return -1;
	}
	struct change ch[256];
	size_t nch = changes(runs, 2, tolerance, ch, 256);
	int n = 0;
	for (size_t i = 0; i < nch; i++) {
		if (ch[i].flag <= 0)
			continue;
		if (out)
			fprintf(out, "  %s: %s %g -> %g (%+.0f%%, beyond %.0f%%)\n", ch[i].variant, ch[i].metric, ch[i].before,
				ch[i].after, ch[i].before != 0 ? 100 * (ch[i].after - ch[i].before) / fabs(ch[i].before) : 100.0,
				tolerance * 100);
		n++;
	}
	free_run(&runs[0]);
	free_run(&runs[1]);
	return n;
}
