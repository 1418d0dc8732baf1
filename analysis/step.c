#include "step.h"

#include "lg_jsonl.h"
#include "sampler_csv.h"
#include "rf_names.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_PASSES 512

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The collector's period once it has the load's measure: gaps between
 * passes from halfway through the warm-up on (the first pass comes
 * whenever the idle worker's 60 s timer says). */
static void pace(const double *passes, int np, double from, struct ct_step_stats *st)
{
	double gaps[MAX_PASSES];
	int ng = 0;
	for (int i = 1; i < np; i++)
		if (passes[i - 1] >= from)
			gaps[ng++] = passes[i] - passes[i - 1];
	st->passes = np;
	if (ng) {
		qsort(gaps, (size_t)ng, sizeof *gaps, cmp_double);
		st->gc_period = gaps[ng / 2];
		st->gc_longest = gaps[ng - 1];
	}
}

static void read_sampler(const char *dir, double warm_s, struct ct_step_stats *st)
{
	char path[1300];
	snprintf(path, sizeof path, "%s/" RF_SAMPLER_CSV, dir);
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	if (!f)
		return;
	if (getline(&line, &cap, f) <= 0) {
		fclose(f);
		free(line);
		return;
	}
	struct rf_csv csv;
	rf_csv_open(&csv, line);
	static const enum rf_col cols[3] = { RF_COL_DROP, RF_COL_EARLY_DROP, RF_COL_INSERT_FAILED };
	double t0 = NAN, first[3] = { NAN, NAN, NAN }, last[3] = { 0, 0, 0 }, prev = NAN, passes[MAX_PASSES];
	int np = 0;
	while (getline(&line, &cap, f) > 0) {
		double t = rf_csv_get(&csv, line, RF_COL_T_S), count = rf_csv_get(&csv, line, RF_COL_COUNT);
		if (isnan(t0) && count > 0)
			t0 = t;
		/* a fall; one pass may show over two samples */
		if (!isnan(prev) && count < prev - fmax(5, prev * 0.02) && np < MAX_PASSES &&
		    (np == 0 || t - passes[np - 1] > 1.0))
			passes[np++] = t;
		prev = count;
		if (isnan(t0) || t < t0 + warm_s)
			continue;
		for (int k = 0; k < 3; k++) {
			double v = rf_csv_get(&csv, line, cols[k]);
			if (isnan(first[k]))
				first[k] = v;
			if (!isnan(v))
				last[k] = v;
		}
		st->peak = fmax(st->peak, count);
	}
	double *out[3] = { &st->drop, &st->early_drop, &st->insert_failed };
	for (int k = 0; k < 3; k++)
		*out[k] = isnan(first[k]) ? 0 : last[k] - first[k];
	pace(passes, np, t0 + warm_s / 2, st);
	fclose(f);
	free(line);
}

/* Queries lost past the warm-up, from the loadgen's intervals. */
static void read_loadgen(const char *dir, double warm_s, struct ct_step_stats *st)
{
	char path[1300];
	snprintf(path, sizeof path, "%s/" RF_LOADGEN_JSONL, dir);
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	if (!f)
		return;
	struct lg_interval_rec iv;
	while (getline(&line, &cap, f) > 0)
		if (lg_interval_read(line, &iv) && iv.t_s > warm_s + 0.5)
			st->lost += iv.timeouts + iv.failed;
	fclose(f);
	free(line);
}

void ct_step_read(const char *dir, double warm_s, struct ct_step_stats *st)
{
	*st = (struct ct_step_stats){ .gc_period = NAN, .gc_longest = NAN };
	read_sampler(dir, warm_s, st);
	read_loadgen(dir, warm_s, st);
}
