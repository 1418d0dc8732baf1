/* The command line of ctstorm-responder: one option
 * table for getopt_long, --help and the scenario keys of the runner
 * (ctstorm validates a scenario's keys against this very table). */
#ifndef RESPONDER_CLI_H
#define RESPONDER_CLI_H

#include "opt.h"
#include "server.h"

struct responder_cli {
	struct ct_strlist listen;
	struct ct_strlist zone;
	struct ct_strlist synthesize;
	uint64_t workers;
	struct ct_mode mode;
	const char *user;
	const char *stats_json;
	uint64_t tcp_idle;
	uint64_t tcp_max_conns;
	uint64_t edns_size;
	uint64_t delay_queue;
	bool quiet;
};

extern const struct ct_opt responder_cli_options[];
extern const char responder_cli_synopsis[];
extern const char responder_cli_about[];

#endif
