/* Capacity planning for the conntrack table (`ctstorm plan`).
 *
 * Little's law: the entries a table holds in steady state are the new
 * flows per second times the seconds each entry lives (its state's
 * timeout). Expired entries are freed only when the kernel's garbage
 * collector reaches them, so the peak adds the flows of that lag; then a
 * headroom. The recommendation sits beside seed 004's classic formula
 * (RAM / 16384 / (bits / 32), buckets max/8 .. max/2) and the kernel's own
 * default for the same RAM. Pure arithmetic: the caller reads the host. */
#ifndef CT_PLAN_H
#define CT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum plan_proto { PLAN_UDP, PLAN_TCP };

#define PLAN_BUCKET_BYTES 8      /* struct hlist_nulls_head: one pointer */

struct plan_flow {
	enum plan_proto proto;
	double rate;             /* new flows per second */
	char state[24];          /* udp: "" (one-shot, never assured) or "stream"; tcp: time_wait, established, ... */
	double timeout_s;        /* seconds an entry lives once its flow has ended in state */
	bool timeout_given;      /* on the command line; else from the host (plan_timeout_key) */
	double life_s;           /* life=: seconds a flow is in use before it ends (0: at once) */
	double dsts;             /* dst=: destinations the flows spread over (0: not given) */
};

/* "udp:5000", "udp:5000:10", "udp:200:stream", "tcp:2000:time_wait",
 * "tcp:100:established:3600", and after them life=DURATION (how long a
 * flow is in use before it ends: an entry lives life + timeout) and
 * dst=N (how many destinations they go to). */
int plan_flow_parse(const char *text, struct plan_flow *f, char *err, size_t errlen);

/* --open PROTO:COUNT[:STATE]: flows held open at any time (a NAT box's
 * open connections), entries whatever the rate. */
struct plan_open {
	enum plan_proto proto;
	double count;
	char state[24];          /* tcp: established by default */
};
int plan_open_parse(const char *text, struct plan_open *o, char *err, size_t errlen);

/* An entry's life: the flow's life and then its state's timeout. */
double plan_flow_lifetime(const struct plan_flow *f);

/* A kernel version as a number that orders: PLAN_KERNEL(5, 15). */
#define PLAN_KERNEL(major, minor) ((major) * 256u + (minor))

/* "6.1", "5.10.0-28-amd64" (uname -r) -> PLAN_KERNEL(major, minor). */
int plan_kernel_parse(const char *text, unsigned *code, char *err, size_t errlen);

/* The sysctl (under /proc/sys/net/netfilter) that sets a flow's timeout. */
void plan_timeout_key(const struct plan_flow *f, char *buf, size_t len);

struct plan_input {
	const struct plan_flow *flows;
	size_t n;
	const struct plan_open *open;
	size_t nopen;
	uint64_t ram_bytes;
	unsigned pointer_bits;   /* 64 */
	double headroom;         /* 0.25: 25% above the peak */
	double gc_lag_s;         /* seconds an expired entry may wait for the collector; < 0: the kernel's
				  * own pace for this table (plan_gc_period) */
	double after_quiet_s;    /* a burst after a quiet period: the collector's first pass comes up to
				  * this long into it (PLAN_AFTER_QUIET_S, its longest interval); 0: steady
				  * traffic only */
	uint64_t entry_bytes;    /* one entry's slab object */
	unsigned kernel;         /* PLAN_KERNEL of the host planned for; 0: 6.1 */
};

struct plan_sizing {
	uint64_t max, buckets;
	uint64_t memory_bytes;   /* max entries and the bucket array */
};

/* What the kernel takes: nf_conntrack_max is an int; the bucket array
 * at most INT_MAX bytes of 8-byte heads (nf_ct_alloc_hashtable). */
#define PLAN_MAX_LIMIT 2147483647ull
#define PLAN_BUCKETS_LIMIT (2147483647ull / PLAN_BUCKET_BYTES)

/* The term of the peak that drove it. */
enum plan_driver { PLAN_DRIVER_STEADY, PLAN_DRIVER_AFTER_QUIET };

/* Why a table cannot be recommended (PLAN_FITS: it can). */
enum plan_refusal { PLAN_FITS, PLAN_OVER_KERNEL, PLAN_OVER_RAM };

struct plan_result {
	double per_flow[64];     /* entries of each flow: rate x its entries' life */
	double per_open[64];     /* entries of each --open */
	double steady;           /* their sum */
	double gc_period_s;      /* the collector's pass interval assumed (the lag at its worst) */
	double gc_extra;         /* rate x that, summed: what waits for the next pass */
	double burst;            /* after a quiet period: rate x after_quiet_s, all held at the first pass */
	double peak;             /* the larger of (steady + gc_extra) and burst, x (1 + headroom) */
	enum plan_driver driver; /* which of the two */
	enum plan_refusal refused; /* plan is then empty */
	struct plan_sizing plan;         /* recommended */
	struct plan_sizing formula;      /* seed 004: RAM/16384/(bits/32), buckets max/8 */
	uint64_t formula_buckets_max;    /* seed 004's upper bound: max/2 */
	struct plan_sizing kernel;       /* the kernel's default for this RAM and version */
};


void plan_compute(const struct plan_input *in, struct plan_result *out);

/* An idle table's collector sleeps its longest interval: a burst's first
 * pass may come this long after its start, and nothing expired is freed
 * before it (the passes' pace only then follows the table). */
#define PLAN_AFTER_QUIET_S 60.0

/* The kernel's garbage collector (Linux 5.19 and later) passes over the
 * table every "average remaining lifetime" of the entries it saw, biased by
 * 100 pretend entries at 60 s: (100 x 60 + live x mean_remaining) /
 * (100 + live), within 1..60 s. Expired entries wait for the next pass. */
double plan_gc_period(double live_entries, double mean_remaining_s);

/* The highest steady rate of one kind of flow (timeout_s) a table of max
 * entries takes without reaching limit_fraction of it: rate x (timeout +
 * the collector's period at that rate) = limit_fraction x max. */
double plan_breaking_rate(double max, double timeout_s, double limit_fraction);

/* The kernel's defaults when no hashsize is given. Since 5.15: buckets
 * RAM/16384/pointer size, 262144 above 4 GiB on 64 bits, 65536 above
 * 1 GiB, at least 1024, and max = buckets. Before: 65536 above 4 GiB on 64
 * bits, 16384 above 1 GiB, at least 32, and max = 4 x buckets. */
void plan_kernel_default(uint64_t ram_bytes, unsigned pointer_bits, unsigned kernel, uint64_t *max,
			 uint64_t *buckets);

/* "64G", "512M", "1.5T", "17179869184B" -> bytes; a bare number is
 * refused (a unit is needed: "64" is more likely 64G than 64 bytes). */
int plan_parse_size(const char *text, uint64_t *bytes, char *err, size_t errlen);

/* The TCP states a --flow may end in, NULL-terminated: the parser's and
 * completion's one list. */
extern const char *const plan_tcp_state_words[];

#endif
