/* One sample of a namespace's conntrack state, and the run's summary.
 * Measurement fills these plain structs; the writers (sample_out.c) turn
 * them into CSV, JSON lines, the summary and Prometheus text. */
#ifndef CT_SAMPLE_H
#define CT_SAMPLE_H

#include "ctnl.h"
#include "ctstat.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ct_sample {
	double t_s;                 /* seconds since the sampler started (monotonic) */
	double wall_s;              /* Unix time */
	uint64_t count, max, buckets;
	struct ct_ctstat st;        /* the kernel's counters, as it reports them */
	bool have_kmsg;             /* /dev/kmsg is being read */
	uint64_t kmsg_table_full;   /* table-full lines for this namespace since the last sample */
	uint64_t kmsg_suppressed;   /* "N callbacks suppressed" since the last sample (host-wide) */
	bool has_table;             /* a table dump finished since the last sample */
	struct ct_table table;
};

struct ct_summary {
	uint64_t netns_inode;
	const char *source;         /* "ctnetlink" or "proc" */
	double interval_s, duration_s;
	uint64_t samples, missed_samples;
	uint64_t peak_count, max;
	double peak_t_s;
	double first_drop_s;        /* first sample where drop grew or a table-full line came; <0: none */
	struct ct_ctstat first, last;
	bool have_kmsg;
	uint64_t kmsg_table_full, kmsg_suppressed, kmsg_lost;
	uint64_t table_dumps;
	double table_dump_ms_max, table_dump_ms_sum;
	uint64_t table_entries_max;
	uint32_t fill_requested, fill_created, fill_removed;
};

/* Folds a sample into the summary. */
void ct_summary_add(struct ct_summary *s, const struct ct_sample *x);

/* The header (sampler_csv.h names its columns; the rows follow its order). */
void ct_csv_header(FILE *out);
void ct_csv_row(FILE *out, const struct ct_sample *x);

/* One JSON object per sample, on a line of its own (JSON lines). */
void ct_sample_jsonl(FILE *out, const struct ct_sample *x);

/* The summary document (analysis/README.md documents it). */
json_t *ct_summary_json(const struct ct_summary *s);

/* Prometheus exposition text of the latest sample and the run totals,
 * labelled netns="NETNS"; returns the length written (truncated to cap).
 * Names of our own (ctstorm_conntrack_*), so that they sit beside
 * node_exporter's node_nf_conntrack_* gauges without a clash. */
size_t ct_prom_text(char *buf, size_t cap, const char *netns, const struct ct_sample *x, const struct ct_summary *s);

#endif
