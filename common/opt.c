#include "opt.h"

#include "ct_err.h"
#include "log.h"
#include "optdoc.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define OPT_HELP_ID 0x1000
#define OPT_VERSION_ID 0x1001
#define OPT_LONG_BASE 0x2000
#define OPT_MAX 128

int ct_parse_uint(const char *text, uint64_t *out, char *err, size_t errlen)
{
	if (!text || *text < '0' || *text > '9')
		return ct_err(err, errlen, "'%s' is not a whole number", text ? text : "");
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return ct_err(err, errlen, "'%s' is not a whole number", text);
	*out = v;
	return 0;
}

int ct_parse_duration(const char *text, uint64_t *ns, char *err, size_t errlen)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{ "", 1000000000ull }, { "s", 1000000000ull }, { "ms", 1000000ull },
		{ "us", 1000ull },     { "m", 60000000000ull }, { "h", 3600000000000ull },
	};
	if (!text || *text < '0' || *text > '9')
		return ct_err(err, errlen, "'%s' is not a duration (e.g. 10s, 250ms, 2m)",
			      text ? text : "");
	errno = 0;
	char *end;
	double v = strtod(text, &end);
	if (errno == ERANGE)
		return ct_err(err, errlen, "'%s' is out of range", text);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		double total = v * (double)units[i].ns;
		if (total > 1e18)
			return ct_err(err, errlen, "'%s' is too long", text);
		*ns = (uint64_t)(total + 0.5);
		return 0;
	}
	return ct_err(err, errlen, "'%s' has an unknown unit (use us, ms, s, m or h)", text);
}

int ct_parse_bool(const char *text, bool *out)
{
	static const char *const words[] = { "no", "yes", "false", "true", "0", "1", NULL };
	for (unsigned i = 0; words[i]; i++)
		if (strcmp(text, words[i]) == 0) {
			*out = i % 2;
			return 0;
		}
	return -1;
}

int ct_parse_rate(const char *text, double max, double *out, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = text ? strtod(text, &end) : 0;
	if (!text || errno || end == text || *end || !(v > 0) || v > max)
		return ct_err(err, errlen, "'%s' is not a rate per second above 0 and at most %g", text ? text : "", max);
	*out = v;
	return 0;
}

