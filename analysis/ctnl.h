/* ctnetlink access for the sampler, in the calling thread's namespace.
 *
 * Statistics go over libmnl (libnetfilter_conntrack has no stats query);
 * table dumps and synthetic entries go over libnetfilter_conntrack. */
#ifndef CT_CTNL_H
#define CT_CTNL_H

#include "ctstat.h"

#include <stddef.h>
#include <stdint.h>

struct ct_nl;

int ct_nl_open(struct ct_nl **out, char *err, size_t errlen);
void ct_nl_close(struct ct_nl *nl);

/* IPCTNL_MSG_CT_GET_STATS_CPU, summed over CPUs. */
int ct_nl_stats(struct ct_nl *nl, struct ct_ctstat *out, char *err, size_t errlen);

/* IPCTNL_MSG_CT_GET_STATS: the namespace's entries and the global max. */
int ct_nl_global(struct ct_nl *nl, uint64_t *entries, uint64_t *max, char *err, size_t errlen);

/* Table composition from one dump. */
enum ct_tcp_state_idx { CT_TCP_STATES = 11 };

struct ct_table {
	uint64_t total;
	uint64_t udp_unreplied, udp_replied, udp_assured;
	uint64_t tcp[CT_TCP_STATES];   /* by TCP_CONNTRACK_* state */
	uint64_t icmp, other;
	double dump_ms;                /* what the dump cost */
};

const char *ct_tcp_state_name(int state);

/* Dumps the whole table (IPv4 and IPv6) and classifies every entry. */
int ct_table_dump(struct ct_table *out, char *err, size_t errlen);

/* Synthetic ASSURED UDP entries for deterministic experiments: entry i is
 * 198.19.B.C:(10000 + i % 50000) -> 198.18.255.254:9, with B.C counting
 * blocks of 50000 from 198.19.0.1, marked CT_FILL_MARK. */
#define CT_FILL_MARK 0x0c757011u
#define CT_FILL_MAX 10000000u

/* Creates n entries with the given timeout; *created counts the ones made
 * (all of them, or the error says why not). */
int ct_fill_create(uint32_t n, uint32_t timeout_s, uint32_t *created, char *err, size_t errlen);

/* Removes the first n fill entries (missing ones, e.g. expired, are fine). */
int ct_fill_remove(uint32_t n, uint32_t *removed, char *err, size_t errlen);

/* Deletes the entries of UDP and TCP flows from src (its first
 * src_prefix bits: one address, or a source range) to dst:dport
 * (addresses of family AF_INET or AF_INET6, in network order): a run's
 * load and canary on a real host, whose entries would otherwise outlive
 * the variant; nothing else of the host's table. *deleted: how many. */
int ct_nl_forget(int family, const void *src, unsigned src_prefix, const void *dst, uint16_t dport, size_t *deleted,
		 char *err, size_t errlen);
/* The same, only of flows DNATed to nat_dst (their replies come from it;
 * NULL: any): conntrack -D --orig-dst DST --dst-nat NAT_DST, as kube-proxy
 * clears a removed endpoint's UDP flows. */
int ct_nl_forget_nat(int family, const void *src, unsigned src_prefix, const void *dst, uint16_t dport,
		     const void *nat_dst, size_t *deleted, char *err, size_t errlen);

#endif
