#include "search.h"

#include <math.h>

void search_init(struct search *s, double first, double precision)
{
	*s = (struct search){ .lo = 0, .hi = INFINITY, .next = first, .precision = precision };
}

void search_step(struct search *s, double rate, bool clean)
{
	if (clean)
		s->lo = fmax(s->lo, rate);
	else
		s->hi = fmin(s->hi, rate);
	if (s->lo > 0 && isfinite(s->hi)) {
		s->bracketed = true;
		s->done = (s->hi - s->lo) / s->lo <= s->precision;
		s->next = (s->lo + s->hi) / 2;
	} else if (isfinite(s->hi)) {
		s->next = s->hi / 2; /* not even the first was clean */
		s->done = s->next < SEARCH_MIN_RATE;
	} else {
		s->next = rate * 1.25; /* ramp */
	}
}
