#include "junit.h"

#include "ct_report.h"

#include "atomicfile.h"
#include "ct_err.h"
#include "rf_names.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text as an XML attribute value or element content. */
static void xml(FILE *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", o); break;
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '"': fputs("&quot;", o); break;
		case '\n': fputs("&#10;", o); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, o);
		}
	}
}

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* "measured 13" or "not measured in this run". */
static void measured(char *buf, size_t len, json_t *x)
{
	json_t *m = json_object_get(x, "measured");
	if (json_is_number(m))
		snprintf(buf, len, "measured %.10g", json_number_value(m));
	else
		snprintf(buf, len, "not measured in this run%s%s", *str(x, "why") ? ": " : "", str(x, "why"));
}

struct counts {
	int tests, failures, errors, skipped;
};

/* One variant's suite into o; its counts added to total. */
static void suite(FILE *o, const char *scenario, json_t *entry, json_t *verdict, struct counts *total)
{
	const char *name = str(entry, "name"), *status = str(verdict ? verdict : entry, "status");
	json_t *exps = json_object_get(verdict, "expectations");
	bool ran = strcmp(status, "pass") == 0 || strcmp(status, "fail") == 0;
	bool interrupted = strcmp(status, "interrupted") == 0;
	struct counts c = { .tests = 1 + (int)json_array_size(exps) };
	size_t i;
	json_t *x;
	json_array_foreach(exps, i, x) {
		if (json_is_false(json_object_get(x, "pass")))
			c.failures++;
		else if (!json_is_true(json_object_get(x, "pass")))
			c.skipped++;
	}
	if (interrupted)
		c.skipped++;
	else if (!ran)
		c.errors++;
	fprintf(o, "  <testsuite name=\"");
	xml(o, scenario);
	fputc('.', o);
	xml(o, name);
	fprintf(o, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", c.tests, c.failures,
		c.errors, c.skipped, json_number_value(json_object_get(entry, "wall_s")));
	fprintf(o, "    <properties>\n      <property name=\"description\" value=\"");
	xml(o, str(verdict, "description"));
	fprintf(o, "\"/>\n      <property name=\"status\" value=\"");
	xml(o, status);
	/* what it means: reproduced, held, did not hold... (the report's word) */
	const char *shows;
	bool good;
	const char *word = ct_verdict_word_of(verdict, name, status, &shows, &good);
	fprintf(o, "\"/>\n      <property name=\"shows\" value=\"");
	xml(o, shows);
	fprintf(o, "\"/>\n      <property name=\"verdict\" value=\"");
	xml(o, word);
	fprintf(o, "\"/>\n    </properties>\n");
	/* the variant itself: its lab built, its load run, its files written */
	fprintf(o, "    <testcase classname=\"");
	xml(o, scenario);
	fputc('.', o);
	xml(o, name);
	fprintf(o, "\" name=\"ran to its end\" time=\"%.3f\">", json_number_value(json_object_get(entry, "wall_s")));
	if (interrupted) {
		fprintf(o, "<skipped message=\"the run was interrupted: expectations not judged\"/>");
	} else if (!ran) {
		fprintf(o, "<error type=\"variant\" message=\"");
		xml(o, *str(verdict, "error") ? str(verdict, "error") : status);
		fprintf(o, "\"/>");
	}
	fprintf(o, "</testcase>\n");
	json_array_foreach(exps, i, x) {
		char m[256];
		measured(m, sizeof m, x);
		fprintf(o, "    <testcase classname=\"");
		xml(o, scenario);
		fputc('.', o);
		xml(o, name);
		fprintf(o, "\" name=\"");
		xml(o, str(x, "expect"));
		fprintf(o, "\" file=\"");
		xml(o, str(x, "file"));
		fprintf(o, "\" line=\"%d\">", (int)json_integer_value(json_object_get(x, "line")));
		json_t *pass = json_object_get(x, "pass");
		if (json_is_false(pass)) {
			fprintf(o, "<failure type=\"expectation\" message=\"expected ");
			xml(o, str(x, "expect"));
			fprintf(o, ", %s\">", m);
			xml(o, str(x, "file"));
			fprintf(o, ":%d: expected ", (int)json_integer_value(json_object_get(x, "line")));
			xml(o, str(x, "expect"));
			fprintf(o, ", %s</failure>", m);
		} else if (!json_is_true(pass)) {
			fprintf(o, "<skipped message=\"not judged: the variant did not run to its end\"/>");
		} else {
			fprintf(o, "<system-out>%s</system-out>", m);
		}
		fprintf(o, "</testcase>\n");
	}
	fprintf(o, "  </testsuite>\n");
	total->tests += c.tests;
	total->failures += c.failures;
	total->errors += c.errors;
	total->skipped += c.skipped;
}

int junit_write(const char *dir, const char *path, char *err, size_t errlen)
{
	char file[1200];
	snprintf(file, sizeof file, "%s/" RF_MANIFEST, dir);
	json_error_t je;
	json_t *man = json_load_file(file, 0, &je);
	if (!man)
		return ct_err(err, errlen, "%s: %s", file, je.text);
	const char *scenario = str(json_object_get(man, "scenario"), "name");
	char *body = NULL, *doc = NULL;
	size_t blen = 0, dlen = 0;
	FILE *b = open_memstream(&body, &blen);
	if (!b)
		abort();
	struct counts total = { 0 };
	double time = 0;
	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(man, "variants"), i, entry) {
		snprintf(file, sizeof file, "%s/%s/" RF_VERDICT, dir, str(entry, "name"));
		json_t *verdict = json_load_file(file, 0, NULL); /* none: the variant died before its verdict */
		suite(b, scenario, entry, verdict, &total);
		time += json_number_value(json_object_get(entry, "wall_s"));
		json_decref(verdict);
	}
	fclose(b);
	FILE *d = open_memstream(&doc, &dlen);
	if (!d)
		abort();
	fprintf(d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ctstorm ");
	xml(d, scenario);
	fprintf(d, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", total.tests,
		total.failures, total.errors, total.skipped, time);
	fwrite(body, 1, blen, d);
	fprintf(d, "</testsuites>\n");
	fclose(d);
	int rc = ct_write_atomic(path, doc, dlen, err, errlen);
	free(body);
	free(doc);
	json_decref(man);
	return rc;
}
