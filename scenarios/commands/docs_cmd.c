#include "docs_cmd.h"

#include "config.h"
#include "ct_err.h"
#include "metrics.h"
#include "optdoc.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
	[CT_OPT_FLAG] = "yes|no",   [CT_OPT_UINT] = "count",     [CT_OPT_DURATION] = "duration",
	[CT_OPT_STR] = "text",      [CT_OPT_LIST] = "text",      [CT_OPT_ENUM] = "word",
	[CT_OPT_RATE] = "rate",     [CT_OPT_CUSTOM] = "text",
};

/* The value's form as the user writes it: the enum's words, else the
 * argument name. */
static const char *value_form(const struct ct_opt *o, char *buf, size_t len)
{
	if (o->type != CT_OPT_ENUM)
		return o->type == CT_OPT_FLAG ? "yes|no" : o->arg ? o->arg : type_names[o->type];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; o->words[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : "", o->words[i]);
	return buf;
}

static void keys_man_section(const struct sc_section_kind *k)
{
	printf(".SS [%s]\n", k->name);
	ct_roff_text(stdout, k->about);
	printf(".\n");
}

static void key_man(const struct ct_opt *o, const char *def, const char *form, const char *range)
{
	printf(".TP\n\\fB");
	ct_roff_text(stdout, o->name);
	printf("\\fR = \\fI");
	ct_roff_text(stdout, form);
	printf("\\fR%s\n", range);
	ct_roff_text(stdout, o->help);
	if (def) {
		printf(" [default: ");
		ct_roff_text(stdout, def);
		printf("]");
	}
	printf("\n");
}

int cmd_keys(enum doc_format fmt)
{
	json_t *all = json_array();
	for (const struct sc_section_kind *k = sc_sections; k->name; k++) {
		if (fmt == DOC_TEXT)
			printf("[%s]  %s\n", k->name, k->about);
		else if (fmt == DOC_MAN)
			keys_man_section(k);
		json_t *keys = json_array();
		for (const struct ct_opt *o = k->table; o->name; o++) {
			if (sc_word_in(k->reserved, o->name))
				continue; /* the runner's */
			char words[256], range[64] = "";
			if (o->type == CT_OPT_UINT)
				snprintf(range, sizeof range, " (%" PRIu64 "..%" PRIu64 ")", o->min, o->max);
			const char *form = value_form(o, words, sizeof words), *def = sc_key_default(k->name, o);
			if (fmt == DOC_JSON)
				json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s?, s:s}", "key", o->name, "type",
								      type_names[o->type], "value", form, "default", def,
								      "help", o->help));
			else if (fmt == DOC_MAN)
				key_man(o, def, form, range);
			else
				printf("  %-22s %s%s%s%s%s\n      %s\n", o->name, form, range, def ? "  [default: " : "",
				       def ? def : "", def ? "]" : "", o->help);
		}
		if (fmt == DOC_JSON)
			json_array_append_new(all, json_pack("{s:s, s:s, s:o}", "section", k->name, "about", k->about, "keys",
							     keys));
		else
			json_decref(keys);
		if (fmt == DOC_TEXT)
			putchar('\n');
	}
	if (fmt == DOC_JSON) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (fmt == DOC_TEXT) {
		printf("[expect] and [variant NAME]: expectations METRIC OP NUMBER (ctstorm metrics lists the metrics);\n"
		       "[quick] and [variant NAME]: SECTION.KEY = VALUE overrides.\n");
	}
	json_decref(all);
	return CT_EXIT_OK;
}

int cmd_metrics(enum doc_format fmt)
{
	json_t *all = json_array();
	const char *family = "";
	for (size_t i = 0; i < ct_metrics_count(); i++) {
		const struct ct_metric *m = ct_metric_at(i);
		if (fmt == DOC_JSON) {
			json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s}", "metric", m->path, "unit", m->unit,
							     "source", m->source, "meaning", m->meaning));
			continue;
		}
		bool new_family = strcmp(m->source, family) != 0;
		family = m->source;
		if (fmt == DOC_MAN) {
			if (new_family)
				printf(".SS %s\n", family);
			printf(".TP\n\\fB");
			ct_roff_text(stdout, m->path);
			printf("\\fR (");
			ct_roff_text(stdout, m->unit);
			printf(")\n");
			ct_roff_text(stdout, m->meaning);
			printf("\n");
			continue;
		}
		if (new_family)
			printf("%s%s\n", i ? "\n" : "", family);
		printf("  %-38s %-11s %s\n", m->path, m->unit, m->meaning);
	}
	if (fmt == DOC_JSON) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (fmt == DOC_TEXT) {
		printf("\n%zu metrics. An expectation names one: METRIC OP NUMBER, e.g. sampler.drop == 0.\n",
		       ct_metrics_count());
	}
	json_decref(all);
	return CT_EXIT_OK;
}
