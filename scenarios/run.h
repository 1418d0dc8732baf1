/* `ctstorm run`: the variants of one scenario, one after the other, each in
 * a lab of its own; the results folder; the verdicts; the table. */
#ifndef SC_RUN_H
#define SC_RUN_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>

struct run_opts {
	bool quick;
	bool wait;      /* for another run's lock */
	bool quiet;     /* no live line */
	const char *out_dir;
	int argc;       /* the command line, for the manifest */
	char **argv;
};

/* Returns the exit status: 0 every expectation held, 1 one did not (or a
 * variant could not run), 128+N when a signal N interrupted the run. */
int run_scenario(const struct sc_file *f, const size_t *variants, size_t n, const struct run_opts *o);

/* The data folder (zones): $CTSTORM_DATA_DIR or the built-in one. */
const char *run_data_dir(void);

#endif
