#include "optdoc.h"

#include "ct_err.h"

#include <stdlib.h>
#include <string.h>

void ct_roff_text(FILE *out, const char *text)
{
	bool line_start = true;
	for (const char *p = text; *p; p++) {
		if (line_start && (*p == '.' || *p == '\''))
			fputs("\\&", out);
		line_start = *p == '\n';
		if (*p == '\\')
			fputs("\\e", out);
		else if (*p == '-')
			fputs("\\-", out);
		else
			fputc(*p, out);
	}
}

static void man_entry(FILE *out, char short_name, const char *name, const char *arg, const char *help)
{
	fputs(".TP\n", out);
	if (short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", short_name);
	fputs("\\fB\\-\\-", out);
	ct_roff_text(out, name);
	fputs("\\fR", out);
	if (*arg) {
		fputs(" \\fI", out);
		ct_roff_text(out, arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	ct_roff_text(out, help);
	fputc('\n', out);
}

void ct_opt_man(FILE *out, const struct ct_opt *table)
{
	for (const struct ct_opt *o = table; o->name; o++) {
		char words[256], help[1024];
		man_entry(out, o->short_name, o->name, ct_opt_arg_text(o, words, sizeof words),
			  ct_opt_help_text(o, help, sizeof help));
	}
	man_entry(out, 'h', "help", "", "show the help and exit");
	man_entry(out, 0, "version", "", "show the version and exit");
}

void ct_words_split(const char *line, struct ct_words *out)
{
	size_t len = strlen(line), cap = len / 2 + 2;
	out->buf = strdup(line);
	out->w = calloc(cap, sizeof *out->w);
	if (!out->buf || !out->w)
		abort();
	out->n = 0;
	char *save = NULL;
	for (char *t = strtok_r(out->buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		out->w[out->n++] = t;
	/* after a blank (or on an empty line) the word being completed is empty */
	if (out->n == 0 || (len && (line[len - 1] == ' ' || line[len - 1] == '\t')))
		out->w[out->n++] = out->buf + len;
}

void ct_words_free(struct ct_words *ws)
{
	free(ws->w);
	free(ws->buf);
	ws->w = NULL;
	ws->buf = NULL;
	ws->n = 0;
}

void ct_complete_word(FILE *out, const char *prefix, const char *cand)
{
	if (strncmp(cand, prefix, strlen(prefix)) == 0)
		fprintf(out, "%s\n", cand);
}

const struct ct_opt *ct_opt_takes_value(const struct ct_opt *table, const char *word)
{
	for (const struct ct_opt *o = table; o->name; o++) {
		if (o->type == CT_OPT_FLAG)
			continue;
		if ((word[0] == '-' && word[1] == '-' && strcmp(word + 2, o->name) == 0) ||
		    (o->short_name && word[0] == '-' && word[1] == o->short_name && word[2] == '\0'))
			return o;
	}
	return NULL;
}

static void complete_words(FILE *out, const struct ct_opt *o, const char *lead, const char *cur)
{
	/* an enum's words; another type's, where its entry gives some, are the
	 * starts of its values (delay=, udp:) */
	for (size_t i = 0; o->words && o->words[i]; i++) {
		char cand[256];
		snprintf(cand, sizeof cand, "%s%s", lead, o->words[i]);
		ct_complete_word(out, cur, cand);
	}
}

bool ct_opt_complete(FILE *out, const struct ct_opt *table, const struct ct_words *ws)
{
	const char *cur = ct_words_cur(ws);
	const char *eq = strchr(cur, '=');
	if (cur[0] == '-' && cur[1] == '-' && eq) {
		char lead[128]; /* "--name=" */
		snprintf(lead, sizeof lead, "%.*s", (int)(eq + 1 - cur), cur);
		lead[strlen(lead) - 1] = '\0';
		const struct ct_opt *o = ct_opt_takes_value(table, lead);
		strcat(lead, "=");
		if (o)
			complete_words(out, o, lead, cur);
		return true;
	}
	if (cur[0] == '-') {
		for (const struct ct_opt *o = table; o->name; o++) {
			char cand[128];
			snprintf(cand, sizeof cand, "--%s", o->name);
			ct_complete_word(out, cur, cand);
		}
		ct_complete_word(out, cur, "--help");
		ct_complete_word(out, cur, "--version");
		return true;
	}
	const struct ct_opt *o = ct_opt_takes_value(table, ct_words_prev(ws));
	if (o) {
		complete_words(out, o, "", cur);
		return true;
	}
	return false;
}

bool ct_opt_hidden(const struct ct_opt *table, int argc, char **argv, int *rc)
{
	if (argc != 3)
		return false;
	if (strcmp(argv[1], "--man-section") == 0 && strcmp(argv[2], "options") == 0) {
		ct_opt_man(stdout, table);
	} else if (strcmp(argv[1], "--complete") == 0) {
		struct ct_words ws;
		ct_words_split(argv[2], &ws);
		ct_opt_complete(stdout, table, &ws);
		ct_words_free(&ws);
	} else {
		return false;
	}
	*rc = CT_EXIT_OK;
	return true;
}
