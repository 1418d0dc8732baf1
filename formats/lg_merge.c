#include "lg_merge.h"

#include "ct_err.h"
#include "hist.h"
#include "lg_jsonl.h"
#include "lg_summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* A latency histogram as written ([lower bound in us, count] buckets and
 * the latency object's count, min, max and mean), added into h. */
static bool hist_read(json_t *buckets, json_t *lat, struct ct_hist *h)
{
	if (json_is_null(lat) || !lat)
		return json_array_size(buckets) == 0;
	double count = json_number_value(json_object_get(lat, "count")), mean = json_number_value(json_object_get(lat, "mean")),
	       min = json_number_value(json_object_get(lat, "min")), max = json_number_value(json_object_get(lat, "max"));
	if (!json_is_array(buckets) || !json_object_get(lat, "min"))
		return false;
	struct ct_hist part;
	ct_hist_init(&part);
	size_t i;
	json_t *b;
	json_array_foreach(buckets, i, b) {
		json_t *low = json_array_get(b, 0), *n = json_array_get(b, 1);
		if (!json_is_number(low) || !json_is_integer(n) || json_integer_value(n) < 0)
			return false;
		ct_hist_add_bucket(&part, (uint64_t)llround(json_number_value(low) * 1e3), (uint64_t)json_integer_value(n));
	}
	if ((double)part.total != count)
		return false;
	part.min_ns = (uint64_t)llround(min * 1e3);
	part.max_ns = (uint64_t)llround(max * 1e3);
	part.sum_ns = mean * count * 1e3;
	ct_hist_merge(h, &part);
	return true;
}

/* One stream (the load, or the canary) of n parts: the counts summed, the
 * histograms merged, the rates over secs; as loadgen/report.c writes it. */
static json_t *merge_stream(json_t *const *s, size_t n, double secs, char *err, size_t errlen)
{
	struct lg_totals sum = { 0 };
	struct ct_hist h[3];
	static const char *const kinds[3] = { "intended", "actual", "send_lag" };
	for (int k = 0; k < 3; k++)
		ct_hist_init(&h[k]);
	for (size_t i = 0; i < n; i++) {
		struct lg_totals t;
		json_t *hb = json_object_get(s[i], "histogram_us"), *lat = json_object_get(s[i], "latency_us");
		if (!lg_counts_read(s[i], &t)) {
			ct_err(err, errlen, "part %zu: not a loadgen summary (its counts)", i + 1);
			return NULL;
		}
		for (int c = 0; c < LG__COUNT; c++)
			sum.c[c] += t.c[c];
		for (int k = 0; k < 3; k++) {
			json_t *l = k < 2 ? json_object_get(lat, kinds[k]) : json_object_get(s[i], "send_lag_us");
			if (!hist_read(json_object_get(hb, kinds[k]), l, &h[k])) {
				ct_err(err, errlen, "part %zu: no full %s histogram (written with --summary?)", i + 1, kinds[k]);
				return NULL;
			}
		}
	}
	json_t *j = lg_counts_json(&sum);
	lg_rates_json(j, &sum, secs);
	json_object_set_new(j, "latency_us", json_pack("{s:o, s:o}", "intended", lg_latency_json(&h[0]), "actual",
						       lg_latency_json(&h[1])));
	json_object_set_new(j, "send_lag_us", lg_latency_json(&h[2]));
	json_object_set_new(j, "histogram_us", json_pack("{s:s, s:o, s:o, s:o}", "format", "[bucket lower bound in us, count]",
							 "intended", lg_histogram_json(&h[0]), "actual", lg_histogram_json(&h[1]),
							 "send_lag", lg_histogram_json(&h[2])));
	return j;
}

