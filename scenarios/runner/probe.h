/* `ctstorm probe`: the breaking point of a scenario's table, measured. */
#ifndef SC_PROBE_H
#define SC_PROBE_H

#include "run.h"
#include "scenario.h"

/* vi: the variant to probe ((size_t)-1: the file has none). Steps change
 * f's load.max-qps and load.limit overrides. */
int run_probe(struct sc_file *f, size_t vi, const struct run_opts *o);

#endif
