#include "ct_report.h"

#include "atomicfile.h"
#include "ct_err.h"
#include "lg_jsonl.h"
#include "metrics.h"
#include "sample.h"

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
	char sdat[1400], ldat[1400];
	bool have_samples, have_intervals, have_composition;
};

struct run {
	char dir[1024];
	char label[160];
	json_t *manifest;
	struct variant *v;
	size_t nv;
};

/* ---- metrics ---- */

/* A change the report names between two runs: 10% and more. */
#define REPORT_CHANGE 0.10

struct col {
	const char *head;
	const char *path;   /* into the metrics; "derived.*" computed here */
	int decimals;
	double scale;
	int worse;          /* +1: higher is worse; -1: lower is worse; 0: neither */
	double noise;       /* a change this small (in the column's unit) is no change */
};

static const struct col cols[] = {
	{ "sent", "loadgen.sent", 0, 1, 0 },
	{ "answered", "loadgen.answered", 0, 1, -1 },
	{ "timeouts %", "derived.timeouts_pct", 1, 1, +1 },
	{ "canary loss %", "canary.loss_pct", 1, 1, +1 },
	{ "p50 ms", "loadgen.latency_us.actual.p50", 2, 1e-3, +1, 1.0 },
	{ "p99 ms", "loadgen.latency_us.actual.p99", 2, 1e-3, +1, 1.0 },
	{ "p99.9 ms", "loadgen.latency_us.actual.p999", 2, 1e-3, +1, 1.0 },
	{ "max ms", "loadgen.latency_us.actual.max", 2, 1e-3, +1, 1.0 },
	{ "peak count", "sampler.peak_count", 0, 1, 0 },
	{ "limit", "sampler.max", 0, 1, 0 },
	{ "first drop s", "sampler.first_drop_s", 2, 1, 0 },
	{ "drop", "sampler.drop", 0, 1, +1 },
	{ "early_drop", "sampler.early_drop", 0, 1, +1 },
	{ "insert_failed", "sampler.insert_failed", 0, 1, +1 },
	{ "clash_resolve", "sampler.clash_resolve", 0, 1, 0 },
	{ "kmsg lines", "sampler.kmsg_table_full", 0, 1, +1 },
	{ "suppressed", "sampler.kmsg_suppressed", 0, 1, +1 },
	{ "new flows/s", "loadgen.new_flows_per_s", 0, 1, 0 },
};
#define NCOLS (sizeof cols / sizeof *cols)

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

/* ---- loading ---- */

static void load_variant(struct variant *v, const char *run_dir, json_t *entry)
{
	snprintf(v->name, sizeof v->name, "%s", json_string_value(json_object_get(entry, "name")));
	snprintf(v->status, sizeof v->status, "%s", json_string_value(json_object_get(entry, "status")));
	snprintf(v->dir, sizeof v->dir, "%s/%s", run_dir, json_string_value(json_object_get(entry, "dir")));
	char path[1300];
	snprintf(path, sizeof path, "%s/verdict.json", v->dir);
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
	double sent, timeouts;
	if (ct_metric_value(v->metrics, "loadgen.sent", &sent) &&
	    ct_metric_value(v->metrics, "loadgen.timeouts", &timeouts))
		json_object_set_new(v->metrics, "derived",
				    json_pack("{s:f}", "timeouts_pct", sent > 0 ? 100.0 * timeouts / sent : 0.0));
}

static int load_run(struct run *r, const char *dir, char *err, size_t errlen)
{
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	char path[1100];
	snprintf(path, sizeof path, "%s/manifest.json", dir);
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
	for (size_t i = 0; i < r->nv; i++)
		json_decref(r->v[i].verdict);
	free(r->v);
	json_decref(r->manifest);
}

/* ---- data for gnuplot ---- */

