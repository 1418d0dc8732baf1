#include "verdict.h"

#include "metrics.h"
#include "rf_names.h"

#include <stdio.h>
#include <string.h>

static json_t *load_json(const char *dir, const char *file)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	return json_load_file(path, 0, NULL);
}

/* sampler.json's totals and kernel-log counts, lifted to the top. */
static void lift_sampler(json_t *sm)
{
	const char *k;
	json_t *v;
	json_t *totals = json_object_get(sm, "totals");
	json_object_foreach(totals, k, v)
		if (!json_object_get(sm, k))
			json_object_set(sm, k, v);
	json_t *km = json_object_get(sm, "kmsg");
	json_object_foreach(km, k, v) {
		char name[64];
		snprintf(name, sizeof name, "kmsg_%s", k);
		json_object_set(sm, name, v);
	}
}

json_t *vd_collect_metrics(const char *dir)
{
	json_t *m = json_object();
	json_t *lg = load_json(dir, RF_LOADGEN_JSON);
	if (lg) {
		json_object_del(lg, "histogram_us");
		json_t *canary = json_object_get(lg, "canary");
		if (canary) {
			json_object_del(canary, "histogram_us");
			json_object_set(m, "canary", canary);
			json_object_del(lg, "canary");
		}
		json_object_set_new(m, "loadgen", lg);
	}
	json_t *sm = load_json(dir, RF_SAMPLER_JSON);
	if (sm) {
		lift_sampler(sm);
		json_object_set_new(m, "sampler", sm);
	}
	json_t *rs = load_json(dir, RF_RESPONDER_JSON);
	if (rs)
		json_object_set_new(m, "responder", rs);
	return m;
}

json_t *vd_judge(const struct sc_resolved *r, json_t *metrics, bool judged, bool *all)
{
	json_t *exps = json_array();
	*all = true;
	for (size_t i = 0; i < r->nexp; i++) {
		const struct sc_expect *x = r->exp[i];
		double val = 0;
		bool have = metrics && ct_metric_value(metrics, x->metric, &val);
		bool pass = have && sc_expect_holds(x, val);
		*all &= pass;
		json_t *o = json_pack("{s:s, s:s, s:i, s:o}", "expect", x->text, "file", r->file->path, "line", x->line,
				      "measured", have ? json_real(val) : json_null());
		json_object_set_new(o, "pass", judged ? json_boolean(pass) : json_null());
		if (!have)
			json_object_set_new(o, "why", json_string("not measured in this run"));
		json_array_append_new(exps, o);
	}
	return exps;
}
