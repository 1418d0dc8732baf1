/* Conntrack statistics counters: one struct, two sources.
 *
 * The kernel keeps per-CPU counters per network namespace. ctnetlink
 * (IPCTNL_MSG_CT_GET_STATS_CPU) and /proc/net/stat/nf_conntrack both
 * expose them; both are summed over CPUs into struct ct_ctstat. The /proc
 * header names its columns, and those names changed across kernels, so
 * the parser maps by name, never by position. */
#ifndef CT_CTSTAT_H
#define CT_CTSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ct_stat_field {
	CT_ST_FOUND,
	CT_ST_INVALID,
	CT_ST_INSERT,
	CT_ST_INSERT_FAILED,
	CT_ST_DROP,
	CT_ST_EARLY_DROP,
	CT_ST_ERROR,
	CT_ST_SEARCH_RESTART,
	CT_ST_CLASH_RESOLVE,
	CT_ST_CHAINTOOLONG,
	CT_ST__COUNT
};

struct ct_ctstat {
	uint64_t v[CT_ST__COUNT];
	bool have[CT_ST__COUNT];  /* the source reported this counter */
};

/* The counter's name as ctstorm writes it (node_exporter's
 * node_nf_conntrack_stat_<name> uses the same names). */
const char *ct_stat_name(enum ct_stat_field f);

/* Parses the text of /proc/net/stat/nf_conntrack: a header of column
 * names, then one line of hex numbers per CPU. Sums every CPU into out;
 * *entries gets the "entries" column (the namespace's count, the same on
 * every line), CT_STAT_NO_ENTRIES without one. Returns -1 with err naming
 * the line for malformed text. */
#define CT_STAT_NO_ENTRIES UINT64_MAX
int ct_stat_parse_proc(const char *text, size_t len, struct ct_ctstat *out, uint64_t *entries,
		       char *err, size_t errlen);

/* out = b - a, counter by counter (counters only grow; a restart of the
 * namespace would make them smaller, which yields 0). */
void ct_stat_delta(const struct ct_ctstat *a, const struct ct_ctstat *b, struct ct_ctstat *out);

#endif
