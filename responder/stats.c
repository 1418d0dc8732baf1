#include "stats.h"

#include "dnswire.h"

#include <inttypes.h>

void ct_stats_count(struct ct_stats *s, const struct ct_handle_info *info)
{
	if (info->rcode < 0) {
		ct_stats_add(s, CT_C_MALFORMED, 1);
		return;
	}
	static const enum ct_counter by_rcode[] = {
		[CT_RCODE_NOERROR] = CT_C_RCODE_NOERROR, [CT_RCODE_FORMERR] = CT_C_RCODE_FORMERR,
		[CT_RCODE_SERVFAIL] = CT_C_RCODE_SERVFAIL, [CT_RCODE_NXDOMAIN] = CT_C_RCODE_NXDOMAIN,
		[CT_RCODE_NOTIMP] = CT_C_RCODE_NOTIMP,   [CT_RCODE_REFUSED] = CT_C_RCODE_REFUSED,
	};
	if (info->rcode == CT_RCODE_BADVERS)
		ct_stats_add(s, CT_C_RCODE_BADVERS, 1);
	else if ((size_t)info->rcode < sizeof by_rcode / sizeof by_rcode[0])
		ct_stats_add(s, by_rcode[info->rcode], 1);
	else
		ct_stats_add(s, CT_C_RCODE_OTHER, 1);
	if (info->nodata)
		ct_stats_add(s, CT_C_NODATA, 1);
	if (info->referral)
		ct_stats_add(s, CT_C_REFERRAL, 1);
	if (info->truncated)
		ct_stats_add(s, CT_C_TRUNCATED, 1);
	if (info->edns)
		ct_stats_add(s, CT_C_EDNS, 1);
}

void ct_stats_sum(struct ct_stats_snapshot *out, const struct ct_stats *s)
{
	for (int i = 0; i < CT_C__COUNT; i++)
		out->c[i] += atomic_load_explicit(&s->c[i], memory_order_relaxed);
}

static json_t *stats_json(const struct ct_stats_snapshot *s);

uint64_t ct_stats_queries(const struct ct_stats_snapshot *s)
{
	return s->c[CT_C_QUERIES_UDP] + s->c[CT_C_QUERIES_TCP];
}

json_t *ct_stats_json(const struct ct_stats_snapshot *s)
{
	json_t *j = stats_json(s), *by = json_array();
	for (size_t i = 0; i < s->nlistens; i++)
		json_array_append_new(by, json_pack("{s:s, s:I, s:I}", "listen", s->by_listen[i].listen, "udp",
						    (json_int_t)s->by_listen[i].udp, "tcp", (json_int_t)s->by_listen[i].tcp));
	json_object_set_new(j, "listeners", by);
	return j;
}

static json_t *stats_json(const struct ct_stats_snapshot *s)
{
	const uint64_t *c = s->c;
	return json_pack(
		"{s:f, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I,"
		" s:{s:I, s:I, s:I}, s:I, s:I, s:{s:I, s:I, s:I, s:I}}",
		"uptime_s", s->uptime_s,
		"queries", "total", (json_int_t)ct_stats_queries(s), "udp", (json_int_t)c[CT_C_QUERIES_UDP],
		"tcp", (json_int_t)c[CT_C_QUERIES_TCP],
		"answers", "NOERROR", (json_int_t)c[CT_C_RCODE_NOERROR], "FORMERR",
		(json_int_t)c[CT_C_RCODE_FORMERR], "SERVFAIL", (json_int_t)c[CT_C_RCODE_SERVFAIL], "NXDOMAIN",
		(json_int_t)c[CT_C_RCODE_NXDOMAIN], "NOTIMP", (json_int_t)c[CT_C_RCODE_NOTIMP], "REFUSED",
		(json_int_t)c[CT_C_RCODE_REFUSED], "BADVERS", (json_int_t)c[CT_C_RCODE_BADVERS], "other",
		(json_int_t)c[CT_C_RCODE_OTHER],
		"nodata", (json_int_t)c[CT_C_NODATA], "referral", (json_int_t)c[CT_C_REFERRAL],
		"truncated", (json_int_t)c[CT_C_TRUNCATED], "edns", (json_int_t)c[CT_C_EDNS],
		"malformed", (json_int_t)c[CT_C_MALFORMED],
		"mode", "dropped", (json_int_t)c[CT_C_MODE_DROPPED], "delayed",
		(json_int_t)c[CT_C_MODE_DELAYED], "delay_overflow", (json_int_t)c[CT_C_DELAY_OVERFLOW],
		"send_errors", (json_int_t)c[CT_C_SEND_ERRORS], "recv_errors", (json_int_t)c[CT_C_RECV_ERRORS],
		"tcp", "accepted", (json_int_t)c[CT_C_TCP_ACCEPTED], "rejected_limit",
		(json_int_t)c[CT_C_TCP_REJECTED], "idle_closed", (json_int_t)c[CT_C_TCP_IDLE_CLOSED], "active",
		(json_int_t)s->tcp_active);
}

void ct_stats_print(FILE *out, const struct ct_stats_snapshot *s)
{
	const uint64_t *c = s->c;
	uint64_t q = ct_stats_queries(s);
	fprintf(out,
		"Queries:      %" PRIu64 " (udp %" PRIu64 ", tcp %" PRIu64 ") in %.1f s, %.0f qps\n"
		"Answers:      NOERROR %" PRIu64 " (nodata %" PRIu64 ", referral %" PRIu64 "), NXDOMAIN %" PRIu64
		", REFUSED %" PRIu64 ", FORMERR %" PRIu64 ", NOTIMP %" PRIu64 ", BADVERS %" PRIu64 "\n"
		"Truncated:    %" PRIu64 "   EDNS: %" PRIu64 "   malformed (no reply): %" PRIu64 "\n"
		"Mode:         dropped %" PRIu64 ", delayed %" PRIu64 ", delay queue overflow %" PRIu64 "\n"
		"Errors:       send %" PRIu64 ", receive %" PRIu64 "\n"
		"TCP:          accepted %" PRIu64 ", rejected at limit %" PRIu64 ", idle closed %" PRIu64
		", open %" PRIu64 "\n",
		q, c[CT_C_QUERIES_UDP], c[CT_C_QUERIES_TCP], s->uptime_s,
		s->uptime_s > 0 ? (double)q / s->uptime_s : 0.0, c[CT_C_RCODE_NOERROR], c[CT_C_NODATA],
		c[CT_C_REFERRAL], c[CT_C_RCODE_NXDOMAIN], c[CT_C_RCODE_REFUSED], c[CT_C_RCODE_FORMERR],
		c[CT_C_RCODE_NOTIMP], c[CT_C_RCODE_BADVERS], c[CT_C_TRUNCATED], c[CT_C_EDNS],
		c[CT_C_MALFORMED], c[CT_C_MODE_DROPPED], c[CT_C_MODE_DELAYED], c[CT_C_DELAY_OVERFLOW],
		c[CT_C_SEND_ERRORS], c[CT_C_RECV_ERRORS], c[CT_C_TCP_ACCEPTED], c[CT_C_TCP_REJECTED],
		c[CT_C_TCP_IDLE_CLOSED], s->tcp_active);
}
