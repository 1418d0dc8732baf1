/* `ctstorm report`: results folders in, report.md and one self-contained
 * report.html out, with plots (gnuplot, SVG embedded in the HTML, PNG
 * beside it).
 *
 * One folder: its variants side by side. Several (before/after a change):
 * each variant of the last run against the same variant of the first, with
 * the deltas and a regression flag per metric. */
#ifndef CT_RESULTS_REPORT_H
#define CT_RESULTS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ct_report_opts {
	const char *const *runs;  /* results folders, oldest first */
	size_t nruns;
	const char *out;          /* where report.* and plots/ go */
	const char *gnuplot;      /* the program, "gnuplot" by default */
	FILE *table_out;          /* also print the table here (NULL: no) */
};

/* Returns 0, or -1 with err (a folder that is not a results folder). Plots
 * that cannot be drawn (no gnuplot) are said in the report, not an error. */
int ct_report(const struct ct_report_opts *o, char *err, size_t errlen);

/* The regressions of run against baseline (a stored run of the same
 * scenario): for each variant in both, each of the table's metrics whose
 * direction is known (higher drops or losses, lower answers) that moved
 * the wrong way by more than tolerance (a fraction) and more than a
 * rounding's worth. Each is printed to out (if not NULL). Returns how
 * many, or -1 with err. */
int ct_report_regressions(const char *baseline, const char *run, double tolerance, FILE *out, char *err,
			  size_t errlen);

/* The verdict in words, from what the variant shows ("incident", "fix",
 * "failed-fix", "behaviour"), its status ("pass", "fail", "error",
 * "interrupted", ...) and how many expectations were judged: "reproduced",
 * "held", "did not hold", "as expected", their misses, "not judged",
 * "could not run", "interrupted". *good: the scenario's expectations met. */
const char *ct_verdict_word(const char *shows, const char *status, size_t judged, bool *good);

/* The same from a variant's verdict.json (its "shows", or for a run from
 * before variants said: "baseline" the incident, any other a fix; its
 * judged expectations) and status; *shows (may be NULL) gets what it shows. */
const char *ct_verdict_word_of(json_t *verdict, const char *variant, const char *status, const char **shows,
			       bool *good);

/* The metric behind the table's column i (NULL past the last); a
 * "derived." one is computed by the report, every other is one of the
 * registry's (metrics.h). */
const char *ct_report_column(size_t i);

#endif