json_t *lg_summary_merge(json_t *const *parts, size_t n, char *err, size_t errlen)
{
	if (!n) {
		ct_err(err, errlen, "nothing to merge");
		return NULL;
	}
	double secs = 0;
	json_int_t started = 0;
	bool interrupted = false;
	size_t nby = 0;
	for (size_t i = 0; i < n; i++) {
		double d = json_number_value(json_object_get(parts[i], "duration_s"));
		json_int_t s = json_integer_value(json_object_get(parts[i], "started_unix_ms"));
		secs = d > secs ? d : secs;
		if (s && (!started || s < started))
			started = s;
		interrupted |= json_is_true(json_object_get(parts[i], "interrupted"));
		size_t m = json_array_size(json_object_get(parts[i], "timeouts_by_sent_interval"));
		nby = m > nby ? m : nby;
	}
	json_t *j = merge_stream(parts, n, secs, err, errlen);
	if (!j)
		return NULL;
	json_object_set_new(j, "duration_s", json_real(secs));
	json_object_set_new(j, "started_unix_ms", json_integer(started));
	json_t *by = json_array();
	for (size_t k = 0; k < nby; k++) {
		json_int_t t = 0;
		for (size_t i = 0; i < n; i++)
			t += json_integer_value(json_array_get(json_object_get(parts[i], "timeouts_by_sent_interval"), k));
		json_array_append_new(by, json_integer(t));
	}
	json_object_set_new(j, "timeouts_by_sent_interval", by);
	json_object_set(j, "interval_s", json_object_get(parts[0], "interval_s"));
	json_object_set_new(j, "interrupted", json_boolean(interrupted));
	json_object_set(j, "config", json_object_get(parts[0], "config"));
	json_object_set_new(j, "load_hosts", json_integer((json_int_t)n));
	/* the canary: whichever hosts ran one */
	json_t *canaries[64];
	size_t nc = 0;
	for (size_t i = 0; i < n && nc < 64; i++)
		if (json_object_get(parts[i], "canary"))
			canaries[nc++] = json_object_get(parts[i], "canary");
	if (nc) {
		json_t *cj = merge_stream(canaries, nc, secs, err, errlen);
		if (!cj) {
			json_decref(j);
			return NULL;
		}
		json_object_set_new(j, "canary", cj);
	}
	return j;
}

long lg_jsonl_merge(FILE *const *in, size_t n, json_t *summary, FILE *out, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	long k;
	for (k = 0;; k++) {
		struct lg_totals sum = { 0 };
		struct ct_hist h[2]; /* intended, actual */
		ct_hist_init(&h[0]);
		ct_hist_init(&h[1]);
		bool hists = true; /* every host's line carries its histograms */
		double t_s = 0, len_s = 0;
		size_t got = 0;
		for (size_t i = 0; i < n; i++) {
			/* this host's k-th interval line (a host that ended sooner has none) */
			while (getline(&line, &cap, in[i]) > 0) {
				json_t *j = json_loads(line, 0, NULL);
				const char *type = json_string_value(json_object_get(j, "type"));
				if (type && strcmp(type, "interval") == 0) {
					struct lg_totals t;
					if (!lg_counts_read(json_object_get(j, "counts"), &t)) {
						json_decref(j);
						free(line);
						return ct_err(err, errlen, "host %zu, interval %ld: not an interval line", i + 1,
							      k + 1);
					}
					for (int c = 0; c < LG__COUNT; c++)
						sum.c[c] += t.c[c];
					json_t *hb = json_object_get(j, "histogram_us"), *lat = json_object_get(j, "latency_us");
					for (int x = 0; x < 2 && hists; x++) {
						const char *kind = x ? "actual" : "intended";
						hists = hb && hist_read(json_object_get(hb, kind), json_object_get(lat, kind), &h[x]);
					}
					double ts = json_number_value(json_object_get(j, "t_s")),
					       ls = json_number_value(json_object_get(j, "len_s"));
					t_s = ts > t_s ? ts : t_s;
					len_s = ls > len_s ? ls : len_s;
					got++;
					json_decref(j);
					break;
				}
				json_decref(j);
			}
		}
		if (!got)
			break;
		json_t *o = json_pack("{s:s, s:f, s:f, s:o, s:f, s:f, s:{s:o, s:o}}", "type", "interval", "t_s", t_s, "len_s",
				      len_s, "counts", lg_counts_json(&sum), "qps",
				      len_s > 0 ? (double)sum.c[LG_ANSWERED] / len_s : 0.0, "new_flows_per_s",
				      len_s > 0 ? (double)sum.c[LG_NEW_FLOWS] / len_s : 0.0, "latency_us", "intended",
				      hists ? lg_latency_json(&h[0]) : json_null(), "actual",
				      hists ? lg_latency_json(&h[1]) : json_null());
		json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputc('\n', out);
		json_decref(o);
	}
	free(line);
	if (summary) {
		fputs("{\"type\":\"summary\",\"summary\":", out);
		json_dumpf(summary, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		fputs("}\n", out);
	}
	return k;
}