/* sampler.csv -> t count max drops_in_interval kmsg unreplied replied assured established time_wait */
static void sampler_dat(struct variant *v, const char *out)
{
	char in[1300];
	snprintf(in, sizeof in, "%s/sampler.csv", v->dir);
	FILE *f = fopen(in, "r"), *o = NULL;
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	if (getline(&line, &cap, f) <= 0)
		goto done;
	static const char *const names[] = { "t_s",          "count",       "max",         "drop",
					     "kmsg_table_full", "udp_unreplied", "udp_replied", "udp_assured",
					     "tcp_established", "tcp_time_wait" };
	int idx[10];
	for (int i = 0; i < 10; i++)
		idx[i] = ct_csv_column(line, names[i]);
	if (idx[0] < 0 || idx[1] < 0)
		goto done;
	if (!(o = fopen(out, "w")))
		goto done;
	fprintf(o, "# t_s count max drops kmsg udp_unreplied udp_replied udp_assured tcp_established tcp_time_wait\n");
	double last_drop = NAN;
	while (getline(&line, &cap, f) > 0) {
		double x[10];
		for (int i = 0; i < 10; i++)
			x[i] = ct_csv_value(line, idx[i]);
		double inc = isnan(x[3]) || isnan(last_drop) ? 0 : x[3] - last_drop;
		if (!isnan(x[3]))
			last_drop = x[3];
		/* gnuplot skips NaN (set datafile missing) */
		fprintf(o, "%.6f %.0f %.0f %.0f %.0f", x[0], x[1], x[2], inc, isnan(x[4]) ? 0 : x[4]);
		for (int i = 5; i < 10; i++) {
			fprintf(o, " %.0f", x[i]);
			v->have_composition |= !isnan(x[i]);
		}
		fputc('\n', o);
		v->have_samples = true;
	}
done:
	free(line);
	if (o)
		fclose(o);
	fclose(f);
}

/* loadgen.jsonl -> t answered/s timeouts/s late/s p50 p99 p99.9 (ms) */
static void loadgen_dat(struct variant *v, const char *out)
{
	char in[1300];
	snprintf(in, sizeof in, "%s/loadgen.jsonl", v->dir);
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
		fprintf(o, "%.3f %.1f %.1f %.1f %.4f %.4f %.4f\n", iv.t_s, iv.answered / iv.len_s, iv.timeouts / iv.len_s,
			iv.late / iv.len_s, iv.p50_ms, iv.p99_ms, iv.p999_ms);
		v->have_intervals = true;
	}
	free(line);
	if (o)
		fclose(o);
	fclose(f);
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

static void gp_begin(FILE *g, bool png, const char *out, const char *name, const char *title, const char *xl,
		     const char *yl)
{
	if (png)
		fprintf(g, "set terminal pngcairo size 900,380 enhanced font 'sans,10' background rgb 'white'\n");
	else
		fprintf(g, "set terminal svg size 900,380 dynamic enhanced font 'sans,11' background rgb 'white'\n");
	fprintf(g, "set output '%s/plots/%s.%s'\nreset\nset datafile missing 'nan'\nset grid lc rgb '#dddddd'\n"
		   "set key outside right top\nset title '",
		out, name, png ? "png" : "svg");
	gp_escape(g, title);
	fprintf(g, "'\nset xlabel '%s'\nset ylabel '%s'\n", xl, yl);
}

/* Every variant of a run on one plot, each in its colour: the table's
 * fill (sampler) or the answered queries (loadgen). */
static void overlay(FILE *g, bool png, const char *out, const struct run *r, size_t ri, bool table)
{
	bool any = false;
	for (size_t i = 0; i < r->nv; i++)
		any |= table ? r->v[i].have_samples : r->v[i].have_intervals;
	if (!any)
		return;
	char name[64];
	snprintf(name, sizeof name, "r%zu-overlay-%s", ri, table ? "conntrack" : "answered");
	if (table)
		gp_begin(g, png, out, name, "conntrack table, % of its limit, every variant",
			 "time since the sampler started (s)", "% of nf\\_conntrack\\_max");
	else
		gp_begin(g, png, out, name, "answered queries per second, every variant", "time since the load started (s)",
			 "queries per second");
	fprintf(g, "%s\nplot ", table ? "set yrange [0:105]" : "set yrange [0:*]");
	bool first = true;
	for (size_t i = 0; i < r->nv; i++) {
		if (!(table ? r->v[i].have_samples : r->v[i].have_intervals))
			continue;
		fprintf(g, "%s'%s' using %s lc rgb '%s' title '", first ? "" : ", ", table ? r->v[i].sdat : r->v[i].ldat,
			table ? "1:(100.0*$2/$3) with lines lw 2" : "1:2 with linespoints lw 2 pt 7 ps 0.5", palette[i % NPAL]);
		gp_escape(g, r->v[i].name);
		fputc('\'', g);
		first = false;
	}
	fputc('\n', g);
}

