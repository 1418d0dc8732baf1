#include "lg_summary.h"

#include <errno.h>
#include <string.h>

void lg_totals_sub(struct lg_totals *out, const struct lg_totals *a, const struct lg_totals *b)
{
	for (int i = 0; i < LG__COUNT; i++)
		out->c[i] = a->c[i] >= b->c[i] ? a->c[i] - b->c[i] : 0;
}

const char *lg_rcode_name(int rcode)
{
	static const char *const names[16] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
						"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
						"RCODE12", "RCODE13", "RCODE14", "RCODE15" };
	return rcode >= 0 && rcode < 16 ? names[rcode] : "?";
}

/* The counters' names in the JSON: top-level, and under "errors". */
static const struct {
	enum lg_counter c;
	const char *name;
	bool error;
	bool since; /* added later: absent from older files, read as 0 */
} count_names[] = {
	{ LG_SENT, "sent", false },
	{ LG_ANSWERED, "answered", false },
	{ LG_TIMEOUTS, "timeouts", false },
	{ LG_ERRORS, "failed", false },
	{ LG_ABANDONED, "abandoned", false },
	{ LG_LATE, "late", false },
	{ LG_THROTTLED, "throttled", false },
	{ LG_MISMATCHED, "mismatched", false },
	{ LG_MALFORMED, "malformed", false },
	{ LG_TRUNCATED, "truncated", false },
	{ LG_NEW_FLOWS, "new_flows", false },
	{ LG_ERR_EPERM, "eperm", true },
	{ LG_ERR_ENOBUFS, "enobufs", true },
	{ LG_ERR_ECONNREFUSED, "econnrefused", true },
	{ LG_ERR_EADDRNOTAVAIL, "eaddrnotavail", true },
	{ LG_ERR_OTHER, "other", true },
	{ LG_TCP_CONNECT_FAILED, "tcp_connect_failed", true },
	{ LG_TCP_CONNECT_TIMEOUT, "tcp_connect_timeout", true },
	{ LG_TCP_CLOSED, "tcp_closed", true },
	{ LG_RETRIES, "attempt_timeouts", false },
	{ LG_LOOKUPS, "lookups", false, true },
	{ LG_LOOKUPS_FAILED, "lookups_failed", false, true },
};
#define NCOUNT_NAMES (sizeof count_names / sizeof *count_names)

json_t *lg_counts_json(const struct lg_totals *t)
{
	const uint64_t *c = t->c;
	json_t *o = json_object(), *errors = json_object(), *rcodes = json_object();
	for (int i = 0; i < 16; i++)
		if (c[LG_RCODE0 + i])
			json_object_set_new(rcodes, lg_rcode_name(i), json_integer((json_int_t)c[LG_RCODE0 + i]));
	for (size_t i = 0; i < NCOUNT_NAMES; i++) {
		json_object_set_new(count_names[i].error ? errors : o, count_names[i].name,
				    json_integer((json_int_t)c[count_names[i].c]));
		if (count_names[i].c == LG_NEW_FLOWS) /* the order the readers know */
			json_object_set_new(o, "rcodes", rcodes);
		if (count_names[i].c == LG_TCP_CLOSED)
			json_object_set_new(o, "errors", errors);
	}
	return o;
}

bool lg_counts_read(json_t *j, struct lg_totals *t)
{
	memset(t, 0, sizeof *t);
	json_t *errors = json_object_get(j, "errors"), *rcodes = json_object_get(j, "rcodes");
	if (!json_is_object(j) || !json_is_object(errors) || !json_is_object(rcodes))
		return false;
	for (size_t i = 0; i < NCOUNT_NAMES; i++) {
		json_t *v = json_object_get(count_names[i].error ? errors : j, count_names[i].name);
		if (!v && count_names[i].since)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return false;
		t->c[count_names[i].c] = (uint64_t)json_integer_value(v);
	}
	const char *k;
	json_t *v;
	json_object_foreach(rcodes, k, v) {
		int r = 0;
		while (r < 16 && strcmp(k, lg_rcode_name(r)) != 0)
			r++;
		if (r == 16 || !json_is_integer(v) || json_integer_value(v) < 0)
			return false;
		t->c[LG_RCODE0 + r] = (uint64_t)json_integer_value(v);
	}
	return true;
}

json_t *lg_histogram_json(const struct ct_hist *h)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < CT_HIST_BUCKETS; i++)
		if (h->counts[i])
			json_array_append_new(a, json_pack("[f, I]", (double)ct_hist_bucket_low(i) / 1e3,
							   (json_int_t)h->counts[i]));
	return a;
}

json_t *lg_latency_json(const struct ct_hist *h)
{
	if (h->total == 0)
		return json_null();
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)h->total, "mean",
			 ct_hist_mean(h) / 1e3, "p50", (double)ct_hist_percentile(h, 50) / 1e3, "p90",
			 (double)ct_hist_percentile(h, 90) / 1e3, "p99", (double)ct_hist_percentile(h, 99) / 1e3,
			 "p999", (double)ct_hist_percentile(h, 99.9) / 1e3, "max", (double)h->max_ns / 1e3, "min",
			 (double)h->min_ns / 1e3);
}

double lg_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void lg_rates_json(json_t *j, const struct lg_totals *t, double secs)
{
	const uint64_t *c = t->c;
	json_object_set_new(j, "qps", json_real(secs > 0 ? (double)c[LG_ANSWERED] / secs : 0));
	json_object_set_new(j, "sent_qps", json_real(secs > 0 ? (double)c[LG_SENT] / secs : 0));
	json_object_set_new(j, "new_flows_per_s", json_real(secs > 0 ? (double)c[LG_NEW_FLOWS] / secs : 0));
	json_object_set_new(j, "loss_pct", json_real(lg_pct(c[LG_TIMEOUTS] + c[LG_ERRORS], c[LG_SENT] - c[LG_ABANDONED])));
	json_object_set_new(j, "lookup_loss_pct", json_real(lg_pct(c[LG_LOOKUPS_FAILED], c[LG_LOOKUPS])));
}
