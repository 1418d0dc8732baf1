#include "lg_jsonl.h"

#include "lg_summary.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

void lg_write_interval(FILE *out, const struct lg_interval *iv, bool with_histogram)
{
	json_t *j = json_pack("{s:s, s:f, s:f, s:o, s:f, s:f, s:{s:o, s:o}}", "type", "interval", "t_s", iv->t_s,
			      "len_s", iv->len_s, "counts", lg_counts_json(&iv->t), "qps",
			      iv->len_s > 0 ? (double)iv->t.c[LG_ANSWERED] / iv->len_s : 0.0, "new_flows_per_s",
			      iv->len_s > 0 ? (double)iv->t.c[LG_NEW_FLOWS] / iv->len_s : 0.0, "latency_us",
			      "intended", lg_latency_json(&iv->lat_intended), "actual", lg_latency_json(&iv->lat_actual));
	if (with_histogram)
		json_object_set_new(j, "histogram_us",
				    json_pack("{s:o, s:o}", "intended", lg_histogram_json(&iv->lat_intended), "actual",
					      lg_histogram_json(&iv->lat_actual)));
	json_dumpf(j, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fputc('\n', out);
	fflush(out);
	json_decref(j);
}

static double ms(json_t *lat, const char *key)
{
	json_t *x = json_object_get(lat, key);
	return json_is_number(x) ? json_number_value(x) / 1e3 : NAN;
}

bool lg_interval_read(const char *line, struct lg_interval_rec *r)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	json_t *c = json_object_get(j, "counts");
	bool ok = type && strcmp(type, "interval") == 0 && json_is_object(c);
	if (ok) {
		json_t *lat = json_object_get(json_object_get(j, "latency_us"), "actual");
		*r = (struct lg_interval_rec){
			.t_s = json_number_value(json_object_get(j, "t_s")),
			.len_s = json_number_value(json_object_get(j, "len_s")),
			.sent = json_number_value(json_object_get(c, "sent")),
			.answered = json_number_value(json_object_get(c, "answered")),
			.timeouts = json_number_value(json_object_get(c, "timeouts")),
			.failed = json_number_value(json_object_get(c, "failed")),
			.late = json_number_value(json_object_get(c, "late")),
			.p50_ms = ms(lat, "p50"),
			.p99_ms = ms(lat, "p99"),
			.p999_ms = ms(lat, "p999"),
		};
	}
	json_decref(j);
	return ok;
}
