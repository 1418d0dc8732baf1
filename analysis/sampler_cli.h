/* The command line of ctstorm-sampler: one option
 * table for getopt_long, --help and the scenario keys of the runner
 * (ctstorm validates a scenario's keys against this very table). */
#ifndef SAMPLER_CLI_H
#define SAMPLER_CLI_H

#include "opt.h"

#include <stdbool.h>
#include <stdint.h>

struct sampler_cli {
	const char *netns;
	uint64_t interval;
	uint64_t duration;
	const char *csv, *json, *summary, *kmsg_log;
	uint64_t table_every;
	uint64_t fill;
	const char *prom_file;
	const char *listen;
	bool quiet;
};

extern const struct ct_opt sampler_cli_options[];
extern const char sampler_cli_synopsis[];
extern const char sampler_cli_about[];

#endif
