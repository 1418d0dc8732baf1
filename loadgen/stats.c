#include "stats.h"

#include <errno.h>

void lg_totals_add(struct lg_totals *t, const struct lg_counters *c)
{
	for (int i = 0; i < LG__COUNT; i++)
		t->c[i] += lg_get(c, i);
}

void lg_totals_sub(struct lg_totals *out, const struct lg_totals *a, const struct lg_totals *b)
{
	for (int i = 0; i < LG__COUNT; i++)
		out->c[i] = a->c[i] >= b->c[i] ? a->c[i] - b->c[i] : 0;
}

enum lg_counter lg_errno_counter(int err)
{
	switch (err) {
	case EPERM:
		return LG_ERR_EPERM;
	case ENOBUFS:
		return LG_ERR_ENOBUFS;
	case ECONNREFUSED:
		return LG_ERR_ECONNREFUSED;
	case EADDRNOTAVAIL:
	case EADDRINUSE:
		return LG_ERR_EADDRNOTAVAIL;
	default:
		return LG_ERR_OTHER;
	}
}

const char *lg_rcode_name(int rcode)
{
	static const char *const names[16] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
						"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
						"RCODE12", "RCODE13", "RCODE14", "RCODE15" };
	return rcode >= 0 && rcode < 16 ? names[rcode] : "?";
}

json_t *lg_counts_json(const struct lg_totals *t)
{
	const uint64_t *c = t->c;
	json_t *rcodes = json_object();
	for (int i = 0; i < 16; i++)
		if (c[LG_RCODE0 + i])
			json_object_set_new(rcodes, lg_rcode_name(i), json_integer((json_int_t)c[LG_RCODE0 + i]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o,"
			 " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I}",
			 "sent", (json_int_t)c[LG_SENT], "answered", (json_int_t)c[LG_ANSWERED], "timeouts",
			 (json_int_t)c[LG_TIMEOUTS], "failed", (json_int_t)c[LG_ERRORS], "abandoned",
			 (json_int_t)c[LG_ABANDONED], "late", (json_int_t)c[LG_LATE], "throttled",
			 (json_int_t)c[LG_THROTTLED], "mismatched", (json_int_t)c[LG_MISMATCHED], "malformed",
			 (json_int_t)c[LG_MALFORMED], "truncated", (json_int_t)c[LG_TRUNCATED], "new_flows",
			 (json_int_t)c[LG_NEW_FLOWS], "rcodes", rcodes, "errors", "eperm",
			 (json_int_t)c[LG_ERR_EPERM], "enobufs", (json_int_t)c[LG_ERR_ENOBUFS], "econnrefused",
			 (json_int_t)c[LG_ERR_ECONNREFUSED], "eaddrnotavail", (json_int_t)c[LG_ERR_EADDRNOTAVAIL],
			 "other", (json_int_t)c[LG_ERR_OTHER], "tcp_connect_failed",
			 (json_int_t)c[LG_TCP_CONNECT_FAILED], "tcp_connect_timeout",
			 (json_int_t)c[LG_TCP_CONNECT_TIMEOUT], "tcp_closed", (json_int_t)c[LG_TCP_CLOSED], "attempt_timeouts",
			 (json_int_t)c[LG_RETRIES]);
}

json_t *lg_latency_json(const struct ct_hist *h)
{
	if (h->total == 0)
		return json_null();
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)h->total, "mean",
			 ct_hist_mean(h) / 1e3, "p50", (double)ct_hist_percentile(h, 50) / 1e3, "p90",
			 (double)ct_hist_percentile(h, 90) / 1e3, "p99", (double)ct_hist_percentile(h, 99) / 1e3,
			 "p999", (double)ct_hist_percentile(h, 99.9) / 1e3, "max", (double)h->max_ns / 1e3);
}
