#include "ctnl.h"

#include "clock.h"
#include "ct_err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct ct_nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	/* One page: a per-CPU statistics message is ~100 bytes, and the kernel
	 * sizes each dump's buffer by the largest read the socket has seen, so
	 * a 32 KiB read would cost an order-3 page allocation per sample (at
	 * 1 ms, a visible share of the sampler's time); a page-sized one is a
	 * slab object. Many CPUs take more reads, not a bigger buffer. */
	char buf[4096];
};

int ct_nl_open(struct ct_nl **out, char *err, size_t errlen)
{
	struct ct_nl *nl = calloc(1, sizeof *nl);
	*out = NULL;
	if (!nl)
		return ct_err(err, errlen, "out of memory");
	nl->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		ct_nl_close(nl);
		return ct_err(err, errlen, "netfilter netlink socket: %s", strerror(e));
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)ct_now_ns();
	*out = nl;
	return 0;
}

void ct_nl_close(struct ct_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

/* Sends one ctnetlink request and runs cb over every answer. */
static int request(struct ct_nl *nl, uint16_t msg, uint16_t flags, mnl_cb_t cb, void *data, char *err,
		   size_t errlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof *nfh);
	nfh->nfgen_family = AF_UNSPEC;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return ct_err(err, errlen, "ctnetlink send: %s", strerror(errno));
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof nl->buf);
		if (n < 0)
			return ct_err(err, errlen, "ctnetlink receive: %s", strerror(errno));
		int rc = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0)
			return ct_err(err, errlen, "ctnetlink: %s%s", strerror(errno),
				      errno == EOPNOTSUPP || errno == ENOENT ? " (is nf_conntrack_netlink loaded?)" : "");
	}
}

struct attrs {
	const struct nlattr *tb[CTA_STATS_MAX + 1 > CTA_STATS_GLOBAL_MAX + 1 ? CTA_STATS_MAX + 1
									   : CTA_STATS_GLOBAL_MAX + 1];
	int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	int type = mnl_attr_get_type(attr);
	if (type <= a->max && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static const int stat_attr[CT_ST__COUNT] = {
	[CT_ST_FOUND] = CTA_STATS_FOUND,
	[CT_ST_INVALID] = CTA_STATS_INVALID,
	[CT_ST_INSERT] = CTA_STATS_INSERT,
	[CT_ST_INSERT_FAILED] = CTA_STATS_INSERT_FAILED,
	[CT_ST_DROP] = CTA_STATS_DROP,
	[CT_ST_EARLY_DROP] = CTA_STATS_EARLY_DROP,
	[CT_ST_ERROR] = CTA_STATS_ERROR,
	[CT_ST_SEARCH_RESTART] = CTA_STATS_SEARCH_RESTART,
	[CT_ST_CLASH_RESOLVE] = CTA_STATS_CLASH_RESOLVE,
	[CT_ST_CHAINTOOLONG] = CTA_STATS_CHAIN_TOOLONG,
};

static int stats_cpu_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_ctstat *out = data;
	struct attrs a = { .max = CTA_STATS_MAX };
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &a);
	for (int i = 0; i < CT_ST__COUNT; i++) {
		if (a.tb[stat_attr[i]]) {
			out->v[i] += ntohl(mnl_attr_get_u32(a.tb[stat_attr[i]]));
			out->have[i] = true;
		}
	}
	return MNL_CB_OK;
}

int ct_nl_stats(struct ct_nl *nl, struct ct_ctstat *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	return request(nl, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP, stats_cpu_cb, out, err, errlen);
}

struct global {
	uint64_t entries, max;
	int seen;
};

static int global_cb(const struct nlmsghdr *nlh, void *data)
{
	struct global *g = data;
	struct attrs a = { .max = CTA_STATS_GLOBAL_MAX };
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &a);
	if (a.tb[CTA_STATS_GLOBAL_ENTRIES]) {
		g->entries = ntohl(mnl_attr_get_u32(a.tb[CTA_STATS_GLOBAL_ENTRIES]));
		g->seen |= 1;
	}
	if (a.tb[CTA_STATS_GLOBAL_MAX_ENTRIES]) {
		g->max = ntohl(mnl_attr_get_u32(a.tb[CTA_STATS_GLOBAL_MAX_ENTRIES]));
		g->seen |= 2;
	}
	return MNL_CB_OK;
}