int ct_parse_enum(const char *text, const char *const *words, unsigned *out, char *err, size_t errlen)
{
	size_t n = 0;
	for (; words[n]; n++)
		if (strcmp(text, words[n]) == 0) {
			*out = (unsigned)n;
			return 0;
		}
	char list[256] = "";
	for (size_t i = 0, used = 0; i < n && used < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "",
					 words[i]);
	const char *hint = ct_did_you_mean(text, words, n);
	return ct_err(err, errlen, "'%s' is not %s%s%s%s%s", text, n > 2 ? "one of " : "", list,
		      hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return SIZE_MAX;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *ct_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* One edit is a typo. Then a prefix ("--work" for "--workers",
	 * "loadgen.loss" for "loadgen.loss_pct"). Then a third of the word's
	 * length, at least 2 edits; more is a different word. */
	if (best && best_d <= 1)
		return best;
	for (size_t i = 0; i < n; i++)
		if (strlen(word) >= 3 && strncmp(candidates[i], word, strlen(word)) == 0)
			return candidates[i];
	size_t limit = strlen(word) / 3 > 2 ? strlen(word) / 3 : 2;
	return best && best_d <= limit ? best : NULL;
}

static void *field_of(const struct ct_opt *o, void *cfg)
{
	return (char *)cfg + o->offset;
}

const struct ct_opt *ct_opt_find(const struct ct_opt *table, const char *name)
{
	for (const struct ct_opt *o = table; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static int list_push(struct ct_strlist *l, const char *s, char *err, size_t errlen)
{
	const char **v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return ct_err(err, errlen, "out of memory");
	v[l->n++] = s;
	l->v = v;
	return 0;
}

/* Converts text into the option's field; messages name the option. */
static int set_value(const struct ct_opt *o, void *cfg, const char *text, char *err, size_t errlen)
{
	char why[CT_ERRLEN];
	void *f = field_of(o, cfg);
	uint64_t v = 0;

	switch (o->type) {
	case CT_OPT_FLAG:
		if (ct_parse_bool(text, f) < 0)
			return ct_err(err, errlen, "--%s: '%s' is not a boolean (yes/no)", o->name, text);
		return 0;
	case CT_OPT_UINT:
	case CT_OPT_DURATION:
		if ((o->type == CT_OPT_UINT ? ct_parse_uint(text, &v, why, sizeof why)
					    : ct_parse_duration(text, &v, why, sizeof why)) < 0)
			return ct_err(err, errlen, "--%s: %s", o->name, why);
		if (v < o->min || v > o->max) {
			if (o->type == CT_OPT_UINT)
				return ct_err(err, errlen, "--%s: %s is outside %" PRIu64 "..%" PRIu64,
					      o->name, text, o->min, o->max);
			return ct_err(err, errlen, "--%s: %s is outside %" PRIu64 "ms..%" PRIu64 "ms",
				      o->name, text, o->min / 1000000, o->max / 1000000);
		}
		*(uint64_t *)f = v;
		return 0;
	case CT_OPT_STR:
		*(const char **)f = text;
		return 0;
	case CT_OPT_LIST:
		return list_push(f, text, err, errlen);
	case CT_OPT_ENUM:
		if (ct_parse_enum(text, o->words, f, why, sizeof why) < 0)
			return ct_err(err, errlen, "--%s: %s", o->name, why);
		return 0;
	case CT_OPT_RATE:
		if (ct_parse_rate(text, (double)o->max, f, why, sizeof why) < 0)
			return ct_err(err, errlen, "--%s: %s", o->name, why);
		return 0;
	case CT_OPT_CUSTOM:
		if (o->parse(text, f, why, sizeof why) < 0)
			return ct_err(err, errlen, "--%s: %s", o->name, why);
		return 0;
	}
	return ct_err(err, errlen, "--%s: unknown option type", o->name);
}

static const char *unknown_hint(const struct ct_opt *table, const char *word)
{
	const char *names[OPT_MAX + 2];
	size_t n = 0;
	for (const struct ct_opt *o = table; o->name && n < OPT_MAX; o++)
		names[n++] = o->name;
	names[n++] = "help";
	names[n++] = "version";
	return ct_did_you_mean(word, names, n);
}

int ct_opt_set(const struct ct_opt *table, void *cfg, const char *name, const char *value,
	       char *err, size_t errlen)
{
	const struct ct_opt *o = ct_opt_find(table, name);
	if (!o) {
		const char *hint = unknown_hint(table, name);
		return ct_err(err, errlen, "unknown option '%s'%s%s%s", name,
			      hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
	}
	return set_value(o, cfg, value, err, errlen);
}

void ct_opt_free(const struct ct_opt *table, void *cfg)
{
	for (const struct ct_opt *o = table; o->name; o++) {
		if (o->type == CT_OPT_LIST) {
			struct ct_strlist *l = field_of(o, cfg);
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}

int ct_opt_defaults(const struct ct_opt *table, void *cfg, char *err, size_t errlen)
{
	for (const struct ct_opt *o = table; o->name; o++)
		if (o->def && set_value(o, cfg, o->def, err, errlen) < 0)
			return -1;
	return 0;
}

enum ct_opt_result ct_opt_parse(const struct ct_opt *table, void *cfg, int argc, char **argv,
				int *optind_out, char *err, size_t errlen)
{
	struct option longopts[OPT_MAX + 3];
	char shortopts[2 * OPT_MAX + 4];
	bool seen[OPT_MAX] = { false };
	size_t n = 0, s = 0;

	shortopts[s++] = ':'; /* report a missing argument as ':' */
	if (ct_opt_defaults(table, cfg, err, errlen) < 0)
		return CT_OPT_ERROR;
	for (const struct ct_opt *o = table; o->name; o++, n++) {
		if (n >= OPT_MAX)
			return ct_err(err, errlen, "option table too large");
		longopts[n] = (struct option){ o->name, o->type == CT_OPT_FLAG ? no_argument : required_argument,
					       NULL, o->short_name ? o->short_name : OPT_LONG_BASE + (int)n };
		if (o->short_name) {
			shortopts[s++] = o->short_name;
			if (o->type != CT_OPT_FLAG)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ "help", no_argument, NULL, OPT_HELP_ID };
	longopts[n + 1] = (struct option){ "version", no_argument, NULL, OPT_VERSION_ID };
	longopts[n + 2] = (struct option){ 0 };
	shortopts[s++] = 'h';
	shortopts[s] = '\0';

	opterr = 0;
	optind = 0; /* 0 also resets getopt's internal state between calls */
	for (;;) {
		int longindex = -1;
		int c = getopt_long(argc, argv, shortopts, longopts, &longindex);
		if (c == -1)
			break;
		if (c == OPT_HELP_ID || c == 'h')
			return CT_OPT_HELP;
		if (c == OPT_VERSION_ID)
			return CT_OPT_VERSION;
		if (c == '?' || c == ':') {
			const char *arg = argv[optind - 1];
			if (c == ':')
				return ct_err(err, errlen, "option '%s' needs a value", arg);
			if (strncmp(arg, "--", 2) == 0) {
				char word[64];
				snprintf(word, sizeof word, "%s", arg + 2);
				word[strcspn(word, "=")] = '\0';
				const char *hint = unknown_hint(table, word);
				return ct_err(err, errlen, "unknown option '--%s'%s%s%s", word,
					      hint ? " (did you mean '--" : "", hint ? hint : "", hint ? "'?)" : "");
			}
			return ct_err(err, errlen, "unknown option '-%c'", optopt ? optopt : '?');
		}
		size_t idx = n;
		for (size_t i = 0; i < n; i++) {
			if ((table[i].short_name && table[i].short_name == c) ||
			    (!table[i].short_name && c == OPT_LONG_BASE + (int)i)) {
				idx = i;
				break;
			}
		}
		if (idx == n)
			return ct_err(err, errlen, "internal: unmapped option %d", c);
		const struct ct_opt *o = &table[idx];
		if (o->type == CT_OPT_LIST && !seen[idx]) {
			/* the first explicit value replaces the default list */
			((struct ct_strlist *)field_of(o, cfg))->n = 0;
		}
		seen[idx] = true;
		if (set_value(o, cfg, o->type == CT_OPT_FLAG ? "yes" : optarg, err, errlen) < 0)
			return CT_OPT_ERROR;
	}
	if (optind_out)
		*optind_out = optind;
	return CT_OPT_OK;
}

void ct_print_wrapped(FILE *out, const char *text, int indent, int width)
{
	int col = indent;
	const char *p = text;
	while (*p) {
		const char *sp = strchr(p, ' ');
		int wlen = sp ? (int)(sp - p) : (int)strlen(p);
		if (col > indent && col + 1 + wlen > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, (size_t)wlen, out);
		col += wlen;
		p += wlen;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

const char *ct_opt_arg_text(const struct ct_opt *o, char *buf, size_t len)
{
	if (o->type == CT_OPT_FLAG)
		return "";
	if (o->type != CT_OPT_ENUM)
		return o->arg ? o->arg : "VALUE";
	buf[0] = '\0';
	for (size_t i = 0, used = 0; o->words[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : "", o->words[i]);
	return buf;
}

const char *ct_opt_help_text(const struct ct_opt *o, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%s", o->help);
	if (o->type == CT_OPT_UINT && used < len)
		used += (size_t)snprintf(buf + used, len - used, " (%" PRIu64 "..%" PRIu64 ")", o->min, o->max);
	if (o->type == CT_OPT_LIST && used < len)
		used += (size_t)snprintf(buf + used, len - used, " (may repeat)");
	if (o->def && o->type != CT_OPT_FLAG && used < len)
		snprintf(buf + used, len - used, " [default: %s]", o->def);
	return buf;
}

void ct_opt_print_options(FILE *out, const struct ct_opt *table)
{
	fprintf(out, "Options:\n");
	for (const struct ct_opt *o = table; o->name; o++) {
		char head[160], help[1024], words[96];
		const char *arg = ct_opt_arg_text(o, words, sizeof words);
		int hl = snprintf(head, sizeof head, "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ',
				  o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
				  *arg ? " " : "", arg);
		fputs(head, out);
		if (hl >= 28) {
			fprintf(out, "\n%*s", 30, "");
		} else {
			fprintf(out, "%*s", 30 - hl, "");
		}
		ct_print_wrapped(out, ct_opt_help_text(o, help, sizeof help), 30, 79);
	}
	fprintf(out, "  -h, --help                  show this help and exit\n");
	fprintf(out, "      --version               show the version and exit\n");
}

void ct_opt_usage(FILE *out, const char *prog, const char *synopsis, const char *about,
		  const struct ct_opt *table)
{
	fprintf(out, "Usage: %s %s\n\n", prog, synopsis);
	if (about) {
		ct_print_wrapped(out, about, 0, 78);
		fputc('\n', out);
	}
	ct_opt_print_options(out, table);
}

int ct_usage_error(const char *msg)
{
	ct_log_error("%s", msg);
	fprintf(stderr, "Try '%s --help'.\n", ct_log_prog());
	return CT_EXIT_USAGE;
}

bool ct_opt_main(const struct ct_opt *table, void *cfg, int argc, char **argv, const char *prog,
		 const char *synopsis, const char *about, int *rc)
{
	char err[CT_ERRLEN];
	int first_arg;
	ct_log_init(prog);
	if (ct_opt_hidden(table, argc, argv, rc))
		return false;
	switch (ct_opt_parse(table, cfg, argc, argv, &first_arg, err, sizeof err)) {
	case CT_OPT_HELP:
		ct_opt_usage(stdout, prog, synopsis, about, table);
		*rc = CT_EXIT_OK;
		return false;
	case CT_OPT_VERSION:
		printf("%s %s\n", prog, CT_VERSION);
		*rc = CT_EXIT_OK;
		return false;
	case CT_OPT_ERROR:
		*rc = ct_usage_error(err);
		return false;
	case CT_OPT_OK:
		break;
	}
	if (first_arg < argc) {
		snprintf(err, sizeof err, "unexpected argument '%s'", argv[first_arg]);
		*rc = ct_usage_error(err);
		return false;
	}
	return true;
}
