/* The command line of ctstorm-loadgen: one option
 * table for getopt_long, --help and the scenario keys of the runner
 * (ctstorm validates a scenario's keys against this very table). */
#ifndef LG_CLI_H
#define LG_CLI_H

#include "opt.h"

#include <stdbool.h>
#include <stdint.h>

struct lg_cli {
	const char *server;
	uint64_t port;
	const char *datafile;
	const char *qname, *qtype;
	uint64_t duration;
	const char *qps;
	const char *rate_profile;
	uint64_t clients;
	uint64_t outstanding;
	uint64_t timeout;
	const char *mode;
	uint64_t threads;
	uint64_t interval;
	const char *sockets;
	uint64_t per_flow;
	const char *src_range;
	const char *canary;
	const char *canary_log;
	const char *resolver;
	uint64_t tries;
	const char *json, *summary;
	uint64_t max_queries;
	uint64_t max_lag;
	uint64_t edns;
	bool no_rd;
	bool quiet;
};

extern const struct ct_opt lg_cli_options[];
extern const char lg_cli_synopsis[];
extern const char lg_cli_about[];

#endif
