#include "report.h"

#include <inttypes.h>

#define pct lg_pct

void lg_status_line(FILE *out, double t_s, double total_s, const struct lg_totals *total,
		    const struct lg_totals *last, double last_s, const struct lg_totals *canary)
{
	const uint64_t *c = total->c, *l = last->c;
	fprintf(out, "\r\033[K%5.1f/%.0fs  %7.0f qps sent  %7.0f answered  %6.0f new flows/s  timeouts %" PRIu64
		     "  late %" PRIu64 "  errors %" PRIu64,
		t_s, total_s, (double)l[LG_SENT] / last_s, (double)l[LG_ANSWERED] / last_s,
		(double)l[LG_NEW_FLOWS] / last_s, c[LG_TIMEOUTS], c[LG_LATE], c[LG_ERRORS]);
	if (canary)
		fprintf(out, "  canary loss %.1f%%", pct(canary->c[LG_TIMEOUTS] + canary->c[LG_ERRORS], canary->c[LG_SENT]));
	fflush(out);
}

static json_t *stream_json(const struct lg_result *r, double secs, bool with_histogram)
{
	json_t *j = lg_counts_json(&r->t);
	lg_rates_json(j, &r->t, secs);
	json_object_set_new(j, "latency_us", json_pack("{s:o, s:o}", "intended", lg_latency_json(&r->lat_intended),
						       "actual", lg_latency_json(&r->lat_actual)));
	json_object_set_new(j, "send_lag_us", lg_latency_json(&r->send_lag));
	if (with_histogram)
		json_object_set_new(j, "histogram_us",
				    json_pack("{s:s, s:o, s:o, s:o}", "format", "[bucket lower bound in us, count]",
					      "intended", lg_histogram_json(&r->lat_intended), "actual",
					      lg_histogram_json(&r->lat_actual), "send_lag", lg_histogram_json(&r->send_lag)));
	return j;
}

json_t *lg_summary_json(const struct lg_report *r, bool with_histogram)
{
	const struct lg_config *c = r->cfg;
	json_t *j = stream_json(r->load, r->duration_s, with_histogram);
	json_object_set_new(j, "duration_s", json_real(r->duration_s));
	/* where the report puts time 0, and lines the sampler's rows up with */
	json_object_set_new(j, "started_unix_ms", json_integer((json_int_t)r->started_unix_ms));
	json_t *by_sent = json_array();
	for (size_t i = 0; i < r->load->ntimeouts_by_sent; i++)
		json_array_append_new(by_sent, json_integer((json_int_t)r->load->timeouts_by_sent[i]));
	json_object_set_new(j, "timeouts_by_sent_interval", by_sent);
	json_object_set_new(j, "interval_s", json_real((double)c->interval_ns / 1e9));
	json_object_set_new(j, "interrupted", json_boolean(r->interrupted));
	json_object_set_new(j, "config",
			    json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:f, s:I}", "mode",
				      c->proto == LG_TCP ? "tcp" : "udp", "loop", c->load.open_loop ? "open" : "closed",
				      "per_query_sockets", c->load.per_flow == 1, "flows", (json_int_t)c->load.pool,
				      "queries_per_flow", (json_int_t)c->load.per_flow, "threads", (json_int_t)c->threads,
				      "timeout_s", (double)c->timeout_ns / 1e9, "src_addresses", (json_int_t)c->src.count));
	if (r->canary)
		json_object_set_new(j, "canary", stream_json(r->canary, r->duration_s, with_histogram));
	return j;
}

static void print_latency(FILE *out, const char *what, const struct ct_hist *h)
{
	if (!h->total)
		return;
	fprintf(out, "  Latency %-9s p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n", what,
		(double)ct_hist_percentile(h, 50) / 1e6, (double)ct_hist_percentile(h, 90) / 1e6,
		(double)ct_hist_percentile(h, 99) / 1e6, (double)ct_hist_percentile(h, 99.9) / 1e6,
		(double)h->max_ns / 1e6);
}

