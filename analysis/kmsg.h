/* Kernel log records as /dev/kmsg gives them, and the conntrack lines in
 * them. A record is "PRIO,SEQ,TIMESTAMP_US,FLAGS[,...];MESSAGE" followed
 * by optional continuation lines (" KEY=VALUE"); each read() of /dev/kmsg
 * returns one record. */
#ifndef CT_KMSG_H
#define CT_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ct_kmsg_kind {
	CT_KMSG_OTHER,
	CT_KMSG_TABLE_FULL,   /* "nf_conntrack: table full[ in netns N], dropping packet" */
	CT_KMSG_SUPPRESSED,   /* "net_ratelimit: N callbacks suppressed", "printk: N messages suppressed" */
};

struct ct_kmsg_record {
	int prio;             /* syslog priority and facility */
	uint64_t seq;
	uint64_t ts_us;       /* microseconds since boot */
	const char *msg;      /* the message text (into the caller's buffer) */
	size_t msglen;
	enum ct_kmsg_kind kind;
	bool has_netns;       /* TABLE_FULL: "in netns N" was printed (6.x, not the initial ns) */
	uint64_t netns;
	uint64_t suppressed;  /* SUPPRESSED: N */
};

/* Parses one /dev/kmsg record; -1 when it is not one. */
int ct_kmsg_parse(const char *rec, size_t len, struct ct_kmsg_record *out);

/* Classifies a message text alone (also for lines from `dmesg`). */
void ct_kmsg_classify(const char *msg, size_t len, struct ct_kmsg_record *out);

#endif
