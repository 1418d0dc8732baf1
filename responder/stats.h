/* Responder counters. Each worker owns one struct ct_stats and is its only
 * writer; the main thread reads them for reports. Single-writer counters
 * need no atomic read-modify-write, only untorn loads and stores. */
#ifndef CT_RESPONDER_STATS_H
#define CT_RESPONDER_STATS_H

#include "handler.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

enum ct_counter {
	CT_C_QUERIES_UDP,
	CT_C_QUERIES_TCP,
	CT_C_RCODE_NOERROR,
	CT_C_RCODE_FORMERR,
	CT_C_RCODE_SERVFAIL,
	CT_C_RCODE_NXDOMAIN,
	CT_C_RCODE_NOTIMP,
	CT_C_RCODE_REFUSED,
	CT_C_RCODE_BADVERS,
	CT_C_RCODE_OTHER,
	CT_C_NODATA,
	CT_C_REFERRAL,
	CT_C_TRUNCATED,
	CT_C_EDNS,
	CT_C_MALFORMED,       /* no reply possible: too short, a response, oversized datagram */
	CT_C_MODE_DROPPED,    /* answered by mode=drop with silence */
	CT_C_MODE_DELAYED,    /* sent late by mode=delay */
	CT_C_DELAY_OVERFLOW,  /* the delay queue was full: dropped */
	CT_C_SEND_ERRORS,
	CT_C_RECV_ERRORS,
	CT_C_TCP_ACCEPTED,
	CT_C_TCP_REJECTED,    /* over --tcp-max-conns */
	CT_C_TCP_IDLE_CLOSED, /* closed by --tcp-idle-timeout */
	CT_C__COUNT
};

struct ct_stats {
	_Atomic uint64_t c[CT_C__COUNT];
};

/* Adds n to a counter that has one writer: no read-modify-write needed. */
static inline void ct_counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static inline void ct_stats_add(struct ct_stats *s, enum ct_counter c, uint64_t n)
{
	ct_counter_add(&s->c[c], n);
}

/* Counts what the handler reported for one query. */
void ct_stats_count(struct ct_stats *s, const struct ct_handle_info *info);

/* Queries by listener (--listen, in order): the first this many. */
#define CT_STATS_LISTENS 64

/* A plain copy, summed over workers. */
struct ct_stats_snapshot {
	uint64_t c[CT_C__COUNT];
	size_t nlistens;
	struct ct_listen_count {
		const char *listen;  /* as given */
		uint64_t udp, tcp;
	} by_listen[CT_STATS_LISTENS];
	uint64_t tcp_active;
	double uptime_s;
};

void ct_stats_sum(struct ct_stats_snapshot *out, const struct ct_stats *s);

uint64_t ct_stats_queries(const struct ct_stats_snapshot *s);

/* The documented JSON document (see responder/README.md). */
json_t *ct_stats_json(const struct ct_stats_snapshot *s);

/* Human-readable summary. */
void ct_stats_print(FILE *out, const struct ct_stats_snapshot *s);

#endif
