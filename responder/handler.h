/* The query handler: wire in, wire out. A pure function of the database
 * and the query bytes; no I/O, no allocation, no global state, so a UDP
 * worker, a TCP connection, a unit test and a fuzzer all call it alike. */
#ifndef CT_HANDLER_H
#define CT_HANDLER_H

#include "db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest DNS message over TCP, and so the output buffer a caller needs. */
#define CT_MSG_MAX 65535

enum ct_transport { CT_UDP, CT_TCP };

/* What happened to one query, for the counters. */
struct ct_handle_info {
	int rcode;        /* rcode answered (extended for BADVERS); -1: no reply */
	bool nodata;      /* NOERROR without the asked type */
	bool referral;    /* a delegation */
	bool truncated;   /* TC set: the answer did not fit */
	bool edns;        /* the query carried a valid OPT */
	bool dropped;     /* not answered: too short, or a response (QR set) */
};

struct ct_handler_cfg {
	const struct ct_db *db;
	uint16_t edns_udp_max;   /* our EDNS UDP payload size, >= 512 */
};

/* Handles one query of qlen bytes. Writes the response into out (outcap
 * bytes; CT_MSG_MAX is always enough) and returns its length, or 0 when
 * the query gets no reply. */
size_t ct_handle_query(const struct ct_handler_cfg *cfg, enum ct_transport tr, const uint8_t *q,
		       size_t qlen, uint8_t *out, size_t outcap, struct ct_handle_info *info);

#endif