static void print_stream(FILE *out, const char *title, const struct lg_result *r, double secs)
{
	const uint64_t *c = r->t.c;
	fprintf(out, "%s\n", title);
	fprintf(out, "  Queries sent:         %" PRIu64 "\n", c[LG_SENT]);
	fprintf(out, "  Queries completed:    %" PRIu64 " (%.2f%%)\n", c[LG_ANSWERED], pct(c[LG_ANSWERED], c[LG_SENT]));
	fprintf(out, "  Queries lost:         %" PRIu64 " (%.2f%%): %" PRIu64 " timed out, %" PRIu64 " failed\n",
		c[LG_TIMEOUTS] + c[LG_ERRORS], pct(c[LG_TIMEOUTS] + c[LG_ERRORS], c[LG_SENT]), c[LG_TIMEOUTS],
		c[LG_ERRORS]);
	if (c[LG_LOOKUPS] && c[LG_LOOKUPS] != c[LG_SENT] - c[LG_ABANDONED])
		fprintf(out, "  Lookups:              %" PRIu64 ", failed %" PRIu64 " (%.2f%%): a query of theirs unanswered\n",
			c[LG_LOOKUPS], c[LG_LOOKUPS_FAILED], pct(c[LG_LOOKUPS_FAILED], c[LG_LOOKUPS]));
	if (c[LG_ABANDONED])
		fprintf(out, "  Queries abandoned:    %" PRIu64 " (in flight when interrupted)\n", c[LG_ABANDONED]);
	if (c[LG_LATE] || c[LG_THROTTLED])
		fprintf(out, "  Not sent:             %" PRIu64 " late (behind schedule), %" PRIu64 " throttled\n",
			c[LG_LATE], c[LG_THROTTLED]);
	fprintf(out, "  Response codes:      ");
	for (int i = 0; i < 16; i++)
		if (c[LG_RCODE0 + i])
			fprintf(out, " %s %" PRIu64 " (%.2f%%)", lg_rcode_name(i), c[LG_RCODE0 + i],
				pct(c[LG_RCODE0 + i], c[LG_ANSWERED]));
	fputc('\n', out);
	if (c[LG_MISMATCHED] || c[LG_MALFORMED] || c[LG_TRUNCATED])
		fprintf(out, "  Odd answers:          %" PRIu64 " mismatched, %" PRIu64 " malformed, %" PRIu64 " truncated\n",
			c[LG_MISMATCHED], c[LG_MALFORMED], c[LG_TRUNCATED]);
	uint64_t errs = c[LG_ERR_EPERM] + c[LG_ERR_ENOBUFS] + c[LG_ERR_ECONNREFUSED] + c[LG_ERR_EADDRNOTAVAIL] +
			c[LG_ERR_OTHER] + c[LG_TCP_CONNECT_FAILED] + c[LG_TCP_CONNECT_TIMEOUT] + c[LG_TCP_CLOSED];
	if (errs)
		fprintf(out,
			"  Errors:               EPERM %" PRIu64 ", ENOBUFS %" PRIu64 ", ECONNREFUSED %" PRIu64
			", EADDRNOTAVAIL %" PRIu64 ", other %" PRIu64 "; TCP connect failed %" PRIu64 ", connect timeout %" PRIu64
			", closed %" PRIu64 "\n",
			c[LG_ERR_EPERM], c[LG_ERR_ENOBUFS], c[LG_ERR_ECONNREFUSED], c[LG_ERR_EADDRNOTAVAIL], c[LG_ERR_OTHER],
			c[LG_TCP_CONNECT_FAILED], c[LG_TCP_CONNECT_TIMEOUT], c[LG_TCP_CLOSED]);
	fprintf(out, "  Queries per second:   %.1f answered, %.1f sent\n", secs > 0 ? (double)c[LG_ANSWERED] / secs : 0,
		secs > 0 ? (double)c[LG_SENT] / secs : 0);
	fprintf(out, "  New flows:            %" PRIu64 " (%.1f per second)\n", c[LG_NEW_FLOWS],
		secs > 0 ? (double)c[LG_NEW_FLOWS] / secs : 0);
	print_latency(out, "intended", &r->lat_intended);
	print_latency(out, "actual", &r->lat_actual);
	if (r->send_lag.total)
		fprintf(out, "  Send lag              p50 %.3f  p99 %.3f  max %.3f ms (behind the intended time)\n",
			(double)ct_hist_percentile(&r->send_lag, 50) / 1e6, (double)ct_hist_percentile(&r->send_lag, 99) / 1e6,
			(double)r->send_lag.max_ns / 1e6);
}

void lg_print_summary(FILE *out, const struct lg_report *r)
{
	fprintf(out, "Statistics (%s loop, %s, %.2f s%s):\n\n", r->cfg->load.open_loop ? "open" : "closed",
		r->cfg->proto == LG_TCP ? "tcp" : "udp", r->duration_s, r->interrupted ? ", interrupted" : "");
	print_stream(out, "Load", r->load, r->duration_s);
	if (r->canary) {
		fputc('\n', out);
		print_stream(out, "Canary (a fresh socket per query)", r->canary, r->duration_s);
	}
}
