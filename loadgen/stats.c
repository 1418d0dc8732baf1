#include "stats.h"

#include <errno.h>

void lg_totals_add(struct lg_totals *t, const struct lg_counters *c)
{
	for (int i = 0; i < LG__COUNT; i++)
		t->c[i] += lg_get(c, i);
}

enum lg_counter lg_errno_counter(int err)
{
	switch (err) {
	case EPERM:
		return LG_ERR_EPERM;
	case ENOBUFS:
		return LG_ERR_ENOBUFS;
	case ECONNREFUSED:
		return LG_ERR_ECONNREFUSED;
	case EADDRNOTAVAIL:
	case EADDRINUSE:
		return LG_ERR_EADDRNOTAVAIL;
	default:
		return LG_ERR_OTHER;
	}
}
