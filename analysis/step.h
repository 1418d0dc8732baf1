/* What one step of a probe measured, read from its folder: the kernel's
 * counters over the judged window (after the warm-up), the load's losses
 * there, and the pace of the kernel's conntrack collector, whose passes
 * show as falls of the table's count. */
#ifndef CT_STEP_H
#define CT_STEP_H

struct ct_step_stats {
	/* in the window from warm_s after the first entry on */
	double drop, early_drop, insert_failed, peak, lost;
	double gc_period;  /* median time between the collector's passes, NAN if fewer than two */
	double gc_longest; /* the longest of those gaps: what sets the peak */
	int passes;
};

/* Reads dir/sampler.csv and dir/loadgen.jsonl. Missing files leave zeros
 * (and NAN pace): the step then looks clean only if nothing was lost. */
void ct_step_read(const char *dir, double warm_s, struct ct_step_stats *st);

#endif