/* The plots of one variant, as specs: which data, the axes, and the
 * series (gnuplot's "using" and style; colour "" is the variant's own,
 * NULL gnuplot's). The gnuplot script and the HTML both walk this table. */
enum plot_data { PD_SAMPLES, PD_INTERVALS, PD_COMPOSITION };

struct series {
	const char *using, *style, *colour, *title;
};

struct plot_spec {
	const char *kind;     /* the file name's last part: r0-baseline-<kind>.svg */
	const char *title;    /* after "<variant>: " */
	enum plot_data data;
	const char *ylabel;
	const char *setup;    /* gnuplot lines before plot */
	struct series s[5];
};

static const struct plot_spec variant_plots[] = {
	{ "conntrack", "conntrack entries", PD_SAMPLES, "entries", "set yrange [0:*]",
	  { { "1:2", "lines lw 2", "", "count" },
	    { "1:3", "lines dt 2 lw 1.5", "#555555", "limit (nf\\_conntrack\\_max)" },
	    { "1:($4 > 0 ? $2 : 1/0)", "points pt 2 ps 1.2", "#d62728", "packets dropped in the interval" } } },
	{ "queries", "queries per second", PD_INTERVALS, "queries per second", "set yrange [0:*]",
	  { { "1:2", "linespoints lw 2 pt 7 ps 0.5", "", "answered" },
	    { "1:3", "linespoints lw 2 pt 7 ps 0.5", "#d62728", "timed out" },
	    { "1:4", "linespoints lw 1.5 pt 7 ps 0.5", "#7f7f7f", "late (not sent)" } } },
	{ "latency", "latency of answered queries", PD_INTERVALS, "latency (ms)", "set logscale y",
	  { { "1:5", "linespoints lw 2 pt 7 ps 0.5", "", "p50" },
	    { "1:6", "linespoints lw 1.5 pt 7 ps 0.5", "#ff7f0e", "p99" },
	    { "1:7", "linespoints lw 1 pt 7 ps 0.5", "#d62728", "p99.9" } } },
	{ "composition", "table composition by state", PD_COMPOSITION, "entries", "set yrange [0:*]",
	  { { "1:6", "linespoints pt 7 ps 0.4 lw 2", NULL, "UDP unreplied" },
	    { "1:7", "linespoints pt 7 ps 0.4 lw 2", NULL, "UDP replied" },
	    { "1:8", "linespoints pt 7 ps 0.4 lw 2", NULL, "UDP assured" },
	    { "1:9", "linespoints pt 7 ps 0.4 lw 2", NULL, "TCP established" },
	    { "1:10", "linespoints pt 7 ps 0.4 lw 2", NULL, "TCP time\\_wait" } } },
};
#define NPLOTS (sizeof variant_plots / sizeof *variant_plots)

static bool has_data(const struct variant *v, enum plot_data d)
{
	return d == PD_SAMPLES ? v->have_samples : d == PD_INTERVALS ? v->have_intervals : v->have_composition;
}

static void plot_variant(FILE *g, bool png, const char *out, const struct variant *v, const char *colour, size_t ri,
			 const struct plot_spec *p)
{
	char name[160], title[200];
	snprintf(name, sizeof name, "r%zu-%s-%s", ri, v->name, p->kind);
	snprintf(title, sizeof title, "%s: %s", v->name, p->title);
	gp_begin(g, png, out, name, title,
		 p->data == PD_INTERVALS ? "time since the load started (s)" : "time since the sampler started (s)",
		 p->ylabel);
	fprintf(g, "%s\nplot ", p->setup);
	for (size_t k = 0; k < 5 && p->s[k].using; k++) {
		const struct series *x = &p->s[k];
		fprintf(g, "%s'%s' using %s with %s", k ? ", " : "", k ? "" : p->data == PD_INTERVALS ? v->ldat : v->sdat,
			x->using, x->style);
		if (x->colour)
			fprintf(g, " lc rgb '%s'", *x->colour ? x->colour : colour);
		fprintf(g, " title '%s'", x->title);
	}
	fputc('\n', g);
}