int ct_nl_global(struct ct_nl *nl, uint64_t *entries, uint64_t *max, char *err, size_t errlen)
{
	struct global g = { 0 };
	if (request(nl, IPCTNL_MSG_CT_GET_STATS, NLM_F_ACK, global_cb, &g, err, errlen) < 0)
		return -1;
	if (g.seen != 3)
		return ct_err(err, errlen, "ctnetlink: the global stats lack entries or max");
	*entries = g.entries;
	*max = g.max;
	return 0;
}

/* ---- table composition ---- */

const char *ct_tcp_state_name(int state)
{
	static const char *const names[CT_TCP_STATES] = {
		"none",      "syn_sent",   "syn_recv",  "established", "fin_wait", "close_wait",
		"last_ack",  "time_wait",  "close",     "syn_sent2",   "other",
	};
	return state >= 0 && state < CT_TCP_STATES ? names[state] : "other";
}

static int classify_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_table *t = data;
	(void)type;
	t->total++;
	uint8_t proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (proto == IPPROTO_UDP) {
		uint32_t st = nfct_get_attr_u32(ct, ATTR_STATUS);
		if (st & IPS_ASSURED)
			t->udp_assured++;
		else if (st & IPS_SEEN_REPLY)
			t->udp_replied++;
		else
			t->udp_unreplied++;
	} else if (proto == IPPROTO_TCP) {
		uint8_t s = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
		t->tcp[s < CT_TCP_STATES - 1 ? s : CT_TCP_STATES - 1]++;
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		t->icmp++;
	} else {
		t->other++;
	}
	return NFCT_CB_CONTINUE;
}

int ct_table_dump(struct ct_table *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	uint64_t t0 = ct_now_ns();
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	if (!h)
		return ct_err(err, errlen, "table dump: nfct_open: %s", strerror(errno));
	nfct_callback_register(h, NFCT_T_ALL, classify_cb, out);
	uint32_t family = AF_UNSPEC;
	int rc = nfct_query(h, NFCT_Q_DUMP, &family);
	int e = errno;
	nfct_close(h);
	out->dump_ms = (double)(ct_now_ns() - t0) / 1e6;
	if (rc < 0)
		return ct_err(err, errlen, "table dump: %s", strerror(e));
	return 0;
}

/* ---- synthetic entries ---- */

static void fill_tuple(struct nf_conntrack *ct, uint32_t i)
{
	uint32_t src = htonl((198u << 24 | 19u << 16) + 1 + i / 50000);
	uint32_t dst = htonl(198u << 24 | 18u << 16 | 255u << 8 | 254u);
	uint16_t sport = htons((uint16_t)(10000 + i % 50000)), dport = htons(9);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, sport);
	nfct_set_attr_u16(ct, ATTR_PORT_DST, dport);
	/* the reply tuple needs its own protocol numbers, or ctnetlink says EINVAL */
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, dst);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, src);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, dport);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, sport);
}

/* Runs one ctnetlink query per fill entry 0..n-1: CREATE with the fill's
 * attributes, or DESTROY. Stops at the first error unless tolerated. */
static int fill_each(uint32_t n, bool create, uint32_t timeout_s, uint32_t *done, char *err, size_t errlen)
{
	*done = 0;
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct nf_conntrack *ct = nfct_new();
	int rc = 0;
	if (!h || !ct) {
		rc = ct_err(err, errlen, "--fill: cannot open ctnetlink: %s", strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		fill_tuple(ct, i);
		if (create) {
			nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout_s);
			nfct_set_attr_u32(ct, ATTR_STATUS, IPS_ASSURED | IPS_SEEN_REPLY);
			nfct_set_attr_u32(ct, ATTR_MARK, CT_FILL_MARK);
		}
		if (nfct_query(h, create ? NFCT_Q_CREATE : NFCT_Q_DESTROY, ct) == 0) {
			(*done)++;
		} else if (create) {
			rc = ct_err(err, errlen, "--fill: entry %u of %u: %s%s", i + 1, n, strerror(errno),
				    errno == ENOMEM ? " (the table is full: nf_conntrack_max)" :
				    errno == EEXIST ? " (a fill entry exists already: another sampler's?)" : "");
			break;
		} else if (errno != ENOENT && rc == 0) {
			/* an expired entry is gone already; anything else is worth saying */
			rc = ct_err(err, errlen, "--fill: removing entry %u: %s", i + 1, strerror(errno));
		}
	}
out:
	if (ct)
		nfct_destroy(ct);
	if (h)
		nfct_close(h);
	return rc;
}

