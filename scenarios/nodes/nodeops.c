#include "nodeops.h"

#include "clock.h"
#include "ct_err.h"

#include <stdio.h>

int node_wait_ready(struct node *n, enum node_prog prog, enum node_ready ready, uint64_t ms, const char *what,
		    const volatile int *stop, void (*tick)(int ms), char *err, size_t errlen)
{
	const char *name = node_prog_names[prog];
	for (uint64_t deadline = ct_now_ns() / CT_NS_PER_MS + ms;;) {
		struct node_proc st;
		if (n->ops->poll(n, prog, (int)ready, &st, err, errlen) < 0)
			return -1;
		if (st.ready)
			return 0;
		if (!st.running)
			return ct_err(err, errlen, "%sthe %s %s before %s: see %s.log", n->prefix, name, st.how, what, name);
		if (*stop)
			return ct_err(err, errlen, "interrupted");
		if (ct_now_ns() / CT_NS_PER_MS > deadline)
			return ct_err(err, errlen, "%sthe %s was not %s after %.0f s: see %s.log", n->prefix, name, what,
				      (double)ms / 1e3, name);
		tick(20);
	}
}
