/* The external DNS servers a scenario can put under test (responder = nsd
 * or knot): a table of how each is configured and started. */
#ifndef SC_RESPONDERS_H
#define SC_RESPONDERS_H

#include <stdio.h>

struct ext_responder {
	const char *name;     /* the scenario's word: nsd, knot */
	/* writes the configuration: listen on addr[] (v4, v6; "" when none)
	 * port 53, state in dir, serve zone (apex without the final dot) from
	 * zonefile */
	void (*write_conf)(FILE *f, const char addr[2][64], const char *dir, const char *zone, const char *zonefile);
	const char *argv[6];  /* the command; "%c" stands for the configuration file */
};

/* NULL for ctstorm's own responder. */
const struct ext_responder *ext_responder_find(const char *name);

#endif