int ct_fill_create(uint32_t n, uint32_t timeout_s, uint32_t *created, char *err, size_t errlen)
{
	return fill_each(n, true, timeout_s, created, err, errlen);
}

int ct_fill_remove(uint32_t n, uint32_t *removed, char *err, size_t errlen)
{
	return fill_each(n, false, 0, removed, err, errlen);
}

/* ---- forgetting a run's flows ---- */

struct forget {
	int family;
	uint8_t src[16], dst[16];
	unsigned src_prefix; /* the bits of src that must match */
	uint8_t nat_dst[16];
	bool by_nat_dst;     /* only flows whose replies come from nat_dst (DNATed there) */
	uint16_t dport; /* network order */
	struct nf_conntrack *match[4096];
	size_t n;
	bool more; /* more matched than one pass holds */
};

/* Whether the entry's address agrees with want on its first bits. */
static bool same_addr(const struct nf_conntrack *ct, int family, int attr4, int attr6, const uint8_t *want,
		      unsigned bits)
{
	uint8_t got[16];
	if (family == AF_INET) {
		uint32_t a = nfct_get_attr_u32(ct, attr4);
		memcpy(got, &a, 4);
	} else {
		const void *a = nfct_get_attr(ct, attr6);
		if (!a)
			return false;
		memcpy(got, a, 16);
	}
	for (unsigned i = 0; i < bits; i++)
		if (((got[i / 8] ^ want[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static int forget_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	(void)type;
	struct forget *f = data;
	uint8_t proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) != f->family || (proto != IPPROTO_UDP && proto != IPPROTO_TCP) ||
	    nfct_get_attr_u16(ct, ATTR_PORT_DST) != f->dport ||
	    !same_addr(ct, f->family, ATTR_IPV4_SRC, ATTR_IPV6_SRC, f->src, f->src_prefix) ||
	    !same_addr(ct, f->family, ATTR_IPV4_DST, ATTR_IPV6_DST, f->dst, f->family == AF_INET ? 32 : 128) ||
	    (f->by_nat_dst &&
	     !same_addr(ct, f->family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, f->nat_dst, f->family == AF_INET ? 32 : 128)))
		return NFCT_CB_CONTINUE;
	if (f->n == sizeof f->match / sizeof *f->match) {
		f->more = true;
		return NFCT_CB_CONTINUE;
	}
	f->match[f->n++] = nfct_clone(ct);
	return NFCT_CB_CONTINUE;
}

int ct_nl_forget(int family, const void *src, unsigned src_prefix, const void *dst, uint16_t dport, size_t *deleted,
		 char *err, size_t errlen)
{
	return ct_nl_forget_nat(family, src, src_prefix, dst, dport, NULL, deleted, err, errlen);
}

int ct_nl_forget_nat(int family, const void *src, unsigned src_prefix, const void *dst, uint16_t dport,
		     const void *nat_dst, size_t *deleted, char *err, size_t errlen)
{
	*deleted = 0;
	struct forget *f = calloc(1, sizeof *f);
	if (!f)
		abort();
	f->family = family;
	f->src_prefix = src_prefix;
	memcpy(f->src, src, family == AF_INET ? 4 : 16);
	memcpy(f->dst, dst, family == AF_INET ? 4 : 16);
	if (nat_dst) {
		f->by_nat_dst = true;
		memcpy(f->nat_dst, nat_dst, family == AF_INET ? 4 : 16);
	}
	f->dport = htons(dport);
	int rc = 0;
	do {
		struct nfct_handle *h = nfct_open(CONNTRACK, 0);
		if (!h) {
			rc = ct_err(err, errlen, "forgetting flows: nfct_open: %s", strerror(errno));
			break;
		}
		f->n = 0;
		f->more = false;
		nfct_callback_register(h, NFCT_T_ALL, forget_cb, f);
		uint32_t fam = (uint32_t)family;
		if (nfct_query(h, NFCT_Q_DUMP, &fam) < 0)
			rc = ct_err(err, errlen, "forgetting flows: dump: %s", strerror(errno));
		nfct_callback_unregister(h);
		for (size_t i = 0; i < f->n; i++) {
			/* gone already (expired meanwhile): as good as deleted */
			if (rc == 0 && (nfct_query(h, NFCT_Q_DESTROY, f->match[i]) == 0 || errno == ENOENT))
				(*deleted)++;
			nfct_destroy(f->match[i]);
		}
		nfct_close(h);
	} while (rc == 0 && f->more);
	free(f);
	return rc;
}