static void plots_for(FILE *g, bool png, const char *out, const struct run *r, size_t ri)
{
	for (size_t i = 0; i < r->nv; i++)
		for (size_t k = 0; k < NPLOTS; k++)
			if (has_data(&r->v[i], variant_plots[k].data))
				plot_variant(g, png, out, &r->v[i], palette[i % NPAL], ri, &variant_plots[k]);
	/* every variant of the run on one plot, in its colour */
	overlay(g, png, out, r, ri, true);
	overlay(g, png, out, r, ri, false);
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
	"th{background:#f2f2f2}td.l,th.l{text-align:left}"
	".pass{color:#186a1b;font-weight:bold}.fail,.error{color:#b00020;font-weight:bold}"
	".interrupted{color:#a15c00;font-weight:bold}.worse{background:#fde2e1}.better{background:#e3f4e1}"
	"figure{margin:1em 0}svg{max-width:100%;height:auto}figcaption{font-size:12px;color:#666}"
	".swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle}"
	"code{background:#f5f5f5;padding:0 3px}";

static void table_md(FILE *o, struct run *runs, size_t nruns)
{
	fprintf(o, "| %svariant |", nruns > 1 ? "run | " : "");
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(o, " %s |", cols[c].head);
	fprintf(o, " verdict |\n|%s---|", nruns > 1 ? "---|" : "");
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(o, "---:|");
	fprintf(o, "---|\n");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			if (nruns > 1)
				fprintf(o, "| %zu ", ri + 1);
			fprintf(o, "| %s |", v->name);
			for (size_t c = 0; c < NCOLS; c++) {
				char b[48];
				cell(&cols[c], v->metrics, b, sizeof b);
				fprintf(o, " %s |", b);
			}
			fprintf(o, " %s |\n", v->status);
		}
}

/* The text table for a terminal: the columns that matter most. */
static void table_text(FILE *o, struct run *runs, size_t nruns)
{
	static const size_t pick[] = { 0, 1, 2, 3, 5, 8, 9, 11, 12, 15 };
	enum { NP = sizeof pick / sizeof *pick };
	size_t w[NP + 2];
	w[0] = strlen("variant");
	w[NP + 1] = strlen("verdict");
	for (size_t k = 0; k < NP; k++)
		w[k + 1] = strlen(cols[pick[k]].head);
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			w[0] = strlen(v->name) + (nruns > 1 ? 4 : 0) > w[0] ? strlen(v->name) + (nruns > 1 ? 4 : 0) : w[0];
			for (size_t k = 0; k < NP; k++) {
				char b[48];
				cell(&cols[pick[k]], v->metrics, b, sizeof b);
				if (strlen(b) > w[k + 1])
					w[k + 1] = strlen(b);
			}
			if (strlen(v->status) > w[NP + 1])
				w[NP + 1] = strlen(v->status);
		}
	fprintf(o, "%-*s", (int)w[0], "variant");
	for (size_t k = 0; k < NP; k++)
		fprintf(o, "  %*s", (int)w[k + 1], cols[pick[k]].head);
	fprintf(o, "  %-*s\n", (int)w[NP + 1], "verdict");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			char name[96];
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
			fprintf(o, "  %-*s\n", (int)w[NP + 1], v->status);
		}
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

