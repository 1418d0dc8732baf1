/* sampler.csv, the sampler's time series: its columns, each named once,
 * in the order the writer puts them. The writer's header and every reader
 * (the report, the probe's analysis, the live line) go by this enum, never
 * by a name string of their own. A reader finds each column in the file's
 * header: a file from another version may lack one (-1: NAN values), and
 * an empty field is a value the kernel did not report (NAN, never 0). */
#ifndef RF_SAMPLER_CSV_H
#define RF_SAMPLER_CSV_H

#define RF_SAMPLER_COLUMNS(X)                                                                                          \
	X(T_S, "t_s")                       /* seconds since the sampler started */                                 \
	X(WALL_S, "wall_s")                 /* Unix time */                                                          \
	X(COUNT, "count")                   /* entries in the table */                                              \
	X(MAX, "max")                       /* nf_conntrack_max */                                                   \
	X(BUCKETS, "buckets")               /* nf_conntrack_buckets */                                               \
	/* the kernel's stat counters (ctstat.h, in its order) */                                                   \
	X(FOUND, "found")                                                                                            \
	X(INVALID, "invalid")                                                                                        \
	X(INSERT, "insert")                                                                                          \
	X(INSERT_FAILED, "insert_failed")                                                                            \
	X(DROP, "drop")                                                                                              \
	X(EARLY_DROP, "early_drop")                                                                                  \
	X(ERROR, "error")                                                                                            \
	X(SEARCH_RESTART, "search_restart")                                                                          \
	X(CLASH_RESOLVE, "clash_resolve")                                                                            \
	X(CHAINTOOLONG, "chaintoolong")                                                                              \
	X(KMSG_TABLE_FULL, "kmsg_table_full") /* table-full lines since the last sample */                          \
	X(KMSG_SUPPRESSED, "kmsg_suppressed")                                                                        \
	/* a table dump's composition (ctnl.h; empty between dumps) */                                               \
	X(TABLE_TOTAL, "table_total")                                                                                \
	X(UDP_UNREPLIED, "udp_unreplied")                                                                            \
	X(UDP_REPLIED, "udp_replied")                                                                                \
	X(UDP_ASSURED, "udp_assured")                                                                                \
	/* TCP by state (ctnl.h's order, from 1: none is not a state) */                                             \
	X(TCP_SYN_SENT, "tcp_syn_sent")                                                                              \
	X(TCP_SYN_RECV, "tcp_syn_recv")                                                                              \
	X(TCP_ESTABLISHED, "tcp_established")                                                                        \
	X(TCP_FIN_WAIT, "tcp_fin_wait")                                                                              \
	X(TCP_CLOSE_WAIT, "tcp_close_wait")                                                                          \
	X(TCP_LAST_ACK, "tcp_last_ack")                                                                              \
	X(TCP_TIME_WAIT, "tcp_time_wait")                                                                            \
	X(TCP_CLOSE, "tcp_close")                                                                                    \
	X(TCP_SYN_SENT2, "tcp_syn_sent2")                                                                            \
	X(TCP_OTHER, "tcp_other")                                                                                    \
	X(ICMP, "icmp")                                                                                              \
	X(OTHER, "other")                                                                                            \
	X(TABLE_DUMP_MS, "table_dump_ms")

enum rf_col {
#define RF_COL_ENUM(e, name) RF_COL_##e,
	RF_SAMPLER_COLUMNS(RF_COL_ENUM)
#undef RF_COL_ENUM
	RF_COL__N
};

/* The first of the kernel's stat counters and of the TCP states: the
 * writer fills them in its own order, which a unit test holds to this. */
#define RF_COL_STAT0 RF_COL_FOUND
#define RF_COL_TCP0 RF_COL_TCP_SYN_SENT

extern const char *const rf_col_names[RF_COL__N];

/* The header line, with its newline. */
const char *rf_csv_header(void);

/* A file's columns, found in its header line. */
struct rf_csv {
	int col[RF_COL__N]; /* the column's index in the file; -1: not in it */
};

void rf_csv_open(struct rf_csv *c, const char *header);

/* A row's value in a column (NAN: empty, or not in the file). */
double rf_csv_get(const struct rf_csv *c, const char *line, enum rf_col col);

#endif
