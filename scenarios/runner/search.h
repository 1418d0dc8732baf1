/* The probe's search for the highest clean rate, as a pure function of
 * the steps' outcomes: ramp up by a quarter while steps are clean, halve
 * while none is, and bisect once a clean and a failing rate bracket the
 * answer, until the bracket is narrower than the precision. */
#ifndef SC_SEARCH_H
#define SC_SEARCH_H

#include <stdbool.h>

struct search {
	double lo;         /* highest clean rate so far (0: none) */
	double hi;         /* lowest failing rate so far (INFINITY: none) */
	double next;       /* the rate to try next */
	double precision;  /* stop when (hi - lo) / lo is at most this */
	bool bracketed;
	bool done;
};

#define SEARCH_MIN_RATE 1.0  /* below this a failing table is not worth halving further */

void search_init(struct search *s, double first, double precision);

/* Records the outcome of a step at rate; sets next, or done. */
void search_step(struct search *s, double rate, bool clean);

#endif