/* The title and where each run comes from. */
static void html_head(FILE *o, struct run *runs, size_t nruns)
{
	struct run *last = &runs[nruns - 1];
	json_t *sc = json_object_get(last->manifest, "scenario");
	const char *name = json_string_value(json_object_get(sc, "name"));
	fprintf(o, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ctstorm report: ");
	html_escape(o, name);
	fprintf(o, "</title><style>%s</style></head><body>\n<h1>ctstorm: ", css);
	html_escape(o, name);
	fprintf(o, "</h1>\n");
	for (size_t ri = 0; ri < nruns; ri++) {
		json_t *m = runs[ri].manifest, *k = json_object_get(m, "kernel");
		fprintf(o, "<p>%s<code>", nruns > 1 ? (ri == 0 ? "Before: " : ri == nruns - 1 ? "After: " : "Run: ") : "Run: ");
		html_escape(o, runs[ri].dir);
		fprintf(o, "</code>, started ");
		html_escape(o, json_string_value(json_object_get(m, "started")));
		fprintf(o, ", status <span class=\"%s\">", json_string_value(json_object_get(m, "status")));
		html_escape(o, json_string_value(json_object_get(m, "status")));
		fprintf(o, "</span>%s, kernel ", json_is_true(json_object_get(m, "quick")) ? " (--quick)" : "");
		html_escape(o, json_string_value(json_object_get(k, "release")));
		fprintf(o, ".</p>\n");
	}
}

/* The description and the comparison table. */
static void html_variants(FILE *o, struct run *runs, size_t nruns)
{
	json_t *sc = json_object_get(runs[nruns - 1].manifest, "scenario");
	fprintf(o, "<p>");
	html_escape(o, json_string_value(json_object_get(sc, "description")));
	fprintf(o, "</p>\n<h2>Variants</h2>\n<table><tr>%s<th class=\"l\">variant</th>", nruns > 1 ? "<th>run</th>" : "");
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(o, "<th>%s</th>", cols[c].head);
	fprintf(o, "<th class=\"l\">verdict</th></tr>\n");
	for (size_t ri = 0; ri < nruns; ri++)
		for (size_t i = 0; i < runs[ri].nv; i++) {
			struct variant *v = &runs[ri].v[i];
			fprintf(o, "<tr>");
			if (nruns > 1)
				fprintf(o, "<td>%zu</td>", ri + 1);
			fprintf(o, "<td class=\"l\"><span class=\"swatch\" style=\"background:%s\"></span>", palette[i % NPAL]);
			html_escape(o, v->name);
			fprintf(o, "</td>");
			for (size_t c = 0; c < NCOLS; c++) {
				char b[48];
				cell(&cols[c], v->metrics, b, sizeof b);
				fprintf(o, "<td>%s</td>", b);
			}
			fprintf(o, "<td class=\"l %s\">%s</td></tr>\n", v->status, v->status);
		}
	fprintf(o, "</table>\n");
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
				json_t *pass = json_object_get(x, "pass"), *mv = json_object_get(x, "measured");
				const char *res = json_is_true(pass) ? "pass" : json_is_false(pass) ? "fail" : "not judged";
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
				fprintf(o, "<td class=\"l %s\">%s</td></tr>\n", json_is_true(pass) ? "pass" : "fail", res);
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
		snprintf(nm, sizeof nm, "r%zu-overlay-conntrack", ri);
		embed_svg(o, out, nm);
		snprintf(nm, sizeof nm, "r%zu-overlay-answered", ri);
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
				embed_svg(o, out, plot);
			}
		}
	}
}

static void write_html(FILE *o, const char *out, struct run *runs, size_t nruns, struct change *ch, size_t nch,
		       bool plots)
{
	html_head(o, runs, nruns);
	html_variants(o, runs, nruns);
	html_changes(o, nruns, ch, nch);
	html_expectations(o, runs, nruns);
	html_plots(o, out, runs, nruns, plots);
	fprintf(o, "<p><small>Made by ctstorm %s. Every file behind it is in the results folder.</small></p>\n</body></html>\n",
		CT_VERSION);
}

static void write_md(FILE *m, struct run *runs, size_t nruns, const struct change *ch, size_t nch, bool have_plots)
{
	json_t *sc = json_object_get(runs[nruns - 1].manifest, "scenario");
	fprintf(m, "# ctstorm: %s\n\n%s\n\n", json_string_value(json_object_get(sc, "name")),
		json_string_value(json_object_get(sc, "description")));
	for (size_t ri = 0; ri < nruns; ri++)
		fprintf(m, "- run %zu: `%s` (%s)\n", ri + 1, runs[ri].dir,
			json_string_value(json_object_get(runs[ri].manifest, "status")));
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
	fprintf(m, "\n## Plots\n\n%s", have_plots ? "" : "No plots: gnuplot could not be run (plots/gnuplot.log).\n");
	for (size_t ri = 0; have_plots && ri < nruns; ri++) {
		fprintf(m, "![every variant](plots/r%zu-overlay-conntrack.svg)\n", ri);
		for (size_t i = 0; i < runs[ri].nv; i++)
			fprintf(m, "![%s](plots/r%zu-%s-conntrack.svg)\n", runs[ri].v[i].name, ri, runs[ri].v[i].name);
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
			sampler_dat(v, v->sdat);
			loadgen_dat(v, v->ldat);
		}
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
