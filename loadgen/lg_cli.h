/* The command line of ctstorm-loadgen: one option table for getopt_long,
 * --help and the scenario keys of the runner. Every value is typed here,
 * by the parser the binary uses, and lg_cli_check holds the rules that
 * join several options; ctstorm check runs both on a scenario's [load],
 * so it accepts a value exactly when the loadgen would. */
#ifndef LG_CLI_H
#define LG_CLI_H

#include "netaddr.h"
#include "opt.h"
#include "schedule.h"

#include <stdbool.h>
#include <stdint.h>

enum lg_mode { LG_MODE_UDP, LG_MODE_TCP };
enum lg_resolver { LG_RESOLVER_NONE, LG_RESOLVER_CARES };

/* --sockets per-query|N */
struct lg_sockets {
	bool given;
	bool per_query;
	uint64_t n;
};

/* --qtype A,AAAA: the types asked of --qname, in turn */
#define LG_MAX_QTYPES 8
struct lg_qtypes {
	uint16_t t[LG_MAX_QTYPES];
	unsigned n;
};

struct lg_cli {
	const char *server;
	uint64_t port;
	const char *datafile;
	const char *qname;
	struct lg_qtypes qtype;
	uint64_t duration;         /* 0: not given */
	double qps;                /* 0: not given */
	struct ct_sched profile;   /* n == 0: not given */
	uint64_t clients;
	uint64_t outstanding;      /* 0: not given */
	uint64_t timeout;
	unsigned mode;             /* enum lg_mode */
	uint64_t threads;
	uint64_t interval;
	struct lg_sockets sockets;
	uint64_t per_flow;
	uint64_t parallel;         /* --parallel-per-socket: queries of a lookup, sent at once from one socket */
	bool parallel_threads;     /* ... each from a thread of its own, released together */
	uint64_t sport;            /* a fixed source port; 0: the kernel's choice */
	struct ct_cidr src_range;  /* base.len == 0: not given */
	double canary;             /* 0: none */
	const char *canary_log;
	unsigned resolver;         /* enum lg_resolver */
	uint64_t tries;
	const char *json, *summary;
	bool interval_histograms;  /* --json lines carry their histograms */
	uint64_t max_queries;
	uint64_t max_lag;
	uint64_t pace_slack;
	uint64_t start_at;         /* ms since the epoch; 0: now */
	uint64_t edns;
	bool no_rd;
	bool quiet;
};

/* -q in a closed loop when not given (an open loop: 65536 per thread) */
#define LG_CLOSED_OUTSTANDING 100
#define LG_STR_(x) #x
#define LG_STR(x) LG_STR_(x)

extern const struct ct_opt lg_cli_options[];
extern const char lg_cli_synopsis[];
extern const char lg_cli_about[];

/* The rules between options (one of -d and --qname, -Q or a profile...).
 * On a refusal fills err and, in *key, the option it names. */
int lg_cli_check(const struct lg_cli *c, const char **key, char *err, size_t errlen);

/* How long the load runs: -l, 10 s by default; a rate profile's length
 * unless -l cuts it shorter. */
uint64_t lg_cli_duration_ns(const struct lg_cli *c);

#endif
