/* `ctstorm plan`: recommended nf_conntrack_max and buckets for given flows. */
#ifndef SC_PLAN_CMD_H
#define SC_PLAN_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct plan_cmd {
	const char *const *flows;  /* --flow texts */
	size_t nflows;
	const char *const *opens;  /* --open texts: flows held open */
	size_t nopens;
	uint64_t ram;              /* --ram in bytes, or 0: this host's */
	unsigned kernel;           /* --kernel as PLAN_KERNEL, or 0: this host's */
	uint64_t entry_bytes;      /* --entry-size, or 0: this host's slab */
	uint64_t headroom_pct;
	double gc_lag_s;
	double after_quiet_s;      /* --after-quiet */
	bool json;
};

int cmd_plan(const struct plan_cmd *o);

#endif
